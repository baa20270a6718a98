"""Attribute names genlens emits and reads, as constants in one place.

The SDK writes these; the server's normalizers read them together with the
foreign conventions' names (see the convention modules).  Names follow the
OTel GenAI semantic conventions v1.41; genlens's own context lives under
``app.llm.*``.
"""

from __future__ import annotations

# --- OTel GenAI v1.41 -------------------------------------------------------
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"  # deprecated (<= v1.36) spelling of provider
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_DATA_SOURCE_ID = "gen_ai.data_source.id"
GEN_AI_RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
USER_ID = "user.id"

# Operation names (gen_ai.operation.name values).
OP_CHAT = "chat"
OP_TEXT_COMPLETION = "text_completion"
OP_GENERATE_CONTENT = "generate_content"
OP_EMBEDDINGS = "embeddings"
OP_RETRIEVAL = "retrieval"
OP_EXECUTE_TOOL = "execute_tool"
OP_INVOKE_AGENT = "invoke_agent"
OP_CREATE_AGENT = "create_agent"
OP_INVOKE_WORKFLOW = "invoke_workflow"

# --- genlens application context (app.llm.*) --------------------------------
APP_FEATURE = "app.llm.feature"
APP_TENANT_ID = "app.llm.tenant.id"
APP_PROMPT_TEMPLATE_ID = "app.llm.prompt.template.id"
APP_PROMPT_TEMPLATE_SHA = "app.llm.prompt.template.sha"
APP_EXPERIMENT_ID = "app.llm.experiment.id"
APP_EXPERIMENT_VARIANT = "app.llm.experiment.variant"
APP_CONVERSATION_ID = "app.llm.conversation.id"
APP_CONVERSATION_CUMULATIVE_TOKENS = "app.llm.conversation.cumulative_tokens"
APP_COST_USD = "app.llm.cost_usd"
APP_BUDGET_EXCEEDED = "app.llm.budget_exceeded"
APP_TOTAL_LATENCY_S = "app.llm.total_latency_s"
APP_TTFT_S = "app.llm.ttft_s"
APP_TPOT_S = "app.llm.tpot_s"
APP_DECODE_TOKENS_PER_S = "app.llm.decode_tokens_per_s"
APP_STREAMING = "app.llm.streaming"
APP_ERROR_CLASS = "app.llm.error_class"
APP_SPAN_KIND = "app.llm.span.kind"
APP_CONTENT_SAMPLED = "app.llm.content_sampled"
APP_REDACTED = "app.llm.redacted"
APP_RETRIEVAL_DOCUMENT_IDS = "app.llm.retrieval.document_ids"
APP_RETRIEVAL_DOCUMENT_SCORES = "app.llm.retrieval.document_scores"

# Resource attributes.
SERVICE_NAME = "service.name"
SERVICE_VERSION = "service.version"
DEPLOYMENT_ENVIRONMENT = "deployment.environment"
DEPLOYMENT_ENVIRONMENT_NAME = "deployment.environment.name"
TENANT_ID = "tenant.id"

# --- OTel names read by the normalizers (older versions, events, general registry) ---
GEN_AI_USAGE_PROMPT_TOKENS = "gen_ai.usage.prompt_tokens"  # <= v1.26
GEN_AI_USAGE_COMPLETION_TOKENS = "gen_ai.usage.completion_tokens"  # <= v1.26
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"  # genai repo rename
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_REQUEST_REASONING_LEVEL = "gen_ai.request.reasoning.level"
GEN_AI_OPENAI_REQUEST_SEED = "gen_ai.openai.request.seed"  # < v1.30
GEN_AI_OPENAI_REQUEST_RESPONSE_FORMAT = "gen_ai.openai.request.response_format"  # < v1.31
GEN_AI_PROMPT_NAME = "gen_ai.prompt.name"
GEN_AI_RETRIEVAL_QUERY_TEXT = "gen_ai.retrieval.query.text"
GEN_AI_PROMPT = "gen_ai.prompt"  # <= v1.27 span event attribute (JSON string)
GEN_AI_COMPLETION = "gen_ai.completion"  # <= v1.27 span event attribute (JSON string)
SESSION_ID = "session.id"
ENDUSER_ID = "enduser.id"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EVENT_NAME = "event.name"  # deprecated log attribute carrying the event name

# Content events (span events <= v1.27; log records v1.28-v1.36; details event v1.37+).
EV_CONTENT_PROMPT = "gen_ai.content.prompt"
EV_CONTENT_COMPLETION = "gen_ai.content.completion"
EV_SYSTEM_MESSAGE = "gen_ai.system.message"
EV_USER_MESSAGE = "gen_ai.user.message"
EV_ASSISTANT_MESSAGE = "gen_ai.assistant.message"
EV_TOOL_MESSAGE = "gen_ai.tool.message"
EV_CHOICE = "gen_ai.choice"
EV_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"
EV_EXCEPTION = "exception"

# --- added by the server's normalizer ---------------------------------------------
# Links a span had that its row does not carry: the sender's dropped_links_count plus the links
# the decoder refused (ids that cannot be followed) or cut (over decode.MAX_LINKS).
APP_LINKS_DROPPED = "app.llm.links.dropped"

# --- added by the SDK -----------------------------------------------------------
GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name"
# A tool call the model asked for (a zero-length child of the LLM span), as
# opposed to an execute_tool span of the tool actually running.
APP_TOOL_CALL_REQUESTED = "app.llm.tool_call.requested"
# record_validation_error / record_guardrail_rejection (span events and attributes).
APP_VALIDATION_ERROR = "app.llm.validation_error"
APP_GUARDRAIL_NAME = "app.llm.guardrail.name"
APP_GUARDRAIL_REASON = "app.llm.guardrail.reason"
EVENT_VALIDATION_ERROR = "app.llm.validation_error"
EVENT_GUARDRAIL_REJECTION = "app.llm.guardrail_rejection"
# Feedback: a span named "feedback" (app.llm.span.kind = "feedback") in the
# trace it is about, child of the span it rates.
APP_FEEDBACK_TRACE_ID = "app.llm.feedback.trace_id"
APP_FEEDBACK_SPAN_ID = "app.llm.feedback.span_id"
APP_FEEDBACK_THUMBS = "app.llm.feedback.thumbs"  # "up" | "down"
APP_FEEDBACK_SCORE = "app.llm.feedback.score"  # float
APP_FEEDBACK_COMMENT = "app.llm.feedback.comment"  # redacted text
APP_FEEDBACK_SIGNAL = "app.llm.feedback.signal"  # implicit signal name, e.g. "copied", "retried"
APP_FEEDBACK_SOURCE = "app.llm.feedback.source"  # "user" | "implicit"

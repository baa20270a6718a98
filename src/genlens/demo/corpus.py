"""Fixed data the demo application talks about: tenants, a small knowledge base, questions, prompts.

Everything is plain data so runs are reproducible from a seed and the
scenarios can name exactly what they change (a template version, a topic).
"""

from __future__ import annotations

from dataclasses import dataclass

# tenant → (relative traffic weight, users)
TENANTS: dict[str, tuple[float, int]] = {"acme": (0.45, 40), "globex": (0.3, 25), "initech": (0.17, 12),
                                         "umbrella": (0.08, 6)}

# feature → relative traffic weight
FEATURES: dict[str, float] = {"support-chat": 0.5, "ticket-triage": 0.25, "research-assistant": 0.15,
                              "autocomplete": 0.1}

EXPERIMENT = "drafter-style"  # A/B over the support drafter: variant → (provider, model, template id)
VARIANTS: dict[str, tuple[str, str]] = {"a": ("openai", "gpt-4o-mini"), "b": ("anthropic", "claude-haiku-4-5")}

MODELS = {
    "embedding": "text-embedding-3-small",
    "planner": "gpt-4o",
    "summarizer": "claude-haiku-4-5",
    "classifier": "gpt-4.1-nano",
    "research_planner": "claude-sonnet-4-5",
    "autocomplete": "gpt-4.1-nano",
}


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    text: str


KNOWLEDGE_BASE: tuple[Doc, ...] = (
    Doc("kb-101", "Resetting a password", "Open Settings, choose Security, then Reset password. A link is mailed."),
    Doc("kb-102", "Refund policy", "Refunds are issued to the original payment method within 5 business days."),
    Doc("kb-103", "Shipping times", "Standard shipping takes 3-5 days; express ships the next business day."),
    Doc("kb-104", "Changing a plan", "Plans can be upgraded at once; downgrades apply at the next billing date."),
    Doc("kb-105", "Two-factor login", "Two-factor codes come from the authenticator app or a text message."),
    Doc("kb-106", "Exporting data", "Account owners export all data as CSV from Settings, then Data export."),
    Doc("kb-107", "API rate limits", "The API allows 600 requests per minute per key; 429 means slow down."),
    Doc("kb-108", "Invoices", "Invoices are in Billing; each one can be downloaded as a PDF."),
    Doc("kb-109", "Deleting an account", "Deletion is permanent after 30 days; contact support to undo sooner."),
    Doc("kb-110", "Team seats", "Admins add seats under Team; each seat is billed pro rata."),
)

QUESTIONS: tuple[str, ...] = (
    "How do I reset my password? The link never arrives.",
    "When will I get my refund for order {order}?",
    "My package {order} has not shipped yet, what is going on?",
    "Can I downgrade my plan today and get money back?",
    "I lost my phone and cannot pass two-factor login.",
    "How can I export all my data to a spreadsheet?",
    "We keep hitting 429 errors from the API, what are the limits?",
    "Where can I download last month's invoice?",
    "Please delete my account and all my data.",
    "How do I add three more seats for my team?",
)

FOLLOW_UPS: tuple[str, ...] = (
    "Thanks. And what if that does not work?",
    "Can you check the status of order {order} again?",
    "That is not what I asked, please be more specific.",
    "OK, and how long will that take?",
    "Could you summarise what we said so far?",
)

# input-drift: the same feature suddenly gets questions about something the knowledge base does not cover
DRIFT_TOPIC = "crypto wallet payouts (Spanish)"
DRIFT_QUESTIONS: tuple[str, ...] = (
    "¿Por qué mi retiro de bitcoin a la billetera {order} sigue pendiente después de tres días?",
    "Necesito cambiar la dirección de mi billetera de ethereum antes del próximo pago, ¿cómo lo hago?",
    "¿Cuál es la comisión de red para enviar USDT a una billetera externa?",
    "Mi pago en cripto {order} aparece como fallido pero el dinero salió de mi cuenta.",
)

TICKETS: tuple[str, ...] = (
    "Customer says the invoice total is wrong for order {order}.",
    "App crashes when uploading a photo larger than 10 MB.",
    "User cannot log in after changing phone; two-factor fails.",
    "Request to cancel subscription and refund the last payment.",
    "Dashboard shows no data since yesterday for order {order}.",
)

RESEARCH_TOPICS: tuple[str, ...] = (
    "competitor pricing for team plans", "churn reasons in the last quarter", "feature requests about exports",
    "latency complaints from EU customers", "onboarding drop-off in week one",
)

COMPLETIONS: tuple[str, ...] = ("Thanks for reaching", "I have forwarded your", "Your order is", "We are sorry")

# The support system prompt is long on purpose (> 1,024 tokens) so providers cache its prefix.
_POLICY = " ".join(f"Policy {i}: answer politely, cite the knowledge base article you used, never promise "
                   f"refunds outside the refund policy, and escalate anything about security or billing."
                   for i in range(1, 41))
SUPPORT_SYSTEM_V1 = "{preamble}You are the support assistant of Example Corp.\n" + _POLICY + "\nCustomer tier: {tier}."
# prompt-regression: version 2 appends every knowledge base article in full and a long style guide,
# roughly tripling the input tokens of every call.
SUPPORT_SYSTEM_V2 = SUPPORT_SYSTEM_V1 + "\n" + "\n".join(f"[{d.id}] {d.title}: {d.text}" for d in KNOWLEDGE_BASE) \
    + "\n" + " ".join(f"Style rule {i}: keep sentences short, use the customer's name, close with an offer "
                      f"to help further, and restate the question before answering it." for i in range(1, 81))

DRAFTER_TEMPLATES = {
    "a": "Write the reply to the customer. Question: {question}\nFacts: {facts}",
    "b": "Write a short, friendly reply in at most three sentences. Question: {question}\nFacts: {facts}",
}
CLASSIFIER_TEMPLATE = ("Classify the ticket as JSON with keys category (billing|bug|account|other), "
                       "priority (low|medium|high) and summary.\nTicket: {ticket}")
RESEARCH_TEMPLATE = "Plan research on: {topic}. Use the tools, then write a brief."

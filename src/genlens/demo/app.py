"""The demo application: a support assistant instrumented with the genlens SDK.

It calls the real ``openai`` and ``anthropic`` clients (pointed at the simulated
provider) the way a production app would, so every trace has the shapes a user
meets: ``workflow → agent → tool → LLM`` trees, RAG retrieval with an embedding
call and scored documents, tools run in parallel threads or asyncio tasks,
streaming and non-streaming calls on both providers, a JSON classifier whose
invalid answers are recorded as validation errors, prompt templates, an A/B
experiment and user feedback.  Conversations keep their history, so their
input tokens grow turn by turn.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai
from opentelemetry import trace

import genlens
from genlens.demo import corpus as C
from genlens.demo.scenarios import Effects

MAX_HISTORY = 200  # messages kept per conversation (a runaway one grows up to this)
TOOLS_OPENAI: list[Any] = [
    {"type": "function", "function": {"name": name, "description": desc, "parameters": {
        "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}
    for name, desc in (("lookup_order", "Find an order by id"), ("search_faq", "Search the FAQ"))
]
TOOLS_ANTHROPIC: list[Any] = [
    {"name": name, "description": desc, "input_schema": {
        "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}
    for name, desc in (("web_search", "Search the web"), ("read_reports", "Read internal reports"))
]


@dataclass
class Conversation:
    id: str
    tenant: str
    user: str
    variant: str
    turns: int = 0
    history: list[dict[str, str]] = field(default_factory=list)
    runaway: bool = False


@dataclass
class Request:
    feature: str
    tenant: str
    user: str
    seed: int
    conversation: Conversation | None = None
    variant: str = "a"


class DemoApp:
    """One instance per demo run; thread-safe (each request uses only its own state)."""

    def __init__(self, sim_url: str, feedback_rate: float = 0.3) -> None:
        self.oai = openai.OpenAI(base_url=sim_url + "/v1", api_key="demo-key", max_retries=1, timeout=60)
        self.ant = anthropic.Anthropic(base_url=sim_url, api_key="demo-key", max_retries=1, timeout=60)
        self.sim_url = sim_url
        self.tools_pool = ThreadPoolExecutor(8, thread_name_prefix="demo-tool")
        self.feedback_rate = feedback_rate
        self.support = {"v1": genlens.prompt("support-system", C.SUPPORT_SYSTEM_V1),
                        "v2": genlens.prompt("support-system", C.SUPPORT_SYSTEM_V2)}
        self.drafter = {k: genlens.prompt(f"support-drafter-{k}", t) for k, t in C.DRAFTER_TEMPLATES.items()}
        self.classifier = genlens.prompt("ticket-classifier", C.CLASSIFIER_TEMPLATE)
        self.research = genlens.prompt("research-plan", C.RESEARCH_TEMPLATE)
        self._doc_vectors: list[tuple[C.Doc, list[float]]] | None = None

    def close(self) -> None:
        self.tools_pool.shutdown(wait=True, cancel_futures=True)
        self.oai.close()
        self.ant.close()

    # -- entry point ------------------------------------------------------------------
    def handle(self, req: Request, fx: Effects) -> None:
        """Run one request of its feature inside the feature's genlens context; raises on failure."""
        conv = req.conversation
        with genlens.context(feature=req.feature, tenant=req.tenant, user_id=req.user,
                             conversation_id=conv.id if conv else None,
                             experiment=C.EXPERIMENT if req.feature == "support-chat" else None,
                             variant=req.variant if req.feature == "support-chat" else None):
            rng = random.Random(req.seed)
            if req.feature == "support-chat":
                assert conv is not None
                self.support_turn(conv, rng, fx)
            elif req.feature == "ticket-triage":
                self.triage(rng.choice(C.TICKETS).format(order=rng.randint(10000, 99999)))
            elif req.feature == "research-assistant":
                asyncio.run(self.research_brief(rng.choice(C.RESEARCH_TOPICS)))
            else:
                self.autocomplete(rng.choice(C.COMPLETIONS))

    # -- support chat: RAG + planner with parallel tools + streamed drafter ---------------
    @genlens.workflow(name="support-turn")
    def support_turn(self, conv: Conversation, rng: random.Random, fx: Effects) -> str:
        order = rng.randint(10000, 99999)
        if fx.drifted_inputs:
            question = rng.choice(C.DRIFT_QUESTIONS).format(order=order)
        elif conv.turns == 0:
            question = rng.choice(C.QUESTIONS).format(order=order)
        else:
            question = rng.choice(C.FOLLOW_UPS).format(order=order)
        if conv.runaway:  # a customer pasting ever longer logs into the chat
            question += " Here is the full log again: " + "error retrying request; " * 400
        answer = self.support_agent(conv, question, rng, fx)
        conv.turns += 1
        conv.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        del conv.history[:-MAX_HISTORY]
        if rng.random() < self.feedback_rate:
            up = rng.random() < (0.8 if conv.variant == "b" else 0.65)
            genlens.feedback(span=trace.get_current_span(), thumbs="up" if up else "down",
                             comment=None if up else "Did not answer my question.")
        elif rng.random() < 0.1:
            genlens.feedback(span=trace.get_current_span(), signal="copied_answer")
        return answer

    @genlens.agent(name="support-agent")
    def support_agent(self, conv: Conversation, question: str, rng: random.Random, fx: Effects) -> str:
        docs = self.kb_search(query=question)
        prompt = self.support[fx.support_template]
        preamble = f"Request {rng.getrandbits(64):016x} at {rng.random():.6f}.\n" if fx.cache_busting else ""
        tier = {"acme": "enterprise", "globex": "business"}.get(conv.tenant, "starter")
        system = prompt.render(preamble=preamble, tier=tier)
        with prompt:
            plan = self.oai.chat.completions.create(
                model=C.MODELS["planner"], tools=TOOLS_OPENAI,
                messages=[{"role": "system", "content": system}, *conv.history,  # type: ignore[list-item]
                          {"role": "user", "content": question}])
        calls = plan.choices[0].message.tool_calls or []
        jobs = [self.tools_pool.submit(self.run_tool, c.function.name, c.function.arguments, tool_call_id=c.id)
                for c in calls if c.type == "function"]
        jobs.append(self.tools_pool.submit(self.summarize_history, conv.history[-6:]))
        jobs.append(self.tools_pool.submit(self.fetch_account, conv.tenant, conv.user))
        facts = [j.result(timeout=120) for j in jobs]
        facts.append("; ".join(f"{d['id']}: {d['text']}" for d in docs))
        return self.draft(conv, question, " | ".join(facts), str(system))  # plain text: the drafter's own prompt tags

    @genlens.retrieval(name="kb-vector-search")
    def kb_search(self, query: str, k: int = 3) -> list[dict[str, Any]]:
        index = self._index()
        vector = self.oai.embeddings.create(model=C.MODELS["embedding"], input=query).data[0].embedding
        scored = sorted(((_cosine(vector, v), d) for d, v in index), key=lambda p: -p[0])[:k]
        return [{"id": d.id, "score": round(s, 4), "text": d.text} for s, d in scored]

    def _index(self) -> list[tuple[C.Doc, list[float]]]:
        if self._doc_vectors is None:  # embedded once, outside any request's trace
            with trace.use_span(trace.INVALID_SPAN):
                data = self.oai.embeddings.create(model=C.MODELS["embedding"],
                                                  input=[d.text for d in C.KNOWLEDGE_BASE]).data
            self._doc_vectors = [(d, e.embedding) for d, e in zip(C.KNOWLEDGE_BASE, data, strict=True)]
        return self._doc_vectors

    @genlens.tool(name="run-tool")
    def run_tool(self, name: str, arguments: str, tool_call_id: str | None = None) -> str:
        query = json.loads(arguments or "{}").get("query", "")
        if name == "lookup_order":
            return f"order {query[:40]!r}: shipped, arriving in 2 days"
        return f"FAQ hits for {query[:40]!r}: kb-102, kb-103"

    @genlens.tool(name="summarize-history")
    def summarize_history(self, history: list[dict[str, str]]) -> str:
        text = "\n".join(f"{m['role']}: {m['content'][:2000]}" for m in history) or "(new conversation)"
        reply = self.ant.messages.create(model=C.MODELS["summarizer"], max_tokens=120,
                                         messages=[{"role": "user", "content": "Summarise:\n" + text}])
        return "".join(b.text for b in reply.content if b.type == "text")

    @genlens.tool(name="fetch-account")
    def fetch_account(self, tenant: str, user: str) -> str:
        return f"{user} at {tenant}: plan active, 2 open tickets"

    @genlens.agent(name="drafter")
    def draft(self, conv: Conversation, question: str, facts: str, system: str) -> str:
        template = self.drafter[conv.variant]
        text = template.render(question=question, facts=facts[:4000])
        messages = [*conv.history, {"role": "user", "content": text}]
        with template:
            if C.VARIANTS[conv.variant][0] == "openai":
                stream = self.oai.chat.completions.create(
                    model=C.VARIANTS["a"][1], stream=True, stream_options={"include_usage": True},
                    messages=[{"role": "system", "content": system}, *messages])  # type: ignore[call-overload]
                return "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
            with self.ant.messages.stream(
                    model=C.VARIANTS["b"][1], max_tokens=400, messages=messages,  # type: ignore[arg-type]
                    system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]) as s:
                return "".join(s.text_stream)

    # -- ticket triage: JSON output with validation --------------------------------------
    @genlens.workflow(name="triage-ticket")
    def triage(self, ticket: str) -> dict[str, Any]:
        return self.classify(ticket)

    @genlens.agent(name="classifier")
    def classify(self, ticket: str) -> dict[str, Any]:
        with self.classifier:
            for _attempt in range(2):  # one retry after an invalid answer
                reply = self.oai.chat.completions.create(
                    model=C.MODELS["classifier"], response_format={"type": "json_object"},
                    messages=[{"role": "user", "content": self.classifier.render(ticket=ticket)}])
                try:
                    parsed = json.loads(reply.choices[0].message.content or "")
                    if not isinstance(parsed, dict):
                        raise ValueError("expected a JSON object")
                    return parsed
                except ValueError as exc:
                    genlens.record_validation_error(exc, schema="ticket-classification")
        raise ValueError("classifier returned invalid JSON twice")

    # -- research assistant: async planner, tools in parallel tasks, summarizer children -----
    @genlens.workflow(name="research-brief")
    async def research_brief(self, topic: str) -> str:
        async with anthropic.AsyncAnthropic(base_url=self.sim_url, api_key="demo-key", max_retries=1,
                                            timeout=60) as client:
            return await self.research_planner(client, topic)

    @genlens.agent(name="research-planner")
    async def research_planner(self, client: anthropic.AsyncAnthropic, topic: str) -> str:
        with self.research:
            plan = await client.messages.create(
                model=C.MODELS["research_planner"], max_tokens=300, tools=TOOLS_ANTHROPIC,
                messages=[{"role": "user", "content": self.research.render(topic=topic)}])
        queries = [str(b.input.get("query", topic)) for b in plan.content if b.type == "tool_use"] or [topic]
        notes = await asyncio.gather(*(self.research_tool(client, n, q) for n, q in
                                       (("web_search", queries[0]), ("read_reports", topic), ("web_search", topic))))
        final = await client.messages.create(
            model=C.MODELS["research_planner"], max_tokens=400,
            messages=[{"role": "user", "content": f"Write a brief on {topic} from: " + " ".join(notes)}])
        return "".join(b.text for b in final.content if b.type == "text")

    @genlens.tool(name="research-tool")
    async def research_tool(self, client: anthropic.AsyncAnthropic, name: str, query: str) -> str:
        found = f"{name} results for {query}: " + "; ".join(f"source {i} says something" for i in range(20))
        async with client.messages.stream(model=C.MODELS["summarizer"], max_tokens=150, messages=[
                {"role": "user", "content": "Summarise for a brief:\n" + found}]) as stream:
            return "".join([t async for t in stream.text_stream])

    # -- autocomplete: many tiny calls ---------------------------------------------------
    @genlens.workflow(name="autocomplete")
    def autocomplete(self, prefix: str) -> str:
        reply = self.oai.chat.completions.create(model=C.MODELS["autocomplete"], max_tokens=12,
                                                 messages=[{"role": "user", "content": f"Continue: {prefix}"}])
        return reply.choices[0].message.content or ""


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)

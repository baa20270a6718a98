"""Decorators, context and prompts: the span tree around LLM calls, including parallel fan-out."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

import genlens
from genlens.semconv import attrs


def children_of(tel, span):
    return [s for s in tel.spans() if s.parent is not None and s.parent.span_id == span.context.span_id]


def test_depth_four_agent_trace_with_parallel_tools_in_threads_and_tasks(tel):
    @genlens.tool
    def lookup(i: int, tool_call_id: str) -> int:
        return i * i

    @genlens.tool(name="alookup")
    async def alookup(i: int, tool_call_id: str) -> int:
        await asyncio.sleep(0)
        return i + 1

    @genlens.agent(name="researcher")
    def research() -> list[int]:
        with ThreadPoolExecutor(max_workers=5) as pool:
            threaded = list(pool.map(lambda i: lookup(i, tool_call_id=f"t{i}"), range(10)))

        async def fan_out() -> list[int]:
            return await asyncio.gather(*(asyncio.create_task(alookup(i, tool_call_id=f"a{i}")) for i in range(10)))

        return threaded + asyncio.run(fan_out())

    @genlens.agent(name="planner")
    def plan() -> list[int]:
        return research()

    @genlens.workflow(name="support")
    def run() -> list[int]:
        return plan()

    assert run() == [i * i for i in range(10)] + [i + 1 for i in range(10)]
    spans = tel.spans()
    assert len(spans) == 23
    root = tel.span("invoke_workflow support")
    planner = tel.span("invoke_agent planner")
    researcher = tel.span("invoke_agent researcher")
    assert root.parent is None
    assert planner.parent.span_id == root.context.span_id
    assert researcher.parent.span_id == planner.context.span_id
    tools = children_of(tel, researcher)
    assert sorted(s.attributes[attrs.GEN_AI_TOOL_CALL_ID] for s in tools) == sorted(
        [f"t{i}" for i in range(10)] + [f"a{i}" for i in range(10)])
    assert {s.name for s in tools} == {"execute_tool lookup", "execute_tool alookup"}
    assert len({s.context.trace_id for s in spans}) == 1
    assert all(s.attributes[attrs.GEN_AI_OPERATION_NAME] == "execute_tool" for s in tools)


def test_llm_call_inside_agent_is_a_child(sim, tel):
    client = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)

    @genlens.agent
    def answer() -> str:
        return client.chat.completions.create(model="gpt-4o-mini",
                                              messages=[{"role": "user", "content": "q"}]).id

    answer()
    agent_span = tel.span("invoke_agent answer")
    llm = tel.span("chat gpt-4o-mini")
    assert llm.parent.span_id == agent_span.context.span_id


def test_loop_gives_one_span_per_iteration_and_errors_propagate(tel):
    @genlens.tool
    def step(i: int) -> int:
        if i == 2:
            raise KeyError("boom")
        return i

    results = []
    for i in range(4):
        try:
            results.append(step(i))
        except KeyError:
            results.append(None)
    assert results == [0, 1, None, 3]
    spans = [s for s in tel.spans() if s.name == "execute_tool step"]
    assert len(spans) == 4
    failed = [s for s in spans if s.status.status_code.name == "ERROR"]
    assert len(failed) == 1 and failed[0].attributes[attrs.ERROR_TYPE] == "KeyError"


def test_generator_functions_keep_context_to_themselves(tel):
    @genlens.workflow
    def produce():
        for i in range(3):
            with genlens.span(f"item {i}"):
                pass
            yield i

    gen = produce()
    assert next(gen) == 0
    # between yields the caller's context is its own: a span here is not a child of the workflow
    with genlens.span("outside"):
        pass
    assert list(gen) == [1, 2]
    wf = tel.span("invoke_workflow produce")
    assert {s.name for s in children_of(tel, wf)} == {"item 0", "item 1", "item 2"}
    assert tel.span("outside").parent is None


def test_async_generator(tel):
    @genlens.retrieval(name="docs")
    async def search(query: str):
        for i in range(2):
            yield {"id": f"d{i}", "score": 0.5 + i / 10}

    async def go():
        return [d async for d in search("q")]

    assert len(asyncio.run(go())) == 2
    assert tel.span("retrieval docs").parent is None


def test_retrieval_ids_and_scores(tel_factory):
    tel = tel_factory(capture_content=True)

    @genlens.retrieval(name="kb")
    def search(query: str):
        return [{"id": "a", "score": 0.9}, ("b", 0.7), {"id": 3, "score": 1}]

    search("where is my order? mail bob@example.com")
    a = tel.span("retrieval kb").attributes
    assert a[attrs.APP_RETRIEVAL_DOCUMENT_IDS] == ("a", "b", "3")
    assert a[attrs.APP_RETRIEVAL_DOCUMENT_SCORES] == (0.9, 0.7, 1.0)
    assert a[attrs.GEN_AI_RETRIEVAL_QUERY_TEXT] == '"where is my order? mail [EMAIL]"'


def test_context_nesting_overrides_and_reaches_llm_spans(sim, tel):
    client = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)
    with genlens.context(feature="chat", tenant="acme", user_id="u1", conversation_id="c1"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "a"}])
        with genlens.context(feature="summary", experiment="exp1", variant="B"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "b"}])
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "c"}])
    first, second, third = tel.spans()
    assert first.attributes[attrs.APP_FEATURE] == "chat"
    assert second.attributes[attrs.APP_FEATURE] == "summary"
    for s in (first, second):
        assert s.attributes[attrs.APP_TENANT_ID] == "acme"
        assert s.attributes[attrs.USER_ID] == "u1"
        assert s.attributes[attrs.APP_CONVERSATION_ID] == "c1"
        assert s.attributes[attrs.GEN_AI_CONVERSATION_ID] == "c1"
    assert second.attributes[attrs.APP_EXPERIMENT_ID] == "exp1"
    assert second.attributes[attrs.APP_EXPERIMENT_VARIANT] == "B"
    assert attrs.APP_EXPERIMENT_ID not in first.attributes
    assert attrs.APP_FEATURE not in third.attributes
    # cumulative tokens per conversation: running sum of input + output tokens
    def total(s):
        return s.attributes[attrs.GEN_AI_USAGE_INPUT_TOKENS] + s.attributes[attrs.GEN_AI_USAGE_OUTPUT_TOKENS]
    assert first.attributes[attrs.APP_CONVERSATION_CUMULATIVE_TOKENS] == total(first)
    assert second.attributes[attrs.APP_CONVERSATION_CUMULATIVE_TOKENS] == total(first) + total(second)
    assert attrs.APP_CONVERSATION_CUMULATIVE_TOKENS not in third.attributes


def test_context_rejects_non_string_values():
    with pytest.raises(TypeError):
        with genlens.context(feature={"x": 1}):  # type: ignore[arg-type]
            pass


def test_prompt_sha_on_every_span_that_uses_it(sim, tel):
    import hashlib

    client = openai.OpenAI(base_url=sim.url + "/v1", api_key="sk-test", max_retries=0)
    template = "You answer questions about {product}."
    p = genlens.prompt("support-system", template)
    assert p.sha == hashlib.sha256(template.encode()).hexdigest()[:16]
    # used by rendering it into the messages ...
    client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": p.render(product="widgets")}, {"role": "user", "content": "hi"}])
    # ... or by a with-block around calls and tools
    with p:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "plain"}])
    s1, s2, s3 = tel.spans()
    for s in (s1, s2):
        assert s.attributes[attrs.APP_PROMPT_TEMPLATE_ID] == "support-system"
        assert s.attributes[attrs.APP_PROMPT_TEMPLATE_SHA] == p.sha
    assert attrs.APP_PROMPT_TEMPLATE_SHA not in s3.attributes
    assert genlens.prompt("support-system", template + " ").sha != p.sha


def test_prompt_validation():
    with pytest.raises(ValueError):
        genlens.prompt("", "x")
    with pytest.raises(ValueError):
        genlens.prompt("p", "{a.__class__}").render(a=1)


def test_llm_call_decorator_for_unwrapped_clients(tel):
    @genlens.llm_call(provider="openai", feature="classify")
    def classify(text: str, model: str) -> dict:
        return {"model": "gpt-4o-2024-08-06", "id": "r1",
                "usage": {"prompt_tokens": 1000, "completion_tokens": 200}}

    classify("x", model="gpt-4o")
    a = tel.span("chat gpt-4o").attributes
    assert a[attrs.APP_FEATURE] == "classify"
    assert a[attrs.GEN_AI_USAGE_INPUT_TOKENS] == 1000
    assert a[attrs.APP_COST_USD] == pytest.approx(1000 * 2.5e-6 + 200 * 10e-6)
    assert tel.total("app.llm.requests", **{attrs.APP_FEATURE: "classify"}) == 1


def test_generators_stopped_early_end_their_span_without_error(tel):
    closed = []

    @genlens.workflow
    def numbers():
        try:
            yield from range(100)
        finally:
            closed.append("sync")

    @genlens.workflow
    async def anumbers():
        try:
            for i in range(100):
                yield i
        finally:
            closed.append("async")

    for n in numbers():
        if n == 2:
            break

    async def go():
        agen = anumbers()
        async for n in agen:
            if n == 2:
                break
        await agen.aclose()

    asyncio.run(go())
    assert closed == ["sync", "async"]
    spans = {s.name: s for s in tel.spans()}
    for name in ("invoke_workflow numbers", "invoke_workflow anumbers"):
        assert spans[name].status.status_code.name == "UNSET"
        assert attrs.ERROR_TYPE not in spans[name].attributes


def test_plain_threads_keep_parent_and_context(tel):
    import threading

    @genlens.tool
    def work(i: int) -> None:
        return None

    @genlens.agent(name="fan")
    def fan() -> None:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    with genlens.context(feature="threads"):
        fan()
    parent = tel.span("invoke_agent fan")
    kids = children_of(tel, parent)
    assert len(kids) == 10
    assert all(k.attributes[attrs.APP_FEATURE] == "threads" for k in kids)

"""A simulated LLM provider: OpenAI- and Anthropic-compatible HTTP APIs with fault injection.

The official ``openai`` and ``anthropic`` Python SDKs work against it unchanged
(OpenAI ``base_url = sim.url + "/v1"``, Anthropic ``base_url = sim.url``)::

    from genlens.simulate import run_simulator, SimulatorConfig
    with run_simulator(host="127.0.0.1", port=0, config=SimulatorConfig(latency_scale=0)) as sim:
        sim.set_faults("gpt-4o-mini", error_rates={429: 0.2}, latency_multiplier=3.0)
        ...
        sim.clear_faults()
        sim.stats()   # {"total": n, "requests": {model: {status: n}}, "counters": {...}, "cache": {...}}

or as a process: ``genlens simulate [--host 127.0.0.1] [--port 8090] [--config FILE]``.

Provider routes
---------------
``POST /v1/chat/completions``, ``POST /v1/responses``, ``POST /v1/embeddings``,
``POST /v1/completions`` (OpenAI; also without the ``/v1`` prefix; the legacy
completions models ``gpt-3.5-turbo-instruct``, ``davinci-002`` and ``babbage-002``
answer only there), ``GET /v1/models``,
``POST /v1/messages`` and ``POST /v1/messages/count_tokens`` (Anthropic).

Behaviour (details in the module docstrings):

* tokens: ``ceil(chars / 4)`` of the rendered prompt; output is streamed in
  4-character pieces, one token each (``text.py``);
* answers are deterministic in (seed, model, prompt); aliases answer with their
  dated model name (``gpt-4o-mini`` → ``gpt-4o-mini-2024-07-18``);
* tools: called unless the last message is a tool result (``engine.py``);
* JSON mode (``response_format`` / ``text.format`` / Anthropic ``output_format``): a
  schema-shaped document;
* reasoning models (``o3-mini``, ``gpt-5``, ``gpt-5-mini``, or a profile with
  ``reasoning_tokens``): hidden reasoning tokens are added to the output tokens,
  reported in ``reasoning_tokens`` details, and decoded before the first visible token;
* one choice per chat request (``n`` is ignored; legacy completions answer prompts × ``n``);
  ``stop`` sequences are not applied;
* prompt caching: automatic 128-token blocks above 1,024 tokens for OpenAI,
  ``cache_control`` breakpoints for Anthropic (``cache.py``);
* latency: TTFT = queue + prefill per input token, TPOT per output token, from
  per-model profiles, times the fault's latency multiplier and ``latency_scale``
  (0 = never sleep).  Every answer carries ``x-simulator-ttft-ms`` and
  ``x-simulator-tpot-ms`` headers with the planned values.

Faults (per requested model, ``"*"`` for every model without its own entry)
----------------------------------------------------------------------------
``error_rates`` ({429|500|503|529: probability}; 429 carries ``retry-after``),
``retry_after_s``, ``latency_multiplier``, ``stall_rate`` + ``stall_s`` (a
stream stops half-way, waits ``stall_s`` — at most 60 s — then the connection
is dropped; a non-streaming call hangs for ``stall_s`` and is dropped),
``content_filter_rate`` (OpenAI ``content_filter`` finish, Anthropic ``refusal``),
``refusal_rate``, ``invalid_json_rate`` (only when JSON output was asked for),
``outages`` ([{start_s, end_s, status}], seconds after the spec was set; every
request inside answers ``status`` with ``retry-after`` until the window ends).
The dice are one ``random.Random(seed)``.

Admin API (JSON)
----------------
* ``GET /admin/health`` → ``{"ok": true}``
* ``GET /admin/faults`` → ``{model: spec}``
* ``PUT|POST /admin/faults/{model}`` with a spec body → replaces that model's faults
  (400 ``{"error": ...}`` naming the bad key or value)
* ``DELETE /admin/faults/{model}`` / ``DELETE /admin/faults`` → clear one / all
* ``GET /admin/stats`` → request counts by model (as requested) and status, counters
  (``faults.*``, ``client_disconnects``, ``rejected_in_flight``, ``internal_errors``), cache size;
  ``DELETE /admin/stats`` resets them
* ``GET /admin/config`` → seed, latency scale, jitter, model profiles
* ``PUT|POST /admin/latency_scale`` with ``{"latency_scale": x}``
"""

from __future__ import annotations

from genlens.simulate.config import FaultSpec, ModelProfile, Outage, SimulatorConfig
from genlens.simulate.server import Simulator, run_simulator

__all__ = ["FaultSpec", "ModelProfile", "Outage", "Simulator", "SimulatorConfig", "run_simulator"]

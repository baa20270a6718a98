"""Start ``genlens serve``, send one sample agent trace with the real OpenTelemetry SDK, print it back.

    python scripts/sample_trace.py [--port 4318] [--grpc-port 4317] [--data ./genlens-data] [--exit]

The server keeps running (Ctrl-C stops it) unless --exit is given.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def send_sample(url: str) -> str:
    provider = TracerProvider(resource=Resource.create({"service.name": "sample-app"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces")))
    tracer = provider.get_tracer("sample")
    ctx = {"app.llm.feature": "support", "app.llm.tenant.id": "default", "app.llm.conversation.id": "conv-1"}
    with tracer.start_as_current_span("invoke_workflow support", attributes={
            "gen_ai.operation.name": "invoke_workflow", **ctx}) as root:
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 85,
                "gen_ai.usage.cache_read.input_tokens": 1024, "gen_ai.response.finish_reasons": ["tool_calls"],
                **ctx}):
            time.sleep(0.02)
        with tracer.start_as_current_span("execute_tool lookup_order", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order", **ctx}):
            time.sleep(0.01)
        with tracer.start_as_current_span("chat claude-haiku-4-5", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 900,
                "gen_ai.usage.output_tokens": 140, "gen_ai.response.finish_reasons": ["stop"], **ctx}):
            time.sleep(0.03)
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--grpc-port", type=int, default=4317)
    parser.add_argument("--data", default="genlens-data")
    parser.add_argument("--exit", action="store_true", help="stop the server after printing the trace")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "genlens", "serve", "--port", str(args.port),
                               "--grpc-port", str(args.grpc_port), "--data", args.data])
    try:
        for _ in range(300):
            if server.poll() is not None:
                return server.returncode or 1
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        trace_id = send_sample(url)
        trace = httpx.get(f"{url}/api/v1/traces/{trace_id}", params={"format": "flat"}, timeout=10).json()
        print(f"\nsample trace {trace_id}: {trace['span_count']} spans, {trace['llm_calls']} LLM calls, "
              f"{trace['total_tokens']} tokens, cost ${trace['cost_usd'] or 0:.6f}")
        for span in trace["spans"]:
            cost = f"${span['cost_usd']:.6f}" if span.get("cost_usd") is not None else "-"
            print(f"  {'  ' * span['depth']}{span['name']:<32} kind={span['kind']:<9} "
                  f"model={span.get('response_model') or span.get('request_model') or '-':<26} "
                  f"tokens={span.get('total_tokens') or 0:<6} cost={cost}")
        print(f"\nREST API: {url}/api/v1/traces   OpenAPI: {url}/docs   OTLP: {url}/v1/traces")
        if args.exit:
            return 0
        print("server running; Ctrl-C to stop")
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Install genlens, start the server on a scratch data directory, send a sample LLM trace
# through the real OpenTelemetry SDK, and print it back from the REST API.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python scripts/sample_trace.py "$@"

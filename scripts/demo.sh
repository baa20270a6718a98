#!/usr/bin/env bash
# Install genlens, then run `genlens demo`: the server, a simulated OpenAI/Anthropic provider and an
# instrumented support assistant sending traffic; Ctrl-C stops everything. Extra flags go to `genlens demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/genlens demo --data ./genlens-data "$@"

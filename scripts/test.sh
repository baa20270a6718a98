#!/usr/bin/env bash
# Install what the tests need, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
.venv/bin/ruff check src tests bench
.venv/bin/mypy  # [tool.mypy] in pyproject.toml: strict, src/genlens
.venv/bin/lint-imports  # [tool.importlinter] in pyproject.toml: the layers point one way
exec .venv/bin/python -m pytest "$@"

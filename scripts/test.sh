#!/usr/bin/env bash
# Install what the tests need, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
.venv/bin/ruff check src tests bench
.venv/bin/mypy  # [tool.mypy] in pyproject.toml: strict, src/genlens
exec .venv/bin/python -m pytest "$@"

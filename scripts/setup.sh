#!/usr/bin/env bash
# Create .venv (if missing) and install genlens. Idempotent.
#   scripts/setup.sh         what `genlens demo` needs (the provider SDKs it drives)
#   scripts/setup.sh test    what the whole test suite needs, incl. Debian's Chromium for the UI tests
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
WHAT="${1:-demo}"
case "$WHAT" in
  demo|test) ;;
  *) echo "usage: scripts/setup.sh [demo|test]" >&2; exit 2 ;;
esac
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[$WHAT]"
[ "$WHAT" = test ] || exit 0
# The UI's browser tests drive Debian's Chromium (never a downloaded browser); install it when missing.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing; install Debian's chromium package (the UI tests need it)" >&2
  fi
fi

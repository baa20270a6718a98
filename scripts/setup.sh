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
# Debian packages the tests drive as real processes, never downloaded at run time: Chromium for the UI,
# Prometheus (and promtool) for the metrics bridge, Alertmanager for alert delivery.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || missing+=(prometheus)
[ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages ${missing[*]}; install them (the UI and metrics tests need them)" >&2
  fi
fi

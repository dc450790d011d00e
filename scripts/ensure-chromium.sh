#!/usr/bin/env bash
# Browser tests drive Debian's chromium; install it when missing.
set -euo pipefail
exec "$(dirname "$0")/ensure-debian-package.sh" /usr/bin/chromium chromium "the browser tests"

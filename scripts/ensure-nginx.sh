#!/usr/bin/env bash
# The two-server test (tests/test_two_servers.py) runs Debian's nginx in front
# of two hubs with the configuration shipped in deploy/nginx/; install it when missing.
set -euo pipefail
if [ -x /usr/sbin/nginx ]; then
  exit 0
fi
# Only the program is needed: the test runs its own nginx with its own prefix,
# so the system service the package would start is kept from starting.
POLICY=/usr/sbin/policy-rc.d
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
"$(dirname "$0")/ensure-debian-package.sh" /usr/sbin/nginx nginx "the two-server test"

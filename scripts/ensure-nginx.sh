#!/usr/bin/env bash
# The two-server test (tests/test_two_servers.py) runs Debian's nginx in front
# of two hubs with the configuration shipped in deploy/nginx/; install it when missing.
set -euo pipefail
if [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "Installing Debian's nginx for the two-server test..."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
# Only the binary is needed: the test runs its own nginx with its own prefix,
# so the system service the package would start is kept from starting.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
/usr/sbin/nginx -v

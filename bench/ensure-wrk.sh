#!/usr/bin/env bash
# The benchmarks drive the hub with Debian's wrk; install it when missing.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
echo "Installing Debian's wrk for the benchmarks..."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
command -v wrk

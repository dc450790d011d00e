#!/usr/bin/env bash
# Install a Debian package when the program the tests need from it is missing.
# Usage: ensure-debian-package.sh PROGRAM PACKAGE "what it is for"
set -euo pipefail
program="$1" package="$2" purpose="$3"
if [ -x "$program" ]; then
  exit 0
fi
echo "Installing Debian's ${package} for ${purpose}..."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null
"$program" --version 2>/dev/null || "$program" -v

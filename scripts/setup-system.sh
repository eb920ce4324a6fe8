#!/usr/bin/env bash
# Install the Debian packages cscperf's tests and PDF/browser checks need, only when missing.
# Safe to run twice. Needs root (or sudo) the first time on a fresh machine.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fc-list 2>/dev/null | grep -qi "liberation" || need+=(fonts-liberation)
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)  # Spark (pools)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "cscperf needs these Debian packages: ${need[*]}; install them as root (apt-get install ${need[*]}) and run make again." >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

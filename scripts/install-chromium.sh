#!/usr/bin/env bash
# Headless Chromium and its WebDriver from Debian, for tests/integration/test_swagger_browser.py.
# Idempotent: does nothing when both are installed already. Needs root (or sudo) and apt.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-chromium: no apt-get here; install Chromium and chromedriver yourself" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null

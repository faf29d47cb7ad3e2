#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the console's browser tests
# (package console: go test drives /usr/bin/chromium through
# /usr/bin/chromedriver). Nothing is downloaded outside apt; no browser is
# fetched by npm or by the tests. Idempotent: does nothing when both exist.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
/usr/bin/chromium --version
/usr/bin/chromedriver --version

#!/bin/sh
# Install Debian's chromium for the real-browser test (tests/test_browser.py).
# Idempotent: a quick no-op when /usr/bin/chromium exists. Needs root (or sudo) and apt-get;
# elsewhere it says so and exits 0, and the browser test skips with that reason.
# Playwright never downloads a browser here: the test points it at /usr/bin/chromium.
set -u
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser.sh: apt-get not found; install chromium yourself to run the browser test." >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_browser.sh: not root and no password-less sudo; the browser test will skip." >&2
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium \
    || echo "install_browser.sh: apt-get install chromium failed; the browser test will skip." >&2
exit 0

#!/usr/bin/env bash
# Install Debian's Chromium for the report's rendering test, idempotently.
#
# When it cannot be installed, the script says why on stderr and still exits 0, so that test
# skips (with the reason) instead of failing.
set -uo pipefail

skip() {
    echo "install-chromium: $*; the report's browser test will be skipped" >&2
    exit 0
}

command -v chromium >/dev/null && exit 0
[[ $(id -u) -eq 0 ]] || skip "chromium is not installed and we are not root"
command -v apt-get >/dev/null || skip "chromium is not installed and there is no apt-get"
echo "install-chromium: installing chromium from the Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq chromium; } >&2 ||
    skip "apt-get could not install chromium"

#!/bin/sh
# Makes sure the Debian chromium that the browser tests drive is installed; prints its path.
# Idempotent: installs nothing when chromium (and ip/unshare for the test namespace) are there.
set -eu

find_chromium() {
  for p in /usr/lib/chromium/chromium /usr/bin/chromium; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

missing=""
find_chromium >/dev/null || missing="$missing chromium"
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing="$missing iproute2"
command -v unshare >/dev/null 2>&1 || missing="$missing util-linux"

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-chromium: missing:$missing and not root; install them with apt-get" >&2
    exit 1
  fi
  echo "setup-chromium: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >&2
fi

path=$(find_chromium) || { echo "setup-chromium: chromium not found after install" >&2; exit 1; }
echo "$path"

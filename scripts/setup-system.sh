#!/bin/sh
# Installs the Debian packages the test suite needs when they are missing, and prints Chromium's
# path: chromium (browser tests), iproute2 + util-linux (network namespaces), bubblewrap (the
# task jail), iptables (simulated NAT routers). Idempotent: installs nothing when all are there.
set -eu

find_chromium() {
  for p in /usr/lib/chromium/chromium /usr/bin/chromium; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

missing=""
find_chromium >/dev/null || missing="$missing chromium"
has ip || missing="$missing iproute2"
has unshare || missing="$missing util-linux"
has bwrap || missing="$missing bubblewrap"
has iptables || missing="$missing iptables"

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-system: missing:$missing and not root; install them with apt-get" >&2
    exit 1
  fi
  echo "setup-system: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >&2
fi

path=$(find_chromium) || { echo "setup-system: chromium not found after install" >&2; exit 1; }
echo "$path"

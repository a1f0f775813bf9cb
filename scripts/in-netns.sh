#!/bin/sh
# Runs CMD... in a fresh network namespace whose only interface is loopback, so nothing the
# browser tests start (ICE candidates included) can leave 127.0.0.1. Needs root (unshare -n).
#   scripts/in-netns.sh node_modules/.bin/vitest run test/browser
set -eu
if [ "$#" -eq 0 ]; then echo "usage: scripts/in-netns.sh CMD [ARG...]" >&2; exit 2; fi
# the pinned Node 24 (node_modules/.bin/node) first, as npm scripts do: libp2p 3 needs Node >= 22
PATH="$(cd "$(dirname "$0")/.." && pwd)/node_modules/.bin:$PATH"; export PATH
if [ "${SWARM_IN_NETNS:-}" = 1 ]; then exec "$@"; fi # already inside
if [ "$(id -u)" != 0 ]; then
  echo "in-netns: needs root for a loopback-only network namespace (unshare -n); not running: $*" >&2
  exit 1
fi
IP=$(command -v ip || echo /usr/sbin/ip)
if ! unshare -n -- "$IP" link set lo up 2>/dev/null; then
  echo "in-netns: cannot create a network namespace here (unshare -n failed; a container without CAP_SYS_ADMIN?)" >&2
  exit 1
fi
exec unshare -n -- sh -c '
  "$0" link set lo up || { echo "in-netns: could not bring up lo in the new namespace" >&2; exit 1; }
  export SWARM_IN_NETNS=1
  exec "$@"' "$IP" "$@"

#!/usr/bin/env bash
# usage: netns.sh COMMAND [ARG...]
# Runs COMMAND in a private network namespace with its own loopback up, so
# that the ports it binds and probes are its own whatever else runs on the
# host.  As root only (unshare -n); elsewhere COMMAND runs as it is, after a
# note on stderr, and its ports are the host's.
set -euo pipefail
if [ "${PORTALLOC_IN_NETNS:-}" != 1 ] && [ "$(id -u)" -eq 0 ] &&
  command -v unshare >/dev/null && command -v ip >/dev/null; then
  exec unshare -n env PORTALLOC_IN_NETNS=1 bash -c \
    'ip link set lo up && exec "$@"' netns.sh "$@"
fi
[ "${PORTALLOC_IN_NETNS:-}" = 1 ] ||
  echo "netns.sh: not root: running on the host's network" >&2
exec "$@"

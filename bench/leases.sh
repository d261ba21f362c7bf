#!/usr/bin/env bash
# bench/leases.sh: part of bench/run.sh, run in a network namespace of its
# own (unshare -n) so that a block of 60,000 ports can lie outside the
# ephemeral range (narrowed to 62000-65000 here) and its probes meet nobody
# else's sockets.  Times `get -n 5` on one store with 0, 10,000 and 50,000
# live leases, with the bind(0) floor in the same namespace.
#
#   bench/leases.sh PORTALLOC BUILD_DIR WORK_DIR RUNS RESULTS_DIR
set -euo pipefail
pa=$1 bb=$2 work=$3 runs=$4 res=$5
ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="62000 65000"
cat > "$work/big.ini" <<INI
[block big]
ports = 2000-61999
protocols = tcp, udp
INI
export PORTALLOC_STORE=$work/big.db PORTALLOC_CONFIG=$work/big.ini
# the owner of the leases, alive until the end
sleep 900 &
owner=$!
trap 'kill $owner 2>/dev/null || true' EXIT
hf() { # NAME, then hyperfine arguments
  local name=$1; shift
  hyperfine -N --style none --warmup 5 --runs "$runs" \
    --export-json "$res/$name.json" "$@" >/dev/null
}
fill() { # N: lease N more ports, 10,000 at a time
  local left=$1 n
  while [ "$left" -gt 0 ]; do
    n=$(( left > 10000 ? 10000 : left ))
    "$pa" get -n "$n" -b big --owner "$owner" >/dev/null
    left=$(( left - n ))
  done
}
"$pa" list >/dev/null   # creates the store
hf leases-0 -n "bind(0) in C (private netns)" "$bb/bind0" \
  -n "portalloc get -n 5, empty store" "$pa get -n 5 -b big"
# the leases the timed runs make stay: "10,000" and "50,000" are at least
fill 10000
hf leases-10k -n "portalloc get -n 5, 10000 live leases" "$pa get -n 5 -b big"
fill 40000
"$pa" list | tail -n +2 | wc -l > "$res/leases-count.txt"
hf leases-50k -n "portalloc get -n 5, 50000 live leases" "$pa get -n 5 -b big"
"$bb/maxrss" 5 "$pa" list > "$res/mem-list50k.txt"

#!/usr/bin/env bash
# bench/run.sh: portalloc against the tools people use today, side by side,
# in one run on this machine.  Not part of the test command: it takes a few
# minutes and its numbers depend on the machine.  As root it installs what it
# needs from Debian packages.  Everything it talks to is on 127.0.0.1, and
# every load it makes it removes again (bounded in time).
#
#   bench/run.sh            # prints a table and writes build-bench/results.md
#
# Environment: BENCH_RUNS (timed runs per command, default 30),
# BENCH_ROUNDS (duplicate-test rounds, default 20), BENCH_HERD_ROUNDS
# (rounds of 64 callers at once / in sequence, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${BENCH_RUNS:-30}
rounds=${BENCH_ROUNDS:-20}
herd_rounds=${BENCH_HERD_ROUNDS:-10}
bb=$root/build-bench

if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends build-essential cmake \
    ninja-build pkg-config libinih-dev libsqlite3-dev python3 \
    python3-portpicker python3-psutil iproute2 lsof psmisc hyperfine \
    time clang llvm bpftool libbpf-dev >/dev/null
fi

echo "== building (Release) in build-bench/" >&2
# the CLI as ci/setup.sh builds it: with the lean SQLite of ci/sqlite.sh
# where it can be had, else with Debian's archive
sqlite_a=$(ci/sqlite.sh --or-debian | tail -n1)
# ci/sqlite.sh writes its flags next to the archives it builds
sqlite_kind="Debian's libsqlite3.a"
[ ! -f "$(dirname "$sqlite_a")/FLAGS" ] ||
  sqlite_kind="lean, from Debian's source (ci/sqlite.sh)"
cmake -S . -B "$bb" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPORTALLOC_TESTS=OFF -DPORTALLOC_SQLITE3_A="$sqlite_a" >/dev/null
cmake --build "$bb" >/dev/null
for t in load race bind0 herd maxrss pairs; do
  cc -O2 -Wall -o "$bb/$t" "bench/$t.c"
done
# SQLite alone, linked as the CLI is (statically where it can be)
cc -O2 -Wall -static -o "$bb/sqlite_floor" bench/sqlite_floor.c \
  "$sqlite_a" -lm 2>/dev/null ||
  cc -O2 -Wall -o "$bb/sqlite_floor" bench/sqlite_floor.c -lsqlite3

work=$(mktemp -d /tmp/portalloc-bench.XXXXXX)
load_pid=
ps_pid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$ps_pid" ] && kill "$ps_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# bench_accel's pin, removed at the end (the host's own pin is not touched)
export PORTALLOC_BPF_PIN_DIR=/sys/fs/bpf/portalloc-test-bench$$
trap '"$bb/portalloc" accel off >/dev/null 2>&1 || true; cleanup' EXIT

pa=$bb/portalloc
py=/usr/bin/python3
export PORTALLOC_STORE=$work/leases.db PORTALLOC_CONFIG=$work/bench.ini
cat > "$work/bench.ini" <<INI
[block bench]
ports = 18000-27999

[block load]
ports = 16500-17499
INI
res=$work/json
mkdir -p "$res"

hf() { # NAME, then hyperfine arguments
  local name=$1; shift
  hyperfine -N --style none --warmup 5 --runs "$runs" \
    --export-json "$res/$name.json" "$@" >/dev/null
}

echo "== 1. allocation latency" >&2
SQLITE_FLOOR_SETUP=1 "$bb/sqlite_floor" "$work/floor.db"
hf alloc -n "bind(0) in C (floor)" "$bb/bind0" \
  -n "SQLite alone: open a WAL store, commit 5 rows" \
  "$bb/sqlite_floor $work/floor.db" \
  -n "portalloc get -n 1" "$pa get -n 1 -b bench" \
  -n "portalloc get -n 5" "$pa get -n 5 -b bench" \
  -n "python3 -m portpicker" "$py -m portpicker"
"$pa" release --mine >/dev/null
# the same three interleaved, run after run, for the ratios: a block of
# one command's runs can meet a noisy minute the next block does not
"$bb/pairs" "$((runs * 3))" "bind(0) in C (floor)" "$bb/bind0" \; \
  "SQLite alone: open a WAL store, commit 5 rows" "$bb/sqlite_floor" \
  "$work/floor.db" \; \
  "portalloc get -n 5" "$pa" get -n 5 -b bench > "$res/pairs.txt"
"$pa" release --mine >/dev/null
/usr/bin/portserver --portserver_address=@portalloc-bench \
  --portserver_static_pool=28000-31999 >"$work/portserver.log" 2>&1 &
ps_pid=$!
sleep 1
PORTSERVER_ADDRESS=@portalloc-bench hf alloc-ps \
  -n "python3 -m portpicker via portserver" "$py -m portpicker"

echo "== 2. duplicates: 64 callers at once, 5 ports each, $rounds rounds" >&2
pick5='import os, portpicker
for _ in range(5):
    print(portpicker.pick_unused_port(pid=int(os.environ["RACE_OWNER"])))'
{
  echo "portalloc get -n 5|$("$bb/race" "$rounds" 64 5 - \
    "$pa" get -n 5 -b bench --owner '{owner}')"
  echo "portpicker|$("$bb/race" "$rounds" 64 5 - "$py" -c "$pick5")"
  echo "portpicker via portserver|$(PORTSERVER_ADDRESS=@portalloc-bench \
    "$bb/race" "$rounds" 64 5 - "$py" -c "$pick5")"
} > "$res/race.txt"

echo "== 2b. 64 callers at once vs the same 64 in sequence, $herd_rounds rounds" >&2
# each round's leases are released before the next, untimed
"$pa" release --mine >/dev/null
between="$pa release --mine >/dev/null"
"$bb/herd" together "$herd_rounds" 64 "$between" "$pa" get -n 5 -b bench \
  > "$res/herd-together.txt"
"$bb/herd" sequence "$herd_rounds" 64 "$between" "$pa" get -n 5 -b bench \
  > "$res/herd-sequence.txt"
# portserver's callers own their ports themselves: it takes them back
# once they exit
pick5own='import os, portpicker
for _ in range(5):
    print(portpicker.pick_unused_port(pid=os.getpid()))'
PORTSERVER_ADDRESS=@portalloc-bench "$bb/herd" together "$herd_rounds" 64 - \
  "$py" -c "$pick5own" > "$res/herd-portserver.txt"
kill "$ps_pid" 2>/dev/null || true
ps_pid=

echo "== 3. who holds a port, under load" >&2
mkfifo "$work/ctl"
"$bb/load" 200 10 25 15000 17000 < "$work/ctl" > "$work/load.out" &
load_pid=$!
exec 3>"$work/ctl"
for _ in $(seq 600); do
  grep -q ready "$work/load.out" 2>/dev/null && break
  sleep 0.1
done
grep -q ready "$work/load.out" || { echo "load did not start" >&2; exit 1; }
ss -Htan | wc -l > "$res/sockets.txt"
ls /proc | grep -c '^[0-9]' > "$res/procs.txt"
# the answers, to check: every tool must name both holders of port 17000
"$pa" who 17000 --json > "$res/answer-who.json" || true
ss -Htlnp 'sport = :17000' > "$res/ss.txt" || true
lsof -nP -iTCP:17000 -sTCP:LISTEN -t > "$res/lsof.txt" || true
fuser 17000/tcp > "$res/fuser.txt" 2>/dev/null || true
hf who -i -n "portalloc who" "$pa who 17000" \
  -n "ss -Htlnp (with -p)" "ss -Htlnp 'sport = :17000'" \
  -n "ss -Htln (no -p)" "ss -Htln 'sport = :17000'" \
  -n "lsof" "lsof -nP -iTCP:17000 -sTCP:LISTEN" \
  -n "fuser" "fuser 17000/tcp"

echo "== 4. check over a 1000-port block, under the same load" >&2
"$pa" get -n 5 -b load >/dev/null
hf check -i -n "portalloc check (1000 ports)" "$pa check -b load"
"$pa" check -b load | tail -n 1 > "$res/check.txt" || true
# a 10,000-port block over the same load (its own config: blocks may not
# overlap), the same store
cat > "$work/check10k.ini" <<INI
[block load10k]
ports = 8000-17999
INI
PORTALLOC_CONFIG=$work/check10k.ini "$pa" get -n 5 -b load10k >/dev/null
PORTALLOC_CONFIG=$work/check10k.ini hf check10k -i \
  -n "portalloc check (10000 ports)" "$pa check -b load10k"

# portalloc accel: who and check through the pinned BPF iterator, against
# the /proc scan (PORTALLOC_ACCEL=0), ss -p, lsof and fuser, in one run
# under the load of section 3.  Writes accel-who.json, accel-check.json and
# its own table (accel.md); needs root and a build with PORTALLOC_BPF.
bench_accel() {
  echo "== accel: who and check with the pinned BPF iterator" >&2
  if ! "$pa" accel on >/dev/null; then
    echo "accel on failed: no accel rows" >&2
    return 0
  fi
  "$pa" who -v 17000 2>&1 >/dev/null | grep 'bpf pin' >/dev/null ||
    { echo "who does not read the pin: no accel rows" >&2; return 0; }
  "$pa" who 17000 --json > "$res/accel-answer.json" || true
  PORTALLOC_ACCEL=0 "$pa" who 17000 --json > "$res/scan-answer.json" || true
  hf accel-who -i -n "who (bpf pin)" "$pa who 17000" \
    -n "who (/proc scan)" "env PORTALLOC_ACCEL=0 $pa who 17000" \
    -n "ss -Htlnp" "ss -Htlnp 'sport = :17000'" \
    -n "lsof" "lsof -nP -iTCP:17000 -sTCP:LISTEN" \
    -n "fuser" "fuser 17000/tcp"
  hf accel-check -i -n "who (bpf pin)" "$pa who 17000" \
    -n "check 1000 ports (bpf pin)" "$pa check -b load" \
    -n "check 1000 ports (/proc scan)" \
    "env PORTALLOC_ACCEL=0 $pa check -b load"
  # the ratios from interleaved runs (bench/pairs.c)
  "$bb/pairs" "$((runs * 3))" "who (bpf pin)" "$pa" who 17000 \; \
    "ss -Htlnp" "$(command -v ss)" -Htlnp "sport = :17000" \; \
    "check 1000 ports (bpf pin)" "$pa" check -b load \
    > "$res/accel-pairs.txt"
  "$pa" accel off >/dev/null
  "$py" - "$res" > "$bb/accel.md" <<'PY'
import json, os, sys
d = sys.argv[1]
def med(name):
    with open(os.path.join(d, name)) as f:
        return {r["command"]: r["median"] for r in json.load(f)["results"]}
w, c = med("accel-who.json"), med("accel-check.json")
with open(os.path.join(d, "accel-pairs.txt")) as f:
    rows = [line.rstrip("\n").split("|") for line in f if "|" in line]
pr = {r[0]: float(r[1]) for r in rows}
p10 = {r[0]: float(r[4]) for r in rows}
def pids(name):
    with open(os.path.join(d, name)) as f:
        return sorted({h["pid"] for h in json.load(f) if h["pid"]})
print("## portalloc accel (same run, under the load)\n")
print("| command | median |\n|---|---|")
for k, v in list(w.items()) + list(c.items()):
    print(f"| {k} | {v * 1000:.1f} ms |")
print("\nInterleaved runs (bench/pairs.c), medians: "
      + ", ".join(f"{k} {v:.1f} ms" for k, v in pr.items()) + ".")
print("\n| target (from the interleaved runs) | measured | limit |")
print("|---|---|---|")
print(f"| who with the pin vs ss -p (x faster) | "
      f"{pr['ss -Htlnp'] / pr['who (bpf pin)']:.1f} | >= 10 |")
print(f"| check 1000 ports vs one who, with the pin | "
      f"{pr['check 1000 ports (bpf pin)'] / pr['who (bpf pin)']:.2f} | "
      "<= 1.2 |")
print("\nIn the fastest tenth of the same runs (10th percentiles): "
      + ", ".join(f"{k} {v:.1f} ms" for k, v in p10.items())
      + f"; check/who {p10['check 1000 ports (bpf pin)'] / p10['who (bpf pin)']:.2f}.")
print(f"\nholders of 17000: pin {pids('accel-answer.json')}, "
      f"scan {pids('scan-answer.json')}")
PY
}
bench_accel

echo "== 5. peak memory (wait4's ru_maxrss from a small C parent)" >&2
mem() { "$bb/maxrss" 5 "$@" | cut -d' ' -f1; }
{
  echo "portalloc check (1000 ports, under load)|$(mem "$pa" check -b load)"
  echo "portalloc check (10000 ports, under load)|$(PORTALLOC_CONFIG=$work/check10k.ini mem "$pa" check -b load10k)"
  echo "portalloc who (under load)|$(mem "$pa" who 17000)"
  echo "ss -Htlnp (under load)|$(mem ss -Htlnp 'sport = :17000')"
} > "$res/mem.txt"
exec 3>&-
wait "$load_pid" 2>/dev/null || true
load_pid=
{
  echo "portalloc get -n 5|$(mem "$pa" get -n 5 -b bench)"
  echo "portalloc list ($("$pa" list | tail -n +2 | wc -l) leases)|$(mem "$pa" list)"
  echo "python3 -m portpicker|$(mem "$py" -m portpicker)"
} >> "$res/mem.txt"

echo "== 6. get -n 5 with 0, 10,000 and 50,000 live leases (own netns)" >&2
unshare -n bash bench/leases.sh "$pa" "$bb" "$work" "$runs" "$res"
echo "portalloc list ($(cat "$res/leases-count.txt") leases)|$(cut -d' ' -f1 "$res/mem-list50k.txt")" >> "$res/mem.txt"

echo "== 7. get --wait: a waiter's port after a release (own netns)" >&2
unshare -n bash bench/wait.sh "$pa" "$bb/wait.md" "${BENCH_WAIT_TRIALS:-20}" >/dev/null

versions() {
  echo "portalloc|$("$pa" --version)"
  echo "SQLite in the CLI|$(dpkg-query -W -f '${Version}' libsqlite3-dev), $sqlite_kind"
  echo "portpicker|$(dpkg-query -W -f '${Version}' python3-portpicker)"
  echo "ss|$(ss -V | head -n 1)"
  echo "lsof|$(dpkg-query -W -f '${Version}' lsof)"
  echo "fuser|$(dpkg-query -W -f '${Version}' psmisc)"
  echo "hyperfine|$(hyperfine --version)"
  echo "kernel|$(uname -r)"
  echo "cpu|$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
}
versions > "$res/versions.txt"
# kept, so that the report can be made again: bench/report.py build-bench/json
rm -rf "$bb/json"
cp -r "$res" "$bb/json"
"$py" bench/report.py "$res" | tee "$bb/results.md"
[ ! -s "$bb/accel.md" ] || tee -a "$bb/results.md" < "$bb/accel.md"
tee -a "$bb/results.md" < "$bb/wait.md"

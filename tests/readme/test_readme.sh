#!/usr/bin/env bash
# The README's commands, run as they are written (issue 17).  Each indented
# code block after a marker line is taken from README.md:
#   <!-- test: each-line -->  every line is a command (a line that is only a
#                             comment continues the one above); each must
#                             exit 0, or the code its comment names as
#                             "(exit N" or "then exit N"; `sudo ` is dropped
#                             (the test runs as root, or skips those lines)
#   <!-- test: script -->     the block is one script: it must exit 0, and
#                             with a full block it must stop before its
#                             server runs (the safe form of the env recipe)
# They run in a sandbox: the example configuration (config/portalloc.ini),
# a store and home of their own, and stand-ins for ./run-tests.sh and
# ./server that check what portalloc gave them.
# usage: test_readme.sh SOURCE_DIR PORTALLOC_BIN   (under tests/netns.sh)
set -euo pipefail
src=$(cd "$1" && pwd) bin=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_readme: $*" >&2; exit 1; }

# The blocks: block NAME prints the code block after the marker NAME.
block() {
  awk -v want="<!-- test: $1 -->" '
    $0 == want { on = 1; next }
    on && /^    / { print substr($0, 5); seen = 1; next }
    on && seen { exit }
  ' "$src/README.md"
}

mkdir -p "$tmp/bin" "$tmp/work"
ln -s "$bin" "$tmp/bin/portalloc"
cp "$src/config/portalloc.ini" "$tmp/work/portalloc.ini"
cat >"$tmp/work/run-tests.sh" <<'SH'
#!/bin/sh
# stands in for a test suite: it must get 3 ports
set -- $PORTALLOC_PORTS
[ $# -eq 3 ] && [ "$PORTALLOC_PORT0" = "$1" ] || { echo "run-tests: ports '$PORTALLOC_PORTS'" >&2; exit 1; }
SH
cat >"$tmp/work/server" <<'SH'
#!/bin/sh
# stands in for a server: under exec --listen it must get its sockets,
# otherwise a --port; it leaves a mark and exits
if [ -n "${LISTEN_FDS:-}" ]; then
  [ "$LISTEN_FDS" = 2 ] && [ "$LISTEN_PID" = $$ ] || { echo "server: LISTEN_FDS=$LISTEN_FDS" >&2; exit 1; }
else
  [ "$1" = --port ] && [ "$2" -gt 0 ] || { echo "server: args '$*'" >&2; exit 1; }
fi
echo ran >>"$PWD/server.ran"
SH
chmod +x "$tmp/work/run-tests.sh" "$tmp/work/server"
export PATH=$tmp/bin:$PATH HOME=$tmp/home XDG_CONFIG_HOME=$tmp/xdg
export XDG_STATE_HOME=$tmp/state PORTALLOC_STORE=$tmp/leases.db
unset PORTALLOC_CONFIG
cd "$tmp/work"

# --- each-line ---------------------------------------------------------------
lines=$(block each-line)
[ "$(echo "$lines" | wc -l)" -ge 10 ] || fail "no each-line block in README.md"
n=0
while IFS= read -r line; do
  cmd=${line%%#*} comment=
  [[ $line == *#* ]] && comment=${line#*#}
  cmd=$(echo "$cmd" | sed 's/[[:space:]]*$//')
  [ -n "$cmd" ] || continue                 # a comment continuing a line
  if [[ $cmd == sudo\ * ]]; then
    [ "$(id -u)" -eq 0 ] || { echo "skipped (not root): $cmd"; continue; }
    cmd=${cmd#sudo }
  fi
  ok=0
  if [[ $comment =~ exit\ ([0-9]+) ]]; then ok="0|${BASH_REMATCH[1]}"; fi
  set +e
  bash -c "$cmd" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  set -e
  [[ $rc =~ ^($ok)$ ]] ||
    fail "'$cmd' exited $rc: $(cat "$tmp/err")"
  n=$((n + 1))
done <<<"$lines"
[ -s server.ran ] || fail "exec --listen did not run ./server"
rm -f server.ran

# --- script ------------------------------------------------------------------
block script >"$tmp/script.sh"
[ -s "$tmp/script.sh" ] || fail "no script block in README.md"
sh "$tmp/script.sh" >"$tmp/out" 2>"$tmp/err" || fail "the script failed: $(cat "$tmp/err")"
[ "$(wc -l <server.ran)" -eq 2 ] || fail "the script did not run ./server twice"
rm -f server.ran
# a block without 2 free ports: the script stops at the get (69), and no
# server runs
printf '[block full]\nports = 22998-22999\n' >"$tmp/full.ini"
PORTALLOC_CONFIG=$tmp/full.ini portalloc get --owner $$ >/dev/null
set +e
PORTALLOC_CONFIG=$tmp/full.ini sh "$tmp/script.sh" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 69 ] || fail "the script with a full block exited $rc, not 69"
[ ! -e server.ran ] || fail "the script went on to ./server with no ports"
echo "test_readme: $n commands and the script ran as written"

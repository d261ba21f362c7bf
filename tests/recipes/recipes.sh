#!/usr/bin/env bash
# Runs the shell parts of the README's CI recipes for real, with the built
# portalloc ($1) and a private store: GitHub Actions (--format github into
# $GITHUB_OUTPUT, read back as the runner does), GitLab CI (--format dotenv,
# parsed as GitLab parses a dotenv report) and a plain shell script.
set -euo pipefail
PORTALLOC=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work XDG_CONFIG_HOME=$work/xdg PORTALLOC_STORE=$work/leases.db
export PORTALLOC_CONFIG=$work/portalloc.ini
printf '[block ci]\nports = 27220-27239\n' >"$PORTALLOC_CONFIG"
portalloc() { "$PORTALLOC" "$@"; }
fail() { echo "recipes: $*" >&2; exit 1; }

# --- GitHub Actions: the step "ports" ---------------------------------------
export GITHUB_OUTPUT=$work/github_output
: >"$GITHUB_OUTPUT"
portalloc get -n 2 --ttl 1h --tag "gh-$$" --owner "$PPID" --format github
# what the runner reads: name=value lines
port0=$(sed -n 's/^port0=//p' "$GITHUB_OUTPUT")
ports=$(sed -n 's/^ports=//p' "$GITHUB_OUTPUT")
[[ $port0 =~ ^272[23][0-9]$ ]] || fail "github: port0='$port0'"
[ "$ports" = "$port0 $((port0 + 1))" ] || fail "github: ports='$ports'"
[ "$(wc -l <"$GITHUB_OUTPUT")" -eq 3 ] || fail "github: not 3 lines"
# the cleanup step
portalloc release --tag "gh-$$" 2>/dev/null
[ "$(portalloc list --json)" = "[]" ] || fail "github: leases left"
# unset GITHUB_OUTPUT: an error, and nothing leased
if GITHUB_OUTPUT= portalloc get --format github 2>/dev/null; then
  fail "github: no error without GITHUB_OUTPUT"
fi
[ "$(portalloc list --json)" = "[]" ] || fail "github: leased anyway"
echo "github: ok ($ports)"

# --- GitLab CI: a job's script and its dotenv report ------------------------
portalloc get -n 2 --ttl 1h --tag "gl-$$" --owner "$PPID" --format dotenv \
  >"$work/ports.env"
# GitLab: KEY=VALUE per line, no quotes, no blank lines, no comments
while IFS= read -r line; do
  [[ $line =~ ^[A-Za-z0-9_]+=[^\"\']*$ ]] || fail "dotenv: bad line '$line'"
done <"$work/ports.env"
p0=$(sed -n 's/^PORTALLOC_PORT0=//p' "$work/ports.env")
p1=$(sed -n 's/^PORTALLOC_PORT1=//p' "$work/ports.env")
grep -qx "PORTALLOC_PORTS=$p0 $p1" "$work/ports.env" || fail "dotenv: PORTS"
portalloc release --tag "gl-$$" 2>/dev/null
echo "gitlab: ok ($p0 $p1)"

# --- a plain shell script ------------------------------------------------------
(
  eval "$(portalloc get -n 2 --format env)"
  [ -n "$PORTALLOC_PORT0" ] && [ -n "$PORTALLOC_PORT1" ] || exit 1
  [ "$(portalloc list --json | grep -c owner_pid)" -eq 2 ] || exit 1
  portalloc exec -n 1 -- sh -c '[ -n "$PORTALLOC_PORT0" ]'
) || fail "shell: recipe failed"
echo "shell: ok"

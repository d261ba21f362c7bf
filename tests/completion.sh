#!/usr/bin/env bash
# Loads the bash completion and checks what it offers.
# usage: completion.sh SOURCE_DIR PORTALLOC_BIN_DIR
set -euo pipefail
src=$1
export PATH=$2:$PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CONFIG_HOME=$tmp/xdg PORTALLOC_STORE=$tmp/l.db
export PORTALLOC_CONFIG=$tmp/p.ini
printf '[block web]\nports = 27240-27249\n[block db]\nports = 27250-27259\n' \
  > "$PORTALLOC_CONFIG"
# shellcheck source=/dev/null
source "$src/contrib/completions/portalloc.bash"

# complete WORDS...: what _portalloc offers for the last word
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _portalloc
  echo "${COMPREPLY[*]}"
}
expect() {
  local want=$1; shift
  local got
  got=$(complete_words "$@")
  [ "$got" = "$want" ] || { echo "'$*': got '$got', want '$want'" >&2; exit 1; }
}
expect "get" portalloc ge
expect "--format" portalloc get --fo
expect "json" portalloc get --format js
expect "web" portalloc get -b we
expect "web db" portalloc check --block ""
expect "reserve reservations" portalloc -c "$PORTALLOC_CONFIG" res
expect "--listen" portalloc exec --li
expect "" portalloc exec -n 2 -- ./serve --li
expect "tcp udp both" portalloc get -p ""
echo "completion: ok"

#!/usr/bin/env bash
# Loads the bash completion and checks what it offers; then the zsh one, in
# an interactive zsh on a pty (skipped without zsh, except under CI).
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
expect "tcp udp tcp,udp" portalloc get -p ""
# after exec's --, the command's own words: file names
mkdir "$tmp/w"
touch "$tmp/w/run-tests.sh"
cd "$tmp/w"   # no portalloc.ini here: -b without -c offers the search's
expect "./run-tests.sh" portalloc exec -n 2 -- ./run-t
expect "run-tests.sh" portalloc exec -- sh run-
expect "" portalloc exec -n 2 -- ./serve --li
# -b offers the blocks of the file an earlier -c names
printf '[block other]\nports = 27260-27269\n' > "$tmp/o.ini"
expect "other" portalloc -c "$tmp/o.ini" get -b ""
expect "other" portalloc get -c "$tmp/o.ini" -b ""
expect "other" portalloc "--config=$tmp/o.ini" list --block ""
echo "completion: ok"
# zsh: the completion loaded by compinit in an interactive zsh on a pty,
# each line completed with a real TAB.
if ! command -v zsh >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "completion: zsh is not installed (ci/setup.sh installs it)" >&2
    exit 1
  fi
  echo "completion: no zsh, zsh completion not tested"
  exit 0
fi
cp "$tmp/o.ini" "$tmp/w/o.ini"
timeout 60 zsh -f -s "$src" "$tmp/w" <<'ZSH'
zmodload zsh/zpty || exit 1
src=$1 dir=$2
zpty z zsh -f -i
zpty -w z "bindkey -e; PS1='' RPROMPT=''; unsetopt beep; cd ${(q)dir}"
zpty -w z "fpath=(${(q)src}/contrib/completions \$fpath)"
zpty -w z "autoload -Uz compinit; compinit -u -D"
zpty -w z 'show() { print -rn -- "<<$BUFFER>>" }; zle -N show; bindkey "^Y" show'
zpty -w z 'print RE""ADY'
zpty -r -m z out '*READY*'
# expect WANT LINE: LINE and a TAB leave WANT in the buffer
expect() {
  local out
  zpty -w -n z "$2"$'\t\C-y'
  zpty -r -m z out '*<<*>>'
  out=${${out##*<<}%>>}
  zpty -w -n z $'\C-u'
  [[ $out == "$1" ]] || { print -r -- "zsh: '$2': got '$out', want '$1'" >&2; exit 1 }
}
expect 'portalloc get ' 'portalloc ge'
expect 'portalloc get --format=' 'portalloc get --fo'
expect 'portalloc get -p tcp,udp ' 'portalloc get -p tcp,'
expect 'portalloc exec -n 2 -- ./run-tests.sh ' 'portalloc exec -n 2 -- ./run-t'
expect 'portalloc -c o.ini get -b other ' 'portalloc -c o.ini get -b '
expect 'portalloc list -co.ini -b other ' 'portalloc list -co.ini -b '
expect 'portalloc get --config o.ini -b other ' 'portalloc get --config o.ini -b '
zpty -d z
print "completion (zsh): ok"
ZSH

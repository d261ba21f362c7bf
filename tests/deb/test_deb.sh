#!/usr/bin/env bash
# Builds the Debian package of build dir $1 with CPack, installs it with
# dpkg, runs what it installed, and removes it again.  Root only: it
# changes the system's package database (and puts it back).
set -euo pipefail
build=$(cd "$1" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "test_deb: not root, skipped"; exit 0; }
# (no `| grep -q` or `| head` under pipefail: a reader that leaves early
# can fail the writer, and so the pipeline)
status=$(dpkg-query -W -f '${Status}' portalloc 2>/dev/null || true)
if [[ $status == *" installed" ]]; then
  echo "test_deb: a portalloc package is installed already; skipped"
  exit 0
fi
(cd "$build" && cpack -G DEB >/dev/null)
debs=("$build"/portalloc_*.deb)
deb=${debs[${#debs[@]}-1]}
dpkg-deb -I "$deb" | grep -E '^ (Package|Version|Depends):'
trap 'dpkg -r portalloc >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb" >/dev/null
/usr/bin/portalloc --version
tmp=$(mktemp -d)
PORTALLOC_STORE=$tmp/l.db PORTALLOC_CONFIG=/usr/share/doc/portalloc/examples/portalloc.ini \
  /usr/bin/portalloc config >/dev/null
rm -rf "$tmp"
test -f /usr/include/portalloc/portalloc.h
test -f /usr/share/man/man1/portalloc.1
test -f /usr/share/bash-completion/completions/portalloc
dpkg -r portalloc >/dev/null
trap - EXIT
[ ! -e /usr/bin/portalloc ] || { echo "not removed" >&2; exit 1; }
echo "test_deb: built, installed, ran, removed: $(basename "$deb")"

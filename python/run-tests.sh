#!/usr/bin/env bash
# Installs python/ with pip into a throw-away virtual environment (Debian's
# python3 with its pytest and pytest-xdist; nothing is downloaded) and runs
# python/tests against the portalloc binary $1.  Run it under
# tests/netns.sh: the suite binds the ports it leases.
# usage: python/run-tests.sh PORTALLOC_BIN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/lib.sh"
bin=$(realpath "$1")
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$py -m venv --system-site-packages "$work/venv"
# a copy, so that the build leaves nothing in the source tree
cp -r "$here" "$work/src"
rm -rf "$work/src/tests"
"$work/venv/bin/python" -m pip install -q --no-index --no-build-isolation \
  --disable-pip-version-check "$work/src" >"$work/pip.log" 2>&1 ||
  { cat "$work/pip.log" >&2; exit 1; }

export PORTALLOC=$bin HOME=$work XDG_CONFIG_HOME=$work/xdg
export PORTALLOC_TEST_PORTS=$(pa_free_range 100)
two=$(pa_free_range 20)
export PORTALLOC_TEST_PORTS2="${two%-*}-$(( ${two%-*} + 9 )) $(( ${two%-*} + 10 ))-${two#*-}"
cd "$work"
"$work/venv/bin/python" -m pytest -p no:cacheprovider -q "$here/tests"

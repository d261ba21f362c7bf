#!/usr/bin/env bash
# The GitHub Action (action.yml, action/*.js) run as a runner would: the
# YAML parsed for what the runner reads, then main.js and post.js under
# node with GITHUB_OUTPUT and GITHUB_STATE files, the inputs as INPUT_*
# variables, and this script in the place of the job's worker process.
# usage: test_action.sh SOURCE_DIR PORTALLOC_BIN   (under tests/netns.sh)
set -euo pipefail
src=$(cd "$1" && pwd) bin=$(realpath "$2")
. "$src/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v node >/dev/null || { echo "test_action: node is missing" >&2; exit 1; }

# What the runner reads: the entry points exist, the inputs and outputs
# the README names are declared.
/usr/bin/python3 - "$src" <<'PY'
import os, sys, yaml
root = sys.argv[1]
a = yaml.safe_load(open(os.path.join(root, "action.yml")))
runs = a["runs"]
assert runs["using"] == "node20", runs
for step in ("main", "post"):
    assert os.path.isfile(os.path.join(root, runs[step])), runs[step]
for name in ("count", "block", "config", "tag", "ttl", "install"):
    assert name in a["inputs"], name
for name in ("ports", "port0", "json", "tag"):
    assert name in a["outputs"], name
PY

mkdir "$tmp/bin"
ln -s "$bin" "$tmp/bin/portalloc"
export HOME=$tmp XDG_CONFIG_HOME=$tmp/xdg PORTALLOC_STORE=$tmp/leases.db
printf '[block gha]\nports = %s\n' "$(pa_free_range 20)" >"$tmp/portalloc.ini"
export GITHUB_OUTPUT=$tmp/output GITHUB_STATE=$tmp/state
: >"$GITHUB_OUTPUT"; : >"$GITHUB_STATE"

PATH=$tmp/bin:$PATH INPUT_COUNT=3 INPUT_CONFIG=$tmp/portalloc.ini \
  INPUT_TTL=1h node "$src/action/main.js"
ports=$(sed -n 's/^ports=//p' "$GITHUB_OUTPUT")
[ "$(echo $ports | wc -w)" -eq 3 ] || { echo "outputs: $(cat "$GITHUB_OUTPUT")" >&2; exit 1; }
for i in 0 1 2; do
  grep -x "port$i=$(echo $ports | cut -d' ' -f$((i + 1)))" "$GITHUB_OUTPUT" >/dev/null ||
    { echo "port$i missing" >&2; exit 1; }
done
# The leases live on after main.js exits: this script (the "worker") owns them.
"$bin" list -c "$tmp/portalloc.ini" --json >"$tmp/list"
/usr/bin/python3 - "$tmp/list" "$$" "$ports" <<'PY'
import json, sys
leases = json.load(open(sys.argv[1]))
assert sorted(l["port"] for l in leases) == sorted(map(int, sys.argv[3].split())), leases
assert all(l["owner_pid"] == int(sys.argv[2]) for l in leases), leases
assert all(l["tag"].startswith("gha-") for l in leases), leases
PY

# post.js gets the state as STATE_* and releases them.
tag=$(sed -n 's/^tag=//p' "$GITHUB_STATE")
config=$(sed -n 's/^config=//p' "$GITHUB_STATE")
PATH=$tmp/bin:$PATH STATE_tag=$tag STATE_config=$config node "$src/action/post.js"
[ "$("$bin" list -c "$tmp/portalloc.ini" --json)" = "[]" ] ||
  { echo "post step left leases" >&2; exit 1; }

# Without portalloc and with install: never, the step fails and says why.
if PATH=/usr/bin:/bin INPUT_INSTALL=never node "$src/action/main.js" >"$tmp/out"; then
  echo "main.js succeeded without portalloc" >&2; exit 1
fi
grep -F '::error::portalloc is not on PATH' "$tmp/out" >/dev/null ||
  { echo "no error annotation: $(cat "$tmp/out")" >&2; exit 1; }
echo "action: main leased $ports, post released them"

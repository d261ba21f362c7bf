#!/usr/bin/env bash
# The README's first command: installs what portalloc needs on Debian 12
# (as root), builds it in build/, installs it (as root: to /usr/local, so
# `portalloc` is on PATH; PREFIX=DIR elsewhere), and shows the main job
# working with `portalloc get --count 5`.
#
# Not root: the packages must be there already; set PREFIX (for example
# PREFIX=$HOME/.local, with $HOME/.local/bin on PATH).
# Uninstall: xargs rm -f < build/install_manifest.txt
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config
  libinih-dev libsqlite3-dev libcmocka-dev
  procps   # sysctl: the reservation tests apply the drop-in with sysctl -p
  clang libclang-rt-14-dev valgrind   # ci/fuzz.sh, ci/valgrind.sh
  python3 python3-venv python3-pytest python3-pytest-xdist  # python/
  nodejs python3-yaml  # tests/action: the GitHub Action run locally
  iproute2 util-linux  # tests/netns.sh: unshare -n, ip link set lo up
  llvm bpftool libbpf-dev  # portalloc accel: the BPF iterator (PORTALLOC_BPF)
  dpkg-dev groff-base zsh  # the Debian package test; the man page and zsh completion tests
  tcl)  # ci/sqlite.sh: SQLite's amalgamation is made with tclsh

if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${packages[@]}"
else
  missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
    "${packages[@]}" 2>/dev/null | awk '$1 != "ii" {print $2}')
  if [ -n "$missing" ]; then
    echo "ci/setup.sh: not root, and these packages are missing:" $missing >&2
    exit 1
  fi
fi

# The CLI links a lean SQLite built from Debian's source (ci/sqlite.sh, as
# root, once: it is cached), else Debian's libsqlite3.a.
sqlite=$(ci/sqlite.sh --or-debian | tail -n1)

# The same options as ci/test.sh's first build, which then has nothing to
# rebuild: the shared library too, and warnings as errors (this is the
# compiler the project is tested with).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTALLOC_WERROR=ON -DPORTALLOC_SHARED=ON -DPORTALLOC_SQLITE3_A="$sqlite"
cmake --build build

prefix=${PREFIX:-}
if [ -z "$prefix" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci/setup.sh: built build/portalloc; not root, so not installed" \
      "(set PREFIX=\$HOME/.local to install there)" >&2
    exit 0
  fi
  prefix=/usr/local
fi
cmake --install build --prefix "$prefix" >/dev/null
hash -r
if [ "$(command -v portalloc)" = "$prefix/bin/portalloc" ]; then
  echo "installed: $prefix/bin/portalloc (on PATH)"
  portalloc get --count 5
else
  echo "installed: $prefix/bin/portalloc; add $prefix/bin to PATH" >&2
  "$prefix/bin/portalloc" get --count 5
fi

#!/usr/bin/env bash
# Installs what portalloc needs on Debian 12 (as root) and builds it in build/.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config
  libinih-dev libsqlite3-dev libcmocka-dev
  procps   # sysctl: the reservation tests apply the drop-in with sysctl -p
  dpkg-dev groff-base zsh  # the Debian package test; the man page and zsh completion tests
  clang libclang-rt-14-dev valgrind)  # ci/fuzz.sh, ci/valgrind.sh

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

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
echo "built: build/portalloc"

#!/usr/bin/env bash
# ci/win-deps.sh - tools and libraries to cross-build portalloc for Windows.
#
# Installs (apt) the mingw-w64 cross compiler, Wine, CMake, Ninja and the
# helpers below, then builds static x86_64-w64-mingw32 libraries of cmocka,
# inih and sqlite3 from Debian *source* packages (only Debian mirrors are
# reachable; nothing prebuilt is downloaded) into a cached prefix:
#
#   $PORTALLOC_WIN_DEPS_DIR/<key>/prefix/{include,lib,lib/pkgconfig}
#
# PORTALLOC_WIN_DEPS_DIR defaults to /var/cache/portalloc-win-deps; <key>
# names the three source package versions and the recipe revision. A prefix
# is complete once its stamp file exists; it is assembled in prefix.tmp.* and
# renamed into place, so an interrupted run never leaves a prefix that looks
# complete. A complete prefix is reused without any network access.
#
# stdout: only the prefix path, as the last line:
#   prefix=$(ci/win-deps.sh | tail -n1)
# stderr: nothing on success; on failure the failed step and the log's tail.
#
# Environment:
#   PORTALLOC_WIN_DEPS_DIR      cache root (default /var/cache/portalloc-win-deps)
#   PORTALLOC_WIN_DEPS_REFRESH  1: ignore cached prefixes, re-resolve versions
#                               from the mirror and rebuild if they changed
#   PORTALLOC_DEBIAN_MIRROR     Debian mirror for deb-src (default: the one the
#                               system's apt uses for bookworm, else
#                               http://deb.debian.org/debian)
#
# Must run as root on Debian 12 (bookworm). The system apt configuration is
# not changed: sources are fetched through a private sources.list, lists dir
# and cache dir under the cache root.
set -euo pipefail

# --- what to build ---------------------------------------------------------
# Upstream version series; the newest Debian revision of each in its suite
# is used (e.g. sqlite3 3.40.1-2+deb12u2 after a security update).
readonly CMOCKA_SERIES=1.1.5   # bookworm
readonly INIH_SERIES=59        # trixie (bookworm's libinih 55 source 404s)
readonly SQLITE_SERIES=3.40.1  # bookworm
# Bump when the build recipe below changes, so old prefixes are not reused.
readonly RECIPE_REV=r1
readonly HOST=x86_64-w64-mingw32
readonly SQLITE_CFLAGS="-O2 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION"
# Debian's own libinih is built with INI_HANDLER_LINENO=1 (debian/patches/
# 0005); do the same so the Windows build behaves like the Linux one.
readonly INIH_CFLAGS="-O2 -DINI_HANDLER_LINENO=1"
readonly HOST_PACKAGES=(
  gcc-mingw-w64-x86-64 mingw-w64-tools wine wine64
  cmake ninja-build tcl dpkg-dev make gcc libc6-dev pkgconf xz-utils
)

CACHE_ROOT=${PORTALLOC_WIN_DEPS_DIR:-/var/cache/portalloc-win-deps}
REFRESH=${PORTALLOC_WIN_DEPS_REFRESH:-0}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLCHAIN=$(cd "$SCRIPT_DIR/../cmake" && pwd)/mingw-w64-x86_64.cmake
STAMP_NAME=.portalloc-win-deps-complete
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

LOG=
STEP=
WORK=
STAGE=

die() { echo "win-deps: $*" >&2; exit 1; }

on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    if [ -n "$STEP" ]; then
      echo "win-deps: FAILED at step: $STEP (exit $rc)" >&2
      if [ -n "$LOG" ] && [ -f "$LOG" ]; then
        echo "win-deps: last 40 lines of $LOG:" >&2
        tail -n 40 "$LOG" | sed 's/^/  | /' >&2
      fi
    fi
    [ -n "$WORK" ] && echo "win-deps: build dir kept: $WORK" >&2
  else
    [ -n "$WORK" ] && rm -rf "$WORK"
  fi
  [ -n "$STAGE" ] && rm -rf "$STAGE"
  return "$rc"
}
trap on_exit EXIT

# step NAME: start a logged step (its commands append to $LOG).
LOG_STARTED=false
step() {
  STEP=$1
  $LOG_STARTED || { : >"$LOG"; LOG_STARTED=true; }
  printf '\n=== %s  %s\n' "$(date '+%F %T')" "$STEP" >>"$LOG"
}

# Newest complete prefix for the configured version series, if any.
find_cached_prefix() {
  local d found=()
  for d in "$CACHE_ROOT"/cmocka-"$CMOCKA_SERIES"-*_inih-"$INIH_SERIES"-*_sqlite-"$SQLITE_SERIES"-*_"$RECIPE_REV"/prefix; do
    [ -f "$d/$STAMP_NAME" ] && found+=("$d")
  done
  [ "${#found[@]}" -gt 0 ] || return 1
  printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# Print the HOST_PACKAGES that are not installed.
missing_packages() {
  local p
  for p in "${HOST_PACKAGES[@]}"; do
    case "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" in
      ii*) ;;
      *) printf '%s\n' "$p" ;;
    esac
  done
}

# Mirror the system apt uses for suite $1, or $2.
system_mirror() {
  local site
  # shellcheck disable=SC2016 # apt expands $(RELEASE), not the shell
  site=$(apt-get indextargets --no-release-info --format '$(RELEASE) $(SITE)' 2>/dev/null |
         awk -v s="$1" '$1 == s { print $2; exit }') || true
  printf '%s\n' "${site:-$2}"
}

# Highest Debian version of source package $1 whose upstream part is $2.
resolve_version() {
  local v best=
  while read -r v; do
    case "$v" in "$2"-*|"$2") ;; *) continue ;; esac
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done < <("${APT_CACHE[@]}" showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p')
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

# write_pc FILE NAME VERSION DESCRIPTION LIB: a .pc file for the final prefix.
write_pc() {
  cat >"$1" <<EOF
prefix=$PREFIX
exec_prefix=\${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $2
Description: $4 (static, $HOST)
Version: $3
Libs: -L\${libdir} -l$5
Cflags: -I\${includedir}
EOF
}

# --- 0. preconditions ------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get install, cache in $CACHE_ROOT)"
[ -f "$TOOLCHAIN" ] || die "toolchain file not found: $TOOLCHAIN"
mkdir -p "$CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd)
LOG=$CACHE_ROOT/win-deps.log

# --- 1. host packages (skipped when all are installed) ----------------------
# Only the missing ones are installed: packages already present are not
# upgraded behind the caller's back.
mapfile -t MISSING < <(missing_packages)
if [ "${#MISSING[@]}" -gt 0 ]; then
  step "apt-get update"
  apt-get -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 update >>"$LOG" 2>&1
  step "apt-get install ${MISSING[*]}"
  apt-get -y -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 install --no-install-recommends \
    "${MISSING[@]}" >>"$LOG" 2>&1
  STEP=
fi

# --- 2. cache hit? -----------------------------------------------------------
if [ "$REFRESH" != 1 ] && PREFIX=$(find_cached_prefix); then
  printf '%s\n' "$PREFIX"
  exit 0
fi

# One builder at a time; re-check the cache once we hold the lock.
exec 9>"$CACHE_ROOT/.lock"
flock 9
if [ "$REFRESH" != 1 ] && PREFIX=$(find_cached_prefix); then
  printf '%s\n' "$PREFIX"
  exit 0
fi

# --- 3. private apt state for deb-src ----------------------------------------
APT_DIR=$CACHE_ROOT/apt
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
MIRROR=${PORTALLOC_DEBIAN_MIRROR:-$(system_mirror bookworm http://deb.debian.org/debian)}
SEC_MIRROR=$(system_mirror bookworm-security http://deb.debian.org/debian-security)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$APT_DIR/sources.list" <<EOF
deb-src [signed-by=$KEYRING] $MIRROR bookworm main
deb-src [signed-by=$KEYRING] $MIRROR bookworm-updates main
deb-src [signed-by=$KEYRING] $SEC_MIRROR bookworm-security main
deb-src [signed-by=$KEYRING] $MIRROR trixie main
EOF
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o APT::Sandbox::User=root
  -o Acquire::Retries=3
)
APT_GET=(apt-get -q "${APT_OPTS[@]}")
APT_CACHE=(apt-cache "${APT_OPTS[@]}")

step "apt-get update (private deb-src lists in $APT_DIR)"
"${APT_GET[@]}" update >>"$LOG" 2>&1

step "resolve source versions"
CMOCKA_V=$(resolve_version cmocka "$CMOCKA_SERIES") || die "no cmocka $CMOCKA_SERIES source on $MIRROR"
INIH_V=$(resolve_version libinih "$INIH_SERIES") || die "no libinih $INIH_SERIES source on $MIRROR"
SQLITE_V=$(resolve_version sqlite3 "$SQLITE_SERIES") || die "no sqlite3 $SQLITE_SERIES source on $MIRROR"
KEY=cmocka-${CMOCKA_V}_inih-${INIH_V}_sqlite-${SQLITE_V}_${RECIPE_REV}
echo "key: $KEY" >>"$LOG"
KEY_DIR=$CACHE_ROOT/$KEY
PREFIX=$KEY_DIR/prefix
if [ -f "$PREFIX/$STAMP_NAME" ]; then
  printf '%s\n' "$PREFIX"
  exit 0
fi

# --- 4. build ------------------------------------------------------------------
mkdir -p "$KEY_DIR"
rm -rf "$KEY_DIR"/work.* "$KEY_DIR"/prefix.tmp.* "$PREFIX"   # leftovers of killed runs
WORK=$(mktemp -d "$KEY_DIR/work.XXXXXX")
STAGE=$(mktemp -d "$KEY_DIR/prefix.tmp.XXXXXX")
chmod 755 "$STAGE"
mkdir -p "$STAGE/include" "$STAGE/lib/pkgconfig"
JOBS=$(nproc)

step "apt-get source cmocka=$CMOCKA_V libinih=$INIH_V sqlite3=$SQLITE_V"
mkdir "$WORK/src"
(cd "$WORK/src" && "${APT_GET[@]}" source \
  "cmocka=$CMOCKA_V" "libinih=$INIH_V" "sqlite3=$SQLITE_V") >>"$LOG" 2>&1
CMOCKA_SRC=$WORK/src/cmocka-${CMOCKA_V%-*}
INIH_SRC=$WORK/src/libinih-${INIH_V%-*}
SQLITE_SRC=$WORK/src/sqlite3-${SQLITE_V%-*}

step "cmocka $CMOCKA_V: cmake configure"
cmake -S "$CMOCKA_SRC" -B "$WORK/cmocka-build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
  -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF >>"$LOG" 2>&1
step "cmocka $CMOCKA_V: build static library"
cmake --build "$WORK/cmocka-build" --target cmocka-static -j "$JOBS" >>"$LOG" 2>&1
# Only the static library: an import library libcmocka.dll.a next to it would
# win over libcmocka.a for -lcmocka unless linking with -static.
cp "$WORK/cmocka-build/src/libcmocka-static.a" "$STAGE/lib/libcmocka.a"
cp "$CMOCKA_SRC/include/cmocka.h" "$CMOCKA_SRC/include/cmocka_pbc.h" "$STAGE/include/"
write_pc "$STAGE/lib/pkgconfig/cmocka.pc" cmocka "${CMOCKA_V%-*}" \
  "The cmocka unit testing library" cmocka

step "inih $INIH_V: compile ini.c"
mkdir "$WORK/inih-build"
# shellcheck disable=SC2086
"$HOST-gcc" $INIH_CFLAGS -c "$INIH_SRC/ini.c" -o "$WORK/inih-build/ini.o" >>"$LOG" 2>&1
"$HOST-ar" rcs "$STAGE/lib/libinih.a" "$WORK/inih-build/ini.o" >>"$LOG" 2>&1
cp "$INIH_SRC/ini.h" "$STAGE/include/"
write_pc "$STAGE/lib/pkgconfig/inih.pc" inih "${INIH_V%-*}" \
  "simple .INI file parser" inih

step "sqlite3 $SQLITE_V: configure (build machine) + make sqlite3.c (amalgamation)"
mkdir "$WORK/sqlite-build"
(cd "$WORK/sqlite-build" &&
  "$SQLITE_SRC/configure" --disable-tcl --disable-readline &&
  make -j "$JOBS" sqlite3.c) >>"$LOG" 2>&1
step "sqlite3 $SQLITE_V: compile sqlite3.c for $HOST"
# shellcheck disable=SC2086
"$HOST-gcc" $SQLITE_CFLAGS -c "$WORK/sqlite-build/sqlite3.c" \
  -o "$WORK/sqlite-build/sqlite3.o" >>"$LOG" 2>&1
"$HOST-ar" rcs "$STAGE/lib/libsqlite3.a" "$WORK/sqlite-build/sqlite3.o" >>"$LOG" 2>&1
cp "$WORK/sqlite-build/sqlite3.h" "$WORK/sqlite-build/sqlite3ext.h" "$STAGE/include/"
write_pc "$STAGE/lib/pkgconfig/sqlite3.pc" sqlite3 "$SQLITE_SERIES" \
  "SQL database engine" sqlite3

step "install $PREFIX"
cat >"$STAGE/$STAMP_NAME" <<EOF
key=$KEY
cmocka=$CMOCKA_V (bookworm source)
libinih=$INIH_V (trixie source) cflags: $INIH_CFLAGS
sqlite3=$SQLITE_V (bookworm source) cflags: $SQLITE_CFLAGS
host=$HOST
compiler=$("$HOST-gcc" --version | head -n1)
mirror=$MIRROR
built=$(date -u '+%FT%TZ')
EOF
mv -T "$STAGE" "$PREFIX"
STAGE=
STEP=
printf '%s\n' "$PREFIX"

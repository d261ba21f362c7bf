#!/usr/bin/env bash
# ci/sqlite.sh - a lean static SQLite for the portalloc CLI.
#
# Builds libsqlite3.a from Debian's source package of the installed
# libsqlite3-dev (the same version, with Debian's patches, so the system's
# sqlite3.h matches it), compiled without what portalloc never uses: FTS,
# R-Tree, JSON, sessions, extension loading, the deprecated API, memory
# statistics, the lookaside allocator (Debian leaves that out too).  Every
# `portalloc get` is a new process, and the Debian archive's start-up (its
# extensions registered on every open) costs it about 0.3 ms of 2.9
# (bench/RESULTS.md).  Prints the archive's path as its last line; cmake
# takes it as -DPORTALLOC_SQLITE3_A=PATH.
#
#   PORTALLOC_SQLITE_DIR   cache root (default /var/cache/portalloc-sqlite)
#
# The archive is cached by version and recipe, and built once: the next run
# prints it without any network access.  The source comes through apt (a
# private deb-src list; the system's apt configuration is not changed), so
# it is checked against Debian's signed Release files.  Root only; fails
# (exit 1, the step and the log's tail on stderr) when the source cannot
# be fetched.
#
#   ci/sqlite.sh --or-debian   the same, but never fails: where the lean
#                              archive cannot be had (not root, offline),
#                              it says so and prints Debian's libsqlite3.a
#                              (or an empty line, for cmake to look itself)
set -euo pipefail

if [ "${1:-}" = --or-debian ]; then
  if [ "$(id -u)" -eq 0 ] && a=$("$0" | tail -n1); then
    echo "$a"
    exit 0
  fi
  a=$(pkg-config --variable=libdir sqlite3 2>/dev/null)/libsqlite3.a
  [ -f "$a" ] || a=
  echo "ci/sqlite.sh: the CLI links Debian's libsqlite3.a (0.3 ms slower" \
    "a get)" >&2
  echo "$a"
  exit 0
fi

# Bump when the flags or the steps change, so old archives are not reused.
readonly RECIPE=r1
# sqlite_cfg.h (configure's findings, as Debian's build has them: usleep,
# fdatasync, pread...) matters: without it SQLite's busy handler sleeps
# whole seconds, and 200 gets at once stall (tests/e2e/test_stress.c).
readonly FLAGS=(-O2 -fno-strict-aliasing -D_HAVE_SQLITE_CONFIG_H
  -DSQLITE_THREADSAFE=1 -DSQLITE_DEFAULT_MEMSTATUS=0
  -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_DEPRECATED
  -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_OMIT_PROGRESS_CALLBACK
  -DSQLITE_OMIT_DECLTYPE -DSQLITE_OMIT_JSON -DSQLITE_DQS=0
  -DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_MAX_EXPR_DEPTH=0
  -DSQLITE_USE_ALLOCA -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1
  -DSQLITE_OMIT_LOOKASIDE=1)

root=${PORTALLOC_SQLITE_DIR:-/var/cache/portalloc-sqlite}
log=
step=
work=

die() { echo "ci/sqlite.sh: $*" >&2; exit 1; }
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$step" ]; then
    echo "ci/sqlite.sh: failed at: $step (exit $rc); the log's tail:" >&2
    tail -n 20 "$log" | sed 's/^/  | /' >&2
  fi
  [ -z "$work" ] || rm -rf "$work"
  return "$rc"
}
trap on_exit EXIT
run() { step=$1; shift; echo "== $step" >>"$log"; "$@" >>"$log" 2>&1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, the cache in $root)"
version=$(dpkg-query -W -f='${Version}' libsqlite3-dev 2>/dev/null) ||
  die "libsqlite3-dev is not installed"
dir=$root/${version}_$RECIPE
# prints the archive if it is built already
built() { [ -f "$dir/libsqlite3.a" ] && echo "$dir/libsqlite3.a"; }
built && exit 0

mkdir -p "$root" || die "cannot create the cache $root (PORTALLOC_SQLITE_DIR)"
exec 9>"$root/.lock"
flock 9
built && exit 0   # by another run, while we waited
log=$root/build.log
: >"$log"
for tool in tclsh dpkg-source make cc; do
  command -v "$tool" >/dev/null || die "$tool is missing (ci/setup.sh installs it)"
done

# the same mirrors as the system's apt, as deb-src
work=$(mktemp -d "$root/work.XXXXXX")
mirror() {
  apt-get indextargets --no-release-info --format '$(RELEASE) $(SITE)' \
    2>/dev/null | awk -v s="$1" '$1 == s { print $2; exit }'
}
main=$(mirror bookworm); main=${main:-http://deb.debian.org/debian}
sec=$(mirror bookworm-security); sec=${sec:-http://deb.debian.org/debian-security}
key=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
cat >"$work/apt/sources.list" <<EOF
deb-src [signed-by=$key] $main bookworm main
deb-src [signed-by=$key] $main bookworm-updates main
deb-src [signed-by=$key] $sec bookworm-security main
EOF
apt=(apt-get -q -o "Dir::Etc::SourceList=$work/apt/sources.list"
  -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/apt/lists"
  -o "Dir::Cache=$work/apt/cache" -o APT::Sandbox::User=root
  -o Acquire::Retries=3)
run "apt-get update (deb-src, private lists)" "${apt[@]}" update
run "apt-get source sqlite3=$version" \
  sh -c 'cd "$1" && shift && "$@"' sh "$work/src" "${apt[@]}" source \
  "sqlite3=$version"
src=$work/src/sqlite3-${version%-*}
mkdir "$work/bld"
run "configure" sh -c 'cd "$1" && "$2/configure" --disable-tcl \
  --disable-readline' sh "$work/bld" "$src"
run "make sqlite3.c (the amalgamation)" make -C "$work/bld" sqlite3.c
run "compile sqlite3.c" cc "${FLAGS[@]}" -I"$work/bld" -c \
  "$work/bld/sqlite3.c" -o "$work/sqlite3.o"
mkdir "$work/out"
run "archive" ar rcs "$work/out/libsqlite3.a" "$work/sqlite3.o"
printf 'sqlite3 %s (Debian source), ci/sqlite.sh %s:\n%s\n' "$version" \
  "$RECIPE" "${FLAGS[*]}" >"$work/out/FLAGS"
rm -rf "$dir"
mv "$work/out" "$dir"
step=
echo "$dir/libsqlite3.a"

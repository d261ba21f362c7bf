# CMake toolchain file: cross-compile for 64-bit Windows with Debian's
# mingw-w64 (gcc-mingw-w64-x86-64) and run target programs under Wine.
#
#   cmake -S . -B build-win -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#         -DPORTALLOC_WIN_DEPS_PREFIX="$(ci/win-deps.sh | tail -n1)"
#   cmake --build build-win && ctest --test-dir build-win
#
# PORTALLOC_WIN_DEPS_PREFIX (cache variable, or the environment variable of
# the same name) is the prefix made by ci/win-deps.sh, holding static mingw
# builds of cmocka, inih and sqlite3 (include/, lib/, lib/pkgconfig/).
#
# Executables are linked with -static, so they need no mingw runtime DLLs
# (libgcc_s, libwinpthread) next to them when Wine runs them.
# CMAKE_CROSSCOMPILING_EMULATOR is set to Wine, so add_test() commands and
# ctest run the .exe files under Wine. By default the emulator is
# `env WINEDEBUG=-all wine`; set -DPORTALLOC_WINEDEBUG=<channels> to change
# it, or to the empty string to leave WINEDEBUG to the environment.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(PORTALLOC_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER   ${PORTALLOC_MINGW_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${PORTALLOC_MINGW_TRIPLET}-g++)
set(CMAKE_RC_COMPILER  ${PORTALLOC_MINGW_TRIPLET}-windres)

# Prefix of the cross-built dependencies (ci/win-deps.sh).
if(NOT PORTALLOC_WIN_DEPS_PREFIX AND DEFINED ENV{PORTALLOC_WIN_DEPS_PREFIX})
  set(PORTALLOC_WIN_DEPS_PREFIX "$ENV{PORTALLOC_WIN_DEPS_PREFIX}")
endif()
set(PORTALLOC_WIN_DEPS_PREFIX "${PORTALLOC_WIN_DEPS_PREFIX}" CACHE PATH
    "Prefix with mingw builds of cmocka, inih and sqlite3 (from ci/win-deps.sh)")
# try_compile() projects re-read this file; hand the value on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PORTALLOC_WIN_DEPS_PREFIX)

# Look for libraries, headers and packages only in the mingw sysroot and the
# dependency prefix; look for programs (tools run at build time) on the host.
set(CMAKE_FIND_ROOT_PATH /usr/${PORTALLOC_MINGW_TRIPLET})
if(PORTALLOC_WIN_DEPS_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH "${PORTALLOC_WIN_DEPS_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (FindPkgConfig / pkg_check_modules): read only the target's .pc
# files, never the build machine's (Debian ships Linux cmocka.pc, inih.pc and
# sqlite3.pc in /usr/lib/x86_64-linux-gnu/pkgconfig).
set(_portalloc_pc_libdir /usr/${PORTALLOC_MINGW_TRIPLET}/lib/pkgconfig)
if(PORTALLOC_WIN_DEPS_PREFIX)
  set(_portalloc_pc_libdir "${PORTALLOC_WIN_DEPS_PREFIX}/lib/pkgconfig:${_portalloc_pc_libdir}")
endif()
set(ENV{PKG_CONFIG_LIBDIR} "${_portalloc_pc_libdir}")
unset(_portalloc_pc_libdir)

# Static linking: libgcc, libwinpthread and the dependencies go into the .exe.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc")

# Run target programs (ctest, add_custom_command on built .exe) under Wine.
if(NOT PORTALLOC_WINE)
  # Debian's /usr/bin/wine runs /usr/lib/wine/wine64 when wine32 is absent.
  find_program(PORTALLOC_WINE NAMES wine wine64 PATHS /usr/lib/wine
               DOC "Wine launcher used as CMAKE_CROSSCOMPILING_EMULATOR")
endif()
set(PORTALLOC_WINEDEBUG "-all" CACHE STRING
    "WINEDEBUG for programs run under Wine by ctest (empty: leave the environment's)")
if(PORTALLOC_WINE)
  if(PORTALLOC_WINEDEBUG STREQUAL "")
    set(CMAKE_CROSSCOMPILING_EMULATOR "${PORTALLOC_WINE}")
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR
        /usr/bin/env "WINEDEBUG=${PORTALLOC_WINEDEBUG}" "${PORTALLOC_WINE}")
  endif()
endif()

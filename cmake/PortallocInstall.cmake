# Install: the library (static, and shared with PORTALLOC_SHARED), a
# pkg-config file and a CMake package (find_package(portalloc), target
# portalloc::portalloc).  Included from the top CMakeLists.txt.
include(CMakePackageConfigHelpers)

option(PORTALLOC_SHARED "Also build and install libportalloc.so" OFF)
if(PORTALLOC_SHARED)
  get_target_property(_pa_sources portalloc SOURCES)
  add_library(portalloc_shared SHARED ${_pa_sources})
  add_library(portalloc::portalloc_shared ALIAS portalloc_shared)
  set_target_properties(portalloc_shared PROPERTIES OUTPUT_NAME portalloc
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
    EXPORT_NAME portalloc_shared)
  target_include_directories(portalloc_shared
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(portalloc_shared PRIVATE _GNU_SOURCE)
  target_link_libraries(portalloc_shared PRIVATE PkgConfig::INIH
    PkgConfig::SQLITE3 Threads::Threads)
  set(_pa_shared portalloc_shared)
endif()

install(TARGETS portalloc ${_pa_shared} EXPORT portallocTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(_pa_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/portalloc)
install(EXPORT portallocTargets NAMESPACE portalloc::
  DESTINATION ${_pa_cmakedir})
configure_package_config_file(cmake/portallocConfig.cmake.in
  ${PROJECT_BINARY_DIR}/portallocConfig.cmake
  INSTALL_DESTINATION ${_pa_cmakedir})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/portallocConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/portallocConfig.cmake
  ${PROJECT_BINARY_DIR}/portallocConfigVersion.cmake
  cmake/PortallocCTest.cmake
  DESTINATION ${_pa_cmakedir})

# The .pc file finds its prefix from where it lies, so that a staged or
# relocated install works as well.
file(RELATIVE_PATH PORTALLOC_PC_TO_PREFIX
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" PORTALLOC_PC_TO_PREFIX
  "${PORTALLOC_PC_TO_PREFIX}")
# With the shared library installed outside the linker's own directories,
# -lportalloc links it and the program would not find it at run time
# (even under --static, where the linker still prefers the .so): the .pc
# then carries an rpath to libdir.  portalloc-static.pc always names the
# archive itself.
set(PORTALLOC_PC_RPATH "")
if(PORTALLOC_SHARED AND NOT CMAKE_INSTALL_FULL_LIBDIR IN_LIST
    CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
  set(PORTALLOC_PC_RPATH "-Wl,-rpath,\${libdir} ")
endif()
foreach(_pc portalloc portalloc-static)
  configure_file(cmake/${_pc}.pc.in ${PROJECT_BINARY_DIR}/${_pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${_pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
install(FILES examples/harness.c
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/portalloc/examples)

# The man page and the shell completions.
install(FILES docs/portalloc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES contrib/completions/portalloc.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME portalloc)
install(FILES contrib/completions/_portalloc
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)

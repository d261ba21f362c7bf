# portalloc for CTest users.
#
#   find_package(portalloc COMPONENTS ctest)  # or include(PortallocCTest)
#   portalloc_add_test(NAME e2e PORTS 3 COMMAND ./run-e2e.sh --verbose)
#
# adds a test that runs its command under `portalloc exec -n PORTS`: the
# command finds its ports in PORTALLOC_PORTS and PORTALLOC_PORT0.., owns the
# leases while it runs, and they end with it, so `ctest -j` can run any
# number of port-hungry tests at once without two of them getting a port.
#
# Arguments: NAME, COMMAND (required; its first word may be a target of this
# project, which is run from where it is built); PORTS (default 1, or LISTEN
# when that is given); BLOCK; LISTEN n (pass n listening sockets, see
# exec --listen); TAG; WORKING_DIRECTORY.
#
# The portalloc binary is PORTALLOC_EXECUTABLE; unset, it is looked for
# next to this file's package (find_package through portalloc_DIR or
# CMAKE_PREFIX_PATH), then on PATH.
set(_portalloc_ctest_dir "${CMAKE_CURRENT_LIST_DIR}")

function(_portalloc_find_executable)
  if(PORTALLOC_EXECUTABLE)
    return()
  endif()
  # <prefix>/lib/cmake/portalloc -> <prefix>/bin, and <prefix>/lib/<arch>/...
  get_filename_component(_p "${_portalloc_ctest_dir}/../../.." ABSOLUTE)
  get_filename_component(_q "${_portalloc_ctest_dir}/../../../.." ABSOLUTE)
  find_program(PORTALLOC_EXECUTABLE portalloc
    HINTS "${_p}/bin" "${_q}/bin" REQUIRED)
endfunction()

function(portalloc_add_test)
  cmake_parse_arguments(PA ""
    "NAME;PORTS;BLOCK;LISTEN;TAG;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT PA_NAME OR NOT PA_COMMAND)
    message(FATAL_ERROR "portalloc_add_test: NAME and COMMAND are required")
  endif()
  _portalloc_find_executable()
  if(NOT PA_PORTS)
    if(PA_LISTEN)
      set(PA_PORTS ${PA_LISTEN})
    else()
      set(PA_PORTS 1)
    endif()
  endif()
  if(PA_LISTEN AND NOT PA_LISTEN EQUAL PA_PORTS)
    message(FATAL_ERROR "portalloc_add_test(${PA_NAME}): LISTEN ${PA_LISTEN} "
      "and PORTS ${PA_PORTS} disagree; give one of them")
  endif()
  # A target name as the command runs the file it builds, as add_test's
  # own COMMAND does.
  list(GET PA_COMMAND 0 _cmd)
  if(TARGET ${_cmd})
    list(REMOVE_AT PA_COMMAND 0)
    list(INSERT PA_COMMAND 0 "$<TARGET_FILE:${_cmd}>")
  endif()
  set(args exec -n ${PA_PORTS})
  if(PA_BLOCK)
    list(APPEND args -b ${PA_BLOCK})
  endif()
  if(PA_LISTEN)
    list(APPEND args --listen ${PA_LISTEN})
  endif()
  if(PA_TAG)
    list(APPEND args --tag ${PA_TAG})
  endif()
  set(wd)
  if(PA_WORKING_DIRECTORY)
    set(wd WORKING_DIRECTORY ${PA_WORKING_DIRECTORY})
  endif()
  add_test(NAME ${PA_NAME} COMMAND ${PORTALLOC_EXECUTABLE} ${args} --
    ${PA_COMMAND} ${wd})
  set_property(TEST ${PA_NAME} APPEND PROPERTY LABELS portalloc)
endfunction()

# portalloc for CTest users.
#
#   find_package(portalloc)        # or include(PortallocCTest) from a checkout
#   portalloc_add_test(NAME e2e PORTS 3 COMMAND ./run-e2e.sh --verbose)
#
# adds a test that runs its command under `portalloc exec -n PORTS`: the
# command finds its ports in PORTALLOC_PORTS and PORTALLOC_PORT0.., owns the
# leases while it runs, and they end with it, so `ctest -j` can run any
# number of port-hungry tests at once without two of them getting a port.
#
# Arguments: NAME, COMMAND (required); PORTS (default 1); BLOCK; LISTEN n
# (pass n listening sockets, see exec --listen); TAG; WORKING_DIRECTORY.
# The portalloc binary is PORTALLOC_EXECUTABLE, found on PATH if unset.
function(portalloc_add_test)
  cmake_parse_arguments(PA ""
    "NAME;PORTS;BLOCK;LISTEN;TAG;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT PA_NAME OR NOT PA_COMMAND)
    message(FATAL_ERROR "portalloc_add_test: NAME and COMMAND are required")
  endif()
  if(NOT PORTALLOC_EXECUTABLE)
    find_program(PORTALLOC_EXECUTABLE portalloc REQUIRED)
  endif()
  if(NOT PA_PORTS)
    set(PA_PORTS 1)
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
  if(PA_WORKING_DIRECTORY)
    add_test(NAME ${PA_NAME} COMMAND ${PORTALLOC_EXECUTABLE} ${args} --
      ${PA_COMMAND} WORKING_DIRECTORY ${PA_WORKING_DIRECTORY})
  else()
    add_test(NAME ${PA_NAME} COMMAND ${PORTALLOC_EXECUTABLE} ${args} --
      ${PA_COMMAND})
  endif()
  set_property(TEST ${PA_NAME} APPEND PROPERTY LABELS portalloc)
endfunction()

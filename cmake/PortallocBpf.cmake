# `portalloc accel` (Linux): the BPF iterator of src/os/linux/bpf is built
# with clang, turned into a skeleton header by bpftool, and loaded through
# libbpf (opened at run time by `accel on` only).  Optional: without it
# portalloc still reads a pin made by another build, but cannot make one.
# Included from the top CMakeLists.txt after the library targets.
set(_pa_bpf_default OFF)
if(NOT WIN32)
  find_program(PORTALLOC_CLANG_BPF NAMES clang)
  find_program(PORTALLOC_BPFTOOL NAMES bpftool
    PATHS /usr/sbin /sbin /usr/local/sbin)
  pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf)
  if(PORTALLOC_CLANG_BPF AND PORTALLOC_BPFTOOL AND LIBBPF_FOUND)
    set(_pa_bpf_default ON)
  else()
    message(STATUS "portalloc: PORTALLOC_BPF off (needs clang, bpftool and "
      "libbpf-dev): accel on will not be available")
  endif()
endif()
option(PORTALLOC_BPF "Build the BPF iterator of portalloc accel"
  ${_pa_bpf_default})

if(PORTALLOC_BPF)
  if(WIN32 OR NOT PORTALLOC_CLANG_BPF OR NOT PORTALLOC_BPFTOOL
      OR NOT LIBBPF_FOUND)
    message(FATAL_ERROR "PORTALLOC_BPF needs Linux, clang, bpftool and "
      "libbpf-dev")
  endif()
  set(_bpf_src ${PROJECT_SOURCE_DIR}/src/os/linux/bpf)
  set(_bpf_out ${PROJECT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${_bpf_out})
  # CO-RE: the object carries BTF relocations, resolved by libbpf against
  # the running kernel; no kernel headers are needed to build it.
  add_custom_command(OUTPUT ${_bpf_out}/sockfd.bpf.o
    COMMAND ${PORTALLOC_CLANG_BPF} -g -O2 -target bpf -Wall -Werror
      -I${_bpf_src} ${LIBBPF_CFLAGS}
      -c ${_bpf_src}/sockfd.bpf.c -o ${_bpf_out}/sockfd.bpf.o
    DEPENDS ${_bpf_src}/sockfd.bpf.c ${_bpf_src}/sockfd.h
    COMMENT "BPF sockfd.bpf.o" VERBATIM)
  add_custom_command(OUTPUT ${_bpf_out}/sockfd.skel.h
    COMMAND sh -c "\"$0\" gen skeleton \"$1\" name sockfd_bpf > \"$2\""
      ${PORTALLOC_BPFTOOL} ${_bpf_out}/sockfd.bpf.o ${_bpf_out}/sockfd.skel.h
    DEPENDS ${_bpf_out}/sockfd.bpf.o
    COMMENT "BPF skeleton sockfd.skel.h" VERBATIM)
  add_custom_target(portalloc_bpf_skel DEPENDS ${_bpf_out}/sockfd.skel.h)
  add_dependencies(portalloc portalloc_bpf_skel)
  # libbpf's headers only: accel.c opens libbpf.so.1 at run time, in
  # `accel on` alone, so that no other command pays for loading it.
  target_include_directories(portalloc PRIVATE ${_bpf_out}
    ${LIBBPF_INCLUDE_DIRS})
  target_compile_definitions(portalloc PRIVATE PA_HAVE_BPF)
  target_link_libraries(portalloc PRIVATE ${CMAKE_DL_LIBS})
  if(TARGET portalloc_shared)
    add_dependencies(portalloc_shared portalloc_bpf_skel)
    target_include_directories(portalloc_shared PRIVATE ${_bpf_out}
      ${LIBBPF_INCLUDE_DIRS})
    target_compile_definitions(portalloc_shared PRIVATE PA_HAVE_BPF)
    target_link_libraries(portalloc_shared PRIVATE ${CMAKE_DL_LIBS})
  endif()
endif()

# The unit that pins the iterator at boot (Linux; useful with any build:
# accel on says so when this one cannot load it).
if(NOT WIN32)
  configure_file(contrib/systemd/portalloc-accel.service.in
    ${PROJECT_BINARY_DIR}/portalloc-accel.service @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/portalloc-accel.service
    DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

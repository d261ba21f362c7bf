/* Files on Linux (files.c): the file_read operation of struct pa_os, and
 * the facts of the directories above a path, which the sysctl drop-in's
 * path check (reserve-linux.c) uses too. */
#ifndef PA_FILES_LINUX_H
#define PA_FILES_LINUX_H

#include <stddef.h>

#include "os/os.h"

int pa__linux_file_read(void *ctx, const char *path, size_t max,
    struct pa_file_read *f, struct pa_error *err);
/* lstat of each directory above the absolute path, nearest first, up to
 * "/": *out is malloc'd, *n entries. */
int pa__linux_dir_facts(const char *path, struct pa_file_facts **out,
    size_t *n, struct pa_error *err);

#endif

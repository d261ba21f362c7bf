/* The OS port reservation operations of struct pa_os on Linux
 * (reserve-linux.c); see os.h for what each promises. */
#ifndef PA_RESERVE_LINUX_H
#define PA_RESERVE_LINUX_H

#include <stddef.h>

#include "os/os.h"

/* The list-shaped reservation ops of the Linux struct pa_os. */
extern const struct pa__resv_list_ops pa__linux_resv_list;

int pa__linux_netns_id(void *ctx, char *buf, size_t len,
    struct pa_error *err);
int pa__linux_reserved_read(void *ctx, char **text, struct pa_error *err);
int pa__linux_reserved_write(void *ctx, const char *text,
    struct pa_error *err);
int pa__linux_reserved_lock(void *ctx, int *handle, struct pa_error *err);
void pa__linux_reserved_unlock(void *ctx, int handle);
const char *pa__linux_dropin_path(void *ctx);
int pa__linux_dropin_read(void *ctx, char **text, struct pa_error *err);
int pa__linux_dropin_write(void *ctx, const char *text,
    struct pa_error *err);

#endif

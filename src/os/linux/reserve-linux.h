/* The OS port reservation operations of struct pa_os on Linux
 * (reserve-linux.c): a list; see os.h for what each promises. */
#ifndef PA_RESERVE_LINUX_H
#define PA_RESERVE_LINUX_H

#include <stddef.h>

#include "os/os.h"

/* The list-shaped reservation ops of the Linux struct pa_os. */
extern const struct pa__resv_list_ops pa__linux_resv_list;

#endif

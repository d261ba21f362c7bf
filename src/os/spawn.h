/*
 * The little of the operating system that the CLI may use, and nothing
 * more: running the command of `portalloc exec`, closing the sockets it
 * hands over, plain stdio and the width of the terminal.  Everything else
 * the CLI needs goes through the library (portalloc.h), which reaches the
 * OS through os.h.
 */
#ifndef PA_SPAWN_H
#define PA_SPAWN_H

#include <stdint.h>

#include "base/base.h"

/* Makes stdout and stderr write "\n" as it is, for the scripts that read
 * the CLI's output (Windows: no "\r" added; elsewhere nothing to do). */
void pa__stdio_plain(void);

/*
 * One heap for every thread of this short process (glibc: M_ARENA_MAX 1;
 * elsewhere nothing to do).  check reads the kernel's tables in threads
 * while it opens the store; with an arena per thread, memory one freed
 * was never reused by another, and check's peak grew by a third.
 */
void pa__heap_one_arena(void);

/* The width of the terminal stdout writes to, in columns (80 when the
 * terminal does not say); 0 when stdout is not a terminal. */
int pa__term_columns(void);

/* Milliseconds on a clock that never jumps (for timeouts). */
int64_t pa__monotonic_ms(void);
/* Sleeps ms milliseconds (less if a signal comes). */
void pa__sleep_ms(unsigned ms);

/* Closes a socket that pa_get_listen handed to the caller. */
void pa__fd_close(int fd);

/*
 * Running a command for `portalloc exec`: the child is created stopped, so
 * that its pid can own leases before it runs, then released with the
 * environment it must see.  Where a process gets its environment only at
 * creation (Windows), portalloc owns the leases instead and the child is
 * created by pa__child_go, bound to live no longer than portalloc.
 */
struct pa_child;
/* Starts argv (PATH searched; Windows: PATH and PATHEXT, never the
 * current folder, a batch file through cmd.exe) held before exec.  *pid gets the pid that is
 * to own the leases: the child's (POSIX), or portalloc's own (Windows). */
int pa__child_start(char *const argv[], struct pa_child **c, int64_t *pid,
    struct pa_error *err);
/* Lets the child exec with `env` (NAME=VALUE strings, n of them) added. */
int pa__child_go(struct pa_child *c, char *const env[], int n,
    struct pa_error *err);
/*
 * Waits for the child, forwarding SIGINT/SIGTERM/SIGHUP/SIGQUIT that were
 * sent to portalloc alone.  *status gets a shell-style exit status:
 * the exit code, 128+N for signal N, 127/126 when the command could not be
 * run (err then says why).  Frees c.
 */
int pa__child_wait(struct pa_child *c, int *status, struct pa_error *err);
/*
 * pa__child_go, also handing the child fds[0..nfds) as its descriptors
 * 3..3+nfds-1 (open across exec; nothing else of portalloc's is).  The
 * caller still owns fds and closes them.  Windows: the sockets are
 * inherited as they are, their handle values listed in order in
 * PORTALLOC_LISTEN_HANDLES ("h0,h1,..."); the child inherits those and
 * the standard handles, nothing else.
 */
int pa__child_go_fds(struct pa_child *c, char *const env[], int n,
    const int *fds, int nfds, struct pa_error *err);
/* Kills and reaps a child that never got to run.  Frees c. */
void pa__child_abort(struct pa_child *c);

#endif /* PA_SPAWN_H */

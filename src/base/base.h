/*
 * The base layer: what every other layer may use and nothing else.  Errors
 * and their messages, bounded strings, and one way to grow an array.  It
 * includes only the public header (for struct pa_error and the codes), so
 * src/os, src/core and src/cli can all stand on it without seeing each
 * other.
 */
#ifndef PA_BASE_H
#define PA_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "portalloc/portalloc.h"

/* The printf archetype to check formats against: the build sets
 * PA_PRINTF_KIND=gnu_printf where printf is not the C library's own but
 * mingw's C99 one. */
#ifndef PA_PRINTF_KIND
#define PA_PRINTF_KIND printf
#endif
#if defined(__GNUC__)
#define PA__PRINTF(a, b) __attribute__((format(PA_PRINTF_KIND, a, b)))
#else
#define PA__PRINTF(a, b)
#endif

/* Sets err (if not NULL) and returns code, so that `return pa__err(...)` reads
 * as one step. */
int pa__err(struct pa_error *err, int code, const char *fmt, ...)
    PA__PRINTF(3, 4);
/* The same, with file and line recorded and put in front of the message. */
int pa__err_at(struct pa_error *err, int code, const char *file, int line,
    const char *fmt, ...) PA__PRINTF(5, 6);
/* Adds what would mend the error just set in err (block may be NULL) and
 * returns code: `return pa__hint(err, pa__err(err, ...), PA_HINT_X, b);`.
 * Every pa__err clears the hint. */
int pa__hint(struct pa_error *err, int code, enum pa_hint hint,
    const char *block);
/* PA_ENOMEM with its message: for every failed allocation. */
int pa__err_nomem(struct pa_error *err);

/* Bounded copy that always terminates; returns 1 if src was cut.  A cut
 * never splits a UTF-8 sequence. */
int pa__strlcpy(char *dst, const char *src, size_t size);

/*
 * Makes room for one more element in a growing array: *v has *n elements
 * of size `size` and room for *cap.  Doubles *cap when full (from 8).
 * 0, or PA_ENOMEM with *v untouched.
 */
int pa__grow(void *v, size_t *cap, size_t n, size_t size);

/* Appends one lease to a growing array; PA_ENOMEM on failure. */
int pa__leases_push(struct pa_lease **arr, size_t *n, size_t *cap,
    const struct pa_lease *l);

#endif /* PA_BASE_H */

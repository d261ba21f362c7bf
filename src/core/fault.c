/*
 * Fault points for the crash tests, built only into the copy of the
 * library and CLI made for test_crash (PA_FAULTS; see tests/CMakeLists.txt):
 * a shipped binary has none, so no variable can stop it.  There they are
 * inert unless $PORTALLOC_TEST_FAULT is set.  Its value is "POINT:N": the Nth time the
 * process passes POINT it kills itself with SIGKILL, as kill -9 would.
 * POINT "*" counts every fault point, so a random N stops the process at a
 * random step of whatever it is doing.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static const char *fault_spec;   /* the variable; "" when unset */
static long fault_left;          /* passes left before the kill */
static size_t fault_len;         /* length of its POINT */

/* Reads the variable once; afterwards, unset means every call returns. */
static void
fault_init(void)
{
	const char *s = getenv("PORTALLOC_TEST_FAULT"), *colon;

	fault_spec = "";
	if (s == NULL || (colon = strchr(s, ':')) == NULL)
		return;
	fault_left = strtol(colon + 1, NULL, 10);
	if (fault_left <= 0)
		return;
	fault_spec = s;
	fault_len = (size_t)(colon - s);
}

void
pa__fault(const char *point)
{
	if (fault_spec == NULL)
		fault_init();
	if (fault_spec[0] == '\0')
		return;
	if (!(fault_len == 1 && fault_spec[0] == '*') &&
	    (strlen(point) != fault_len ||
	    strncmp(point, fault_spec, fault_len) != 0))
		return;
	if (--fault_left > 0)
		return;
#ifdef SIGKILL
	raise(SIGKILL);
#endif
	abort();
}

/*
 * The reservations this process uses as its own, and what the owner-PID
 * tables say about one port.
 *
 * Why: a plain bind() into a port of a persistent reservation may fail
 * with WSAEACCES although no socket holds the port (Microsoft documents
 * only binds through the reservation's token; Hyper-V's excluded ranges
 * behave so, and third-party reports say the API's reservations do too).
 * Read as "in use", that would make every port of portalloc's own block
 * look taken.  So inside a reservation this process made or looked up,
 * WSAEACCES means "in use" only when the tables show a socket on the port.
 */
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

void
pa__win_own_note(struct pa__win *w, unsigned proto, uint16_t first,
    uint16_t last)
{
	size_t i;

	AcquireSRWLockExclusive(&w->lock);
	for (i = 0; i < w->nown; i++)
		if (w->own[i].proto == proto && w->own[i].first == first &&
		    w->own[i].last == last)
			break;
	if (i == w->nown && w->nown < PA__WIN_OWN_MAX) {
		w->own[i].proto = proto;
		w->own[i].first = first;
		w->own[i].last = last;
		w->nown++;
	}
	ReleaseSRWLockExclusive(&w->lock);
}

int
pa__win_own_find(struct pa__win *w, unsigned proto, uint16_t port,
    struct pa__win_own *r)
{
	size_t i;
	int found = 0;

	AcquireSRWLockShared(&w->lock);
	for (i = 0; i < w->nown && !found; i++)
		if (w->own[i].proto == proto && port >= w->own[i].first &&
		    port <= w->own[i].last) {
			*r = w->own[i];
			found = 1;
		}
	ReleaseSRWLockShared(&w->lock);
	return found;
}

/* Is the address of family (4, 6) all zeros: 0.0.0.0 or ::? */
static int
wildcard(int family, const unsigned char *a)
{
	size_t i, n = family == 6 ? 16 : 4;

	for (i = 0; i < n; i++)
		if (a[i] != 0)
			return 0;
	return 1;
}

int
pa__win_port_seen(struct pa__win *w, unsigned proto, uint16_t port,
    int wild)
{
	struct pa_portq q;
	struct pa_socktab t;
	struct pa_error err;
	size_t i;
	int seen = 0;

	q.first = port;
	q.last = port;
	q.protos = proto;
	memset(&err, 0, sizeof(err));
	if (pa__win_sockets(w, &q, 1, 0, &t, &err) != 0)
		return 0;
	for (i = 0; i < t.n && !seen; i++)
		seen = t.socks[i].state != PA_SOCK_TIME_WAIT && (!wild ||
		    wildcard(t.socks[i].family, t.socks[i].local));
	pa__socktab_free(&t);
	return seen;
}

/* The socket table every OS backend fills, and helpers to fill it. */
#include <stdlib.h>
#include <string.h>

#include "os/os.h"

void
pa__socktab_free(struct pa_socktab *t)
{
	if (t == NULL)
		return;
	free(t->socks);
	free(t->pids);
	free(t->procs);
	memset(t, 0, sizeof(*t));
}

int
pa__sockvec_push(struct pa__sockvec *sv, const struct pa_sock *s)
{
	struct pa_sock *v;
	size_t cap;

	if (sv->n == sv->cap) {
		cap = sv->cap ? 2 * sv->cap : 64;
		if ((v = realloc(sv->v, cap * sizeof(*v))) == NULL)
			return PA_ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = *s;
	return 0;
}

int
pa__portq_match(const struct pa_portq *q, size_t nq, uint16_t port,
    unsigned proto)
{
	size_t i;

	for (i = 0; i < nq; i++)
		if (port >= q[i].first && port <= q[i].last &&
		    (q[i].protos & proto))
			return 1;
	return 0;
}

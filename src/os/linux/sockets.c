/*
 * The sockets op on Linux: sock_diag dumps (the /proc/net files where the
 * kernel refuses them), then, when holders are wanted, one scan of /proc
 * for the inodes found.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/linux/linux.h"

static const struct {
	unsigned proto;
	int family;
	const char *procnet;
} dumps[] = {
	{ PA_TCP, 4, "/proc/net/tcp" },
	{ PA_TCP, 6, "/proc/net/tcp6" },
	{ PA_UDP, 4, "/proc/net/udp" },
	{ PA_UDP, 6, "/proc/net/udp6" },
};

static int
by_inode(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The distinct non-zero inodes of the sockets, sorted. */
static uint64_t *
inodes_of(const struct pa__sockvec *sv, size_t *n)
{
	uint64_t *v = malloc((sv->n + 1) * sizeof(*v));
	size_t i, k = 0;

	*n = 0;
	if (v == NULL)
		return NULL;
	for (i = 0; i < sv->n; i++)
		if (sv->v[i].inode != 0)
			v[k++] = sv->v[i].inode;
	qsort(v, k, sizeof(*v), by_inode);
	for (i = 0; i < k; i++)
		if (*n == 0 || v[*n - 1] != v[i])
			v[(*n)++] = v[i];
	return v;
}

/* Gives each socket its slice of t->pids. */
static int
attach_pids(struct pa_socktab *t, const struct pa__inopid *pairs, size_t np)
{
	size_t i, lo, hi, mid;
	struct pa_sock *s;

	if ((t->pids = malloc((np + 1) * sizeof(*t->pids))) == NULL)
		return PA_ENOMEM;
	for (i = 0; i < t->n; i++) {
		s = &t->socks[i];
		s->first_pid = t->npids;
		if (s->inode == 0)
			continue;
		for (lo = 0, hi = np; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (pairs[mid].inode < s->inode)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < np && pairs[lo].inode == s->inode; lo++)
			t->pids[t->npids++] = pairs[lo].pid;
		s->npids = t->npids - s->first_pid;
	}
	return 0;
}

static int
find_holders(struct pa_socktab *t, const struct pa__sockvec *sv,
    struct pa_error *err)
{
	struct pa__inopid *pairs = NULL;
	uint64_t *inodes;
	size_t ni, np;
	int rc;

	if ((inodes = inodes_of(sv, &ni)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	rc = pa__procfd_scan("/proc", inodes, ni, &pairs, &np,
	    &t->unreadable, err);
	if (rc == 0 && attach_pids(t, pairs, np) != 0)
		rc = pa__err(err, PA_ENOMEM, "out of memory");
	free(pairs);
	free(inodes);
	return rc;
}

int
pa__linux_sockets(void *ctx, const struct pa_portq *q, size_t nq, int pids,
    struct pa_socktab *t, struct pa_error *err)
{
	struct pa__sockvec sv = { NULL, 0, 0 };
	uint16_t lo = 65535, hi = 0;
	unsigned protos = 0;
	size_t i;
	int rc = 0;

	(void)ctx;
	memset(t, 0, sizeof(*t));
	t->source = "sock_diag";
	for (i = 0; i < nq; i++) {
		lo = q[i].first < lo ? q[i].first : lo;
		hi = q[i].last > hi ? q[i].last : hi;
		protos |= q[i].protos;
	}
	for (i = 0; rc == 0 && nq > 0 && i < sizeof(dumps) / sizeof(dumps[0]);
	    i++) {
		if (!(protos & dumps[i].proto))
			continue;
		rc = pa__diag_dump(dumps[i].proto, dumps[i].family, lo, hi, q,
		    nq, &sv, err);
		if (rc == PA_ENOENT) {
			t->source = "/proc/net";
			rc = pa__procnet_read(dumps[i].procnet,
			    dumps[i].family, dumps[i].proto, q, nq, &sv, err);
		}
	}
	t->socks = sv.v;
	t->n = sv.n;
	if (rc == 0 && pids)
		rc = find_holders(t, &sv, err);
	if (rc != 0)
		pa__socktab_free(t);
	return rc;
}

/*
 * The sockets op on Linux: sock_diag dumps (the /proc/net files where the
 * kernel refuses them), then, when holders are wanted, one read of the
 * pinned BPF iterator of `portalloc accel` where this process may read it,
 * else one scan of /proc, for the inodes found.
 */
#include <pthread.h>
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

/*
 * Where the holders came from, for -v: the table's source (sock_diag or
 * /proc/net) and how the pids were found.
 */
static const char *
source_name(const char *table, int how)
{
	static const char *const diag[] = {
		"sock_diag, bpf pin",
		"sock_diag, /proc scan (no bpf pin)",
		"sock_diag, /proc scan (bpf pin not readable)",
		"sock_diag, /proc scan (bpf pin of another version)",
		"sock_diag, /proc scan (PORTALLOC_ACCEL=0)",
		"sock_diag, /proc scan (bpf pin failed)",
		"sock_diag, /proc scan (bpf pin: in a PID namespace)",
	};
	static const char *const procnet[] = {
		"/proc/net, bpf pin",
		"/proc/net, /proc scan (no bpf pin)",
		"/proc/net, /proc scan (bpf pin not readable)",
		"/proc/net, /proc scan (bpf pin of another version)",
		"/proc/net, /proc scan (PORTALLOC_ACCEL=0)",
		"/proc/net, /proc scan (bpf pin failed)",
		"/proc/net, /proc scan (bpf pin: in a PID namespace)",
	};

	return strcmp(table, "sock_diag") == 0 ? diag[how] : procnet[how];
}

/*
 * The pin is read in a thread while the sock_diag dumps run: both are
 * mostly kernel time, and the pin holds every socket, so it need not wait
 * for the inodes the dumps find.
 */
struct pin_read {
	pthread_t thread;
	int started, rc;
	char path[256];
	char *buf;
	size_t len;
};

static void *
pin_thread(void *arg)
{
	struct pin_read *p = arg;

	p->rc = pa__pin_read(p->path, &p->buf, &p->len, NULL);
	return NULL;
}

/* Starts reading the pin, unless PORTALLOC_ACCEL=0 (rc PA_ENOTSUP). */
static void
pin_start(struct pin_read *p)
{
	memset(p, 0, sizeof(*p));
	if ((p->rc = pa__accel_pin(p->path, sizeof(p->path))) != 0)
		return;
	p->started = pthread_create(&p->thread, NULL, pin_thread, p) == 0;
	if (!p->started)
		pin_thread(p);
}

static void
pin_finish(struct pin_read *p)
{
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = 0;
}

/* The pairs from the pin when it could be read, else from a scan of
 * /proc; t->source says which, and why. */
static int
holder_pairs(struct pa_socktab *t, const struct pin_read *p,
    const uint64_t *inodes, size_t ni, struct pa__inopid **pairs,
    size_t *np, struct pa_error *err)
{
	int how;

	how = p->rc == 0 ? 0 : p->rc == PA_ENOTSUP ? 4 :
	    p->rc == PA_ENOENT ? 1 : p->rc == PA_EPERM ? 2 :
	    p->rc == PA_EDATA ? 3 : p->rc == PA_ESRCH ? 6 : 5;
	t->source = source_name(t->source, how);
	if (how == 0)
		return pa__pin_join(p->buf, p->len, inodes, ni, pairs, np,
		    err);
	return pa__procfd_scan("/proc", inodes, ni, pairs, np,
	    &t->unreadable, err);
}

static int
find_holders(struct pa_socktab *t, const struct pa__sockvec *sv,
    const struct pin_read *p, struct pa_error *err)
{
	struct pa__inopid *pairs = NULL;
	uint64_t *inodes;
	size_t ni, np = 0;
	int rc = 0;

	if ((inodes = inodes_of(sv, &ni)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	if (ni > 0)
		rc = holder_pairs(t, p, inodes, ni, &pairs, &np, err);
	if (rc == 0 && attach_pids(t, pairs, np) != 0)
		rc = pa__err(err, PA_ENOMEM, "out of memory");
	free(pairs);
	free(inodes);
	return rc;
}

/* TCP of both families in one dump; 0 (and sv as it was) where the
 * kernel refuses it, and then a dump per family follows. */
static int
dump_tcp_both(uint16_t lo, uint16_t hi, const struct pa_portq *q, size_t nq,
    struct pa__sockvec *sv)
{
	size_t n = sv->n;

	if (pa__diag_dump(PA_TCP, 0, lo, hi, q, nq, sv, NULL) == 0)
		return 1;
	sv->n = n;
	return 0;
}

int
pa__linux_sockets(void *ctx, const struct pa_portq *q, size_t nq, int pids,
    struct pa_socktab *t, struct pa_error *err)
{
	struct pa__sockvec sv = { NULL, 0, 0 };
	struct pin_read pin;
	uint16_t lo = 65535, hi = 0;
	unsigned protos = 0;
	size_t i;
	int rc = 0, tcp_done = 0;

	(void)ctx;
	memset(t, 0, sizeof(*t));
	t->source = "sock_diag";
	for (i = 0; i < nq; i++) {
		lo = q[i].first < lo ? q[i].first : lo;
		hi = q[i].last > hi ? q[i].last : hi;
		protos |= q[i].protos;
	}
	if (pids && nq > 0)
		pin_start(&pin);
	if (nq > 0 && (protos & PA_TCP))
		tcp_done = dump_tcp_both(lo, hi, q, nq, &sv);
	for (i = 0; rc == 0 && nq > 0 && i < sizeof(dumps) / sizeof(dumps[0]);
	    i++) {
		if (!(protos & dumps[i].proto) ||
		    (tcp_done && dumps[i].proto == PA_TCP))
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
	if (pids && nq > 0) {
		pin_finish(&pin);
		if (rc == 0)
			rc = find_holders(t, &sv, &pin, err);
		free(pin.buf);
	}
	if (rc != 0)
		pa__socktab_free(t);
	return rc;
}

/*
 * The sockets op on Linux: sock_diag dumps (the /proc/net files where the
 * kernel refuses them), then, when holders are wanted, one read of the
 * pinned BPF iterator of `portalloc accel` where this process may read it,
 * else one scan of /proc, for the inodes found.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
 * for the inodes the dumps find.  Then the thread joins: the dumps hand it
 * their inodes a batch at a time (hand_over), and it looks each up in the
 * pin and reads the processes it finds (PA_PROC_CMDLINE: what who and
 * check name).  Under the bench load the pin is often read 2 to 4 ms
 * before a check's 1,000-port dump ends, and joining and reading fifty
 * processes (some 1.5 ms) fit in that time instead of following it.
 * The thread looks the inodes up in the table's order, so each socket's
 * pairs follow the previous socket's: a count per socket says how many,
 * and no sort and no search of the pairs follow the dumps.
 * When the dumps end first (a who of one port, mostly), nothing is
 * gained by it: the caller joins as before (pa__pin_join).  Nor is an
 * index of the pin's 12,000 records worth building for a few inodes: the
 * thread waits for INDEX_MIN of them, and joins fewer at the end as the
 * caller would.
 */
#define PREFETCH_MAX 1024           /* processes read ahead, at most */
#define INDEX_MIN 64                /* inodes that pay for an index */

/* An inode handed over, and its socket's place in the table: 32 bits
 * each, for a check of 10,000 ports hands over as many (socket inodes
 * are 32-bit numbers; a larger one voids the counts). */
struct handed {
	uint32_t inode;
	uint32_t sock;
};

struct pin_read {
	pthread_t thread;
	int started, pipelined, rc;
	int mode;                   /* join_mode() */
	int streamed;               /* the thread joined while the dumps ran */
	char path[256];
	char *buf;
	size_t len;
	/* from the dumps (this thread) to the pin's, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct handed *todo;
	size_t ntodo, captodo;
	size_t handed;              /* sockets of the table handed over */
	int closed, lost;           /* lost: out of memory handing over, or
				     * sockets handed over were taken back */
	int declined;               /* the thread will not join: keep none */
	/* the pin thread's, read here once it is joined */
	struct pa__inopid *pairs;
	size_t npairs, cappairs;
	uint32_t *counts;           /* by socket: its pairs, in order */
	size_t ncounts, capcounts;
	struct pa_proc *procs;
	size_t nprocs, capprocs;
	int nomem;                  /* the thread ran out of memory */
	int64_t seen[2 * PREFETCH_MAX]; /* pids read: an open-addressing set */
};

/*
 * PORTALLOC_PIN_JOIN: "stream" has the thread join as the dumps hand their
 * inodes over even when they ended before the pin was read, "once" never
 * (the caller joins after the dumps); unset, the pin's timing decides.
 * For tests, which must take each way, and comparisons.
 */
enum { JOIN_AUTO, JOIN_STREAM, JOIN_ONCE };

static int
join_mode(void)
{
	const char *v = getenv("PORTALLOC_PIN_JOIN");

	if (v != NULL && strcmp(v, "stream") == 0)
		return JOIN_STREAM;
	if (v != NULL && strcmp(v, "once") == 0)
		return JOIN_ONCE;
	return JOIN_AUTO;
}

/* Adds pid to the set of pids read; 0 if it was there already. */
static int
seen_add(struct pin_read *p, int64_t pid)
{
	size_t k = (size_t)(((uint64_t)pid * 0x9E3779B97F4A7C15u) >> 40) &
	    (2 * PREFETCH_MAX - 1);

	while (p->seen[k] != 0 && p->seen[k] != pid)
		k = (k + 1) & (2 * PREFETCH_MAX - 1);
	if (p->seen[k] == pid)
		return 0;
	p->seen[k] = pid;
	return 1;
}

/* Reads the processes of pairs from..p->npairs not read yet. */
static void
read_procs(struct pin_read *p, size_t from)
{
	struct pa_proc *v;
	int64_t pid;

	for (; from < p->npairs; from++) {
		pid = p->pairs[from].pid;
		if (p->nprocs == PREFETCH_MAX || pid <= 0 || !seen_add(p, pid))
			continue;
		if (pa__grow(&p->procs, &p->capprocs, p->nprocs,
		    sizeof(*p->procs)) != 0)
			continue;   /* the caller reads it then */
		v = &p->procs[p->nprocs];
		if (pa__linux_proc_part(NULL, pid, PA_PROC_CMDLINE, v,
		    NULL) == 0)
			p->nprocs++;
	}
}

/* Room for socket sock's count, the counts between zeroed; 0 or -1. */
static int
count_room(struct pin_read *p, size_t sock)
{
	size_t n;

	while (sock >= p->capcounts) {
		n = p->ncounts;
		if (pa__grow(&p->counts, &p->capcounts, n, sizeof(*p->counts))
		    != 0)
			return -1;
		p->ncounts = n;
	}
	if (sock >= p->ncounts) {
		memset(p->counts + p->ncounts, 0,
		    (sock + 1 - p->ncounts) * sizeof(*p->counts));
		p->ncounts = sock + 1;
	}
	return 0;
}

/* The pairs of the handed inodes v[0..n) from the pin's index, appended
 * in the table's order with each socket's count, and their processes. */
static void
join_batch(struct pin_read *p, const struct pa__pinidx *ix,
    const struct handed *v, size_t n)
{
	size_t i, from;

	for (i = 0; i < n && !p->nomem; i++) {
		from = p->npairs;
		if (pa__pin_lookup(ix, v[i].inode, &p->pairs, &p->npairs,
		    &p->cappairs) != 0 || count_room(p, v[i].sock) != 0 ||
		    p->npairs - from > UINT32_MAX) {
			p->nomem = 1;
			break;
		}
		p->counts[v[i].sock] = (uint32_t)(p->npairs - from);
		read_procs(p, from);
	}
}

/* The dumps ended with few inodes (a who): joined without an index, the
 * pairs sorted by inode (pa__pin_join) and no counts. */
static void
join_few(struct pin_read *p, const struct handed *v, size_t n)
{
	uint64_t *inodes;
	size_t i;

	if (n == 0)
		return;
	if ((inodes = malloc(n * sizeof(*inodes))) == NULL) {
		p->nomem = 1;
		return;
	}
	for (i = 0; i < n; i++)     /* a set: any order will do */
		inodes[i] = v[i].inode;
	if (pa__pin_join(p->buf, p->len, inodes, n, &p->pairs, &p->npairs,
	    NULL) != 0) {
		free(inodes);
		p->nomem = 1;
		return;
	}
	free(inodes);
	p->cappairs = p->npairs;
	read_procs(p, 0);
}

static void *
pin_thread(void *arg)
{
	struct pin_read *p = arg;
	struct pa__pinidx ix;
	struct handed *batch;
	size_t n;
	int few;

	p->rc = pa__pin_read(p->path, &p->buf, &p->len, NULL);
	if (!p->pipelined)
		return NULL;
	/* the dumps ended first (a who): the caller joins them at once */
	pthread_mutex_lock(&p->mu);
	p->streamed = p->rc == 0 && (p->mode == JOIN_STREAM ||
	    (p->mode == JOIN_AUTO && !p->closed));
	p->declined = !p->streamed;
	pthread_mutex_unlock(&p->mu);
	if (!p->streamed)
		return NULL;
	memset(&ix, 0, sizeof(ix));
	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* until there are inodes enough to pay for the index (or
		 * the dumps end), they wait */
		while (!p->closed && (p->ntodo == 0 ||
		    (ix.head == NULL && p->ntodo < INDEX_MIN)))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->ntodo == 0)
			break;
		batch = p->todo;
		n = p->ntodo;
		p->todo = NULL;
		p->ntodo = p->captodo = 0;
		/* only at the end, and only without an index yet */
		few = ix.head == NULL && n < INDEX_MIN;
		pthread_mutex_unlock(&p->mu);
		if (few)
			join_few(p, batch, n);
		else if (!p->nomem && (ix.head != NULL ||
		    pa__pin_index(p->buf, p->len, &ix) == 0))
			join_batch(p, &ix, batch, n);
		else
			p->nomem = 1;
		free(batch);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	pa__pinidx_free(&ix);
	return NULL;
}

/* sv's sockets not yet handed over, to the pin thread (sv->grew). */
static void
hand_over(void *arg, const struct pa__sockvec *sv)
{
	struct pin_read *p = arg;
	size_t i;

	pthread_mutex_lock(&p->mu);
	if (sv->n < p->handed) {    /* a failed dump took its sockets back */
		p->handed = sv->n;
		p->lost = 1;        /* their counts are no longer theirs */
	}
	for (i = p->handed; i < sv->n && !p->declined && !p->lost; i++) {
		if (sv->v[i].inode == 0)
			continue;
		if (sv->v[i].inode > UINT32_MAX || i > UINT32_MAX ||
		    pa__grow(&p->todo, &p->captodo, p->ntodo,
		    sizeof(*p->todo)) != 0) {
			p->lost = 1;
			break;
		}
		p->todo[p->ntodo].inode = (uint32_t)sv->v[i].inode;
		p->todo[p->ntodo++].sock = (uint32_t)i;
	}
	p->handed = sv->n;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Starts reading the pin, unless PORTALLOC_ACCEL=0 (rc PA_ENOTSUP); sv
 * hands its sockets over as the dumps add them. */
static void
pin_start(struct pin_read *p, struct pa__sockvec *sv)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((p->rc = pa__accel_pin(p->path, sizeof(p->path))) != 0)
		return;
	p->mode = join_mode();
	p->pipelined = p->mode != JOIN_ONCE;
	p->started = pthread_create(&p->thread, NULL, pin_thread, p) == 0;
	if (!p->started) {
		p->pipelined = 0;
		pin_thread(p);
	} else if (p->pipelined) {
		sv->grew = hand_over;
		sv->grew_arg = p;
	}
}

/* The last sockets handed over, and the thread joined. */
static void
pin_finish(struct pin_read *p, struct pa__sockvec *sv)
{
	sv->grew = NULL;
	if (!p->started)
		return;
	if (p->pipelined) {
		hand_over(p, sv);
		pthread_mutex_lock(&p->mu);
		p->closed = 1;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_join(p->thread, NULL);
	p->started = 0;
}

static void
pin_free(struct pin_read *p)
{
	free(p->buf);
	free(p->todo);
	free(p->pairs);
	free(p->counts);
	free(p->procs);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

static int
by_pid(const void *a, const void *b)
{
	const struct pa_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * The pairs from a scan of /proc.  It sees every process's descriptors
 * only as root (hidepid may even hide other users' processes from the
 * listing) and outside a PID namespace of its own: else t->partial.  The
 * pin always sees them all.
 */
static int
scan_pairs(struct pa_socktab *t, const uint64_t *inodes, size_t ni,
    struct pa__inopid **pairs, size_t *np, struct pa_error *err)
{
	int rc;

	rc = pa__procfd_scan("/proc", inodes, ni, pairs, np, &t->unreadable,
	    err);
	t->partial = t->unreadable > 0 || geteuid() != 0 ||
	    pa__linux_nested_pidns();
	return rc;
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
	return scan_pairs(t, inodes, ni, pairs, np, err);
}

/* Gives each socket its pids from the pairs, which come socket after
 * socket, counts[i] of them for socket i: ascending, each once (threads
 * with descriptor tables of their own repeat a pair), as attach_pids gives
 * them. */
static int
attach_counted(struct pa_socktab *t, const struct pin_read *p)
{
	struct pa_sock *s;
	size_t i, j = 0, k, end;
	int64_t pid;

	if ((t->pids = malloc((p->npairs + 1) * sizeof(*t->pids))) == NULL)
		return PA_ENOMEM;
	for (i = 0; i < t->n; i++) {
		s = &t->socks[i];
		s->first_pid = t->npids;
		if (s->inode == 0 || i >= p->ncounts)
			continue;
		for (end = j + p->counts[i]; j < end; j++) {
			pid = p->pairs[j].pid;
			for (k = t->npids; k > s->first_pid &&
			    t->pids[k - 1] > pid; k--)
				;
			if (k > s->first_pid && t->pids[k - 1] == pid)
				continue;
			memmove(t->pids + k + 1, t->pids + k,
			    (t->npids - k) * sizeof(*t->pids));
			t->pids[k] = pid;
			t->npids++;
		}
		s->npids = t->npids - s->first_pid;
	}
	return 0;
}

/* The holders from what the pin thread joined, and the processes it
 * read. */
static int
joined_holders(struct pa_socktab *t, struct pin_read *p,
    struct pa_error *err)
{
	int rc;

	t->source = source_name(t->source, 0);
	if (p->ncounts > 0)
		rc = attach_counted(t, p);
	else            /* join_few's pairs, or none */
		rc = attach_pids(t, p->pairs,
		    pa__inopid_unique(p->pairs, p->npairs));
	if (rc != 0)
		return pa__err(err, PA_ENOMEM, "out of memory");
	if (p->nprocs > 1)
		qsort(p->procs, p->nprocs, sizeof(*p->procs), by_pid);
	t->procs = p->procs;
	t->nprocs = p->nprocs;
	p->procs = NULL;
	return 0;
}

/*
 * When the pin's thread did not read the holders' processes (the dumps
 * ended before the pin was read, or there is no pin), they are read here
 * before the core asks for them one by one: in two threads at once, for
 * reading fifty processes takes some 2 ms.  Fewer than PAR_MIN are left
 * to the core.  A process that cannot be read is left out: the core asks
 * again and learns why.
 */
#define PAR_MIN 16

struct proc_half {
	pthread_t thread;
	const int64_t *pids;
	size_t n, nout;
	struct pa_proc *out;
};

static void *
read_half(void *arg)
{
	struct proc_half *h = arg;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (pa__linux_proc_part(NULL, h->pids[i], PA_PROC_CMDLINE,
		    &h->out[h->nout], NULL) == 0)
			h->nout++;
	return NULL;
}

static int
by_pid64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* t->procs: the processes of pairs[0..np), sorted by pid. */
static void
read_ahead(struct pa_socktab *t, const struct pa__inopid *pairs, size_t np)
{
	struct proc_half h[2];
	int64_t *pids;
	size_t i, n = 0;
	int started;

	if (np < PAR_MIN || (pids = malloc(np * sizeof(*pids))) == NULL)
		return;
	for (i = 0; i < np; i++)
		if (pairs[i].pid > 0)
			pids[n++] = pairs[i].pid;
	qsort(pids, n, sizeof(*pids), by_pid64);
	for (i = 0, np = n, n = 0; i < np; i++)
		if (n == 0 || pids[n - 1] != pids[i])
			pids[n++] = pids[i];
	n = n < PREFETCH_MAX ? n : PREFETCH_MAX;
	if (n < PAR_MIN || (t->procs = malloc(n * sizeof(*t->procs))) ==
	    NULL) {
		free(pids);
		return;
	}
	memset(h, 0, sizeof(h));
	h[0].pids = pids;
	h[0].n = n / 2;
	h[0].out = t->procs;
	h[1].pids = pids + n / 2;
	h[1].n = n - n / 2;
	h[1].out = t->procs + n / 2;
	started = pthread_create(&h[1].thread, NULL, read_half, &h[1]) == 0;
	read_half(&h[0]);
	if (started)
		pthread_join(h[1].thread, NULL);
	else
		read_half(&h[1]);
	memmove(t->procs + h[0].nout, h[1].out, h[1].nout * sizeof(*t->procs));
	t->nprocs = h[0].nout + h[1].nout;
	free(pids);
}

static int
find_holders(struct pa_socktab *t, const struct pa__sockvec *sv,
    struct pin_read *p, struct pa_error *err)
{
	struct pa__inopid *pairs = NULL;
	uint64_t *inodes;
	size_t ni, np = 0;
	int rc = 0;

	if (p->rc == 0 && p->streamed && !p->nomem && !p->lost)
		return joined_holders(t, p, err);
	if ((inodes = inodes_of(sv, &ni)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	if (ni > 0)
		rc = holder_pairs(t, p, inodes, ni, &pairs, &np, err);
	if (rc == 0 && attach_pids(t, pairs, np) != 0)
		rc = pa__err(err, PA_ENOMEM, "out of memory");
	if (rc == 0)
		read_ahead(t, pairs, np);
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
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };
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
		pin_start(&pin, &sv);
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
		pin_finish(&pin, &sv);
		if (rc == 0)
			rc = find_holders(t, &sv, &pin, err);
		pin_free(&pin);
	}
	if (rc != 0)
		pa__socktab_free(t);
	return rc;
}

/* A sockets call running in a thread of its own (sockets_start). */
struct sock_job {
	pthread_t thread;
	int started, pids, rc;
	struct pa_portq *q;
	size_t nq;
	struct pa_socktab t;
	struct pa_error err;
};

static void *
job_run(void *arg)
{
	struct sock_job *j = arg;

	j->rc = pa__linux_sockets(NULL, j->q, j->nq, j->pids, &j->t, &j->err);
	return NULL;
}

int
pa__linux_sockets_start(void *ctx, const struct pa_portq *q, size_t nq,
    int pids, void **job, struct pa_error *err)
{
	struct sock_job *j;

	(void)ctx;
	*job = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->q = malloc((nq + 1) * sizeof(*q))) == NULL) {
		free(j);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	memcpy(j->q, q, nq * sizeof(*q));
	j->nq = nq;
	j->pids = pids;
	j->started = pthread_create(&j->thread, NULL, job_run, j) == 0;
	if (!j->started)
		job_run(j);
	*job = j;
	return 0;
}

int
pa__linux_sockets_wait(void *ctx, void *job, struct pa_socktab *t,
    struct pa_error *err)
{
	struct sock_job *j = job;
	int rc;

	(void)ctx;
	if (j->started)
		pthread_join(j->thread, NULL);
	if ((rc = j->rc) != 0 && err != NULL)
		*err = j->err;
	if (rc == 0 && t != NULL)
		*t = j->t;
	else
		pa__socktab_free(&j->t);
	free(j->q);
	free(j);
	return rc;
}

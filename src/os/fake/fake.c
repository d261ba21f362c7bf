/* The in-memory OS of the unit tests; see fake.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/fake/fake.h"

#define MAX_PROCS 256

struct fake_proc {
	struct pa_proc p;
	int hidden;
};

#define MAX_SOCKS 256
#define MAX_SOCK_PIDS 8

struct fake_sock {
	struct pa_sock s;
	int64_t pids[MAX_SOCK_PIDS];
};

#define MAX_BLOCKS 32
#define MAX_BOUND 1024

struct fake_block {
	unsigned proto;
	uint16_t first, last;
};

/* A socket the core bound; port 0: a free slot. */
struct fake_bound {
	unsigned proto;
	uint16_t port;
};

struct pa_fake {
	struct fake_sock socks[MAX_SOCKS];
	size_t nsocks;
	unsigned dumps;
	struct pa_os os;
	int64_t now, self, parent, uid;
	char boot[48];
	struct fake_proc procs[MAX_PROCS];
	size_t nprocs;
	unsigned char held[65536]; /* protocol bits held, by port */
	uint16_t eph_first, eph_last;
	unsigned probes;
	int probe_error;
	/* OS port reservations */
	char netns[64];
	char *reserved;             /* the list, as last written */
	char *dropin;               /* NULL: no drop-in */
	int reserved_error, dropin_error;
	int locked;
	unsigned reserved_writes, unlocked_writes;
	/* held ports for exec --listen: fd 1000 + port while open */
	unsigned char listen_busy[65536]; /* listen fails, probe does not */
	unsigned char listening[65536];
	unsigned nlistening;
	/* reservations in blocks, and bound sockets */
	struct fake_block blocks[MAX_BLOCKS];
	size_t nblocks;
	char blocks_text[MAX_BLOCKS * 24 + 1];
	int create_error, delete_error, resv_bind_error;
	unsigned resv_binds;
	struct fake_bound bound[MAX_BOUND];
};

static struct fake_proc *
find(struct pa_fake *f, int64_t pid)
{
	size_t i;

	for (i = 0; i < f->nprocs; i++)
		if (f->procs[i].p.pid == pid)
			return &f->procs[i];
	return NULL;
}

static int64_t fake_now(void *ctx) { return ((struct pa_fake *)ctx)->now; }
static int64_t fake_self(void *ctx) { return ((struct pa_fake *)ctx)->self; }
static int64_t fake_parent(void *ctx) { return ((struct pa_fake *)ctx)->parent; }
static int64_t fake_uid(void *ctx) { return ((struct pa_fake *)ctx)->uid; }
static const char *fake_boot(void *ctx) { return ((struct pa_fake *)ctx)->boot; }

static int
fake_proc(void *ctx, int64_t pid, struct pa_proc *p, struct pa_error *err)
{
	struct fake_proc *fp = find(ctx, pid);

	(void)err;
	memset(p, 0, sizeof(*p));
	if (fp == NULL)
		return PA_ESRCH;
	if (fp->hidden) {
		p->pid = pid;
		p->uid = -1;
		return 0;
	}
	*p = fp->p;
	return 0;
}

/* Is port bound by one of the core's sockets of a protocol in protos? */
static int
fake_bound_by(const struct pa_fake *f, uint16_t port, unsigned protos)
{
	size_t i;

	for (i = 0; i < MAX_BOUND; i++)
		if (f->bound[i].port == port && (f->bound[i].proto & protos))
			return 1;
	return 0;
}

static int
fake_probe(void *ctx, const struct pa_addr *addrs, int n, uint16_t port,
    unsigned protos, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	(void)addrs;
	(void)n;
	f->probes++;
	if (f->probe_error)
		return pa__err(err, f->probe_error, "fake probe failure");
	return (f->held[port] & protos) || fake_bound_by(f, port, protos) ?
	    PA_EINUSE : 0;
}

static int
fake_ephemeral(void *ctx, uint16_t *first, uint16_t *last)
{
	struct pa_fake *f = ctx;

	if (f->eph_first == 0)
		return PA_EOS;
	*first = f->eph_first;
	*last = f->eph_last;
	return 0;
}

static int
fake_default_store(void *ctx, char *buf, size_t len, struct pa_error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return pa__err(err, PA_ESTORE, "the fake OS has no default store");
}

static int
fake_prepare_store(void *ctx, const char *path, struct pa_error *err)
{
	const struct pa_os *real = pa__os_native();

	(void)ctx;
	return real->prepare_store(real->ctx, path, err);
}

static int
fake_sockets(void *ctx, const struct pa_portq *q, size_t nq, int pids,
    struct pa_socktab *t, struct pa_error *err)
{
	struct pa_fake *f = ctx;
	const struct fake_sock *fs;
	size_t i, j, k;

	(void)err;
	memset(t, 0, sizeof(*t));
	t->source = "fake";
	f->dumps++;
	t->socks = calloc(f->nsocks + 1, sizeof(*t->socks));
	t->pids = calloc(f->nsocks * MAX_SOCK_PIDS + 1, sizeof(*t->pids));
	if (t->socks == NULL || t->pids == NULL) {
		pa__socktab_free(t);
		return PA_ENOMEM;
	}
	for (i = 0; i < f->nsocks; i++) {
		fs = &f->socks[i];
		for (j = 0; j < nq; j++)
			if (fs->s.lport >= q[j].first &&
			    fs->s.lport <= q[j].last &&
			    (q[j].protos & fs->s.proto))
				break;
		if (j == nq)
			continue;
		t->socks[t->n] = fs->s;
		t->socks[t->n].first_pid = t->npids;
		t->socks[t->n].npids = pids ? fs->s.npids : 0;
		for (k = 0; pids && k < fs->s.npids; k++)
			t->pids[t->npids++] = fs->pids[k];
		t->n++;
	}
	return 0;
}

static void
fake_user_name(void *ctx, int64_t uid, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "user%lld", (long long)uid);
}

void
pa_fake_add_sock(struct pa_fake *f, unsigned proto, int family,
    uint16_t port, int state, const int64_t *pids, size_t npids)
{
	struct fake_sock *fs;

	if (f->nsocks == MAX_SOCKS || npids > MAX_SOCK_PIDS)
		abort();
	fs = &f->socks[f->nsocks++];
	memset(fs, 0, sizeof(*fs));
	fs->s.proto = proto;
	fs->s.family = family;
	if (family == 4) {
		fs->s.local[0] = 127;
		fs->s.local[3] = 1;
	} else {
		fs->s.local[15] = 1;
	}
	fs->s.lport = port;
	fs->s.state = state;
	fs->s.uid = 1000;
	fs->s.inode = npids ? 10000 + f->nsocks : 0;
	fs->s.npids = npids;
	if (npids)
		memcpy(fs->pids, pids, npids * sizeof(*pids));
}

unsigned
pa_fake_dumps(const struct pa_fake *f)
{
	return f->dumps;
}
static void fake_reserve_init(struct pa_fake *f);
static void fake_socks_init(struct pa_fake *f);

/* A "socket" is fd 1000 + port; a held or busy port cannot be listened on. */
static int
fake_listen(void *ctx, const struct pa_addr *a, uint16_t port, int *fd,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;

	(void)a;
	(void)err;
	*fd = -1;
	if (f->listen_busy[port] || (f->held[port] & PA_TCP) ||
	    f->listening[port])
		return PA_EINUSE;
	f->listening[port] = 1;
	f->nlistening++;
	*fd = 1000 + port;
	return 0;
}

static void
fake_unlisten(void *ctx, int fd)
{
	struct pa_fake *f = ctx;

	if (fd < 1000 || fd > 1000 + 65535 || !f->listening[fd - 1000])
		abort(); /* closing what was never opened */
	f->listening[fd - 1000] = 0;
	f->nlistening--;
}

void
pa_fake_busy_listen(struct pa_fake *f, uint16_t port)
{
	f->listen_busy[port] = 1;
}

unsigned
pa_fake_listening(const struct pa_fake *f)
{
	return f->nlistening;
}

struct pa_fake *
pa_fake_new(void)
{
	struct pa_fake *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->os.ctx = f;
	f->os.now = fake_now;
	f->os.self_pid = fake_self;
	f->os.parent_pid = fake_parent;
	f->os.self_uid = fake_uid;
	f->os.proc = fake_proc;
	f->os.boot_id = fake_boot;
	f->os.probe = fake_probe;
	f->os.ephemeral_range = fake_ephemeral;
	f->os.default_store = fake_default_store;
	f->os.prepare_store = fake_prepare_store;
	f->os.sockets = fake_sockets;
	f->os.user_name = fake_user_name;
	f->os.listen = fake_listen;
	f->os.unlisten = fake_unlisten;
	fake_reserve_init(f);
	fake_socks_init(f);
	f->now = 1000000000;
	strcpy(f->boot, "fake-boot-1");
	pa_fake_set_self(f, 100, 99, 1000);
	return f;
}

void
pa_fake_free(struct pa_fake *f)
{
	if (f == NULL)
		return;
	free(f->reserved);
	free(f->dropin);
	free(f);
}

const struct pa_os *
pa_fake_os(struct pa_fake *f)
{
	return &f->os;
}

void
pa_fake_set_now(struct pa_fake *f, int64_t now)
{
	f->now = now;
}

void
pa_fake_set_self(struct pa_fake *f, int64_t pid, int64_t ppid, int64_t uid)
{
	f->self = pid;
	f->parent = ppid;
	f->uid = uid;
	pa_fake_add_proc(f, pid, ppid, 5000, uid, "portalloc");
	if (find(f, ppid) == NULL)
		pa_fake_add_proc(f, ppid, 1, 4000, uid, "sh");
}

void
pa_fake_set_boot(struct pa_fake *f, const char *boot_id)
{
	pa__strlcpy(f->boot, boot_id, sizeof(f->boot));
}

void
pa_fake_add_proc(struct pa_fake *f, int64_t pid, int64_t ppid,
    uint64_t start, int64_t uid, const char *cmdline)
{
	struct fake_proc *fp = find(f, pid);

	if (fp == NULL) {
		if (f->nprocs == MAX_PROCS)
			abort();
		fp = &f->procs[f->nprocs++];
	}
	memset(fp, 0, sizeof(*fp));
	fp->p.pid = pid;
	fp->p.ppid = ppid;
	fp->p.start = start;
	fp->p.uid = uid;
	pa__strlcpy(fp->p.cmdline, cmdline, sizeof(fp->p.cmdline));
	pa__strlcpy(fp->p.name, cmdline, sizeof(fp->p.name));
}

void
pa_fake_add_hidden_proc(struct pa_fake *f, int64_t pid)
{
	pa_fake_add_proc(f, pid, 1, 0, -1, "");
	find(f, pid)->hidden = 1;
}

void
pa_fake_kill(struct pa_fake *f, int64_t pid)
{
	struct fake_proc *fp = find(f, pid);

	if (fp != NULL)
		*fp = f->procs[--f->nprocs];
}

void
pa_fake_hold(struct pa_fake *f, uint16_t port, unsigned protos)
{
	f->held[port] |= (unsigned char)protos;
}

void
pa_fake_unhold(struct pa_fake *f, uint16_t port)
{
	f->held[port] = 0;
}

void
pa_fake_set_ephemeral(struct pa_fake *f, uint16_t first, uint16_t last)
{
	f->eph_first = first;
	f->eph_last = last;
}

unsigned
pa_fake_probes(const struct pa_fake *f)
{
	return f->probes;
}

void
pa_fake_fail_probes(struct pa_fake *f, int code)
{
	f->probe_error = code;
}

/*
 * OS port reservations: the reserved list and the drop-in are strings;
 * writes fail with the code the test set; a write made without the lock
 * is counted.
 */
static int
fake_netns_id(void *ctx, char *buf, size_t len, struct pa_error *err)
{
	(void)err;
	pa__strlcpy(buf, ((struct pa_fake *)ctx)->netns, len);
	return 0;
}

/* A malloc'd copy of s into *text. */
static int
copy_out(const char *s, char **text, struct pa_error *err)
{
	if ((*text = strdup(s)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	return 0;
}

static int
fake_reserved_read(void *ctx, char **text, struct pa_error *err)
{
	return copy_out(((struct pa_fake *)ctx)->reserved, text, err);
}

static int
fake_reserved_write(void *ctx, const char *text, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->reserved_error)
		return pa__err(err, f->reserved_error, "cannot write the "
		    "fake reserved ports: Permission denied");
	f->reserved_writes++;
	f->unlocked_writes += !f->locked;
	pa_fake_set_reserved(f, text);
	return 0;
}

static int
fake_reserved_lock(void *ctx, int *handle, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->locked)   /* one process: a second lock would deadlock */
		return pa__err(err, PA_EOS, "fake reserved list locked twice");
	f->locked = 1;
	*handle = 7;
	return 0;
}

static void
fake_reserved_unlock(void *ctx, int handle)
{
	struct pa_fake *f = ctx;

	if (handle == 7)
		f->locked = 0;
}

static const char *
fake_dropin_path(void *ctx)
{
	(void)ctx;
	return "/fake/sysctl.d/60-portalloc.conf";
}

static int
fake_dropin_read(void *ctx, char **text, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->dropin == NULL)
		return pa__err(err, PA_ENOENT, "no fake drop-in");
	return copy_out(f->dropin, text, err);
}

static int
fake_dropin_write(void *ctx, const char *text, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->dropin_error)
		return pa__err(err, f->dropin_error, "cannot write the fake "
		    "drop-in: Permission denied");
	pa_fake_set_dropin(f, text);
	return 0;
}

static const struct pa__resv_list_ops fake_list_ops = {
	fake_netns_id,
	fake_reserved_read,
	fake_reserved_write,
	fake_reserved_lock,
	fake_reserved_unlock,
	fake_dropin_path,
	fake_dropin_read,
	fake_dropin_write,
};

static void
fake_reserve_init(struct pa_fake *f)
{
	f->os.resv_list = &fake_list_ops;
	pa__strlcpy(f->netns, "net:[4026531840]", sizeof(f->netns));
	pa_fake_set_reserved(f, "");
}

void
pa_fake_set_netns(struct pa_fake *f, const char *id)
{
	pa__strlcpy(f->netns, id, sizeof(f->netns));
}

void
pa_fake_set_reserved(struct pa_fake *f, const char *list)
{
	char *copy = strdup(list);

	if (copy == NULL)
		abort();
	free(f->reserved);
	f->reserved = copy;
}

const char *
pa_fake_reserved(const struct pa_fake *f)
{
	return f->reserved;
}

unsigned
pa_fake_reserved_writes(const struct pa_fake *f)
{
	return f->reserved_writes;
}

unsigned
pa_fake_unlocked_writes(const struct pa_fake *f)
{
	return f->unlocked_writes;
}

void
pa_fake_fail_reserved_write(struct pa_fake *f, int code)
{
	f->reserved_error = code;
}

void
pa_fake_set_dropin(struct pa_fake *f, const char *text)
{
	char *copy = text ? strdup(text) : NULL;

	if (text != NULL && copy == NULL)
		abort();
	free(f->dropin);
	f->dropin = copy;
}

const char *
pa_fake_dropin(const struct pa_fake *f)
{
	return f->dropin;
}

void
pa_fake_fail_dropin_write(struct pa_fake *f, int code)
{
	f->dropin_error = code;
}

/*
 * Sockets the core binds: handles are slot + 1.
 */
static int
fake_bind(struct pa_fake *f, unsigned proto, uint16_t port, pa_socket_t *sock,
    struct pa_error *err)
{
	size_t i;

	if ((f->held[port] & proto) || fake_bound_by(f, port, proto))
		return pa__err(err, PA_EINUSE, "fake port %u in use", port);
	for (i = 0; i < MAX_BOUND && f->bound[i].port != 0; i++)
		;
	if (i == MAX_BOUND)
		return pa__err(err, PA_EOS, "too many fake sockets");
	f->bound[i].proto = proto;
	f->bound[i].port = port;
	*sock = (pa_socket_t)(i + 1);
	return 0;
}

static int
fake_bind_port(void *ctx, unsigned proto, const struct pa_addr *addr,
    uint16_t port, pa_socket_t *sock, struct pa_error *err)
{
	(void)addr;
	return fake_bind(ctx, proto, port, sock, err);
}

void
pa_fake_sock_close(struct pa_fake *f, pa_socket_t s)
{
	size_t i = (size_t)s - 1;

	if (s == 0 || i >= MAX_BOUND || f->bound[i].port == 0)
		abort(); /* closing what is not open: a bug in the core */
	f->bound[i].port = 0;
}

static void
fake_sock_close(void *ctx, pa_socket_t s)
{
	pa_fake_sock_close(ctx, s);
}

unsigned
pa_fake_open_socks(const struct pa_fake *f)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < MAX_BOUND; i++)
		n += f->bound[i].port != 0;
	return n;
}

uint16_t
pa_fake_sock_port(const struct pa_fake *f, pa_socket_t s)
{
	size_t i = (size_t)s - 1;

	return s != 0 && i < MAX_BOUND ? f->bound[i].port : 0;
}

static void
fake_socks_init(struct pa_fake *f)
{
	f->os.bind_port = fake_bind_port;
	f->os.sock_close = fake_sock_close;
}

/*
 * Reservations as ranges the OS owns (as on Windows); the API's "block"
 * is such a range.
 */
static struct fake_block *
find_block(struct pa_fake *f, unsigned proto, uint16_t first, uint16_t last)
{
	size_t i;

	for (i = 0; i < f->nblocks; i++)
		if (f->blocks[i].proto == proto &&
		    f->blocks[i].first == first && f->blocks[i].last == last)
			return &f->blocks[i];
	return NULL;
}

static int
fake_range_lookup(void *ctx, unsigned proto, uint16_t first, uint16_t last,
    struct pa_error *err)
{
	if (find_block(ctx, proto, first, last) == NULL)
		return pa__err(err, PA_ENOENT, "no fake reservation");
	return 0;
}

static int
fake_range_create(void *ctx, unsigned proto, uint16_t first, uint16_t last,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	const struct fake_block *b;
	size_t i;
	unsigned p;

	if (f->create_error)
		return pa__err(err, f->create_error, "cannot create the fake "
		    "reservation: Access is denied");
	for (i = 0; i < f->nblocks; i++) {
		b = &f->blocks[i];
		if (b->proto == proto && b->first <= last && b->last >= first)
			return pa__err(err, PA_EINUSE, "overlaps the fake "
			    "reservation %u-%u", b->first, b->last);
	}
	for (p = first; p <= last; p++)
		if (f->held[p] & proto)
			return pa__err(err, PA_EINUSE, "fake port %u in use",
			    p);
	pa_fake_add_block(f, proto, first, last);
	return 0;
}

static int
fake_range_remove(void *ctx, unsigned proto, uint16_t first, uint16_t last,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	struct fake_block *b;

	if (f->delete_error)
		return pa__err(err, f->delete_error, "cannot delete the fake "
		    "reservation: Access is denied");
	if ((b = find_block(f, proto, first, last)) == NULL)
		return pa__err(err, PA_ENOENT, "no fake reservation");
	*b = f->blocks[--f->nblocks];
	return 0;
}

static int
fake_range_bind(void *ctx, uint16_t first, uint16_t last, unsigned proto,
    const struct pa_addr *addr, uint16_t *port, pa_socket_t *sock,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	unsigned p;

	(void)addr;
	f->resv_binds++;
	if (f->resv_bind_error)
		return pa__err(err, f->resv_bind_error, "fake association "
		    "refused");
	if (find_block(f, proto, first, last) == NULL)
		return pa__err(err, PA_ENOENT, "no fake reservation");
	for (p = first; p <= last; p++) {
		if ((f->held[p] & proto) || fake_bound_by(f, (uint16_t)p,
		    proto))
			continue;
		*port = (uint16_t)p;
		return fake_bind(f, proto, (uint16_t)p, sock, err);
	}
	return pa__err(err, PA_EFULL, "fake reservation full");
}

static const struct pa__resv_range_ops fake_range_ops = {
	fake_range_lookup,
	fake_range_create,
	fake_range_remove,
	fake_range_bind,
};

void
pa_fake_use_blocks(struct pa_fake *f)
{
	f->os.resv_list = NULL;
	f->os.resv_range = &fake_range_ops;
}

void
pa_fake_add_block(struct pa_fake *f, unsigned proto, uint16_t first,
    uint16_t last)
{
	if (f->nblocks == MAX_BLOCKS)
		abort();
	f->blocks[f->nblocks].proto = proto;
	f->blocks[f->nblocks].first = first;
	f->blocks[f->nblocks++].last = last;
}

static int
block_order(const void *a, const void *b)
{
	const struct fake_block *x = a, *y = b;

	if (x->first != y->first)
		return (int)x->first - (int)y->first;
	return (int)x->proto - (int)y->proto;
}

const char *
pa_fake_blocks(struct pa_fake *f)
{
	size_t i, off = 0;

	qsort(f->blocks, f->nblocks, sizeof(f->blocks[0]), block_order);
	f->blocks_text[0] = '\0';
	for (i = 0; i < f->nblocks; i++)
		off += (size_t)snprintf(f->blocks_text + off,
		    sizeof(f->blocks_text) - off, "%s%s:%u-%u", i ? "," : "",
		    f->blocks[i].proto == PA_TCP ? "tcp" : "udp",
		    f->blocks[i].first, f->blocks[i].last);
	return f->blocks_text;
}

void
pa_fake_fail_block_create(struct pa_fake *f, int code)
{
	f->create_error = code;
}

void
pa_fake_fail_block_delete(struct pa_fake *f, int code)
{
	f->delete_error = code;
}

void
pa_fake_fail_resv_bind(struct pa_fake *f, int code)
{
	f->resv_bind_error = code;
}

unsigned
pa_fake_resv_binds(const struct pa_fake *f)
{
	return f->resv_binds;
}

/*
 * The in-memory OS of the unit tests (see fake.h): processes, the clock,
 * who is calling, and the table of operations.  The sockets are in
 * fake-sock.c, the reservations in fake-resv.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "fake/fake-impl.h"


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
	((struct pa_fake *)ctx)->proc_reads++;
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

/* proc_cmdline of os.h: the whole command line a test gave. */
static int
fake_proc_cmdline(void *ctx, int64_t pid, char *buf, size_t len, int *cut,
    struct pa_error *err)
{
	struct fake_proc *fp = find(ctx, pid);

	(void)err;
	if (fp == NULL || fp->hidden)
		return PA_ESRCH;
	*cut = pa__strlcpy(buf, fp->full ? fp->full : fp->p.cmdline, len);
	return 0;
}

/* ns_proc of os.h over the table of processes. */
static int
fake_ns_proc(void *ctx, uint64_t pidns, int64_t nspid, struct pa_proc *p,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	int seen = 0;
	size_t i;

	for (i = 0; i < f->nprocs; i++) {
		if (f->procs[i].p.pidns != pidns)
			continue;
		seen = 1;
		if (f->procs[i].p.nspid == nspid)
			return fake_proc(f, f->procs[i].p.pid, p, err);
	}
	return seen || f->initial_ns ? PA_ESRCH : PA_ENOENT;
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


static void
fake_user_name(void *ctx, int64_t uid, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "user%lld", (long long)uid);
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
	f->os.proc_cmdline = fake_proc_cmdline;
	f->os.ns_proc = fake_ns_proc;
	f->os.boot_id = fake_boot;
	f->os.ephemeral_range = fake_ephemeral;
	f->os.default_store = fake_default_store;
	f->os.prepare_store = fake_prepare_store;
	f->os.user_name = fake_user_name;
	fake_reserve_init(f);
	fake_socks_init(f);
	f->now = 1000000000;
	strcpy(f->boot, "fake-boot-1");
	pa_fake_set_self(f, 100, 99, 1000);
	pa_fake_add_proc(f, PA_FAKE_FOREIGN, 1, 3000, 2000, "foreign");
	return f;
}

void
pa_fake_free(struct pa_fake *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nprocs; i++)
		free(f->procs[i].full);
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
	free(fp->full);
	memset(fp, 0, sizeof(*fp));
	if ((fp->full = strdup(cmdline)) == NULL)
		abort();
	fp->p.pid = pid;
	fp->p.ppid = ppid;
	fp->p.start = start;
	fp->p.uid = uid;
	pa__strlcpy(fp->p.cmdline, cmdline, sizeof(fp->p.cmdline));
	pa__strlcpy(fp->p.name, cmdline, sizeof(fp->p.name));
}

void
pa_fake_set_ns(struct pa_fake *f, int64_t pid, uint64_t pidns, int64_t nspid,
    uint64_t pidid)
{
	struct fake_proc *fp = find(f, pid);

	if (fp == NULL)
		abort();
	fp->p.pidns = pidns;
	fp->p.nspid = nspid;
	fp->p.pidid = pidid;
}

void
pa_fake_set_initial_ns(struct pa_fake *f, int initial)
{
	f->initial_ns = initial;
}

void
pa_fake_set_parent(struct pa_fake *f, int64_t ppid)
{
	struct fake_proc *fp = find(f, f->self);

	f->parent = ppid;
	if (fp != NULL)
		fp->p.ppid = ppid;
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

	if (fp != NULL) {
		free(fp->full);
		*fp = f->procs[--f->nprocs];
		f->procs[f->nprocs].full = NULL;
	}
}

void
pa_fake_set_ephemeral(struct pa_fake *f, uint16_t first, uint16_t last)
{
	f->eph_first = first;
	f->eph_last = last;
}

unsigned
pa_fake_proc_reads(const struct pa_fake *f)
{
	return f->proc_reads;
}

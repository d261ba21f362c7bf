/*
 * Which processes hold a socket: a scan of /proc/PID/fd.  Everything is
 * relative to directory descriptors (openat, getdents64, readlinkat), so no
 * path is built or resolved per descriptor.  Or, where `portalloc accel`
 * pinned its BPF iterator and this process may read it, the same pairs
 * from one read of the pin (pa__pin_read, pa__pin_join).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "base/base.h"
#include "os/linux/linux.h"
#include "os/linux/bpf/sockfd.h"

#define DENTS_SIZE (32 * 1024)

struct scan {
	const uint64_t *inodes;
	size_t n;
	struct pa__inopid *out;
	size_t nout, cap;
	char *dents;
};

/* A directory entry name made only of digits, as a number; -1 otherwise. */
static int64_t
numeric_name(const char *s)
{
	int64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > INT32_MAX)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int
wanted(const struct scan *sc, uint64_t inode)
{
	size_t lo = 0, hi = sc->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sc->inodes[mid] == inode)
			return 1;
		if (sc->inodes[mid] < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
record(struct scan *sc, uint64_t inode, int64_t pid)
{
	struct pa__inopid *v;
	size_t cap;

	if (sc->nout == sc->cap) {
		cap = sc->cap ? 2 * sc->cap : 64;
		if ((v = realloc(sc->out, cap * sizeof(*v))) == NULL)
			return PA_ENOMEM;
		sc->out = v;
		sc->cap = cap;
	}
	sc->out[sc->nout].inode = inode;
	sc->out[sc->nout].pid = pid;
	sc->nout++;
	return 0;
}

/* The socket inode a descriptor link names ("socket:[123]"), or 0. */
static uint64_t
socket_inode(int dirfd, const char *name)
{
	char link[64], *end;
	ssize_t len;
	uint64_t v;

	len = readlinkat(dirfd, name, link, sizeof(link) - 1);
	if (len < 9 || memcmp(link, "socket:[", 8) != 0)
		return 0;
	link[len] = '\0';
	v = strtoull(link + 8, &end, 10);
	return *end == ']' ? v : 0;
}

/* One process's descriptors.  1 if they could not be read. */
static int
scan_process(struct scan *sc, int procfd, const char *pidname, int64_t pid)
{
	char path[32];
	struct dirent64 *d;
	ssize_t got, off;
	uint64_t inode;
	int fd;

	snprintf(path, sizeof(path), "%s/fd", pidname);
	fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM;
	while ((got = getdents64(fd, sc->dents, DENTS_SIZE)) > 0) {
		for (off = 0; off < got; off += d->d_reclen) {
			d = (struct dirent64 *)(sc->dents + off);
			if (d->d_name[0] == '.')
				continue;
			inode = socket_inode(fd, d->d_name);
			if (inode != 0 && wanted(sc, inode) &&
			    record(sc, inode, pid) != 0) {
				close(fd);
				return -1;
			}
		}
	}
	close(fd);
	return 0;
}

static int
by_inode_pid(const void *a, const void *b)
{
	const struct pa__inopid *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The pids in /proc, into a malloc'd array. */
static int
list_pids(int procfd, int64_t **out, size_t *n)
{
	char *dents = malloc(DENTS_SIZE);
	int64_t *v = NULL, *nv, pid;
	struct dirent64 *d;
	size_t cap = 0;
	ssize_t got, off;

	*n = 0;
	if (dents == NULL)
		return PA_ENOMEM;
	while ((got = getdents64(procfd, dents, DENTS_SIZE)) > 0) {
		for (off = 0; off < got; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			if ((pid = numeric_name(d->d_name)) <= 0)
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 512;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
					free(v);
					free(dents);
					return PA_ENOMEM;
				}
				v = nv;
			}
			v[(*n)++] = pid;
		}
	}
	free(dents);
	*out = v;
	return 0;
}

/* One thread's share of the processes. */
struct part {
	pthread_t thread;
	struct scan sc;
	int procfd;
	const int64_t *pids;        /* pids[0], pids[stride], ... */
	size_t n, stride;
	unsigned unreadable;
	int rc;
};

static void *
scan_part(void *arg)
{
	struct part *p = arg;
	char name[24];
	size_t i;
	int r;

	if ((p->sc.dents = malloc(DENTS_SIZE)) == NULL) {
		p->rc = PA_ENOMEM;
		return NULL;
	}
	for (i = 0; i < p->n && p->rc == 0; i++) {
		int64_t pid = p->pids[i * p->stride];

		snprintf(name, sizeof(name), "%lld", (long long)pid);
		r = scan_process(&p->sc, p->procfd, name, pid);
		if (r < 0)
			p->rc = PA_ENOMEM;
		p->unreadable += r > 0;
	}
	free(p->sc.dents);
	return NULL;
}

/*
 * Reading a descriptor link costs the kernel a few microseconds and a busy
 * host has tens of thousands: with many processes the scan is split
 * between threads, one per CPU (at most MAX_PARTS).
 */
#define MAX_PARTS 8
#define PIDS_PER_PART 64

static size_t
parts_for(size_t npids)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t k = npids / PIDS_PER_PART;

	if (cpus < 1)
		cpus = 1;
	if (k > (size_t)cpus)
		k = (size_t)cpus;
	if (k > MAX_PARTS)
		k = MAX_PARTS;
	return k ? k : 1;
}

/* Joins the parts' findings into one sorted array, each pair once. */
static int
merge_parts(struct part *parts, size_t k, struct pa__inopid **out,
    size_t *nout, unsigned *unreadable)
{
	size_t i, total = 0;

	for (i = 0; i < k; i++) {
		total += parts[i].sc.nout;
		*unreadable += parts[i].unreadable;
	}
	if ((*out = malloc((total + 1) * sizeof(**out))) == NULL)
		return PA_ENOMEM;
	for (i = 0; i < k; i++) {
		if (parts[i].sc.nout == 0)
			continue;   /* out is NULL: no memcpy from it */
		memcpy(*out + *nout, parts[i].sc.out,
		    parts[i].sc.nout * sizeof(**out));
		*nout += parts[i].sc.nout;
	}
	/* a process with a socket in two descriptors holds it once */
	*nout = pa__inopid_unique(*out, *nout);
	return 0;
}

int
pa__procfd_scan(const char *procdir, const uint64_t *inodes, size_t n,
    struct pa__inopid **out, size_t *nout, unsigned *unreadable,
    struct pa_error *err)
{
	struct part parts[MAX_PARTS];
	int64_t *pids = NULL;
	size_t npids, k, i, started = 0;
	int procfd, rc;

	*out = NULL;
	*nout = 0;
	*unreadable = 0;
	if (n == 0)
		return 0;
	if ((procfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return pa__err(err, PA_EOS, "%s: %s", procdir,
		    strerror(errno));
	if ((rc = list_pids(procfd, &pids, &npids)) != 0) {
		close(procfd);
		return pa__err(err, rc, "out of memory");
	}
	/* interleaved, so that busy processes (often of one pid range) are
	 * spread over the parts */
	k = parts_for(npids);
	memset(parts, 0, sizeof(parts));
	for (i = 0; i < k; i++) {
		parts[i].sc.inodes = inodes;
		parts[i].sc.n = n;
		parts[i].procfd = procfd;
		parts[i].pids = pids + i;
		parts[i].stride = k;
		parts[i].n = i < npids ? (npids - i + k - 1) / k : 0;
	}
	/* the first part runs here; the others in threads, if they start */
	for (i = 1; i < k; i++) {
		if (pthread_create(&parts[i].thread, NULL, scan_part,
		    &parts[i]) != 0)
			break;
		started = i;
	}
	scan_part(&parts[0]);
	for (i = started + 1; i < k; i++)
		scan_part(&parts[i]); /* could not start a thread: do it here */
	for (i = 1; i <= started; i++)
		pthread_join(parts[i].thread, NULL);
	for (i = 0; i < k && rc == 0; i++)
		rc = parts[i].rc;
	if (rc == 0)
		rc = merge_parts(parts, k, out, nout, unreadable);
	for (i = 0; i < k; i++)
		free(parts[i].sc.out);
	free(pids);
	close(procfd);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*nout = 0;
		return pa__err(err, rc, "out of memory");
	}
	return 0;
}

/* The whole output of one read of the pin, malloc'd into *buf. */
static int
read_pin(const char *pin, char **buf, size_t *len, struct pa_error *err)
{
	size_t cap = 256 * 1024;
	ssize_t got;
	char *v;
	int fd, e;

	*buf = NULL;
	*len = 0;
	if ((fd = open(pin, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		return pa__err(err, e == ENOENT ? PA_ENOENT : e == EACCES ||
		    e == EPERM ? PA_EPERM : PA_EOS, "%s: %s", pin,
		    strerror(e));
	}
	for (;;) {
		if (*len == cap || *buf == NULL) {
			cap = *buf == NULL ? cap : 2 * cap;
			if ((v = realloc(*buf, cap)) == NULL) {
				close(fd);
				return pa__err(err, PA_ENOMEM, "out of memory");
			}
			*buf = v;
		}
		got = read(fd, *buf + *len, cap - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		*len += (size_t)got;
	}
	e = errno;
	close(fd);
	if (got < 0)
		return pa__err(err, PA_EOS, "%s: %s", pin, strerror(e));
	return 0;
}

int
pa__pin_read(const char *pin, char **buf, size_t *len, struct pa_error *err)
{
	const struct pa_sockfd_rec *r;
	int rc;

	if ((rc = read_pin(pin, buf, len, err)) != 0) {
		free(*buf);
		*buf = NULL;
		return rc;
	}
	r = (const struct pa_sockfd_rec *)(void *)*buf;
	if (*len < sizeof(*r) || *len % sizeof(*r) != 0 ||
	    r->tgid != PA_SOCKFD_MAGIC || r->fd != PA_SOCKFD_VERSION ||
	    r->inode != sizeof(*r)) {
		free(*buf);
		*buf = NULL;
		return pa__err(err, PA_EDATA, "%s: not a portalloc sockfd "
		    "iterator of version %u", pin, PA_SOCKFD_VERSION);
	}
	return 0;
}

/*
 * A pin's records indexed by inode: a slot per hash of the inode holds its
 * first record, and each record the next one of its slot.  A pin holds
 * every socket of the host (12,000 under the bench load), and the inodes
 * to join come a dump's batch at a time (sockets.c): a lookup is a probe
 * or two where a binary search over sorted records would take a dozen,
 * and building the index is one pass.
 */
int
pa__pin_index(const char *buf, size_t len, struct pa__pinidx *ix)
{
	size_t n = len / sizeof(*ix->rec), size = 16, i, k;

	memset(ix, 0, sizeof(*ix));
	if (n == 0 || n - 1 > UINT32_MAX - 1)
		return n == 0 ? 0 : PA_ENOMEM;
	ix->rec = (const struct pa_sockfd_rec *)(const void *)buf + 1;
	ix->n = n - 1;  /* the header is no record */
	while (size < 2 * ix->n)
		size *= 2;
	ix->head = calloc(size, sizeof(*ix->head));
	ix->next = malloc((ix->n + 1) * sizeof(*ix->next));
	if (ix->head == NULL || ix->next == NULL) {
		pa__pinidx_free(ix);
		return PA_ENOMEM;
	}
	ix->mask = size - 1;
	for (i = 0; i < ix->n; i++) {
		k = (size_t)((ix->rec[i].inode * 0x9E3779B97F4A7C15u) >> 32) &
		    ix->mask;
		ix->next[i] = ix->head[k];
		ix->head[k] = (uint32_t)i + 1;
	}
	return 0;
}

int
pa__pin_lookup(const struct pa__pinidx *ix, uint64_t inode,
    struct pa__inopid **v, size_t *n, size_t *cap)
{
	struct pa__inopid *nv;
	size_t k, ncap;
	uint32_t r;

	if (ix->head == NULL || inode == 0)
		return 0;
	k = (size_t)((inode * 0x9E3779B97F4A7C15u) >> 32) & ix->mask;
	for (r = ix->head[k]; r != 0; r = ix->next[r - 1]) {
		if (ix->rec[r - 1].inode != inode)
			continue;
		if (*n == *cap) {
			ncap = *cap ? 2 * *cap : 64;
			if ((nv = realloc(*v, ncap * sizeof(*nv))) == NULL)
				return PA_ENOMEM;
			*v = nv;
			*cap = ncap;
		}
		(*v)[*n].inode = inode;
		(*v)[(*n)++].pid = ix->rec[r - 1].tgid;
	}
	return 0;
}

void
pa__pinidx_free(struct pa__pinidx *ix)
{
	free(ix->head);
	free(ix->next);
	memset(ix, 0, sizeof(*ix));
}

size_t
pa__inopid_unique(struct pa__inopid *v, size_t n)
{
	size_t i, k;

	/* threads with descriptor tables of their own repeat a pair */
	if (n > 1)
		qsort(v, n, sizeof(*v), by_inode_pid);
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || v[k - 1].inode != v[i].inode ||
		    v[k - 1].pid != v[i].pid)
			v[k++] = v[i];
	return k;
}

/*
 * The wanted inodes as an open-addressing set (0 marks an empty slot, and
 * no socket has inode 0): when all of them are known before the pin is
 * read (a who, mostly), checking each record against the set costs less
 * than indexing the records.
 */
struct inoset {
	uint64_t *slot;
	size_t mask;
};

static size_t
ino_hash(const struct inoset *s, uint64_t inode)
{
	return (size_t)((inode * 0x9E3779B97F4A7C15u) >> 32) & s->mask;
}

static int
inoset_init(struct inoset *s, const uint64_t *inodes, size_t n)
{
	size_t size = 16, i, k;

	while (size < 2 * n)
		size *= 2;
	if ((s->slot = calloc(size, sizeof(*s->slot))) == NULL)
		return PA_ENOMEM;
	s->mask = size - 1;
	for (i = 0; i < n; i++) {
		for (k = ino_hash(s, inodes[i]); s->slot[k] != 0 &&
		    s->slot[k] != inodes[i]; k = (k + 1) & s->mask)
			;
		s->slot[k] = inodes[i];
	}
	return 0;
}

static int
inoset_has(const struct inoset *s, uint64_t inode)
{
	size_t k;

	for (k = ino_hash(s, inode); s->slot[k] != 0; k = (k + 1) & s->mask)
		if (s->slot[k] == inode)
			return 1;
	return 0;
}

int
pa__pin_join(const char *buf, size_t len, const uint64_t *inodes, size_t n,
    struct pa__inopid **out, size_t *nout, struct pa_error *err)
{
	struct scan sc = { inodes, n, NULL, 0, 0, NULL };
	const struct pa_sockfd_rec *r = (const void *)buf;
	struct inoset set;
	size_t i;

	*out = NULL;
	*nout = 0;
	if (inoset_init(&set, inodes, n) != 0)
		return pa__err(err, PA_ENOMEM, "out of memory");
	for (i = 1; i < len / sizeof(*r); i++)
		if (r[i].inode != 0 && inoset_has(&set, r[i].inode) &&
		    record(&sc, r[i].inode, r[i].tgid) != 0) {
			free(set.slot);
			free(sc.out);
			return pa__err(err, PA_ENOMEM, "out of memory");
		}
	free(set.slot);
	*out = sc.out;
	*nout = pa__inopid_unique(sc.out, sc.nout);
	return 0;
}

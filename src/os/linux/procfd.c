/*
 * Which processes hold a socket: a scan of /proc/PID/fd.  Everything is
 * relative to directory descriptors (openat, getdents64, readlinkat), so no
 * path is built or resolved per descriptor.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "os/linux/linux.h"

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

int
pa__procfd_scan(const char *procdir, const uint64_t *inodes, size_t n,
    struct pa__inopid **out, size_t *nout, unsigned *unreadable,
    struct pa_error *err)
{
	struct scan sc = { inodes, n, NULL, 0, 0, NULL };
	char *pdents = NULL;
	struct dirent64 *d;
	ssize_t got, off;
	int procfd, rc = 0, r;
	int64_t pid;

	*out = NULL;
	*nout = 0;
	*unreadable = 0;
	if (n == 0)
		return 0;
	if ((procfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return pa__err(err, PA_EOS, "%s: %s", procdir,
		    strerror(errno));
	sc.dents = malloc(DENTS_SIZE);
	pdents = malloc(DENTS_SIZE);
	if (sc.dents == NULL || pdents == NULL) {
		rc = pa__err(err, PA_ENOMEM, "out of memory");
		goto out;
	}
	while (rc == 0 && (got = getdents64(procfd, pdents, DENTS_SIZE)) > 0) {
		for (off = 0; rc == 0 && off < got; off += d->d_reclen) {
			d = (struct dirent64 *)(pdents + off);
			if ((pid = numeric_name(d->d_name)) <= 0)
				continue;
			r = scan_process(&sc, procfd, d->d_name, pid);
			if (r < 0)
				rc = pa__err(err, PA_ENOMEM, "out of memory");
			*unreadable += r > 0;
		}
	}
	if (rc == 0) {
		qsort(sc.out, sc.nout, sizeof(*sc.out), by_inode_pid);
		*out = sc.out;
		*nout = sc.nout;
		sc.out = NULL;
	}
out:
	free(sc.out);
	free(sc.dents);
	free(pdents);
	close(procfd);
	return rc;
}

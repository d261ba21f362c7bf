/*
 * Configuration files on Linux: the file_read operation of struct pa_os.
 *
 * Whether root may act on a file depends on who could have written it:
 * its owner and mode, and those of every directory above it.  The facts
 * of the file come from the descriptor that is read (fstat), so they
 * describe exactly the bytes the core parses; the directories come from
 * lstat of each ancestor of the resolved path.  The policy is the core's
 * (src/core/config.c); this file only reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/files.h"

/* The facts of a stat buffer. */
static void
facts_of(const struct stat *st, struct pa_file_facts *f)
{
	if (S_ISREG(st->st_mode))
		f->kind = PA_FILE_REGULAR;
	else if (S_ISDIR(st->st_mode))
		f->kind = PA_FILE_DIR;
	else if (S_ISLNK(st->st_mode))
		f->kind = PA_FILE_LINK;
	else
		f->kind = PA_FILE_OTHER;
	f->uid = (int64_t)st->st_uid;
	f->mode = (unsigned)st->st_mode & 07777;
	f->nlink = (uint64_t)st->st_nlink;
}

int
pa__linux_dir_facts(const char *path, struct pa_file_facts **out,
    size_t *n, struct pa_error *err)
{
	char dir[PA_PATH_MAX];
	struct pa_file_facts *v;
	struct stat st;
	size_t cap = 0;
	char *s;

	*out = NULL;
	*n = 0;
	if (pa__strlcpy(dir, path, sizeof(dir)))
		return pa__err(err, PA_EOS, "%s: path too long", path);
	v = NULL;
	while ((s = strrchr(dir, '/')) != NULL) {
		s[s == dir] = '\0';     /* "/a/b" -> "/a", "/a" -> "/" */
		if (lstat(dir, &st) != 0) {
			free(v);
			return pa__err(err, PA_EOS, "%s: %s", dir,
			    strerror(errno));
		}
		if (pa__grow(&v, &cap, *n, sizeof(*v)) != 0) {
			free(v);
			return pa__err_nomem(err);
		}
		facts_of(&st, &v[(*n)++]);
		if (s == dir)
			break;
	}
	*out = v;
	return 0;
}

/* Makes room in *buf for one more byte past got, up to max + 2 bytes in
 * all (a buffer grown as the file turns out long, not max up front: a
 * config file is a few hundred bytes, max a megabyte). */
static int
room(char **buf, size_t *cap, size_t got, size_t max)
{
	size_t ncap;
	char *nb;

	if (got + 1 < *cap)
		return 0;
	ncap = *cap * 2 < max + 2 ? *cap * 2 : max + 2;
	if ((nb = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Reads at most max bytes of fd into f->text; PA_EDATA beyond. */
static int
read_fd(int fd, const char *path, size_t max, struct pa_file_read *f,
    struct pa_error *err)
{
	size_t got = 0, cap = max + 2 < 4096 ? max + 2 : 4096;
	ssize_t r;
	char *buf;

	if ((buf = malloc(cap)) == NULL)
		return pa__err_nomem(err);
	while (got <= max) {
		if (room(&buf, &cap, got, max) != 0) {
			free(buf);
			return pa__err_nomem(err);
		}
		r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return pa__err(err, PA_EOS, "%s: %s", path,
			    strerror(errno));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > max) {
		free(buf);
		return pa__err(err, PA_EDATA, "%s: longer than %zu bytes",
		    path, max);
	}
	buf[got] = '\0';
	f->text = buf;
	f->len = got;
	return 0;
}

/* Opens the resolved path without following a link put there since, and
 * without waiting on a FIFO; the facts of what was opened into f->file. */
static int
open_checked(const char *path, int *fd, struct pa_file_read *f,
    struct pa_error *err)
{
	struct stat st;
	int e;

	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return pa__err(err, PA_ENOENT, "%s: no such file",
			    path);
		if (e == ELOOP) {
			f->file.kind = PA_FILE_LINK;
			return 0;
		}
		return pa__err(err, PA_EOS, "%s: %s", path, strerror(e));
	}
	if (fstat(*fd, &st) != 0) {
		e = errno;
		close(*fd);
		*fd = -1;
		return pa__err(err, PA_EOS, "%s: %s", path, strerror(e));
	}
	facts_of(&st, &f->file);
	return 0;
}

int
pa__linux_file_read(void *ctx, const char *path, size_t max,
    struct pa_file_read *f, struct pa_error *err)
{
	char real[PATH_MAX];
	int fd = -1, rc;

	(void)ctx;
	memset(f, 0, sizeof(*f));
	if (realpath(path, real) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pa__err(err, PA_ENOENT, "%s: no such file",
			    path);
		return pa__err(err, PA_EOS, "%s: %s", path, strerror(errno));
	}
	if (pa__strlcpy(f->path, real, sizeof(f->path)))
		return pa__err(err, PA_EOS, "%s: path too long", path);
	if ((rc = open_checked(real, &fd, f, err)) != 0)
		return rc;
	if (fd >= 0 && f->file.kind == PA_FILE_REGULAR)
		rc = read_fd(fd, path, max, f, err);
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = pa__linux_dir_facts(real, &f->dirs, &f->ndirs, err);
	if (rc != 0)
		pa__file_read_free(f);
	return rc;
}

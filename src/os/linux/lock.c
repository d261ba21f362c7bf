/*
 * The store's lock on Linux.  SQLite's own locking makes a writer that
 * finds the database busy sleep and try again (1, 2, 5 ... 100 ms), so when
 * 64 jobs start together most of them sleep while the lock is free.  A
 * flock(2) on a file beside the store queues them in the kernel instead:
 * each wakes as soon as the one before it lets go.  flock rather than an
 * OFD lock because /proc/locks names a flock's holder (as seen from the
 * reader's PID namespace), which is what a user needs to know when a
 * process is stuck holding it; the holder also writes its pid into the
 * file, for when /proc/locks says nothing.
 *
 * flock has no timeout.  The first try does not block; only when the lock
 * is busy does a thread wait in flock while the caller waits at most the
 * timeout for it.  A wait that times out leaves the thread to close the
 * file, and so let go of the lock, as soon as it gets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/linux.h"
#include "os/os.h"

/* A wait in flock on another thread. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	int done;                   /* flock returned */
	int error;                  /* its errno, 0 when locked */
	int abandoned;              /* the caller gave up: close fd, free */
};

static void *
wait_lock(void *arg)
{
	struct waiter *w = arg;
	int rc, e = 0, abandoned;

	while ((rc = flock(w->fd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (rc != 0)
		e = errno;
	pthread_mutex_lock(&w->mu);
	abandoned = w->abandoned;
	w->done = 1;
	w->error = e;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (abandoned) {
		close(w->fd);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
	}
	return NULL;
}

/* The deadline timeout_ms from now on the monotonic clock. */
static struct timespec
deadline(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static int
start_waiter(struct waiter *w, pthread_t *t)
{
	pthread_condattr_t ca;
	int rc;

	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(t, NULL, wait_lock, w)) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
	return rc;
}

/* The pid /proc/locks gives the flock on st's file, or 0. */
static int64_t
holder_from_proc(const struct stat *st)
{
	char line[256], kind[16];
	unsigned maj, min;
	unsigned long long ino;
	long long pid;
	int64_t found = 0;
	FILE *f;

	if ((f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF";
		 * waiters have "->" for kind */
		if (sscanf(line, "%*d: %15s %*s %*s %lld %x:%x:%llu", kind,
		    &pid, &maj, &min, &ino) != 5 || strcmp(kind, "FLOCK") != 0)
			continue;
		if (ino == (unsigned long long)st->st_ino &&
		    maj == major(st->st_dev) && min == minor(st->st_dev))
			found = pid;
	}
	fclose(f);
	return found;
}

/* Who holds the lock on fd: /proc/locks, else the pid the holder wrote. */
static int64_t
holder_of(int fd)
{
	struct stat st;
	char buf[24];
	ssize_t n;
	int64_t pid;

	if (fstat(fd, &st) == 0 && (pid = holder_from_proc(&st)) > 0)
		return pid;
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtoll(buf, NULL, 10);
	return pid > 0 ? pid : 0;
}

/*
 * Blocks in flock on fd for at most timeout_ms (< 0: for ever).  0 when
 * locked; 1 on timeout, with *holder the pid holding it, after which fd
 * belongs to the waiting thread; or an errno.
 */
static int
flock_timed(int fd, int timeout_ms, int64_t *holder)
{
	struct timespec ts = deadline(timeout_ms < 0 ? 0 : timeout_ms);
	struct waiter *w;
	pthread_t t;
	int rc = 0, e;

	if (timeout_ms < 0) {
		while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
			;
		return rc == 0 ? 0 : errno;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ENOMEM;
	w->fd = fd;
	if ((e = start_waiter(w, &t)) != 0) {
		free(w);
		return e;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	if (!w->done) {
		/* the thread cannot close fd before we let go of mu */
		*holder = holder_of(fd);
		w->abandoned = 1;
		pthread_mutex_unlock(&w->mu);
		pthread_detach(t);
		return 1;
	}
	e = w->error;
	pthread_mutex_unlock(&w->mu);
	pthread_join(t, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return e;
}

/*
 * Opens (creating it if need be) the lock file beside the store, with the
 * store's mode and group (and owner, when root makes it).  -1 when it
 * cannot be opened at all.
 */
static int
open_lock_file(const char *store, const char *path)
{
	struct stat st;
	int fd, flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;

	if (stat(store, &st) != 0)
		return -1;
	fd = open(path, flags | O_CREAT | O_EXCL, st.st_mode & 0666);
	if (fd >= 0) {
		/* the umask must not take away what the store allows */
		if (fchmod(fd, st.st_mode & 0666) != 0) {
			/* the mode we got still works for us */
		}
		if (geteuid() == 0 ? fchown(fd, st.st_uid, st.st_gid) != 0 :
		    fchown(fd, (uid_t)-1, st.st_gid) != 0) {
			/* not a member of the store's group: ours stays */
		}
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	if ((fd = open(path, flags)) >= 0)
		return fd;
	/* a user who may read but not write it can still queue */
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
}

int
pa__linux_store_lock(void *ctx, const char *store_path, int timeout_ms,
    intptr_t *handle, int64_t *holder, struct pa_error *err)
{
	char path[PA_PATH_MAX + 8], pid[16];
	int fd, rc;

	(void)ctx;
	*handle = -1;
	*holder = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", store_path) >=
	    sizeof(path) || (fd = open_lock_file(store_path, path)) < 0)
		return 0; /* SQLite's busy timeout still serialises */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return 0;
		}
		if ((rc = flock_timed(fd, timeout_ms, holder)) == 1) {
			/* fd is the waiting thread's now */
			return pa__err(err, PA_EIO, "store lock %s is held "
			    "by pid %lld", path, (long long)*holder);
		}
		if (rc != 0) {
			close(fd);
			return pa__err(err, PA_EIO, "store lock %s: %s", path,
			    strerror(rc));
		}
	}
	snprintf(pid, sizeof(pid), "%-10lld\n", (long long)getpid());
	if (pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* read-only: /proc/locks still names us */
	}
	*handle = fd;
	return 0;
}

void
pa__linux_store_unlock(void *ctx, intptr_t handle)
{
	(void)ctx;
	if (handle >= 0)
		close((int)handle);
}

/*
 * Pieces of the Linux backend that tests and fuzzers reach directly: the
 * sock_diag and /proc/net parsers and the /proc fd scan.
 */
#ifndef PA_LINUX_H
#define PA_LINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "os/os.h"

/*
 * Parses one read's worth of NETLINK_SOCK_DIAG replies (inet_diag_msg) for
 * protocol proto, appending the sockets that match q.  Returns 1 once
 * NLMSG_DONE is seen, 0 when more is to come, or a negative PA_E* code
 * (PA_EOS with the kernel's errno in the message for NLMSG_ERROR, *kerrno
 * set to it; PA_EDATA for a malformed buffer).
 */
int pa__diag_parse(const void *buf, size_t len, unsigned proto,
    const struct pa_portq *q, size_t nq, struct pa__sockvec *out,
    int *kerrno, struct pa_error *err);

/* One dump of proto/family (4 or 6; 0 for TCP of both at once) filtered
 * in the kernel to local ports first..last.  PA_ENOENT when the kernel has
 * no such dump (no netlink, no udp_diag module): the caller falls back to
 * /proc/net (or, for family 0, to a dump per family). */
int pa__diag_dump(unsigned proto, int family, uint16_t first, uint16_t last,
    const struct pa_portq *q, size_t nq, struct pa__sockvec *out,
    struct pa_error *err);

/*
 * Parses one line of /proc/net/{tcp,udp}{,6}.  1 and *s filled for a
 * socket, 0 for the header line, -1 for a malformed line.
 */
int pa__procnet_line(const char *line, int family, unsigned proto,
    struct pa_sock *s);
/* Every matching socket of one /proc/net file. */
int pa__procnet_read(const char *path, int family, unsigned proto,
    const struct pa_portq *q, size_t nq, struct pa__sockvec *out,
    struct pa_error *err);

/*
 * Processes (proc.c): the proc, proc_part, proc_cmdline and ns_proc ops,
 * which the thread of sockets.c calls too, and the read of a small /proc
 * or /sys file they share with os-linux.c: at most len - 1 bytes, NUL
 * ended, st filled by fstat when not NULL; -1 with errno on failure.
 */
struct stat;
ssize_t pa__linux_read_small(const char *path, char *buf, size_t len,
    struct stat *st);
int pa__linux_proc(void *ctx, int64_t pid, struct pa_proc *p,
    struct pa_error *err);
int pa__linux_proc_part(void *ctx, int64_t pid, unsigned want,
    struct pa_proc *p, struct pa_error *err);
int pa__linux_proc_cmdline(void *ctx, int64_t pid, char *buf, size_t len,
    int *cut, struct pa_error *err);
void pa__linux_ns_batch(void *ctx, int on);
int pa__linux_ns_proc(void *ctx, uint64_t pidns, int64_t nspid,
    struct pa_proc *p, struct pa_error *err);

/* A socket inode and one process holding it. */
struct pa__inopid {
	uint64_t inode;
	int64_t pid;
};
/*
 * Scans /proc/PID/fd of every process for the socket inodes in
 * inodes[0..n) (sorted, unique).  *out gets every (inode, pid) pair found,
 * sorted by inode then pid; *unreadable counts processes whose fds could
 * not be read.  procdir is "/proc" but for tests.
 */
int pa__procfd_scan(const char *procdir, const uint64_t *inodes, size_t n,
    struct pa__inopid **out, size_t *nout, unsigned *unreadable,
    struct pa_error *err);

/*
 * The same pairs from a pinned sockfd iterator (bpf/sockfd.h): one read,
 * no /proc.  pa__pin_read reads the whole pin at pin into a malloc'd *buf:
 * PA_ENOENT when there is none, PA_EPERM when this process may not read
 * it, PA_EDATA when it is of another version.  pa__pin_join picks from it
 * the pairs of inodes[0..n) (sorted, unique), sorted as above.
 */
int pa__pin_read(const char *pin, char **buf, size_t *len,
    struct pa_error *err);
int pa__pin_join(const char *buf, size_t len, const uint64_t *inodes,
    size_t n, struct pa__inopid **out, size_t *nout, struct pa_error *err);

/*
 * The same join a batch of inodes at a time, for inodes that come while
 * the pin is already read (sockets.c joins while the dumps run): an index
 * of a read pin (buf must outlive it), then for an inode its (inode, pid)
 * pairs appended to *v (n used, cap allocated).
 * pa__inopid_unique sorts pairs by inode then pid and drops repeats; the
 * new count.
 */
struct pa_sockfd_rec;
struct pa__pinidx {
	const struct pa_sockfd_rec *rec;
	size_t n, mask;
	uint32_t *head, *next;      /* record index + 1; 0 ends a chain */
};
int pa__pin_index(const char *buf, size_t len, struct pa__pinidx *ix);
int pa__pin_lookup(const struct pa__pinidx *ix, uint64_t inode,
    struct pa__inopid **v, size_t *n, size_t *cap);
void pa__pinidx_free(struct pa__pinidx *ix);
size_t pa__inopid_unique(struct pa__inopid *v, size_t n);

/*
 * portalloc accel (accel.c): the ops of struct pa_os, and for the sockets
 * op the pin to read: 0 and its path in buf, PA_ENOTSUP when
 * $PORTALLOC_ACCEL is "0", PA_ESRCH in a PID namespace below the host's
 * (the pin has the host's pids).
 */
int pa__linux_accel_on(void *ctx, const char *group,
    struct pa_accel_status *st, struct pa_error *err);
int pa__linux_accel_off(void *ctx, struct pa_accel_status *st,
    struct pa_error *err);
int pa__linux_accel_status(void *ctx, struct pa_accel_status *st,
    struct pa_error *err);
int pa__accel_pin(char *buf, size_t len);
/* The inode of the initial PID namespace (PROC_PID_INIT_INO). */
#define PA__LINUX_INIT_PIDNS 0xEFFFFFFCu
/* Is this process in a PID namespace below the host's? */
int pa__linux_nested_pidns(void);

/* The sockets op of the Linux OS table, and sockets_start / _wait, which
 * run it in a thread. */
int pa__linux_sockets(void *ctx, const struct pa_portq *q, size_t nq,
    int pids, struct pa_socktab *t, struct pa_error *err);
int pa__linux_sockets_start(void *ctx, const struct pa_portq *q, size_t nq,
    int pids, void **job, struct pa_error *err);
int pa__linux_sockets_wait(void *ctx, void *job, struct pa_socktab *t,
    struct pa_error *err);

/* The listen / unlisten operations of struct pa_os (listen.c). */
int pa__linux_listen(void *ctx, const struct pa_addr *a, uint16_t port,
    int *fd, struct pa_error *err);
void pa__linux_unlisten(void *ctx, int fd);

/* The store_lock / store_unlock operations of struct pa_os (lock.c). */
int pa__linux_store_lock(void *ctx, const char *store_path, int timeout_ms,
    intptr_t *handle, int64_t *holder, struct pa_error *err);
void pa__linux_store_unlock(void *ctx, intptr_t handle);

#endif

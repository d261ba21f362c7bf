/*
 * The seam between the portable core and the operating system: one table of
 * operations.  The core calls the OS only through a `struct pa_os`; src/os/
 * linux and src/os/win provide the real ones and tests/fake an in-memory
 * one for tests.
 * Errors from the OS are translated here, once, into PA_E* codes with the
 * OS's own text in the message.
 */
#ifndef PA_OS_H
#define PA_OS_H

#include <stdint.h>

#include "base/base.h"
#include "portalloc/portalloc.h"

/* What the core learns about a process. */
struct pa_proc {
	int64_t pid;
	int64_t ppid;
	uint64_t start;             /* start time, OS units; 0 if unknown */
	int64_t uid;                /* -1 if unknown */
	/*
	 * Identity across PID namespaces and pid reuse (0 where unknown or
	 * the OS has none): the inode of the process's own PID namespace, its
	 * pid there (the last NSpid of Linux), and an id no other process of
	 * this boot ever gets (Linux >= 6.9: the pidfd's inode).
	 */
	uint64_t pidns;
	int64_t nspid;
	uint64_t pidid;
	char name[64];
	char cmdline[PA_CMD_MAX];   /* arguments joined by spaces */
};

/* A parsed IP address for probe binds. */
struct pa_addr {
	int family;                 /* 4 or 6 */
	unsigned char bytes[16];
	int wildcard;               /* 0.0.0.0 or :: */
};

/*
 * Socket tables (who holds a port).
 */

/* One socket from the kernel's tables. */
struct pa_sock {
	unsigned proto;             /* PA_TCP or PA_UDP */
	int family;                 /* 4 or 6 */
	unsigned char local[16];    /* network order, as in_addr / in6_addr */
	unsigned char remote[16];
	uint16_t lport, rport;      /* host order */
	int state;                  /* PA_SOCK_* */
	int64_t uid;                /* -1 if unknown */
	uint64_t inode;             /* 0: no process can hold it (TIME_WAIT);
	                               Windows has no inodes: always 0 */
	size_t first_pid, npids;    /* its holders: pids[first_pid..+npids) */
};

struct pa_socktab {
	struct pa_sock *socks;
	size_t n;
	int64_t *pids;              /* holders, grouped by socket */
	size_t npids;
	unsigned unreadable;        /* processes whose fds could not be read */
	int partial;                /* holders may be missing: this caller
	                               cannot see every process's sockets
	                               (not root, some unreadable, or in a
	                               PID namespace of its own) */
	const char *source;         /* where the table came from, for -v */
	/*
	 * Optional, with pids: holders' processes as proc_part reads them
	 * with PA_PROC_CMDLINE, sorted by pid: those the OS read while it
	 * waited for its tables anyway.  The caller reads the others.
	 */
	struct pa_proc *procs;
	size_t nprocs;
};

/* Every socket whose local port lies in one of ranges[0..n). */
struct pa_portq {
	uint16_t first, last;
	unsigned protos;
};

void pa__socktab_free(struct pa_socktab *t);

/* A growing array of sockets, for the backends that build a table. */
struct pa__sockvec {
	struct pa_sock *v;
	size_t n, cap;
	/* Optional: what a dump calls after each batch of sockets it adds
	 * (sockets.c hands their inodes to the thread that joins them). */
	void (*grew)(void *arg, const struct pa__sockvec *sv);
	void *grew_arg;
};
int pa__sockvec_push(struct pa__sockvec *sv, const struct pa_sock *s);

/* Does the socket's local port and protocol fall in one of q[0..nq)? */
int pa__portq_match(const struct pa_portq *q, size_t nq, uint16_t port,
    unsigned proto);

/* What the OS says about one file or directory (its lstat or fstat). */
enum pa_file_kind { PA_FILE_REGULAR, PA_FILE_DIR, PA_FILE_LINK,
	PA_FILE_OTHER };
struct pa_file_facts {
	enum pa_file_kind kind;
	int64_t uid;                /* the owner; -1: the OS cannot say */
	unsigned mode;              /* permission bits with setuid, setgid
	                               and sticky (07777) */
	uint64_t nlink;             /* names the file has */
};

/* A file read by file_read, and where it lies. */
struct pa_file_read {
	char path[PA_PATH_MAX];     /* absolute, symbolic links resolved */
	char *text;                 /* len bytes and a NUL; NULL when the
	                               file is not regular */
	size_t len;
	struct pa_file_facts file;  /* of the file that was read */
	struct pa_file_facts *dirs; /* each directory above path, nearest
	                               first, up to the root: ndirs */
	size_t ndirs;
};

/* Frees what file_read put in *f (text and dirs); f itself stays. */
void pa__file_read_free(struct pa_file_read *f);

/*
 * OS port reservations shaped as a list (Linux, src/os/linux/
 * reserve-linux.c): the ports the OS never picks automatically
 * (net.ipv4.ip_local_reserved_ports, one list per network namespace),
 * which the core merges into, and the file that sets it again at boot.
 * Lists are text like "1,5-9,20000".  Writes that the caller may not make
 * give PA_EPERM.
 */
struct pa__resv_list_ops {
	/* The network namespace this process is in, e.g. "net:[4026531840]". */
	int (*netns_id)(void *ctx, char *buf, size_t len,
	    struct pa_error *err);
	/* The reserved list now, malloc'd into *text. */
	int (*reserved_read)(void *ctx, char **text, struct pa_error *err);
	/* Replaces the whole reserved list with text. */
	int (*reserved_write)(void *ctx, const char *text,
	    struct pa_error *err);
	/* Holds off every other process of this namespace that takes the
	 * lock, until reserved_unlock(*handle). */
	int (*reserved_lock)(void *ctx, int *handle, struct pa_error *err);
	void (*reserved_unlock)(void *ctx, int handle);
	/* The boot-time drop-in file (Linux: a sysctl.d file). */
	const char *(*dropin_path)(void *ctx);
	/* Its text, malloc'd into *text; PA_ENOENT when there is none. */
	int (*dropin_read)(void *ctx, char **text, struct pa_error *err);
	/* Replaces it at once (never half-written); text NULL removes it. */
	int (*dropin_write)(void *ctx, const char *text,
	    struct pa_error *err);
};

/*
 * OS port reservations shaped as ranges the OS owns, one per port range
 * and protocol (Windows, src/os/win/reserve-win.c: persistent TCP/UDP
 * port reservations, which outlive reboots by themselves and are
 * host-wide).  proto is PA_TCP or PA_UDP.  A "range" here is the OS's
 * reservation; the configuration's blocks are what the core reserves with
 * them.
 */
struct pa__resv_range_ops {
	/* 0 when the OS reserves exactly first..last for proto; PA_ENOENT
	 * when it does not; PA_ENOTSUP where it cannot reserve at all. */
	int (*lookup)(void *ctx, unsigned proto, uint16_t first,
	    uint16_t last, struct pa_error *err);
	/* Reserves first..last for proto.  PA_EPERM without the right;
	 * PA_EINUSE when the range overlaps another reservation or one of
	 * its ports is in use (the message says which). */
	int (*create)(void *ctx, unsigned proto, uint16_t first,
	    uint16_t last, struct pa_error *err);
	/* Ends the reservation of exactly first..last; PA_ENOENT if none. */
	int (*remove)(void *ctx, unsigned proto, uint16_t first,
	    uint16_t last, struct pa_error *err);
	/*
	 * Optional (NULL: the OS cannot pick from a reservation): a new
	 * socket of proto on addr, bound to a port the OS chooses inside its
	 * reservation of first..last for proto (Windows: the reservation's
	 * token is associated with the socket, SIO_ASSOCIATE_PORT_RESERVATION,
	 * before a bind to port 0).  *port gets the port, *sock the socket.
	 * PA_ENOENT: no such reservation; PA_EFULL: none of its ports is
	 * free; PA_EPERM: this user may not use it; PA_ENOTSUP: the OS
	 * cannot.
	 */
	int (*bind)(void *ctx, uint16_t first, uint16_t last, unsigned proto,
	    const struct pa_addr *addr, uint16_t *port, pa_socket_t *sock,
	    struct pa_error *err);
	/*
	 * Optional: every range the OS excludes from automatic ports for
	 * proto now, whoever made it (Windows: persistent reservations,
	 * portalloc's among them, and the ranges Hyper-V, WinNAT or Docker
	 * excluded at run time), up to max into v, *n of them.  PA_ENOTSUP
	 * when the OS cannot say.
	 */
	int (*excluded)(void *ctx, unsigned proto, struct pa_resv_excluded *v,
	    size_t max, size_t *n, struct pa_error *err);
};

struct pa_os {
	void *ctx;

	/* Wall clock, unix seconds. */
	int64_t (*now)(void *ctx);
	int64_t (*self_pid)(void *ctx);
	int64_t (*parent_pid)(void *ctx);
	int64_t (*self_uid)(void *ctx);

	/*
	 * Fills *p for a live process.  PA_ESRCH when no such process
	 * exists (zombies count as gone).  A process that exists but cannot
	 * be read (another user's, hidepid) is returned with start 0.
	 */
	int (*proc)(void *ctx, int64_t pid, struct pa_proc *p,
	    struct pa_error *err);

	/* An identifier of the current boot, so that a pid and start time from
	 * before a reboot never match a process of this one. */
	const char *(*boot_id)(void *ctx);

	/*
	 * 0 if a socket of every protocol in `protos` could be bound to `port`
	 * on each address in addrs[0..n) right now; PA_EINUSE if any bind
	 * fails because the port is taken (EADDRINUSE, EACCES); another
	 * negative code for errors that say nothing about the port.
	 */
	int (*probe)(void *ctx, const struct pa_addr *addrs, int n,
	    uint16_t port, unsigned protos, struct pa_error *err);

	/* The range the OS picks automatic (ephemeral) ports from. */
	int (*ephemeral_range)(void *ctx, uint16_t *first, uint16_t *last);

	/* The per-user default store path into buf. */
	int (*default_store)(void *ctx, char *buf, size_t len,
	    struct pa_error *err);

	/*
	 * Prepares `path` for a new store: creates missing parent directories
	 * (mode 0700, or 0755 under a system directory when root) and, if the
	 * file does not exist, creates it empty with mode 0600 (0644 for
	 * root's system store; 0660 in a setgid directory, for its group).
	 * Never touches an existing file.  Refuses (PA_EPERM) a store or
	 * directory that is a symbolic link, and a directory every user may
	 * write to unless it is sticky and owned by root or the caller; and
	 * (PA_ESTORE) a store with more than one name (hard link).
	 */
	int (*prepare_store)(void *ctx, const char *path, struct pa_error *err);

	/*
	 * The sockets, of both families, whose local port lies in one of
	 * q[0..nq).  With pids, also every process holding each socket (a
	 * socket shared by several processes lists each of them); without,
	 * npids is 0 everywhere and nothing is scanned.
	 */
	int (*sockets)(void *ctx, const struct pa_portq *q, size_t nq,
	    int pids, struct pa_socktab *t, struct pa_error *err);

	/* The name of a user, or "" if unknown. */
	void (*user_name)(void *ctx, int64_t uid, char *buf, size_t len);

	/*
	 * OS port reservations, in one of two shapes (see the structs above);
	 * the other is NULL, and both are where the OS has none.  The core
	 * picks its strategy from them once, when a handle is opened.
	 */
	const struct pa__resv_list_ops *resv_list;
	const struct pa__resv_range_ops *resv_range;

	/*
	 * Held ports for `exec --listen` (Linux: src/os/linux/listen.c).
	 * listen binds a close-on-exec TCP socket to a:port and listens on it;
	 * *fd gets it.  PA_EINUSE when the port is taken (EADDRINUSE,
	 * EACCES).  unlisten closes one.  NULL where the OS has none.
	 */
	int (*listen)(void *ctx, const struct pa_addr *a, uint16_t port,
	    int *fd, struct pa_error *err);
	void (*unlisten)(void *ctx, int fd);

	/*
	 * Sockets for pa_get_socket (a port the OS picks from a reservation
	 * is resv_range->bind).
	 */
	/* A new socket of proto bound to addr:port; PA_EINUSE when the port
	 * is taken there (as a probe would say). */
	int (*bind_port)(void *ctx, unsigned proto, const struct pa_addr *addr,
	    uint16_t port, pa_socket_t *sock, struct pa_error *err);
	void (*sock_close)(void *ctx, pa_socket_t sock);

	/*
	 * Configuration files (Linux: src/os/linux/files.c).  Reads the
	 * file at path whole into *f, with the facts of the very file it
	 * read (taken from the opened file) and of every directory above
	 * it.  A file that is not a regular one is not read (f->text NULL,
	 * f->file.kind says what it is), so a FIFO or /dev/zero returns at
	 * once.  PA_ENOENT when there is no such file; PA_EDATA when it is
	 * longer than max bytes; PA_EOS otherwise (the OS's text).  Free
	 * with pa__file_read_free.
	 */
	int (*file_read)(void *ctx, const char *path, size_t max,
	    struct pa_file_read *f, struct pa_error *err);

	/*
	 * portalloc accel (Linux: src/os/linux/accel.c): the pinned BPF
	 * iterator that the sockets op reads for holders when it can.  NULL
	 * where the OS has none.  group is a group name ("" for none) that
	 * may read the pin besides root; PA_ECONFIG when there is no such
	 * group.  Each fills *st with the state after the call.
	 */
	int (*accel_on)(void *ctx, const char *group,
	    struct pa_accel_status *st, struct pa_error *err);
	int (*accel_off)(void *ctx, struct pa_accel_status *st,
	    struct pa_error *err);
	int (*accel_status)(void *ctx, struct pa_accel_status *st,
	    struct pa_error *err);

	/*
	 * Optional (NULL where the OS has no PID namespaces).  Looks among
	 * the processes this one can see for the one that is pid nspid of
	 * PID namespace pidns (its own namespace), and fills *p.  0 found;
	 * PA_ESRCH when it is provably gone: processes of that namespace are
	 * visible and none is nspid, or this is the initial namespace, every
	 * process could be read, and none is in pidns; PA_ENOENT when this
	 * caller cannot tell (the namespace is not visible from here).
	 */
	int (*ns_proc)(void *ctx, uint64_t pidns, int64_t nspid,
	    struct pa_proc *p, struct pa_error *err);

	/*
	 * The store's host-wide lock (Linux: src/os/linux/lock.c), taken
	 * before SQLite's BEGIN IMMEDIATE so that writers queue in the
	 * kernel and wake when it is free instead of polling.  Locks the
	 * file store_path + ".lock" (created with the store's mode and
	 * group), waiting at most timeout_ms.  0 with *handle set (-1 when
	 * the lock file cannot be used: the caller goes on without it);
	 * PA_EIO when another process still holds it after the timeout,
	 * with *holder its pid as seen from this PID namespace (0 if
	 * unknown); another negative code for errors.
	 * store_unlock releases a handle that is not -1.  NULL where the OS
	 * has none: SQLite's busy timeout alone then serialises writers.
	 */
	int (*store_lock)(void *ctx, const char *store_path, int timeout_ms,
	    intptr_t *handle, int64_t *holder, struct pa_error *err);
	void (*store_unlock)(void *ctx, intptr_t handle);

	/*
	 * Optional: pid's whole command line (arguments joined by spaces),
	 * where struct pa_proc's is cut at PA_CMD_MAX, into buf (len bytes);
	 * *cut says whether even that was too short.  The owner walk reads
	 * a long `sh -c` script with it.
	 */
	int (*proc_cmdline)(void *ctx, int64_t pid, char *buf, size_t len,
	    int *cut, struct pa_error *err);

	/*
	 * Optional: proc reading only the parts `want` names (PA_PROC_*
	 * below; pid, ppid, start, uid and name always), the others left 0
	 * or "".  Naming the holders of a thousand ports, or the parents an
	 * owner walk goes past, needs no identity: this spares the files
	 * that give it.  NULL: callers use proc (pa__proc in core.h).
	 */
	int (*proc_part)(void *ctx, int64_t pid, unsigned want,
	    struct pa_proc *p, struct pa_error *err);

	/*
	 * Optional: sockets in the background.  sockets_start begins what
	 * sockets does for q[0..nq) (copied) and returns at once with a job;
	 * sockets_wait waits for it, hands its table over into t (or, with
	 * t NULL, drops it) and frees the job, returning what sockets
	 * would have.  A check starts the kernel's tables before it opens
	 * the store.  NULL: callers run sockets (pa__sockets_* in core.h).
	 */
	int (*sockets_start)(void *ctx, const struct pa_portq *q, size_t nq,
	    int pids, void **job, struct pa_error *err);
	int (*sockets_wait)(void *ctx, void *job, struct pa_socktab *t,
	    struct pa_error *err);

	/*
	 * Optional: ns_proc in batches.  Between ns_batch(ctx, 1) and the
	 * matching ns_batch(ctx, 0) (they nest; per thread), ns_proc may
	 * answer from one look at every process, taken at its first call:
	 * a walk that judges thirty owners of other PID namespaces then
	 * reads each process's namespace once, not thirty times.  The
	 * store turns it on for a transaction, or a read of the leases,
	 * only: every lease read then was written before the look, so its
	 * owner, if alive, is in it.  Outside a batch nothing is kept.
	 */
	void (*ns_batch)(void *ctx, int on);
};

/* The parts of struct pa_proc proc_part reads on request. */
#define PA_PROC_CMDLINE 0x1u  /* cmdline */
#define PA_PROC_PIDNS   0x2u  /* pidns */
#define PA_PROC_IDENT   0x6u  /* pidns, nspid and pidid */

/* The real operating system. */
const struct pa_os *pa__os_native(void);

/*
 * Where the config search looks after ./portalloc.ini, as the OS has it:
 * the user's file (Linux: $XDG_CONFIG_HOME/portalloc/portalloc.ini or
 * ~/.config/...; Windows: %APPDATA%\portalloc\portalloc.ini) and the
 * system's (Linux: /etc/portalloc/portalloc.ini; Windows:
 * %ProgramData%\portalloc\portalloc.ini, never a drive's \etc, which any
 * user may create).  "" where there is none.
 */
void pa__config_paths(char *user, size_t ulen, char *sys, size_t slen);

/* Is path absolute here ("/x"; Windows also "C:\x", "C:/x")? */
int pa__path_absolute(const char *path);

/* Parses an IPv4 or IPv6 literal.  0 or PA_EUSAGE. */
int pa__addr_parse(const char *text, struct pa_addr *a);
/* The socket address of a:port into *ss; its length. */
struct sockaddr_storage;
int pa__addr_sockaddr(const struct pa_addr *a, uint16_t port,
    struct sockaddr_storage *ss);
/* Formats an address of family 4 or 6 (bytes in network order). */
void pa__addr_format(int family, const unsigned char *bytes, char *buf,
    size_t len);

#endif /* PA_OS_H */

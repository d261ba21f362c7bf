/*
 * portalloc: hand out TCP/UDP ports to test harnesses so that parallel jobs on
 * one host never collide.
 *
 * This is the whole public C API.  Every function returns 0 on success or a
 * negative PA_E* code; where it takes a `struct pa_error *` (which may be
 * NULL) it also fills in a human-readable message.  The library never prints
 * and never exits.  Port numbers are host byte order everywhere.
 *
 * Ownership: what a pa_*_new / pa_*_load / pa_open / pa_get / pa_list
 * function hands back belongs to the caller and is freed with the matching
 * pa_*_free / pa_close / pa_leases_free.  Structures handed in are only read,
 * and not kept after the call returns, unless the function says otherwise.
 */
#ifndef PORTALLOC_H
#define PORTALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PA_VERSION "0.1.0"

/* Error codes: X(name, value, short description). */
#define PA_ERRNO_MAP(X)                                                   \
	X(EUSAGE, -1, "invalid argument")                                 \
	X(ECONFIG, -2, "configuration error")                             \
	X(ENOMEM, -3, "out of memory")                                    \
	X(EFULL, -4, "no free ports left")                                \
	X(ESTORE, -5, "cannot create the lease store")                    \
	X(EIO, -6, "lease store I/O error")                               \
	X(EPERM, -7, "permission denied")                                 \
	X(ENOENT, -8, "no such entry")                                    \
	X(EDATA, -9, "bad data")                                          \
	X(EOS, -10, "operating system error")                             \
	X(ESRCH, -11, "no such process")                                  \
	X(EINUSE, -12, "port in use")                                     \
	X(ENOTSUP, -13, "not supported here")

enum pa_errno {
	PA_OK = 0,
#define PA__ERRNO_ENUM(name, value, text) PA_##name = (value),
	PA_ERRNO_MAP(PA__ERRNO_ENUM)
#undef PA__ERRNO_ENUM
};

/* The short description of an error code; never NULL. */
const char *pa_strerror(int code);

#define PA_NAME_MAX 64    /* block names, including the NUL */

/*
 * What would mend a failure, as data: the library says what is needed and
 * never how to type it; a front end (the CLI) puts it in words with the
 * user's own options.
 */
enum pa_hint {
	PA_HINT_NONE,
	PA_HINT_PRIVILEGE,  /* the call needs privilege (root, CAP_NET_ADMIN;
	                       an elevated Administrator) */
	PA_HINT_RESERVE,    /* block hint_block must be reserved first, by a
	                       user with privilege */
	PA_HINT_STORE,      /* the store cannot be used: name another one */
	PA_HINT_OWNER,      /* no process can own the lease (pid 1 of a
	                       container): run the job under exec, or name the
	                       owner */
	PA_HINT_TRUST,      /* a configuration file found by the search is not
	                       trusted (file says which): name it explicitly */
	PA_HINT_RELEASE     /* the block is full of live leases: release some,
	                       or wait for them */
};

/* A failed call's details.  msg is complete on its own ("FILE:LINE: ..." for
 * configuration errors); file and line repeat where it came from, if known.
 * hint (and hint_block) say what would mend it, for the caller to word. */
struct pa_error {
	int code;
	int line;
	char file[512];
	char msg[1024];
	enum pa_hint hint;
	char hint_block[PA_NAME_MAX];
};

#define PA_TAG_MAX 128    /* lease tags, including the NUL */
#define PA_CMD_MAX 256    /* recorded owner command lines, truncated */
#define PA_ADDR_MAX 64    /* textual IP addresses */
#define PA_PATH_MAX 1024

/* Protocols, as a bit set. */
enum { PA_TCP = 1, PA_UDP = 2, PA_BOTH = PA_TCP | PA_UDP };

enum pa_reserve { PA_RESERVE_NO, PA_RESERVE_RUNTIME, PA_RESERVE_PERSISTENT };

/* Where a configuration value came from. */
enum pa_source { PA_FROM_DEFAULT, PA_FROM_FILE, PA_FROM_ENV };
struct pa_origin {
	enum pa_source source;
	int line;             /* PA_FROM_FILE: the line in pa_config.file, or
	                         in name when that is set (the host's file) */
	const char *name;     /* PA_FROM_ENV: the variable's name */
};

struct pa_block {
	char name[PA_NAME_MAX];
	uint16_t first, last; /* inclusive */
	unsigned protos;      /* PA_TCP | PA_UDP */
	enum pa_reserve reserve;
	char bind_address[PA_ADDR_MAX];
	struct pa_origin at, o_ports, o_protos, o_reserve, o_bind;
};

struct pa_config {
	char file[PA_PATH_MAX];   /* "" when nothing was read (built-in default) */
	char store[PA_PATH_MAX];  /* "" means: the per-user default */
	int64_t lease_ttl;        /* seconds; 0: leases do not expire */
	struct pa_origin o_store, o_ttl;
	struct pa_block *blocks;
	size_t nblocks;
	int default_blocks;       /* 1 when blocks is the embedded default */
	/*
	 * Whose the file is.  system_trusted: root owns it, it has one name,
	 * and no one else can write it nor any directory above it (a sticky
	 * root-owned directory above its own is fine); the embedded default
	 * and text handed to pa_config_parse_string count as trusted.  Only
	 * such a file may make a privileged caller change system settings
	 * (pa_reserve, pa_unreserve, a pa_get that would reserve).
	 * untrusted_why says why not, e.g. "it belongs to uid 1000 (alice)".
	 */
	int system_trusted;
	char untrusted_why[256];
	/* The host's policy file (/etc/portalloc/portalloc.ini) when it was
	 * read besides `file`; "" otherwise.  An origin whose name is
	 * host_file came from there. */
	char host_file[PA_PATH_MAX];
	/* [portalloc] trust = patterns: files the search may use although
	 * others own them (honoured only from the host's file). */
	char trust[PA_PATH_MAX];
	struct pa_origin o_trust;
	/* Things the caller should hear about, e.g. a project file moving
	 * the store away from the host's: complete sentences. */
#define PA_CONFIG_WARNINGS_MAX 4
	char warnings[PA_CONFIG_WARNINGS_MAX][512];
	size_t nwarnings;
	char accel_group[64];     /* [portalloc] accel_group: who may read the
	                             pinned iterator besides root; "" none */
	struct pa_origin o_accel_group;
};

/*
 * Configuration.
 *
 * pa_config_load finds the file the way the CLI does: `path` if not NULL
 * (it must exist), else $PORTALLOC_CONFIG (must exist), ./portalloc.ini,
 * $XDG_CONFIG_HOME/portalloc/portalloc.ini (~/.config if unset),
 * /etc/portalloc/portalloc.ini, else the embedded default.  A file that
 * defines no block gets the embedded default block.  Errors: PA_ECONFIG
 * with "FILE:LINE: what".
 *
 * Trust: a file the search finds is used only when it belongs to the
 * caller or to root and no one else can write it or its directory, or
 * when the host file's `trust = PATTERN, ...` names it; otherwise
 * PA_ECONFIG with hint PA_HINT_TRUST, and nothing else is done.  A file
 * named by `path` or $PORTALLOC_CONFIG is the caller's choice and is used
 * for ordinary work; for root it must be system_trusted to set `store`
 * (and to reserve, see pa_reserve).  Only regular files are read.
 *
 * The store: $PORTALLOC_STORE, else the chosen file's `store`, else the
 * host file's (/etc/portalloc/portalloc.ini, read besides the chosen
 * file), else the per-user default.  A chosen file that moves the store
 * away from the host's gets a warning in cfg->warnings.  The checks
 * pa_open makes against the OS (a block in the ephemeral range without
 * reserve) are made here too.
 */
int pa_config_load(struct pa_config **out, const char *path,
    struct pa_error *err);
/* Parses exactly the file at path (no search, no embedded fallback but for
 * a file without blocks).  *out is the caller's, freed with
 * pa_config_free. */
int pa_config_parse_file(struct pa_config **out, const char *path,
    struct pa_error *err);
/* Parses INI text; `name` is used in messages as the file name. */
int pa_config_parse_string(struct pa_config **out, const char *text,
    const char *name, struct pa_error *err);
/* Frees a configuration from pa_config_*; NULL is fine.  Close every
 * handle opened on it first. */
void pa_config_free(struct pa_config *cfg);
/* The named block, or the first one when name is NULL; NULL if none. */
const struct pa_block *pa_config_block(const struct pa_config *cfg,
    const char *name);

/* Parsers shared with the CLI.  Durations: "90s", "30m", "2h", "1d",
 * "1h30m", a bare number of seconds, or "0"/"never" for no expiry. */
int pa_parse_duration(const char *s, int64_t *seconds);
/* "A-B" or "A", 1..65535, A <= B. */
int pa_parse_port_range(const char *s, uint16_t *first, uint16_t *last);
/* "tcp", "udp", "both", or a list "tcp, udp". */
int pa_parse_protos(const char *s, unsigned *protos);
const char *pa_protos_name(unsigned protos); /* "tcp", "udp", "tcp+udp" */

/*
 * Leases.
 */
enum pa_lease_state { PA_LEASE_ALIVE, PA_LEASE_DEAD, PA_LEASE_EXPIRED };

struct pa_lease {
	uint16_t port;
	unsigned protos;
	char block[PA_NAME_MAX];
	int64_t owner_pid;
	uint64_t owner_start;   /* the owner's start time, OS units */
	char owner_boot[48];    /* the boot the owner ran in */
	int64_t uid;
	char tag[PA_TAG_MAX];   /* "" when none */
	char command[PA_CMD_MAX];
	int64_t created;        /* unix seconds */
	int64_t expires;        /* unix seconds; 0: never */
	enum pa_lease_state state; /* filled by pa_list */
	/* The owner across PID namespaces and pid reuse (0: not recorded):
	 * its own PID namespace (Linux: the inode of /proc/PID/ns/pid), its
	 * pid there, and an id no other process of the boot gets (Linux:
	 * its pidfd's inode). */
	uint64_t owner_pidns;
	int64_t owner_nspid;
	uint64_t owner_pidid;
	/* pa_get: the owner looks about to exit (a wrapper or a `sh -c` that
	 * ends with portalloc, with nothing above it to own the lease), and
	 * the lease would end with it; or it is the system's init, and the
	 * lease would end only by release or expiry. */
	int owner_exiting;
	/* filled by pa_list: the owner's pid as the caller sees it, where
	 * the lease recorded another (made in another PID namespace: a
	 * container's job seen from the host, or the reverse); 0 if the
	 * same, or not found (the owner gone, or out of sight). */
	int64_t owner_pid_here;
};

struct pa; /* an open store plus the configuration it serves */

/* Opens (creating if needed) the lease store named by cfg->store, or the
 * per-user default.  cfg must outlive the handle. */
int pa_open(struct pa **out, const struct pa_config *cfg,
    struct pa_error *err);
/* Closes the store; leases stay.  NULL is fine. */
void pa_close(struct pa *pa);
/* The store a handle on cfg would open: cfg->store or the per-user default
 * ($XDG_STATE_HOME/portalloc/leases.db, ~/.local/state/..., or
 * /var/lib/portalloc/leases.db for root). */
int pa_config_store(const struct pa_config *cfg, char *buf, size_t len,
    struct pa_error *err);
/* The path of the store the handle has open. */
const char *pa_store_path(const struct pa *pa);

/* The owner of a lease that pa_get makes: $PORTALLOC_OWNER if set, else the
 * caller's parent, skipping the processes that only run portalloc and end
 * with it (timeout, xargs, flock, sudo..., a forked subshell, a `sh -c`
 * whose script ends with portalloc), so that the shell or harness that ran
 * `portalloc get` owns the ports.  What the CLI uses. */
#define PA_OWNER_PARENT (-1)

struct pa_request {
	const char *block;      /* NULL: the first block */
	unsigned count;         /* 1.. */
	unsigned protos;        /* 0: every protocol the block serves */
	int64_t owner_pid;      /* 0: the calling process; PA_OWNER_PARENT */
	int64_t ttl;            /* seconds; -1: the configured lease_ttl; 0: never */
	const char *tag;        /* NULL or "" for none */
	const char *command;    /* recorded instead of the owner's command line */
	int consecutive;        /* ask for adjacent ports */
};

/*
 * Leases req->count ports, all or none, in one transaction: no other caller
 * using the same store can get any of them while the lease lives.  A port is
 * skipped when it is leased (for any protocol), or when a probe bind shows it
 * in use.  On PA_EFULL the message says which block and who holds its leases.
 * *out is an array of *n leases, freed with pa_leases_free.
 */
int pa_get(struct pa *pa, const struct pa_request *req,
    struct pa_lease **out, size_t *n, struct pa_error *err);

/*
 * pa_get for TCP, with each port held from the moment it is chosen: fds[i]
 * gets a socket listening on (*out)[i].port at the block's bind_address,
 * bound inside the transaction before the lease is recorded, so that no
 * other process can take the port in between.  A port whose bind fails
 * is skipped like a busy one.  fds must have room for req->count; on
 * success the sockets (close-on-exec) belong to the caller, on failure
 * none is left open.  req->protos must be 0 or PA_TCP.  PA_EUSAGE where
 * the OS backend cannot listen.  POSIX file descriptors (Linux).
 */
int pa_get_listen(struct pa *pa, const struct pa_request *req, int *fds,
    struct pa_lease **out, size_t *n, struct pa_error *err);

/* A socket as the OS hands it out: a file descriptor, or a Winsock
 * SOCKET. */
#ifdef _WIN32
typedef uintptr_t pa_socket_t;
#else
typedef int pa_socket_t;
#endif

/*
 * Leases one port, like pa_get with req->count 1, and hands back a socket
 * of one protocol already bound to it on the block's bind_address, so that
 * there is no moment between choosing the port and holding it.
 * req->protos names that protocol (PA_TCP or PA_UDP; 0: TCP if the block
 * serves it), and the lease is for it alone.  On a reserved block where
 * the OS picks ports from its reservation (Windows), the OS picks the
 * port; elsewhere it is picked as pa_get does, then bound.  *sock belongs
 * to the caller (close / closesocket); no TCP listen() is done.
 */
int pa_get_socket(struct pa *pa, const struct pa_request *req,
    struct pa_lease *out, pa_socket_t *sock, struct pa_error *err);

/* Which leases pa_list / pa_release select; zero/NULL fields match all. */
struct pa_filter {
	const uint16_t *ports;
	size_t nports;
	const char *block;
	const char *tag;
	int64_t owner_pid;      /* 0: any; a pid: the process with that pid
	                           now (its leases, not those of an earlier
	                           process with the pid), or if none lives,
	                           the dead owners that had it; PA_OWNER_PARENT:
	                           the owner pa_get would choose ("mine") */
	int64_t uid;            /* -1: any; PA_UID_SELF: the caller's */
	const struct pa_lease *owner_of; /* NULL, or: only the leases whose
	                           owner is this lease's, the same process */
};
#define PA_UID_SELF (-2)
#define PA_FILTER_INIT { NULL, 0, NULL, NULL, 0, -1, NULL }

/* Every lease the filter selects, by port, with state filled in. */
int pa_list(struct pa *pa, const struct pa_filter *f,
    struct pa_lease **out, size_t *n, struct pa_error *err);

/*
 * The leases pa_list would hand back, one at a time, as they are read:
 * fn(lease, arg) for each, by port, with state filled in, in memory that
 * does not grow with the store.  The lease is fn's to read during the call
 * only.  fn's nonzero return stops the walk and pa_list_each returns it
 * (err is filled only for the library's own failures).  fn must not call
 * back into the same handle.
 */
int pa_list_each(struct pa *pa, const struct pa_filter *f,
    int (*fn)(const struct pa_lease *lease, void *arg), void *arg,
    struct pa_error *err);

/*
 * Ends the leases the filter selects and hands them back in *out.  A lease
 * of another uid is not released unless the caller is root (PA_EPERM, and
 * nothing is released).  Selecting nothing is not an error.
 */
int pa_release(struct pa *pa, const struct pa_filter *f,
    struct pa_lease **out, size_t *n, struct pa_error *err);

/* Ends every lease whose owner is gone or whose time is up; hands them back. */
int pa_gc(struct pa *pa, struct pa_lease **out, size_t *n,
    struct pa_error *err);

/* Frees an array from pa_get, pa_get_listen, pa_list, pa_release, pa_gc;
 * NULL is fine. */
void pa_leases_free(struct pa_lease *leases);

/*
 * Who holds a port: the kernel's socket tables (Linux: sock_diag and a scan
 * of /proc/PID/fd; Windows: the owner-PID tables), both families.
 */

/* Socket states: TCP's, numbered as Linux does; UDP sockets are CLOSE
 * (unconnected) or ESTABLISHED (connected). */
enum pa_sock_state {
	PA_SOCK_ESTABLISHED = 1, PA_SOCK_SYN_SENT, PA_SOCK_SYN_RECV,
	PA_SOCK_FIN_WAIT1, PA_SOCK_FIN_WAIT2, PA_SOCK_TIME_WAIT, PA_SOCK_CLOSE,
	PA_SOCK_CLOSE_WAIT, PA_SOCK_LAST_ACK, PA_SOCK_LISTEN, PA_SOCK_CLOSING,
	PA_SOCK_NEW_SYN_RECV,
};
/* "LISTEN", "ESTAB", "TIME-WAIT", "UNCONN" (a UDP socket in CLOSE), ... */
const char *pa_sock_state_name(int state, unsigned proto);

/* One socket and one process holding it; a socket shared by n processes
 * gives n holders, a socket no process holds (TIME_WAIT) one with pid 0.
 * The texts are never NULL ("" when unknown, name "?" for a process that
 * could not be read) and belong to the array they came in: each is stored
 * once however many holders show it, and lives until pa_holders_free (or
 * pa_check_free) frees the array. */
struct pa_holder {
	unsigned proto;           /* PA_TCP or PA_UDP */
	int family;               /* 4 or 6 */
	const char *local;        /* the local address */
	const char *remote;       /* "" for a socket with no peer */
	uint16_t port;
	uint16_t rport;
	int state;
	uint64_t inode;
	int64_t pid;              /* 0: no process (see hidden) */
	int64_t ppid;
	int64_t uid;              /* the process's, else the socket's; -1 */
	const char *user;         /* "" if unknown */
	const char *name;
	const char *cmdline;
	int foreign;              /* pa_check: not the lease owner's */
	int hidden;               /* pid 0, but a process holds the socket:
	                             one the caller cannot see (another
	                             user's without privilege, one outside
	                             the caller's PID namespace) */
};

struct pa_port_query {
	uint16_t first, last;     /* inclusive */
	unsigned protos;          /* 0: both */
};

/*
 * Every holder of the ports in q[0..nq), ordered by port, protocol and
 * pid.  *unreadable counts processes whose sockets could not be read (other
 * users' without privilege): a holder may hide among them.
 */
int pa_who(const struct pa_port_query *q, size_t nq, struct pa_holder **out,
    size_t *n, unsigned *unreadable, struct pa_error *err);
/* Frees *out of pa_who or pa_who_from, the holders' texts included; NULL
 * is fine.  Only this frees it: the array carries its texts with it. */
void pa_holders_free(struct pa_holder *holders);

/* What pa_check finds on a port. */
enum pa_port_status {
	PA_PORT_FREE,      /* not leased, nobody on it */
	PA_PORT_OK,        /* leased, held by the owner or its descendants */
	PA_PORT_WAITING,   /* leased, nobody bound yet */
	PA_PORT_FOREIGN,   /* leased, but another process holds it */
	PA_PORT_STALE,     /* leased, but the owner is gone (or time is up) */
	PA_PORT_INTRUDER,  /* not leased, but some process holds it */
	PA_PORT_ORPHAN,    /* only sockets no process holds (TIME_WAIT) */
	PA_PORT_NSTATUS
};
const char *pa_port_status_name(enum pa_port_status s);

struct pa_port_check {
	uint16_t port;
	enum pa_port_status status;
	const struct pa_lease *lease; /* into leases[]; NULL when not leased */
	size_t first, n;          /* its holders: holders[first..first+n) */
};

struct pa_check {
	struct pa_port_check *ports; /* every port that is not free */
	size_t nports;
	struct pa_holder *holders;
	size_t nholders;
	struct pa_lease *leases;     /* the leases on the ports checked */
	size_t nleases;
	unsigned count[PA_PORT_NSTATUS]; /* ports by status, free included */
	unsigned unreadable;
	const char *source;              /* where the holders came from */
};

/*
 * Leases against the kernel's tables for every port of a block (NULL: every
 * block): one table dump and one process scan for all of them.
 */
int pa_check(struct pa *pa, const char *block, struct pa_check **out,
    struct pa_error *err);
/*
 * pa_check in two halves, so that the kernel's tables are read while the
 * store opens (the CLI's check does this): pa_check_start takes the ports
 * of the block (NULL: every block) from cfg and begins reading the tables
 * in the background; pa_check_finish reads the leases through pa, waits
 * for the tables and classifies, and frees the job whatever it returns;
 * pa_check_abort drops a job instead (NULL is fine).
 */
struct pa_check_job;
int pa_check_start(const struct pa_config *cfg, const char *block,
    struct pa_check_job **out, struct pa_error *err);
int pa_check_finish(struct pa *pa, struct pa_check_job *job,
    struct pa_check **out, struct pa_error *err);
void pa_check_abort(struct pa_check_job *job);
/* Frees *out of pa_check, holders, their texts and leases included; NULL
 * is fine. */
void pa_check_free(struct pa_check *c);

/*
 * OS port reservations.  A reserved port is never handed out automatically
 * (bind to port 0, an outgoing connection); explicit binds still work.
 * They come in one of two shapes, which a report names:
 *
 * PA_RESV_LIST (Linux: net.ipv4.ip_local_reserved_ports): a list of ports,
 * for TCP and UDP, IPv4 and IPv6, that portalloc merges its blocks into,
 * plus a drop-in file that sets it again at boot for persistent blocks.
 * The list belongs to a network namespace, so every reservation is
 * recorded with the namespace it was made in.
 *
 * PA_RESV_RANGE (Windows: CreatePersistentTcpPortReservation and its UDP
 * twin): one reservation per block and protocol, host-wide, which
 * outlives reboots by itself whatever reserve = says.  There is no
 * namespace (netns is "") and no drop-in (dropin and dropin_ports are "",
 * dropin_exists and dropin_changed 0); before/now list the ports of the
 * blocks portalloc knows (configured or recorded) that the OS reserves for
 * every protocol they serve: others' reservations cannot be listed.
 * PA_ENOTSUP where the system has no such reservations (Wine).
 *
 * Fields that do not apply to a shape are documented as empty ("", 0)
 * for it.
 */
#define PA_NETNS_MAX 64

enum pa_resv_shape {
	PA_RESV_LIST = 1,   /* a list per network namespace, and a drop-in */
	PA_RESV_RANGE = 2   /* ranges the OS owns, per protocol, host-wide */
};

/* A block as the OS and the store see it. */
struct pa_resv {
	char netns[PA_NETNS_MAX];  /* list: where it was recorded (or looked
	                              at); range: "" */
	int this_netns;            /* netns is the caller's (range: always) */
	char block[PA_NAME_MAX];
	uint16_t first, last;
	int configured;            /* the block is in the configuration */
	enum pa_reserve reserve;   /* its reserve = (configured blocks) */
	int recorded;              /* portalloc reserved it (the store says) */
	int persistent;            /* recorded as persistent (range: always) */
	int64_t created;           /* when recorded */
	char *added;               /* list: the ports portalloc itself added;
	                              range: "" */
	unsigned os_count;         /* how many of first..last the OS reserves
	                              (range: all of them when it reserves the
	                              block for every protocol in protos, else
	                              0) */
	int in_ephemeral;          /* overlaps the ephemeral range */
	int in_dropin;             /* list: the drop-in reserves all of
	                              first..last; range: 0 */
	/* Below: since the shapes were told apart. */
	unsigned protos;           /* the protocols it is about: the block's;
	                              for a row no block matches, those
	                              portalloc reserved (range), else both */
	unsigned added_protos;     /* range: the protocols whose reservation
	                              portalloc itself made; list: 0 */
	unsigned os_protos;        /* range: the protocols the OS reserves
	                              exactly first..last for; list: 0 */
};

/* What one pa_reserve / pa_unreserve call did to one block. */
struct pa_resv_action {
	char block[PA_NAME_MAX];
	uint16_t first, last;
	int persistent;
	char *ports;               /* the ports it added or removed; "" none
	                              (range: first-last when protos is not
	                              0) */
	unsigned protos;           /* range: the protocols whose reservation
	                              it made or deleted; list: 0 (its list
	                              covers both) */
};

/* What a warning is about; each is mended by reserving the block again
 * (hint PA_HINT_RESERVE, hint_block the block), which the caller words. */
enum pa_resv_warn {
	PA_RESV_WARN_LOST = 1,     /* portalloc reserved it; the OS lost it */
	PA_RESV_WARN_EPHEMERAL,    /* in the ephemeral range, not reserved */
	PA_RESV_WARN_UNRESERVED,   /* has reserve = runtime/persistent, but
	                              is not reserved */
	PA_RESV_WARN_DROPIN        /* list: persistent, but not in the
	                              drop-in: lost at the next boot */
};

/* Something about a block that needs doing: msg states the fact (a
 * complete sentence); kind and hint say what it is and what mends it. */
struct pa_resv_warning {
	char block[PA_NAME_MAX];
	char msg[512];
	enum pa_resv_warn kind;
	enum pa_hint hint;
};

/* A range the OS excludes from automatic ports (range shape: Windows'
 * "netsh int ipv4 show excludedportrange"). */
struct pa_resv_excluded {
	unsigned proto;            /* PA_TCP or PA_UDP */
	uint16_t first, last;
	int administered;          /* added by an administrator (netsh's "*"),
	                              not by Hyper-V, WinNAT or Docker */
	int portalloc;             /* one of the reservations in this report */
};

struct pa_resv_report {
	char netns[PA_NETNS_MAX];  /* list: the caller's network namespace;
	                              range: "" */
	char *before;              /* the OS's reserved list before the call */
	char *now;                 /* ... and now, like "1,5-9,20000-20999" */
	uint16_t eph_first, eph_last; /* the ephemeral range; 0, 0: unknown */
	char dropin[PA_PATH_MAX];  /* list: the boot-time file (a sysctl.d
	                              file); range: "" */
	int dropin_exists;
	char *dropin_ports;        /* the ports it reserves; "" none */
	int dropin_changed;        /* this call wrote or removed it */
	struct pa_resv *v;         /* configured blocks and recorded rows */
	size_t n;
	struct pa_resv_action *actions;
	size_t nactions;
	struct pa_resv_warning *warnings; /* about this namespace */
	size_t nwarnings;
	enum pa_resv_shape shape;  /* which of the two the OS has */
	/* range shape: every range the OS excludes now, others' too (NULL,
	 * 0 where the OS cannot say, and in the list shape) */
	struct pa_resv_excluded *excluded;
	size_t nexcluded;
};

/*
 * Adds the named block, or (name NULL) every block with reserve = runtime
 * or persistent, to the OS's reserved list, keeping every other entry, and
 * for persistent blocks writes the drop-in that does the same at boot.
 * Idempotent.  Serialized with every other portalloc process of the
 * namespace.  PA_EPERM, with hint PA_HINT_PRIVILEGE, when the caller may
 * not change the list (Linux: CAP_NET_ADMIN; Windows: an elevated
 * Administrator); nothing is changed then, neither the OS, nor the
 * drop-in, nor the store.  *out describes what was done.  The range
 * shape makes one reservation per protocol the block serves instead.
 */
int pa_reserve(struct pa *pa, const char *block,
    struct pa_resv_report **out, struct pa_error *err);
/* Takes out of the OS's list the ports portalloc added for the named block
 * (name NULL: for every block it reserved in this namespace), leaving
 * every other entry, and rewrites or removes the drop-in; the range shape
 * deletes the reservations portalloc made.  A block with no reservation
 * is no error.  PA_EPERM as pa_reserve. */
int pa_unreserve(struct pa *pa, const char *block,
    struct pa_resv_report **out, struct pa_error *err);
/* What the OS reserves now, which blocks are reserved, and warnings:
 * blocks in the ephemeral range without a reservation, persistent blocks
 * missing from the drop-in, reservations the OS lost. */
int pa_reservations(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err);
/* Frees a report from pa_reserve, pa_unreserve, pa_reservations. */
void pa_resv_report_free(struct pa_resv_report *r);

/* The uid that leases made through this handle record, and that decides
 * which leases it may release (0, root: all). */
int64_t pa_uid(const struct pa *pa);

/*
 * `portalloc accel`: a BPF iterator pinned in bpffs (Linux) that lists, in
 * one read, which process holds which socket, so that pa_who and pa_check
 * need not read every /proc/PID/fd link.  They use it whenever this process
 * can read it (and $PORTALLOC_ACCEL is not "0"), else scan /proc.  Whoever
 * can read the pin learns which process holds which socket of every user,
 * which /proc hides from other users: it is readable by root and by the
 * group [portalloc] accel_group only.
 */
enum pa_accel_why {
	PA_ACCEL_READY,         /* pinned, and this process can read it */
	PA_ACCEL_DISABLED,      /* $PORTALLOC_ACCEL=0 */
	PA_ACCEL_NOT_PINNED,    /* could be pinned, is not */
	PA_ACCEL_NO_PERMISSION, /* pinned, but this process may not read it */
	PA_ACCEL_NO_BPFFS,      /* no BPF file system mounted */
	PA_ACCEL_NO_BTF,        /* the kernel has no BTF (/sys/kernel/btf) */
	PA_ACCEL_OLD_KERNEL,    /* no task_file iterators (before Linux 5.8) */
	PA_ACCEL_UNSUPPORTED,   /* not on this OS */
	PA_ACCEL_PIDNS          /* this process is in a PID namespace below
	                           the host's: the pin has the host's pids */
};
/* "ready", "not pinned", "no permission", ... */
const char *pa_accel_why_name(enum pa_accel_why why);

struct pa_accel_status {
	int pinned;             /* a pin of this version is in place */
	int readable;           /* ... and this process can read it */
	int other_version;      /* a pin of another version is there (unused) */
	int can_load;           /* this build can load the program */
	enum pa_accel_why why;  /* why it is not used, or PA_ACCEL_READY */
	char path[PA_PATH_MAX]; /* the pin */
	unsigned mode;          /* the pin's permission bits, when pinned */
	int64_t gid;            /* the pin's group, when pinned */
	char group[64];         /* its name, "" if unknown */
};

/* What is pinned and whether this process can use it.  Never fails for
 * lack of privilege: that is reported in st. */
int pa_accel_status(struct pa_accel_status *st, struct pa_error *err);
/* Loads and pins the iterator (mounting bpffs if needed), readable by root
 * and cfg->accel_group; a pin of this version already there is kept and
 * given that mode; one of another version is replaced.  Safe to run twice
 * or twice at once.  PA_EPERM (hint PA_HINT_PRIVILEGE) without the right;
 * PA_ENOTSUP where the kernel or this build cannot.  st (may be NULL) gets
 * the state after. */
int pa_accel_on(const struct pa_config *cfg, struct pa_accel_status *st,
    struct pa_error *err);
/* Removes the pin (of every version).  No pin is no error. */
int pa_accel_off(struct pa_accel_status *st, struct pa_error *err);

/* pa_who, also saying where the holders came from ("sock_diag, bpf pin"
 * or "sock_diag, /proc scan (...)"): a static string, into *source. */
int pa_who_from(const struct pa_port_query *q, size_t nq,
    struct pa_holder **out, size_t *n, unsigned *unreadable,
    const char **source, struct pa_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PORTALLOC_H */

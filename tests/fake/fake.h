/*
 * An in-memory operating system for unit tests: processes, a clock, one
 * list of sockets and an ephemeral range that the test sets up.  The
 * store's file is still made by the real OS (tests give it a temporary
 * path).  It lives in tests/, not src/: nothing shipped links it.
 *
 * The sockets: every socket of the fake kernel is one entry (protocol,
 * family, local address, port, state, holder pids), whoever made it: the
 * test (pa_fake_add_sock, pa_fake_hold) or the core (listen, bind_port,
 * resv_range->bind).  Probe, listen, bind_port, resv_range->bind, the
 * sockets op (the owner tables) and resv_range->create's "port in use" all
 * read that list, so a
 * test states a socket once and every call agrees about it.
 *
 * When two sockets conflict (as Linux decides for binds, kept simple):
 * same protocol and port, and addresses that overlap: equal addresses, or
 * a wildcard (0.0.0.0, ::) and any address of its family, or a dual-stack
 * :: (what listen makes on ::) and any IPv4 address.  A probe whose
 * addresses are all loopback or wildcards is, as on Linux, one dual-stack
 * bind: any socket of the protocol on the port is in the way.  A probe and
 * bind_port bind without SO_REUSEADDR, so a TIME_WAIT socket blocks them;
 * listen sets SO_REUSEADDR, so TIME_WAIT does not block it.
 */
#ifndef PA_FAKE_H
#define PA_FAKE_H

#include "os/os.h"

/* The pid that holds what pa_fake_hold holds: a live process ("foreign",
 * uid 2000), nobody's child. */
#define PA_FAKE_FOREIGN 77

struct pa_fake;

struct pa_fake *pa_fake_new(void);
void pa_fake_free(struct pa_fake *f);
const struct pa_os *pa_fake_os(struct pa_fake *f);

/* The clock starts at 1,000,000,000. */
void pa_fake_set_now(struct pa_fake *f, int64_t now);
/* Who is calling: pid 100, parent 99, uid 1000 unless set. */
void pa_fake_set_self(struct pa_fake *f, int64_t pid, int64_t ppid,
    int64_t uid);
void pa_fake_set_boot(struct pa_fake *f, const char *boot_id);
/* Adds or replaces a live process. */
void pa_fake_add_proc(struct pa_fake *f, int64_t pid, int64_t ppid,
    uint64_t start, int64_t uid, const char *cmdline);
/* A process that exists but cannot be read (another user's, hidepid). */
void pa_fake_add_hidden_proc(struct pa_fake *f, int64_t pid);
void pa_fake_kill(struct pa_fake *f, int64_t pid);
/*
 * PID namespaces: a process's own namespace, its pid there, and an id no
 * other process gets (0: unknown, as for every process until set).  The
 * table holds the processes the caller can see; ns_proc sees a namespace
 * when one of them is in it.  With initial set, the caller is in the
 * initial namespace and sees every process, so a namespace none of them
 * is in is empty.  The caller's own namespace is its process's (self).
 */
void pa_fake_set_ns(struct pa_fake *f, int64_t pid, uint64_t pidns,
    int64_t nspid, uint64_t pidid);
void pa_fake_set_initial_ns(struct pa_fake *f, int initial);
/* The parent of the caller: 0 makes it pid 1 of its namespace. */
void pa_fake_set_parent(struct pa_fake *f, int64_t ppid);
/*
 * Somebody else binds port: for each protocol in protos, a socket on
 * 0.0.0.0 (TCP listening) held by PA_FAKE_FOREIGN.  Probes of the port then
 * fail (PA_EINUSE) and the sockets op lists it.  unhold closes what
 * pa_fake_hold made on port.
 */
void pa_fake_hold(struct pa_fake *f, uint16_t port, unsigned protos);
void pa_fake_unhold(struct pa_fake *f, uint16_t port);
/* 0, 0: the OS does not say. */
void pa_fake_set_ephemeral(struct pa_fake *f, uint16_t first, uint16_t last);
/* How many processes were read (the proc op). */
unsigned pa_fake_proc_reads(const struct pa_fake *f);
/* How many probe calls were made. */
unsigned pa_fake_probes(const struct pa_fake *f);
/* Makes every later probe fail with this error (0: stop). */
void pa_fake_fail_probes(struct pa_fake *f, int code);

/*
 * A socket in the fake kernel on port (local 127.0.0.1 or ::1), held by
 * pids[0..npids) (none: a TIME_WAIT-like orphan, inode 0).
 */
void pa_fake_add_sock(struct pa_fake *f, unsigned proto, int family,
    uint16_t port, int state, const int64_t *pids, size_t npids);
/* The same on any local address ("0.0.0.0", "::", "::1", ...). */
void pa_fake_add_sock_at(struct pa_fake *f, unsigned proto,
    const char *addr, uint16_t port, int state, const int64_t *pids,
    size_t npids);
/* A socket on port (127.0.0.1) of uid that no process the caller can see
 * holds: it has an inode, and no pids (another user's, another PID
 * namespace's). */
void pa_fake_add_unseen_sock(struct pa_fake *f, unsigned proto,
    uint16_t port, int state, int64_t uid);
/* Whether the sockets op says its holders may be missing (the caller
 * cannot see every process: not root, or in a PID namespace); 0 unless
 * set. */
void pa_fake_set_partial(struct pa_fake *f, int partial);
/* Closes every socket on port that the test made (add_sock, hold). */
void pa_fake_close_port(struct pa_fake *f, uint16_t port);
/* How many times the sockets op ran. */
unsigned pa_fake_dumps(const struct pa_fake *f);

/*
 * OS port reservations.  The namespace is "net:[4026531840]", the reserved
 * list "" and there is no drop-in, unless set.  Lists are kept as written.
 */
void pa_fake_set_netns(struct pa_fake *f, const char *id);
void pa_fake_set_reserved(struct pa_fake *f, const char *list);
const char *pa_fake_reserved(const struct pa_fake *f);
/* How many writes of the list were made, and how many without the lock. */
unsigned pa_fake_reserved_writes(const struct pa_fake *f);
unsigned pa_fake_unlocked_writes(const struct pa_fake *f);
/* Makes every later write of the list / the drop-in fail with this code
 * (0: stop), as a caller without the right would see. */
void pa_fake_fail_reserved_write(struct pa_fake *f, int code);
void pa_fake_fail_dropin_write(struct pa_fake *f, int code);
/* The drop-in's text; NULL: none. */
void pa_fake_set_dropin(struct pa_fake *f, const char *text);
const char *pa_fake_dropin(const struct pa_fake *f);

/*
 * Held ports (exec --listen): listen adds a listening TCP socket held by
 * the caller and gives fd 1000 + port; it fails (PA_EINUSE) where a
 * socket conflicts.  busy_listen makes somebody take the port right
 * after the next probe of it says free: the probe passes, the bind fails.
 */
void pa_fake_busy_listen(struct pa_fake *f, uint16_t port);
/* How many fake listening sockets are open. */
unsigned pa_fake_listening(const struct pa_fake *f);

/*
 * Reservations as ranges the OS owns, one per protocol (as on Windows;
 * "block" in these names is such a range).  After pa_fake_use_blocks,
 * called before the handle is opened, the fake has resv_range ops
 * (lookup/create/remove/bind) and no resv_list.  Creating a range that
 * overlaps another of its protocol, or holds a held port, fails with
 * PA_EINUSE.
 */
void pa_fake_use_blocks(struct pa_fake *f);
/* A reservation somebody else made. */
void pa_fake_add_block(struct pa_fake *f, unsigned proto, uint16_t first,
    uint16_t last);
/* The reservations, like "tcp:20300-20309,udp:20300-20309" (ascending by
 * first port, TCP first); "" when none. */
const char *pa_fake_blocks(struct pa_fake *f);
/* Makes every later create / remove / bind fail with this code (0:
 * stop). */
void pa_fake_fail_block_create(struct pa_fake *f, int code);
void pa_fake_fail_block_delete(struct pa_fake *f, int code);
void pa_fake_fail_resv_bind(struct pa_fake *f, int code);
/* How many resv_range->bind calls were made. */
unsigned pa_fake_resv_binds(const struct pa_fake *f);

/*
 * Sockets the core binds (bind_port, resv_range->bind): sockets of the
 * list, held by the caller, until closed.  resv_range->bind picks the
 * lowest port of the reservation that no socket uses.
 */
/* How many are open now. */
unsigned pa_fake_open_socks(const struct pa_fake *f);
/* The port of an open one; 0 when it is not open. */
uint16_t pa_fake_sock_port(const struct pa_fake *f, pa_socket_t s);
void pa_fake_sock_close(struct pa_fake *f, pa_socket_t s);

#endif

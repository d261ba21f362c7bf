/* Internal interfaces of the core (pa__ prefix): not part of the public API. */
#ifndef PA_CORE_H
#define PA_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "os/os.h"
#include "portalloc/portalloc.h"

/* The embedded default configuration. */
extern const char pa__default_config[];
#define PA__DEFAULT_CONFIG_NAME "(built-in default)"

/* Config checks that need the OS: blocks overlapping the OS's ephemeral
 * range must be reserved. */
int pa__config_check_os(const struct pa_config *cfg, const struct pa_os *os,
    struct pa_error *err);
/* pa_config_load with an explicit OS (tests pass their own). */
int pa__config_load_os(struct pa_config **out, const char *path,
    const struct pa_os *os, struct pa_error *err);
/* May the caller change system settings (reserve, unreserve, accel) from
 * cfg?  0 unless it is root and cfg->system_trusted is not set: then
 * PA_ECONFIG saying why. */
int pa__config_may_change_system(const struct pa_config *cfg,
    const struct pa_os *os, struct pa_error *err);

/* os->proc_part where the OS has it, else the whole of os->proc. */
static inline int
pa__proc(const struct pa_os *os, int64_t pid, unsigned want,
    struct pa_proc *p, struct pa_error *err)
{
	return os->proc_part != NULL ?
	    os->proc_part(os->ctx, pid, want, p, err) :
	    os->proc(os->ctx, pid, p, err);
}

/*
 * os->sockets begun now and waited for later, in the background when asked
 * and the OS can (sockets_start): a job owns either the OS's job or the
 * table sockets gave at once (or its error).  who waits at once and asks
 * for no thread.
 */
struct pa__sockjob {
	const struct pa_os *os;
	void *osjob;
	int rc;
	struct pa_socktab t;
	struct pa_error err;
};

static inline int
pa__sockets_start(const struct pa_os *os, const struct pa_portq *q,
    size_t nq, int pids, int background, struct pa__sockjob *j,
    struct pa_error *err)
{
	memset(j, 0, sizeof(*j));
	j->os = os;
	if (background && os->sockets_start != NULL &&
	    os->sockets_wait != NULL)
		return os->sockets_start(os->ctx, q, nq, pids, &j->osjob, err);
	j->rc = os->sockets(os->ctx, q, nq, pids, &j->t, &j->err);
	return 0;
}

/* The job's table into t (t NULL: dropped); what sockets returned. */
static inline int
pa__sockets_wait(struct pa__sockjob *j, struct pa_socktab *t,
    struct pa_error *err)
{
	int rc = j->rc;

	if (j->osjob != NULL) {
		rc = j->os->sockets_wait(j->os->ctx, j->osjob, t, err);
		j->osjob = NULL;
		return rc;
	}
	if (rc != 0 && err != NULL)
		*err = j->err;
	if (rc == 0 && t != NULL)
		*t = j->t;
	else
		pa__socktab_free(&j->t);
	memset(&j->t, 0, sizeof(j->t));
	return rc;
}

/* pa_check_start on os (tests give the fake). */
int pa__check_start_os(const struct pa_os *os, const struct pa_config *cfg,
    const char *block, struct pa_check_job **out, struct pa_error *err);

/*
 * The lease store (store.c, the only file that knows SQLite).
 */
struct pa_store;

int pa__store_open(struct pa_store **out, const char *path,
    const struct pa_os *os, struct pa_error *err);
void pa__store_close(struct pa_store *st);
const char *pa__store_path(const struct pa_store *st);

/* BEGIN IMMEDIATE: the one writer on the host until commit or rollback. */
int pa__store_begin(struct pa_store *st, struct pa_error *err);
int pa__store_commit(struct pa_store *st, struct pa_error *err);
void pa__store_rollback(struct pa_store *st);

/* Calls fn for each lease the filter's block, tag, owner_pid (the number
 * as recorded), uid and ports select, by port, straight from the query
 * (*l is the walk's own row, fn may change it).  fn's nonzero return stops
 * the walk and is returned; fn must not use the store. */
int pa__store_each(struct pa_store *st, const struct pa_filter *f,
    int (*fn)(struct pa_lease *l, void *arg), void *arg,
    struct pa_error *err);
/* Deletes the lease on each port of leases[0..n). */
int pa__store_delete(struct pa_store *st, const struct pa_lease *leases,
    size_t n, struct pa_error *err);
int pa__store_insert(struct pa_store *st, const struct pa_lease *l,
    struct pa_error *err);
/* A lease's owner as recorded: every distinct one with a lease.  pidns,
 * nspid and pidid are 0 where unknown (see struct pa_proc). */
struct pa__owner {
	int64_t pid;
	uint64_t start;
	char boot[48];
	uint64_t pidns;
	int64_t nspid;
	uint64_t pidid;
};
int pa__store_owners(struct pa_store *st, struct pa__owner **out, size_t *n,
    struct pa_error *err);
/*
 * Delete the expired leases / those of one owner.  With out not NULL, the
 * deleted leases are first appended to *out (*n of them, capacity *cap),
 * with their state set.
 */
int pa__store_take_expired(struct pa_store *st, int64_t now,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err);
int pa__store_take_owner(struct pa_store *st, const struct pa__owner *o,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err);
/* A leased port (any block, any protocol) and its owner. */
struct pa__leased {
	uint16_t port;
	struct pa__owner owner;
};
/* The first (at most max) leased ports from `from` to `last`, ascending,
 * into v[0..*n): one indexed range query, whatever the store holds. */
int pa__store_leased_from(struct pa_store *st, uint16_t from, uint16_t last,
    struct pa__leased *v, size_t max, size_t *n, struct pa_error *err);
/* The block's next-fit cursor; `first` when none is stored. */
int pa__store_cursor(struct pa_store *st, const char *block, uint16_t first,
    uint16_t *cursor, struct pa_error *err);
int pa__store_set_cursor(struct pa_store *st, const char *block,
    uint16_t cursor, struct pa_error *err);

/* The schema version this build writes. */
#define PA__STORE_VERSION 4

/*
 * Lease life (lease.c).
 */
struct pa__resv_strategy;
struct pa {
	const struct pa_config *cfg;
	const struct pa_os *os;
	struct pa_store *store;
	const struct pa__resv_strategy *resv;  /* chosen at open */
	uint64_t pidns;             /* the caller's PID namespace; 0 unknown */
};

/* pa_open with an explicit OS (tests pass a fake one). */
int pa__open_os(struct pa **out, const struct pa_config *cfg,
    const struct pa_os *os, struct pa_error *err);

/*
 * Owners (owner.c).
 */
/* The process that owns a new lease: want is a pid, 0 (the caller) or
 * PA_OWNER_PARENT (PORTALLOC_OWNER, else the caller's parent, skipping
 * the processes that only run portalloc and end with it).  *exiting is
 * set when the owner chosen looks about to exit (or is the host's init).
 * With passed (room for PA__OWNER_DEPTH), the processes skipped go there
 * (*npassed of them).  PA_ESRCH (with PA_HINT_OWNER) when there is none. */
#define PA__OWNER_DEPTH 16
int pa__owner_choose(const struct pa_os *os, uint64_t self_ns, int64_t want,
    struct pa_proc *owner, int *exiting, struct pa_proc *passed, int *npassed,
    struct pa_error *err);
/* The identity of a live process / of a lease's owner. */
void pa__owner_of_proc(const struct pa_os *os, const struct pa_proc *p,
    struct pa__owner *o);
void pa__owner_of_lease(const struct pa_lease *l, struct pa__owner *o);
int pa__owner_same(const struct pa__owner *a, const struct pa__owner *b);
/* The pid in the caller's PID namespace self_ns of an owner of that
 * namespace (or of one not known), from what a lease recorded (its
 * namespace, its pid there, the pid the recorder saw): its pid there
 * where the namespace is ours, else the pid recorded. */
int64_t pa__owner_pid_in(uint64_t self_ns, uint64_t pidns, int64_t nspid,
    int64_t pid);
/* Is the recorded owner still the same live process?  Judged from the
 * caller's PID namespace self_ns; 1 where it cannot be proven gone.  A
 * live owner recorded with another pid than the caller's namespace gives
 * it (a container's, seen from the host, or the reverse) has that pid put
 * in *here (if not NULL). */
int pa__owner_alive(const struct pa_os *os, uint64_t self_ns,
    const struct pa__owner *o, int64_t *here);
/* Is o the process with this pid in the caller's namespace: live, the
 * process now, read with its identity (NULL: no such process now, o dead
 * under that pid)?  A live owner recorded from another namespace is
 * matched by its namespace and its pid there. */
int pa__owner_is(uint64_t self_ns, const struct pa__owner *o, int64_t pid,
    const struct pa_proc *live);
/* The state of a lease now; the owner's pid here into *here (if not
 * NULL), as pa__owner_alive gives it. */
enum pa_lease_state pa__lease_state(const struct pa *pa,
    const struct pa_lease *l, int64_t *here);
/* Inside a transaction: deletes the leases of dead owners and expired ones,
 * appending them to *out (if out is not NULL). */
int pa__reclaim(struct pa *pa, struct pa_lease **out, size_t *n,
    struct pa_error *err);
/* Inside a transaction: when owner o is provably gone, deletes its leases
 * (appending them to *out, *n of them, capacity *cap, if out is not NULL)
 * and returns 1; 0 while it may be alive; or an error. */
int pa__reclaim_owner(struct pa *pa, const struct pa__owner *o,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err);

/* pa_who with an explicit OS. */
int pa__who_os(const struct pa_os *os, const struct pa_port_query *q,
    size_t nq, struct pa_holder **out, size_t *n, unsigned *unreadable,
    struct pa_error *err);

/*
 * OS port reservations (resv/; their rows live in store.c).
 */
/* A set of port numbers 0-65535 (resv/ports.c). */
struct pa__ports {
	unsigned char bits[65536 / 8];
};
/* Parses a list like "1,5-9,20000-20999" (blanks around items and a final
 * newline allowed; "" is the empty set) into *set.  PA_EDATA otherwise. */
int pa__ports_parse(const char *text, struct pa__ports *set);
/* The set as the kernel writes it: ascending, ranges coalesced, "" when
 * empty; malloc'd into *text.  0 or PA_ENOMEM. */
int pa__ports_render(const struct pa__ports *set, char **text);
void pa__ports_add(struct pa__ports *set, uint16_t first, uint16_t last);
void pa__ports_remove(struct pa__ports *set, uint16_t first,
    uint16_t last);
/* How many of first..last are in set. */
unsigned pa__ports_count(const struct pa__ports *set, uint16_t first,
    uint16_t last);
/* set |= other; set &= ~other. */
void pa__ports_union(struct pa__ports *set, const struct pa__ports *other);
void pa__ports_minus(struct pa__ports *set, const struct pa__ports *other);
int pa__ports_equal(const struct pa__ports *a, const struct pa__ports *b);
/* The value of net.ipv4.ip_local_reserved_ports in a sysctl.d file's text
 * (the last setting wins) into *set; the empty set when it has none. */
int pa__dropin_parse(const char *text, struct pa__ports *set);
/* The drop-in's text that reserves set at boot, malloc'd into *text;
 * NULL (no file) when set is empty.  0 or PA_ENOMEM. */
int pa__dropin_text(const struct pa__ports *set, char **text);

/*
 * A reservation portalloc made, as the store keeps it: one row per place
 * and block.  The place is the network namespace for the list shape, and
 * PA__RESV_HOST for the range shape (its reservations are host-wide).
 * Each shape fills its own column of what portalloc itself added, and
 * leaves the other empty.
 */
#define PA__RESV_HOST "host"
struct pa__resv_row {
	char netns[PA_NETNS_MAX];
	char block[PA_NAME_MAX];
	uint16_t first, last;       /* the block's ports when reserved */
	char *added_ports;          /* list: the ports it added; "" */
	unsigned added_protos;      /* range: the protocols it reserved */
	int persistent;
	int64_t created;
};
/* The row of rows[0..n) for netns and block, or NULL (resv/report.c). */
struct pa__resv_row *pa__resv_row_find(const struct pa__resv_row *rows,
    size_t n, const char *netns, const char *block);
/* Every reservation row, by namespace and first port. */
int pa__store_resv_select(struct pa_store *st, struct pa__resv_row **out,
    size_t *n, struct pa_error *err);
/* Records r, replacing the row of its namespace and block. */
int pa__store_resv_put(struct pa_store *st, const struct pa__resv_row *r,
    struct pa_error *err);
int pa__store_resv_delete(struct pa_store *st, const char *netns,
    const char *block, struct pa_error *err);
void pa__resv_rows_free(struct pa__resv_row *v, size_t n);

/*
 * A reservation strategy: how pa_reserve, pa_unreserve, pa_reservations
 * and pa_get's check are done for one shape of OS reservation.  resv/
 * resv.c picks one at pa_open from the OS's ops (resv/list.c for
 * resv_list, resv/range.c for resv_range) and words what is common to
 * both (hints, the blocks a reserve covers).
 */
struct pa__resv_strategy {
	enum pa_resv_shape shape;
	/* Reserves blocks[0..n) (n > 0) in one change, committed or
	 * undone; *out describes it. */
	int (*reserve)(struct pa *pa, const struct pa_block *const *blocks,
	    size_t n, struct pa_resv_report **out, struct pa_error *err);
	/* Undoes portalloc's reservations of block (NULL: every one here). */
	int (*unreserve)(struct pa *pa, const char *block,
	    struct pa_resv_report **out, struct pa_error *err);
	int (*report)(struct pa *pa, struct pa_resv_report **out,
	    struct pa_error *err);
	/* 1 when the OS reserves all of b for what it serves, 0 when it
	 * does not, or an error. */
	int (*covered)(struct pa *pa, const struct pa_block *b,
	    struct pa_error *err);
	/* 0 once the OS reserves all of b for what it serves (reserving it
	 * if it does not); PA_EPERM when this user may not. */
	int (*ensure)(struct pa *pa, const struct pa_block *b,
	    struct pa_error *err);
};
/* The strategy for os (one that answers PA_ENOTSUP where it has no
 * reservations). */
const struct pa__resv_strategy *pa__resv_choose(const struct pa_os *os);
extern const struct pa__resv_strategy pa__resv_list;
extern const struct pa__resv_strategy pa__resv_range;

/* For pa_get: 0 once the OS reserves all of block b (reserving it if b
 * asks for it and the OS does not yet); otherwise an error saying why,
 * with PA_HINT_RESERVE when a user with privilege could. */
int pa__reserve_ensure(struct pa *pa, const struct pa_block *b,
    struct pa_error *err);

/*
 * Shared by both strategies (resv/report.c): the pieces of a report.
 */
/* The blocks a reserve covers (the named one, or every block with
 * reserve = runtime or persistent); *v is malloc'd. */
int pa__resv_pick_blocks(const struct pa_config *cfg, const char *name,
    const struct pa_block ***v, size_t *n, struct pa_error *err);
/* A new report of shape, with the ephemeral range filled in; NULL when
 * out of memory. */
struct pa_resv_report *pa__resv_report_new(enum pa_resv_shape shape,
    const struct pa_os *os);
/*
 * Visits the configured blocks (each with its row of place `here`, if
 * any), then the rows of `here` that no block matches, then the rows of
 * other places: fn(ctx, b, row, is_here) with b or row NULL.
 */
/* The protocols an entry of b and/or row is about: the block's; for a row
 * no block matches, those portalloc reserved (range), else both. */
unsigned pa__resv_protos(const struct pa_block *b,
    const struct pa__resv_row *row);
typedef int (*pa__resv_visit_fn)(void *ctx, const struct pa_block *b,
    const struct pa__resv_row *row, int is_here);
int pa__resv_walk(const struct pa_config *cfg,
    const struct pa__resv_row *rows, size_t nrows, const char *here,
    pa__resv_visit_fn fn, void *ctx);
/*
 * Adds r's entries in the order of pa__resv_walk, and the warnings about
 * those of this place; os_part(ctx, e, err) fills in what the OS does
 * for each entry of this place.
 */
int pa__resv_entries(struct pa_resv_report *r, const struct pa_config *cfg,
    const struct pa__resv_row *rows, size_t nrows, const char *here,
    int (*os_part)(void *ctx, struct pa_resv *e, struct pa_error *err),
    void *ctx, struct pa_error *err);
/* Appends an action to *v (*n of them), taking ports (malloc'd text, freed
 * on failure); frees an array of them. */
int pa__resv_action_push(struct pa_resv_action **v, size_t *n,
    const char *block, uint16_t first, uint16_t last, int persistent,
    char *ports, unsigned protos, struct pa_error *err);
void pa__resv_actions_free(struct pa_resv_action *v, size_t n);
/* Completes a report made after a reserve or unreserve with the ports
 * reserved before and the actions, handed over (*actions emptied); on
 * failure frees the report (*out NULL). */
int pa__resv_report_done(struct pa_resv_report **out,
    const struct pa__ports *before, struct pa_resv_action **actions,
    size_t *nactions, struct pa_error *err);
/* Appends "; and it could not be undone (U): ..." to err's message. */
void pa__resv_undo_failed(struct pa_error *err, const struct pa_error *u);
/* A change that failed with rc: says so in err when nothing was left
 * changed (undo_failed 0) and the caller lacked the right. */
int pa__resv_failed(struct pa_error *err, int rc, int undo_failed);

/* A fault point (fault.c): kills the process here when the crash tests ask
 * for it with $PORTALLOC_TEST_FAULT.  It exists only in the build made for
 * them (PA_FAULTS, tests/CMakeLists.txt); elsewhere it is nothing. */
#ifdef PA_FAULTS
void pa__fault(const char *point);
#else
#define pa__fault(point) ((void)0)
#endif

#endif /* PA_CORE_H */

/*
 * The lease store: one SQLite database in WAL mode.  This is the only file
 * that includes sqlite3.h.  Allocation happens inside BEGIN IMMEDIATE, which
 * makes it the one writer on the host until it commits.
 *
 * A file that is not a portalloc store (not SQLite, corrupt, somebody else's
 * database, a newer schema, one that lost its -wal) is reported and never
 * written to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/core.h"

#define BUSY_TIMEOUT_MS 30000

struct pa_store {
	sqlite3 *db;
	int wal_frames;             /* in the WAL after our last commit */
	const struct pa_os *os;
	intptr_t lock;              /* the OS's store lock, -1 when not held */
	int batched;                /* in the OS's ns_batch (a transaction) */
	sqlite3_stmt *insert;       /* prepared once: a get inserts n rows */
	char path[PA_PATH_MAX];
};

static void store_unlock(struct pa_store *st);

/* The OS's ns_batch (os.h) on or off, where it has one. */
static void
ns_batch(const struct pa_store *st, int on)
{
	if (st->os->ns_batch != NULL)
		st->os->ns_batch(st->os->ctx, on);
}

/* The end of a transaction's batch, once. */
static void
batch_end(struct pa_store *st)
{
	if (st->batched) {
		st->batched = 0;
		ns_batch(st, 0);
	}
}

/*
 * Checkpoints.  Every command is a short process, and SQLite's default,
 * a checkpoint when the last connection closes, costs four fdatasync
 * calls a run.  Instead the WAL is left to the next process (which replays
 * it: cheap while it is short) and checkpointed, and truncated, once it
 * holds more than this many frames.  Crash safety is WAL's either way.
 */
#define CHECKPOINT_FRAMES 64

static int
count_frames(void *arg, sqlite3 *db, const char *name, int frames)
{
	((struct pa_store *)arg)->wal_frames = frames;
	/* a long-lived handle (a harness using the C API) checkpoints as
	 * SQLite would by default */
	if (frames >= 1000)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	return SQLITE_OK;
}

/* migrations[v] takes a store from schema version v to v + 1. */
static const char *const migrations[] = {
	"CREATE TABLE lease ("
	"  port INTEGER PRIMARY KEY,"   /* one owner per port number */
	"  protos INTEGER NOT NULL,"
	"  block TEXT NOT NULL,"
	"  owner_pid INTEGER NOT NULL,"
	"  owner_start INTEGER NOT NULL,"
	"  owner_boot TEXT NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  tag TEXT NOT NULL DEFAULT '',"
	"  command TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX lease_owner ON lease(owner_pid, owner_start, owner_boot);"
	"CREATE INDEX lease_expires ON lease(expires) WHERE expires != 0;"
	"CREATE TABLE cursor ("
	"  block TEXT PRIMARY KEY,"
	"  next INTEGER NOT NULL"
	") WITHOUT ROWID;",
	/* 1 -> 2: the OS reservations portalloc made (reserve.c) */
	"CREATE TABLE reservation ("
	"  netns TEXT NOT NULL,"        /* e.g. net:[4026531840] */
	"  block TEXT NOT NULL,"
	"  first INTEGER NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  added TEXT NOT NULL DEFAULT '',"  /* ports portalloc itself added */
	"  persistent INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (netns, block)"
	") WITHOUT ROWID;",
	/* 2 -> 3: `added` held ports (list shape) or protocols (range shape,
	 * "tcp", "udp", "tcp,udp"): one typed column for each */
	"CREATE TABLE reservation3 ("
	"  netns TEXT NOT NULL,"
	"  block TEXT NOT NULL,"
	"  first INTEGER NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  added_ports TEXT NOT NULL DEFAULT '',"   /* list: ports added */
	"  added_protos INTEGER NOT NULL DEFAULT 0," /* range: PA_TCP|PA_UDP */
	"  persistent INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (netns, block)"
	") WITHOUT ROWID;"
	"INSERT INTO reservation3 SELECT netns, block, first, last,"
	"  CASE WHEN added GLOB '*[a-z]*' THEN '' ELSE added END,"
	"  CASE added WHEN 'tcp' THEN 1 WHEN 'udp' THEN 2"
	"    WHEN 'tcp,udp' THEN 3 ELSE 0 END,"
	"  persistent, created FROM reservation;"
	"DROP TABLE reservation;"
	"ALTER TABLE reservation3 RENAME TO reservation;",
	/* 3 -> 4: the owner across PID namespaces and pid reuse (owner.c),
	 * and the stamp, a row every store has from its creation on */
	"ALTER TABLE lease ADD COLUMN owner_pidns INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lease ADD COLUMN owner_nspid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lease ADD COLUMN owner_pidid INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE stamp ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  created INTEGER NOT NULL"
	");"
	"INSERT INTO stamp VALUES (1, CAST(strftime('%s', 'now') AS INTEGER));",
};

static int
code_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return PA_ENOMEM;
	case SQLITE_CANTOPEN:
		return PA_ESTORE;
	default:
		return PA_EIO;
	}
}

/* Reports a failed SQLite call with the store's path. */
static int
store_err(const struct pa_store *st, struct pa_error *err, int rc,
    const char *what)
{
	const char *text = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	if ((rc & 0xff) == SQLITE_READONLY)
		return pa__err(err, PA_EIO, "store %s cannot be written by "
		    "this user (%s): its owner can fix the modes of the file "
		    "and its directory, or set PORTALLOC_STORE", st->path,
		    text);
	return pa__err(err, code_of(rc), "store %s: %s: %s", st->path, what,
	    text);
}

static int
exec_sql(struct pa_store *st, const char *sql, const char *what,
    struct pa_error *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_err(st, err, rc, what);
}

static int
prepare(struct pa_store *st, const char *sql, sqlite3_stmt **stmt,
    struct pa_error *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

	return rc == SQLITE_OK ? 0 : store_err(st, err, rc, "query");
}

/*
 * Refuses what is not (yet) a portalloc store.  Reads only, in one
 * statement, so that the version and the tables come from one snapshot even
 * while another process is creating the schema.
 */
static int
check_version(struct pa_store *st, int64_t *version, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int64_t tables = 0;
	int rc;

	if ((rc = prepare(st, "SELECT (SELECT user_version FROM "
	    "pragma_user_version), (SELECT count(*) FROM sqlite_master)",
	    &stmt, err)) != 0)
		goto refuse;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(stmt, 0);
		tables = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		goto refuse;
	if (*version > PA__STORE_VERSION)
		return pa__err(err, PA_EIO, "store %s has schema version %lld, "
		    "newer than this portalloc (%s) knows (%d); it was left "
		    "as it is: use a newer portalloc", st->path,
		    (long long)*version, PA_VERSION, PA__STORE_VERSION);
	if (*version == 0 && tables != 0)
		return pa__err(err, PA_EIO, "store %s is an SQLite database "
		    "but not a portalloc lease store; it was left as it is",
		    st->path);
	return 0;
refuse:
	switch (sqlite3_errcode(st->db)) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return pa__err(err, PA_EIO, "store %s is not a portalloc lease "
		    "store (%s); it was left as it is: move it away or set "
		    "PORTALLOC_STORE", st->path, sqlite3_errmsg(st->db));
	default:
		return store_err(st, err, sqlite3_errcode(st->db),
		    "cannot read");
	}
}

/*
 * A store's main file holds its schema and stamp from its creation on (the
 * creation is checkpointed into it), so that a store is never made anew
 * over one that lost its -wal; a store without its stamp is damaged.
 */
static int
check_stamp(struct pa_store *st, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc, rows = 0;

	if ((rc = prepare(st, "SELECT count(*) FROM stamp", &stmt, err)) != 0)
		return rc;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		rows = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (rows != 1)
		return pa__hint(err, pa__err(err, PA_EIO, "store %s is damaged "
		    "(its stamp is gone); it was left as it is: move it away",
		    st->path), PA_HINT_STORE, NULL);
	return 0;
}

/* Opens path + suffix for reading through SQLite's file layer: a
 * malloc'd handle, or NULL (no such file). */
static sqlite3_file *
vfs_open(sqlite3_vfs *vfs, const char *path, const char *suffix)
{
	char name[PA_PATH_MAX + 8];
	sqlite3_file *f;
	int out = 0;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	if (vfs->xAccess(vfs, name, SQLITE_ACCESS_EXISTS, &out) != SQLITE_OK ||
	    !out || (f = calloc(1, (size_t)vfs->szOsFile)) == NULL)
		return NULL;
	if (vfs->xOpen(vfs, name, f, SQLITE_OPEN_READONLY | SQLITE_OPEN_WAL,
	    &out) != SQLITE_OK) {
		if (f->pMethods != NULL)
			f->pMethods->xClose(f);
		free(f);
		return NULL;
	}
	return f;
}

static void
vfs_close(sqlite3_file *f)
{
	if (f != NULL) {
		f->pMethods->xClose(f);
		free(f);
	}
}

/* The first 100 bytes of the -shm index (its header, twice, and the
 * checkpoint's count); 0 when it is being written. */
static int
read_index(sqlite3_file *shm, unsigned char *hdr)
{
	return shm->pMethods->xRead(shm, hdr, 100, 0) == SQLITE_OK &&
	    memcmp(hdr, hdr + 48, 48) == 0 && hdr[12] != 0;
}

/* The -wal's size; 0 when there is none. */
static sqlite3_int64
wal_size(sqlite3_vfs *vfs, const char *path)
{
	sqlite3_file *wal = vfs_open(vfs, path, "-wal");
	sqlite3_int64 size = 0;

	if (wal == NULL)
		return 0;
	if (wal->pMethods->xFileSize(wal, &size) != SQLITE_OK)
		size = INT64_MAX;
	vfs_close(wal);
	return size;
}

/* Does the index read into hdr promise frames a log of size bytes cannot
 * hold? */
static int
frames_missing(const unsigned char *hdr, sqlite3_int64 size)
{
	uint32_t mx;
	uint16_t page;

	memcpy(&page, hdr + 14, 2);
	memcpy(&mx, hdr + 16, 4);
	return size < 32 + (sqlite3_int64)mx * (24 + (page == 1 ? 65536 :
	    page));
}

/*
 * Did the -wal lose frames the main file does not have?  SQLite's index
 * (-shm) says how many frames the log holds (mxFrame) and how many were
 * copied into the main file (nBackfill); a log shorter than that, or gone,
 * lost the leases made since the last checkpoint, which SQLite would
 * silently forget.  Read before SQLite opens the store; an index that
 * changed meanwhile (another process checkpointed) proves nothing.
 */
static int
wal_lost(const char *path)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
	unsigned char hdr[100], again[100];
	uint32_t mx, backfill;
	sqlite3_file *shm;
	sqlite3_int64 size;
	int lost = 0;

	if (vfs == NULL || (shm = vfs_open(vfs, path, "-shm")) == NULL)
		return 0;
	if (read_index(shm, hdr)) {
		memcpy(&mx, hdr + 16, 4);
		memcpy(&backfill, hdr + 96, 4);
		/* mx <= backfill: every frame is in the main file */
		if (mx > backfill) {
			size = wal_size(vfs, path);
			lost = read_index(shm, again) &&
			    memcmp(hdr, again, 100) == 0 &&
			    frames_missing(hdr, size);
		}
	}
	vfs_close(shm);
	return lost;
}

/* Brings the schema to PA__STORE_VERSION, one step at a time. */
static int
migrate(struct pa_store *st, struct pa_error *err)
{
	char sql[64];
	int64_t v;
	int rc;

	if ((rc = pa__store_begin(st, err)) != 0)
		return rc;
	/* Another process may have done it while we waited for the lock. */
	if ((rc = check_version(st, &v, err)) != 0)
		goto fail;
	for (; v < PA__STORE_VERSION; v++) {
		if ((rc = exec_sql(st, migrations[v], "cannot create schema",
		    err)) != 0)
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    PA__STORE_VERSION);
	if ((rc = exec_sql(st, sql, "cannot set schema version", err)) != 0)
		goto fail;
	return pa__store_commit(st, err);
fail:
	pa__store_rollback(st);
	return rc;
}

/* Switching a new store to WAL may meet another process doing the same;
 * SQLite then answers SQLITE_BUSY at once, without its busy handler. */
static int
enable_wal(struct pa_store *st, struct pa_error *err)
{
	int rc, waited = 0;

	for (;;) {
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL,
		    NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
			break;
		sqlite3_sleep(5);
		waited += 5;
	}
	return rc == SQLITE_OK ? 0 : store_err(st, err, rc,
	    "cannot enable WAL");
}

int
pa__store_open(struct pa_store **out, const char *path,
    const struct pa_os *os, struct pa_error *err)
{
	struct pa_store *st;
	int64_t version;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	st->os = os;
	st->lock = -1;
	if (pa__strlcpy(st->path, path, sizeof(st->path))) {
		free(st);
		return pa__err(err, PA_ESTORE, "store path too long: %s", path);
	}
	if ((rc = os->prepare_store(os->ctx, path, err)) != 0)
		goto fail;
	if (wal_lost(path)) {
		rc = pa__hint(err, pa__err(err, PA_EIO, "store %s lost its "
		    "write-ahead log (%s-wal is missing or cut short): the "
		    "leases made since its last checkpoint are gone, and their "
		    "ports could be handed out twice; it was left as it is: "
		    "stop every portalloc using it, then move it away", path,
		    path), PA_HINT_STORE, NULL);
		goto fail;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		rc = pa__err(err, PA_ESTORE, "cannot open store %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(st->db, count_frames, st);
	if ((rc = check_version(st, &version, err)) != 0)
		goto fail;
	if (version >= 3 && (rc = check_stamp(st, err)) != 0)
		goto fail;
	if (version < PA__STORE_VERSION) {
		if (version == 0 && (rc = enable_wal(st, err)) != 0)
			goto fail;
		if ((rc = migrate(st, err)) != 0)
			goto fail;
		/* the schema and stamp into the main file (see check_stamp) */
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_FULL,
		    NULL, NULL);
	}
	if ((rc = exec_sql(st, "PRAGMA synchronous = NORMAL",
	    "cannot configure", err)) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	pa__store_close(st);
	return rc;
}

void
pa__store_close(struct pa_store *st)
{
	if (st == NULL)
		return;
	batch_end(st);
	store_unlock(st);
	sqlite3_finalize(st->insert);
	if (st->wal_frames > CHECKPOINT_FRAMES)
		sqlite3_wal_checkpoint_v2(st->db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(st->db);
	free(st);
}

const char *
pa__store_path(const struct pa_store *st)
{
	return st->path;
}

/*
 * How long a writer waits for the store's lock before it names the
 * process holding it: $PORTALLOC_LOCK_TIMEOUT seconds (fractions allowed,
 * for tests), else as long as SQLite's busy timeout.
 */
static int
lock_timeout_ms(void)
{
	const char *s = getenv("PORTALLOC_LOCK_TIMEOUT");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return BUSY_TIMEOUT_MS;
	v = strtod(s, &end);
	if (*end != '\0' || !(v >= 0) || v > 86400)
		return BUSY_TIMEOUT_MS;
	return (int)(v * 1000);
}

/*
 * Takes the OS's store lock, where it has one, so that writers queue in
 * the kernel rather than in SQLite's sleeping busy handler.  A holder
 * that keeps it past the timeout is named, not waited on in silence.
 */
static int
store_lock(struct pa_store *st, struct pa_error *err)
{
	const struct pa_os *os = st->os;
	int ms = lock_timeout_ms();
	struct pa_proc p;
	int64_t pid;
	int rc;

	if (os == NULL || os->store_lock == NULL || st->lock >= 0)
		return 0;
	rc = os->store_lock(os->ctx, st->path, ms, &st->lock, &pid, err);
	if (rc != PA_EIO || pid <= 0)
		return rc;
	if (pa__proc(os, pid, 0, &p, NULL) != 0)
		pa__strlcpy(p.name, "?", sizeof(p.name));
	return pa__err(err, PA_EIO, "store %s is locked by pid %lld (%s); "
	    "gave up after waiting %d.%03d s for it: that process may be "
	    "stuck; nothing was changed", st->path, (long long)pid, p.name,
	    ms / 1000, ms % 1000);
}

static void
store_unlock(struct pa_store *st)
{
	if (st->lock >= 0)
		st->os->store_unlock(st->os->ctx, st->lock);
	st->lock = -1;
}

int
pa__store_begin(struct pa_store *st, struct pa_error *err)
{
	int rc;

	if ((rc = store_lock(st, err)) != 0)
		return rc;
	if ((rc = exec_sql(st, "BEGIN IMMEDIATE", "cannot lock", err)) != 0) {
		store_unlock(st);
		return rc;
	}
	/* the leases are the transaction's: owners judged in it may be
	 * looked up in one look at the processes */
	ns_batch(st, 1);
	st->batched = 1;
	pa__fault("store.begin");
	return 0;
}

int
pa__store_commit(struct pa_store *st, struct pa_error *err)
{
	int rc;

	pa__fault("store.commit");
	rc = exec_sql(st, "COMMIT", "cannot commit", err);
	if (rc != 0) {
		pa__store_rollback(st);
		return rc;
	}
	batch_end(st);
	store_unlock(st);
	pa__fault("store.committed");
	return 0;
}

void
pa__store_rollback(struct pa_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	batch_end(st);
	store_unlock(st);
}

#define LEASE_COLUMNS "port, protos, block, owner_pid, owner_start, " \
	"owner_boot, uid, tag, command, created, expires, owner_pidns, " \
	"owner_nspid, owner_pidid"

static void
text_column(sqlite3_stmt *stmt, int col, char *buf, size_t len)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	pa__strlcpy(buf, s ? (const char *)s : "", len);
}

static void
row_to_lease(sqlite3_stmt *stmt, struct pa_lease *l)
{
	memset(l, 0, sizeof(*l));
	l->port = (uint16_t)sqlite3_column_int(stmt, 0);
	l->protos = (unsigned)sqlite3_column_int(stmt, 1);
	text_column(stmt, 2, l->block, sizeof(l->block));
	l->owner_pid = sqlite3_column_int64(stmt, 3);
	l->owner_start = (uint64_t)sqlite3_column_int64(stmt, 4);
	text_column(stmt, 5, l->owner_boot, sizeof(l->owner_boot));
	l->uid = sqlite3_column_int64(stmt, 6);
	text_column(stmt, 7, l->tag, sizeof(l->tag));
	text_column(stmt, 8, l->command, sizeof(l->command));
	l->created = sqlite3_column_int64(stmt, 9);
	l->expires = sqlite3_column_int64(stmt, 10);
	l->owner_pidns = (uint64_t)sqlite3_column_int64(stmt, 11);
	l->owner_nspid = sqlite3_column_int64(stmt, 12);
	l->owner_pidid = (uint64_t)sqlite3_column_int64(stmt, 13);
}

static int
by_port16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * A filter's ports in ascending order, for a binary search per row: check
 * passes the thousand or ten thousand ports of its blocks, already in
 * order, and they are used as they are; others are sorted into a copy
 * (*copy, for the caller to free).  NULL when there are few, or out of
 * memory (then port_selected looks through f->ports).
 */
static const uint16_t *
ports_sorted(const struct pa_filter *f, uint16_t **copy)
{
	size_t i;

	*copy = NULL;
	if (f->nports < 16)
		return NULL;
	for (i = 1; i < f->nports && f->ports[i - 1] <= f->ports[i]; i++)
		;
	if (i == f->nports)
		return f->ports;
	if ((*copy = malloc(f->nports * sizeof(**copy))) == NULL)
		return NULL;
	memcpy(*copy, f->ports, f->nports * sizeof(**copy));
	qsort(*copy, f->nports, sizeof(**copy), by_port16);
	return *copy;
}

static int
port_selected(const struct pa_filter *f, const uint16_t *sorted,
    uint16_t port)
{
	size_t i, lo = 0, hi = f->nports, mid;

	if (f->nports == 0)
		return 1;
	if (sorted == NULL) {
		for (i = 0; i < f->nports; i++)
			if (f->ports[i] == port)
				return 1;
		return 0;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sorted[mid] == port)
			return 1;
		if (sorted[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The lowest and highest of the filter's ports. */
static void
ports_span(const struct pa_filter *f, uint16_t *lo, uint16_t *hi)
{
	size_t i;

	*lo = 65535;
	*hi = 0;
	for (i = 0; i < f->nports; i++) {
		*lo = f->ports[i] < *lo ? f->ports[i] : *lo;
		*hi = f->ports[i] > *hi ? f->ports[i] : *hi;
	}
}

/* The statement of a walk: the filter's block, tag, owner pid and uid
 * bound, and its ports' span (the ports themselves are checked per row):
 * a store's other leases are not even read. */
static int
prepare_select(struct pa_store *st, const struct pa_filter *f,
    sqlite3_stmt **stmt, struct pa_error *err)
{
	char sql[512];
	uint16_t lo, hi;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT " LEASE_COLUMNS " FROM lease "
	    "WHERE 1%s%s%s%s%s ORDER BY port",
	    f->block ? " AND block = ?1" : "",
	    f->tag ? " AND tag = ?2" : "",
	    f->owner_pid ? " AND owner_pid = ?3" : "",
	    f->uid >= 0 ? " AND uid = ?4" : "",
	    f->nports > 0 ? " AND port BETWEEN ?5 AND ?6" : "");
	if ((rc = prepare(st, sql, stmt, err)) != 0)
		return rc;
	if (f->nports > 0) {
		ports_span(f, &lo, &hi);
		sqlite3_bind_int(*stmt, 5, lo);
		sqlite3_bind_int(*stmt, 6, hi);
	}
	if (f->block)
		sqlite3_bind_text(*stmt, 1, f->block, -1, SQLITE_STATIC);
	if (f->tag)
		sqlite3_bind_text(*stmt, 2, f->tag, -1, SQLITE_STATIC);
	if (f->owner_pid)
		sqlite3_bind_int64(*stmt, 3, f->owner_pid);
	if (f->uid >= 0)
		sqlite3_bind_int64(*stmt, 4, f->uid);
	return 0;
}

/*
 * A walk outside a transaction reads each page once: it keeps SQLite's
 * page cache to WALK_CACHE_KIB (instead of the default 2 MiB, which a
 * store of some thousand leases fills), so that a listing costs the same
 * memory whatever the store holds.  Inside a transaction the cache is left
 * alone (pages it changed must not spill).  The old size, to restore.
 */
#define WALK_CACHE_KIB 64

/* PRAGMA cache_size = size (pages, or -KiB); best effort. */
static void
walk_cache_set(struct pa_store *st, int64_t size)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %lld",
	    (long long)size);
	sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static int64_t
walk_cache_begin(struct pa_store *st)
{
	sqlite3_stmt *stmt;
	int64_t old = 0;

	if (!sqlite3_get_autocommit(st->db))
		return 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA cache_size", -1, &stmt,
	    NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		old = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (old != 0)
		walk_cache_set(st, -WALK_CACHE_KIB);
	return old;
}

int
pa__store_each(struct pa_store *st, const struct pa_filter *f,
    int (*fn)(struct pa_lease *, void *), void *arg, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	struct pa_lease l;
	const uint16_t *sorted;
	uint16_t *copy;
	int64_t cache;
	int rc, stop = 0;

	if ((rc = prepare_select(st, f, &stmt, err)) != 0)
		return rc;
	sorted = ports_sorted(f, &copy);
	cache = walk_cache_begin(st);
	ns_batch(st, 1);    /* the rows read here were written before */
	while (stop == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		row_to_lease(stmt, &l);
		if (port_selected(f, sorted, l.port))
			stop = fn(&l, arg);
	}
	ns_batch(st, 0);
	sqlite3_finalize(stmt);
	free(copy);
	if (cache != 0)
		walk_cache_set(st, cache);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot read leases");
	return 0;
}

int
pa__store_delete(struct pa_store *st, const struct pa_lease *leases,
    size_t n, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	size_t i;
	int rc;

	if ((rc = prepare(st, "DELETE FROM lease WHERE port = ?", &stmt,
	    err)) != 0)
		return rc;
	rc = SQLITE_DONE;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int(stmt, 1, leases[i].port);
		rc = sqlite3_step(stmt);
		sqlite3_reset(stmt);
		if (rc != SQLITE_DONE)
			break;
		pa__fault("store.delete");
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot delete lease");
	return 0;
}

int
pa__store_insert(struct pa_store *st, const struct pa_lease *l,
    struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if (st->insert == NULL && (rc = prepare(st, "INSERT INTO lease ("
	    LEASE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?)", &st->insert, err)) != 0)
		return rc;
	stmt = st->insert;
	sqlite3_bind_int(stmt, 1, l->port);
	sqlite3_bind_int(stmt, 2, (int)l->protos);
	sqlite3_bind_text(stmt, 3, l->block, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, l->owner_pid);
	sqlite3_bind_int64(stmt, 5, (int64_t)l->owner_start);
	sqlite3_bind_text(stmt, 6, l->owner_boot, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, l->uid);
	sqlite3_bind_text(stmt, 8, l->tag, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, l->command, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 10, l->created);
	sqlite3_bind_int64(stmt, 11, l->expires);
	sqlite3_bind_int64(stmt, 12, (int64_t)l->owner_pidns);
	sqlite3_bind_int64(stmt, 13, l->owner_nspid);
	sqlite3_bind_int64(stmt, 14, (int64_t)l->owner_pidid);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		rc = store_err(st, err, rc, "cannot record lease");
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return rc;
	pa__fault("store.insert");
	return 0;
}

/* What identifies an owner, in the order row_to_owner reads it. */
#define OWNER_COLUMNS "owner_pid, owner_start, owner_boot, owner_pidns, " \
	"owner_nspid, owner_pidid"

static void
row_to_owner(sqlite3_stmt *stmt, int col, struct pa__owner *o)
{
	o->pid = sqlite3_column_int64(stmt, col);
	o->start = (uint64_t)sqlite3_column_int64(stmt, col + 1);
	text_column(stmt, col + 2, o->boot, sizeof(o->boot));
	o->pidns = (uint64_t)sqlite3_column_int64(stmt, col + 3);
	o->nspid = sqlite3_column_int64(stmt, col + 4);
	o->pidid = (uint64_t)sqlite3_column_int64(stmt, col + 5);
}

int
pa__store_owners(struct pa_store *st, struct pa__owner **out, size_t *n,
    struct pa_error *err)
{
	struct pa__owner *v = NULL, *nv;
	sqlite3_stmt *stmt;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(st, "SELECT DISTINCT " OWNER_COLUMNS " FROM lease",
	    &stmt, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		row_to_owner(stmt, 0, &v[*n]);
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return store_err(st, err, rc, "cannot read owners");
	}
	*out = v;
	return 0;
}

/* The WHERE clause of a reclaim: expired leases (?1 = now), or those of one
 * owner (?2 pid, ?3 start, ?4 boot, ?5 PID namespace, ?6 pid there, ?7 id). */
#define EXPIRED_WHERE "expires != 0 AND expires <= ?1"
#define OWNER_WHERE "owner_pid = ?2 AND owner_start = ?3 AND owner_boot = ?4 " \
	"AND owner_pidns = ?5 AND owner_nspid = ?6 AND owner_pidid = ?7"

static int
take(struct pa_store *st, const char *where, int64_t now,
    const struct pa__owner *o, enum pa_lease_state state,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err)
{
	char sql[512];
	sqlite3_stmt *stmt;
	struct pa_lease l;
	int rc, pass;

	/* the rows first, if the caller wants them, then the delete */
	for (pass = out ? 0 : 1; pass < 2; pass++) {
		snprintf(sql, sizeof(sql), pass == 0 ? "SELECT " LEASE_COLUMNS
		    " FROM lease WHERE %s ORDER BY port" :
		    "DELETE FROM lease WHERE %s", where);
		if ((rc = prepare(st, sql, &stmt, err)) != 0)
			return rc;
		if (o == NULL) {
			sqlite3_bind_int64(stmt, 1, now);
		} else {
			sqlite3_bind_int64(stmt, 2, o->pid);
			sqlite3_bind_int64(stmt, 3, (int64_t)o->start);
			sqlite3_bind_text(stmt, 4, o->boot, -1, SQLITE_STATIC);
			sqlite3_bind_int64(stmt, 5, (int64_t)o->pidns);
			sqlite3_bind_int64(stmt, 6, o->nspid);
			sqlite3_bind_int64(stmt, 7, (int64_t)o->pidid);
		}
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			row_to_lease(stmt, &l);
			l.state = state;
			if (pa__leases_push(out, n, cap, &l) != 0) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE)
			return store_err(st, err, rc, "cannot reclaim leases");
		pa__fault("store.take");
	}
	return 0;
}

int
pa__store_take_expired(struct pa_store *st, int64_t now,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err)
{
	return take(st, EXPIRED_WHERE, now, NULL, PA_LEASE_EXPIRED, out, n,
	    cap, err);
}

int
pa__store_take_owner(struct pa_store *st, const struct pa__owner *o,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err)
{
	return take(st, OWNER_WHERE, 0, o, PA_LEASE_DEAD, out, n, cap, err);
}

int
pa__store_leased_from(struct pa_store *st, uint16_t from, uint16_t last,
    struct pa__leased *v, size_t max, size_t *n, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	*n = 0;
	if ((rc = prepare(st, "SELECT port, " OWNER_COLUMNS " FROM lease "
	    "WHERE port >= ? AND port <= ? ORDER BY port LIMIT ?", &stmt,
	    err)) != 0)
		return rc;
	sqlite3_bind_int(stmt, 1, from);
	sqlite3_bind_int(stmt, 2, last);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v[*n].port = (uint16_t)sqlite3_column_int(stmt, 0);
		row_to_owner(stmt, 1, &v[*n].owner);
		(*n)++;
	}
	if (*n == max)
		rc = SQLITE_DONE;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot read leases");
	return 0;
}

int
pa__store_cursor(struct pa_store *st, const char *block, uint16_t first,
    uint16_t *cursor, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	*cursor = first;
	if ((rc = prepare(st, "SELECT next FROM cursor WHERE block = ?",
	    &stmt, err)) != 0)
		return rc;
	sqlite3_bind_text(stmt, 1, block, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*cursor = (uint16_t)sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot read cursor");
	return 0;
}

int
pa__store_set_cursor(struct pa_store *st, const char *block, uint16_t cursor,
    struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((rc = prepare(st, "INSERT OR REPLACE INTO cursor (block, next) "
	    "VALUES (?, ?)", &stmt, err)) != 0)
		return rc;
	sqlite3_bind_text(stmt, 1, block, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, cursor);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot write cursor");
	return 0;
}

#define RESV_COLUMNS "netns, block, first, last, added_ports, " \
	"added_protos, persistent, created"

void
pa__resv_rows_free(struct pa__resv_row *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].added_ports);
	free(v);
}

/* One row into r; PA_ENOMEM when its text cannot be copied. */
static int
row_to_resv(sqlite3_stmt *stmt, struct pa__resv_row *r)
{
	const unsigned char *added = sqlite3_column_text(stmt, 4);

	memset(r, 0, sizeof(*r));
	text_column(stmt, 0, r->netns, sizeof(r->netns));
	text_column(stmt, 1, r->block, sizeof(r->block));
	r->first = (uint16_t)sqlite3_column_int(stmt, 2);
	r->last = (uint16_t)sqlite3_column_int(stmt, 3);
	r->added_protos = (unsigned)sqlite3_column_int(stmt, 5) & PA_BOTH;
	r->persistent = sqlite3_column_int(stmt, 6) != 0;
	r->created = sqlite3_column_int64(stmt, 7);
	r->added_ports = strdup(added ? (const char *)added : "");
	return r->added_ports ? 0 : PA_ENOMEM;
}

int
pa__store_resv_select(struct pa_store *st, struct pa__resv_row **out,
    size_t *n, struct pa_error *err)
{
	struct pa__resv_row *v = NULL;
	sqlite3_stmt *stmt;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(st, "SELECT " RESV_COLUMNS " FROM reservation "
	    "ORDER BY netns, first, block", &stmt, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (pa__grow(&v, &cap, *n, sizeof(*v)) != 0 ||
		    row_to_resv(stmt, &v[*n]) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		pa__resv_rows_free(v, *n);
		*n = 0;
		return store_err(st, err, rc, "cannot read reservations");
	}
	*out = v;
	return 0;
}

int
pa__store_resv_put(struct pa_store *st, const struct pa__resv_row *r,
    struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((rc = prepare(st, "INSERT OR REPLACE INTO reservation ("
	    RESV_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &stmt,
	    err)) != 0)
		return rc;
	sqlite3_bind_text(stmt, 1, r->netns, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, r->block, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, r->first);
	sqlite3_bind_int(stmt, 4, r->last);
	sqlite3_bind_text(stmt, 5, r->added_ports ? r->added_ports : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(stmt, 6, (int)(r->added_protos & PA_BOTH));
	sqlite3_bind_int(stmt, 7, r->persistent != 0);
	sqlite3_bind_int64(stmt, 8, r->created);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot record reservation");
	pa__fault("store.resv");
	return 0;
}

int
pa__store_resv_delete(struct pa_store *st, const char *netns,
    const char *block, struct pa_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((rc = prepare(st, "DELETE FROM reservation WHERE netns = ? AND "
	    "block = ?", &stmt, err)) != 0)
		return rc;
	sqlite3_bind_text(stmt, 1, netns, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, block, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_err(st, err, rc, "cannot delete reservation");
	return 0;
}

/*
 * The floor under `portalloc get`: what a new process pays to open a
 * SQLite store in WAL mode and commit five rows, linked the way the CLI is
 * (SQLite and the C library statically).  No configuration, no owner, no
 * probe: only the store.  bench/run.sh times it next to get -n 5 and the
 * bind(0) process, so that the gap between get and bind(0) can be split
 * into what SQLite costs and what portalloc adds.
 *
 * usage: SQLITE_FLOOR_SETUP=1 sqlite_floor DB   (once: WAL, a lease-like
 *        table), then sqlite_floor DB: each run inserts five rows and
 *        deletes the five oldest, so the file stays the same size
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int
run(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_floor: %s: %s\n", sql, msg);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int frames;

static int
count_frames(void *arg, sqlite3 *db, const char *name, int n)
{
	(void)arg;
	(void)db;
	(void)name;
	frames = n;
	return SQLITE_OK;
}

/* Once, when the store is new: WAL, and a lease-like table. */
static int
setup(sqlite3 *db)
{
	return run(db, "PRAGMA journal_mode = WAL") != 0 ||
	    run(db, "CREATE TABLE IF NOT EXISTS lease (port INTEGER PRIMARY "
	    "KEY, block TEXT NOT NULL, owner_pid INTEGER NOT NULL, "
	    "created INTEGER NOT NULL)") != 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	sqlite3 *db;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: sqlite_floor DB\n");
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return 1;
	sqlite3_busy_timeout(db, 5000);
	/* as portalloc's store.c does: no checkpoint at close, but one that
	 * truncates the -wal once it holds more than 64 frames */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(db, count_frames, NULL);
	if (getenv("SQLITE_FLOOR_SETUP") != NULL && setup(db) != 0)
		rc = 1;
	if (rc != 0 || run(db, "PRAGMA synchronous = NORMAL") != 0 ||
	    run(db, "BEGIN IMMEDIATE") != 0 ||
	    run(db, "WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 "
	    "FROM s WHERE v < 5) INSERT INTO lease SELECT (SELECT "
	    "coalesce(max(port), 0) FROM lease) + v, 'bench', 1, 0 FROM s")
	    != 0 ||
	    run(db, "DELETE FROM lease WHERE port IN (SELECT port FROM lease "
	    "ORDER BY port LIMIT (SELECT max(0, count(*) - 50) FROM lease))")
	    != 0 ||
	    run(db, "COMMIT") != 0)
		rc = 1;
	if (frames > 64)
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
		    NULL, NULL);
	sqlite3_close(db);
	return rc;
}

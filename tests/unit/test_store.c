/* The lease store: creation, refusal of what is not ours, lease life. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"

#define BLOCK "[block t]\nports = 25000-25009\n"

static int64_t
db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
db_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_creates_store(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct stat st;

	(void)state;
	snprintf(x->store, sizeof(x->store), "%s/a/b/leases.db", x->dir);
	strcpy(x->cfg->store, x->store);
	fx_open(x);
	assert_string_equal(pa_store_path(x->pa), x->store);
	assert_int_equal(stat(x->store, &st), 0);
	/* modes: POSIX only (Windows has ACLs, which portalloc leaves as the
	 * user's profile directory gives them) */
	if (!TH_WINDOWS)
		assert_int_equal(st.st_mode & 0777, th_is_root() ? 0644 :
		    0600);
	*strrchr(x->store, '/') = '\0';
	assert_int_equal(stat(x->store, &st), 0);
	if (!TH_WINDOWS)
		assert_int_equal(st.st_mode & 0777, th_is_root() ? 0755 :
		    0700);
	strcat(x->store, "/leases.db");
	pa_close(x->pa);
	x->pa = NULL;
	assert_int_equal(db_int(x->store, "PRAGMA user_version"),
	    PA__STORE_VERSION);
	assert_int_equal(db_int(x->store, "SELECT count(*) FROM lease"), 0);
	fx_free(x);
}

/* Opens the fixture's store expecting failure; checks the file stayed the
 * same byte for byte and the message names it. */
static void
expect_refused(struct fx *x, int code, const char *words)
{
	char *before, *after;
	size_t nb, na;
	struct pa_error err;

	before = th_read(x->store, &nb);
	assert_non_null(before);
	assert_int_equal(pa__open_os(&x->pa, x->cfg, pa_fake_os(x->f), &err),
	    code);
	assert_null(x->pa);
	assert_non_null(strstr(err.msg, x->store));
	assert_non_null(strstr(err.msg, words));
	after = th_read(x->store, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
}

static void
test_refuses_garbage(void **state)
{
	struct fx *x = fx_new(BLOCK);
	char junk[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)('a' + i % 26);
	junk[sizeof(junk) - 1] = '\0';
	free(th_write(x->dir, "leases.db", junk));
	expect_refused(x, PA_EIO, "not a portalloc lease store");
	fx_free(x);
}

static void
test_refuses_foreign_db(void **state)
{
	struct fx *x = fx_new(BLOCK);

	(void)state;
	db_exec(x->store, "CREATE TABLE photos (id INTEGER)");
	expect_refused(x, PA_EIO, "not a portalloc lease store");
	fx_free(x);
}

static void
test_refuses_newer_schema(void **state)
{
	struct fx *x = fx_new(BLOCK);

	(void)state;
	db_exec(x->store, "CREATE TABLE lease (port INTEGER);"
	    "PRAGMA user_version = 99");
	expect_refused(x, PA_EIO, "schema version 99");
	fx_free(x);
}

static void
test_refuses_truncated(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;
	struct pa_lease *v;

	(void)state;
	fx_open(x);
	v = fx_get(x, 3, 0, &n);
	pa_leases_free(v);
	pa_close(x->pa);
	x->pa = NULL;
	/* everything into the main file first: the WAL outlives a close */
	db_exec(x->store, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(truncate(x->store, 5000), 0);
	expect_refused(x, PA_EIO, "store");
	fx_free(x);
}

static void
test_lease_and_release(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v, *r;
	struct pa_error err;
	uint16_t port;
	size_t n, nr;

	(void)state;
	fx_open(x);
	v = fx_get(x, 2, 0, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].owner_pid, 100);  /* the fake caller */
	assert_int_equal(v[0].uid, 1000);
	assert_int_equal(v[0].created, 1000000000);
	assert_int_equal(v[0].expires, 1000000000 + 7200);
	assert_int_equal(fx_count(x), 2);
	port = v[0].port;
	f.ports = &port;
	f.nports = 1;
	assert_int_equal(pa_release(x->pa, &f, &r, &nr, &err), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(r[0].port, port);
	pa_leases_free(r);
	assert_int_equal(fx_count(x), 1);
	/* releasing again selects nothing and is no error */
	assert_int_equal(pa_release(x->pa, &f, &r, &nr, &err), 0);
	assert_int_equal(nr, 0);
	pa_leases_free(r);
	pa_leases_free(v);
	fx_free(x);
}

/* The state of the only lease, as pa_list sees it. */
static enum pa_lease_state
only_state(struct fx *x)
{
	struct pa_filter all = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	enum pa_lease_state s;
	size_t n;

	assert_int_equal(pa_list(x->pa, &all, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	s = v[0].state;
	pa_leases_free(v);
	return s;
}

static size_t
gc(struct fx *x)
{
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	assert_int_equal(pa_gc(x->pa, &v, &n, &err), 0);
	pa_leases_free(v);
	return n;
}

static void
test_expiry(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 1, 0, 0, 60, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].expires, 1000000060);
	pa_leases_free(v);
	pa_fake_set_now(x->f, 1000000059);
	assert_int_equal(only_state(x), PA_LEASE_ALIVE);
	assert_int_equal(gc(x), 0);
	pa_fake_set_now(x->f, 1000000060);
	assert_int_equal(only_state(x), PA_LEASE_EXPIRED);
	assert_int_equal(gc(x), 1);
	assert_int_equal(fx_count(x), 0);
	/* ttl 0: never expires */
	req.ttl = 0;
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].expires, 0);
	pa_leases_free(v);
	pa_fake_set_now(x->f, 2000000000);
	assert_int_equal(only_state(x), PA_LEASE_ALIVE);
	fx_free(x);
}

static void
test_dead_owner(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	pa_leases_free(fx_get(x, 1, 500, &n));
	assert_int_equal(only_state(x), PA_LEASE_ALIVE);
	pa_fake_kill(x->f, 500);
	assert_int_equal(only_state(x), PA_LEASE_DEAD);
	assert_int_equal(gc(x), 1);
	assert_int_equal(fx_count(x), 0);
	fx_free(x);
}

static void
test_pid_reuse(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	pa_leases_free(fx_get(x, 1, 500, &n));
	/* pid 500 dies and a new process gets the same pid */
	pa_fake_add_proc(x->f, 500, 1, 222, 1000, "something else");
	assert_int_equal(only_state(x), PA_LEASE_DEAD);
	fx_free(x);
}

static void
test_reboot(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	pa_leases_free(fx_get(x, 1, 500, &n));
	/* same pid and start time, but another boot */
	pa_fake_set_boot(x->f, "fake-boot-2");
	assert_int_equal(only_state(x), PA_LEASE_DEAD);
	fx_free(x);
}

static void
test_hidden_owner_is_kept(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	pa_leases_free(fx_get(x, 1, 500, &n));
	/* still there, but we may no longer read it (hidepid) */
	pa_fake_add_hidden_proc(x->f, 500);
	assert_int_equal(only_state(x), PA_LEASE_ALIVE);
	assert_int_equal(gc(x), 0);
	fx_free(x);
}

static void
test_release_other_user(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	pa_leases_free(fx_get(x, 2, 0, &n));       /* uid 1000 */
	pa_fake_set_self(x->f, 100, 99, 1001);
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), PA_EPERM);
	assert_null(v);
	assert_non_null(strstr(err.msg, "uid 1000"));
	assert_int_equal(fx_count(x), 2);
	/* --mine selects none of them */
	f.uid = PA_UID_SELF;
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	pa_leases_free(v);
	/* root may */
	pa_fake_set_self(x->f, 100, 99, 0);
	f.uid = -1;
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	pa_leases_free(v);
	fx_free(x);
}

static void
test_release_filters(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 2, 0, 0, -1, "web", NULL, 0 };
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	pa_leases_free(v);
	pa_leases_free(fx_get(x, 3, 500, &n));
	f.tag = "web";
	assert_int_equal(pa_list(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].tag, "web");
	pa_leases_free(v);
	f.tag = NULL;
	f.owner_pid = 500;
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	pa_leases_free(v);
	assert_int_equal(fx_count(x), 2);
	f.owner_pid = 0;
	f.block = "t";
	f.tag = "nope";
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	pa_leases_free(v);
	fx_free(x);
}

/* A store of schema version 1 (before reservations) as portalloc 0.1.0
 * made it, with one lease in it. */
static void
make_v1_store(const char *path)
{
	db_exec(path, "PRAGMA journal_mode = WAL;"
	    "CREATE TABLE lease ("
	    "  port INTEGER PRIMARY KEY, protos INTEGER NOT NULL,"
	    "  block TEXT NOT NULL, owner_pid INTEGER NOT NULL,"
	    "  owner_start INTEGER NOT NULL, owner_boot TEXT NOT NULL,"
	    "  uid INTEGER NOT NULL, tag TEXT NOT NULL DEFAULT '',"
	    "  command TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
	    "  expires INTEGER NOT NULL DEFAULT 0);"
	    "CREATE INDEX lease_owner ON lease(owner_pid, owner_start, "
	    "owner_boot);"
	    "CREATE INDEX lease_expires ON lease(expires) WHERE expires != 0;"
	    "CREATE TABLE cursor (block TEXT PRIMARY KEY, next INTEGER NOT "
	    "NULL) WITHOUT ROWID;"
	    "INSERT INTO lease VALUES (25003, 3, 't', 99, 4000, "
	    "'fake-boot-1', 1000, 'old', 'sh', 999999000, 0);"
	    "INSERT INTO cursor VALUES ('t', 25004);"
	    "PRAGMA user_version = 1;");
}

static void
test_migrates_v1(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_filter all = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	make_v1_store(x->store);
	fx_open(x);
	assert_int_equal(pa_list(x->pa, &all, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].port, 25003);
	assert_string_equal(v[0].tag, "old");
	assert_int_equal(v[0].state, PA_LEASE_ALIVE);  /* owner 99 lives */
	pa_leases_free(v);
	/* the cursor came along too: the next lease is 25004 */
	v = fx_get(x, 1, 0, &n);
	assert_int_equal(v[0].port, 25004);
	pa_leases_free(v);
	pa_close(x->pa);
	x->pa = NULL;
	assert_int_equal(db_int(x->store, "PRAGMA user_version"),
	    PA__STORE_VERSION);
	assert_int_equal(db_int(x->store, "SELECT count(*) FROM reservation"),
	    0);
	assert_int_equal(db_int(x->store, "SELECT count(*) FROM lease"), 2);
	/* and it opens again as it is */
	fx_open(x);
	assert_int_equal(fx_count(x), 2);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creates_store),
		cmocka_unit_test(test_refuses_garbage),
		cmocka_unit_test(test_refuses_foreign_db),
		cmocka_unit_test(test_refuses_newer_schema),
		cmocka_unit_test(test_refuses_truncated),
		cmocka_unit_test(test_lease_and_release),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_dead_owner),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_hidden_owner_is_kept),
		cmocka_unit_test(test_release_other_user),
		cmocka_unit_test(test_release_filters),
		cmocka_unit_test(test_migrates_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

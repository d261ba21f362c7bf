/*
 * Whose configuration portalloc acts on (issue 19) and the host's policy
 * over a project's file (issue 13), at the library: pa__config_load_os
 * with the real OS but for who the caller is, so that one root test
 * process can be root or any user.  Files are given to other owners with
 * chown (root only: skipped otherwise).  The host's file is the test's
 * own ($PORTALLOC_HOST_CONFIG), never /etc.  Also the config robustness
 * cases: a BOM, a NUL byte and an over-long line at their own line, a
 * FIFO or /dev/zero refused at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#include "core/core.h"

#define OTHER 4242      /* a uid that is neither root nor the caller */

static int64_t as_uid;

static int64_t
uid_as(void *ctx)
{
	(void)ctx;
	return as_uid;
}

/* The real OS, but for the caller's uid. */
static struct pa_os
os_as(int64_t uid)
{
	struct pa_os os = *pa__os_native();

	as_uid = uid;
	os.self_uid = uid_as;
	return os;
}

struct t {
	char *dir;      /* root's, 0755: where the project files lie */
	char host[700]; /* the host's file (absent unless written) */
};

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	char buf[800];

	t->dir = th_tmpdir();
	chmod(t->dir, 0755);
	snprintf(t->host, sizeof(t->host), "%s/host.ini", t->dir);
	th_setenv("PORTALLOC_HOST_CONFIG", t->host);
	snprintf(buf, sizeof(buf), "%s/home", t->dir);
	th_setenv("HOME", buf);
	th_unsetenv("XDG_CONFIG_HOME");
	th_unsetenv("PORTALLOC_CONFIG");
	th_unsetenv("PORTALLOC_STORE");
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	th_rmtree(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

static void
need_root(void)
{
	if (getuid() != 0) {
		print_message("not root: cannot give files to other users\n");
		skip();
	}
}

/* pa__config_load_os as uid, in directory dir. */
static int
load_as(int64_t uid, const char *dir, const char *path,
    struct pa_config **cfg, struct pa_error *err)
{
	struct pa_os os = os_as(uid);
	char old[1024];
	int rc;

	memset(err, 0, sizeof(*err));
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(dir), 0);
	rc = pa__config_load_os(cfg, path, &os, err);
	assert_int_equal(chdir(old), 0);
	return rc;
}

/* A project file dir/portalloc.ini owned by uid with mode. */
static char *
project(const char *dir, const char *text, long uid, mode_t mode)
{
	char *path = th_write(dir, "portalloc.ini", text);

	assert_int_equal(chown(path, (uid_t)uid, (gid_t)uid), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* A file the search finds that another user owns: refused for root with
 * the file, its owner and PA_HINT_TRUST; used by its owner. */
static void
test_found_file_of_another_user(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char xdg[800], *p;

	need_root();
	p = project(t->dir, "[block evil]\nports = 1024-1030\n"
	    "reserve = persistent\n", OTHER, 0644);
	assert_int_equal(load_as(0, t->dir, NULL, &cfg, &err), PA_ECONFIG);
	assert_null(cfg);
	assert_int_equal(err.hint, PA_HINT_TRUST);
	assert_string_equal(err.file, p);
	assert_non_null(strstr(err.msg, "not used"));
	assert_non_null(strstr(err.msg, "belongs to uid 4242"));
	/* its owner uses it */
	assert_int_equal(load_as(OTHER, t->dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "evil");
	assert_int_equal(cfg->system_trusted, 0);
	pa_config_free(cfg);
	unlink(p);
	free(p);
	/* the XDG file the same: root's $XDG_CONFIG_HOME pointed at a
	 * directory of another user's */
	snprintf(xdg, sizeof(xdg), "%s/xdg", t->dir);
	assert_int_equal(mkdir(xdg, 0755), 0);
	th_setenv("XDG_CONFIG_HOME", xdg);
	strcat(xdg, "/portalloc");
	assert_int_equal(mkdir(xdg, 0755), 0);
	assert_int_equal(chown(xdg, OTHER, OTHER), 0);
	p = project(xdg, "[block x]\nports = 5000-5001\n", OTHER, 0644);
	assert_int_equal(load_as(0, "/", NULL, &cfg, &err), PA_ECONFIG);
	assert_int_equal(err.hint, PA_HINT_TRUST);
	assert_string_equal(err.file, p);
	assert_int_equal(load_as(OTHER, "/", NULL, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "x");
	pa_config_free(cfg);
	th_unsetenv("XDG_CONFIG_HOME");
	free(p);
}

/* Writable by the group, or in a directory anybody may write (sticky
 * too): refused even for the file's owner. */
static void
test_writable_by_others(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char pub[800], *p;

	need_root();
	p = project(t->dir, "[block a]\nports = 5000-5001\n", OTHER, 0664);
	assert_int_equal(load_as(OTHER, t->dir, NULL, &cfg, &err),
	    PA_ECONFIG);
	assert_non_null(strstr(err.msg, "writable by its group"));
	assert_int_equal(err.hint, PA_HINT_TRUST);
	free(p);
	snprintf(pub, sizeof(pub), "%s/pub", t->dir);
	assert_int_equal(mkdir(pub, 0755), 0);
	assert_int_equal(chmod(pub, 01777), 0);
	p = project(pub, "[block a]\nports = 5000-5001\n", 0, 0644);
	assert_int_equal(load_as(0, pub, NULL, &cfg, &err), PA_ECONFIG);
	assert_non_null(strstr(err.msg, "is writable by every user"));
	free(p);
}

/* Named explicitly, another user's file is used for ordinary work, but
 * it is not system-trusted: root may not reserve from it, nor take its
 * store; a root-owned 0644 file in root's directories may. */
static void
test_named_file(void **state)
{
	struct t *t = *state;
	struct pa_os root = os_as(0);
	struct pa_config *cfg;
	struct pa_error err;
	char *p;

	need_root();
	p = project(t->dir, "[block a]\nports = 5000-5001\n", OTHER, 0644);
	assert_int_equal(load_as(0, "/", p, &cfg, &err), 0);
	assert_int_equal(cfg->system_trusted, 0);
	assert_non_null(strstr(cfg->untrusted_why, "belongs to uid 4242"));
	root = os_as(0);
	assert_int_equal(pa__config_may_change_system(cfg, &root, &err),
	    PA_ECONFIG);
	assert_non_null(strstr(err.msg, "not used to change system settings"));
	root = os_as(OTHER);    /* not root: the OS's permissions decide */
	assert_int_equal(pa__config_may_change_system(cfg, &root, &err), 0);
	pa_config_free(cfg);
	free(p);
	/* its store = is not for root */
	p = project(t->dir, "[portalloc]\nstore = /tmp/evil/leases.db\n"
	    "[block a]\nports = 5000-5001\n", OTHER, 0644);
	assert_int_equal(load_as(0, "/", p, &cfg, &err), PA_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "is not used as root"));
	assert_int_equal(load_as(OTHER, "/", p, &cfg, &err), 0);
	pa_config_free(cfg);
	free(p);
	/* root's own: trusted */
	p = project(t->dir, "[block a]\nports = 5000-5001\n", 0, 0644);
	assert_int_equal(load_as(0, "/", p, &cfg, &err), 0);
	assert_int_equal(cfg->system_trusted, 1);
	root = os_as(0);
	assert_int_equal(pa__config_may_change_system(cfg, &root, &err), 0);
	pa_config_free(cfg);
	free(p);
}

/* A root-owned file with a second name, or in a directory another user
 * owns, is not system-trusted. */
static void
test_links_and_parents(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char sub[800], second[800], *p;

	need_root();
	p = project(t->dir, "[block a]\nports = 5000-5001\n", 0, 0644);
	snprintf(second, sizeof(second), "%s/second.ini", t->dir);
	assert_int_equal(link(p, second), 0);
	assert_int_equal(load_as(0, "/", p, &cfg, &err), 0);
	assert_int_equal(cfg->system_trusted, 0);
	assert_non_null(strstr(cfg->untrusted_why, "2 names"));
	pa_config_free(cfg);
	unlink(second);
	free(p);
	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(chown(t->dir, OTHER, OTHER), 0);
	p = project(sub, "[block a]\nports = 5000-5001\n", 0, 0644);
	assert_int_equal(load_as(0, "/", p, &cfg, &err), 0);
	assert_int_equal(cfg->system_trusted, 0);
	assert_non_null(strstr(cfg->untrusted_why, "belongs to uid 4242"));
	pa_config_free(cfg);
	assert_int_equal(chown(t->dir, 0, 0), 0);
	free(p);
}

/* The host's trust = list lets the search use a file another user owns
 * (still not system-trusted); `trust` in a project file is an error. */
static void
test_trust_list(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char text[1200], sub[800], *p, *h;

	need_root();
	snprintf(sub, sizeof(sub), "%s/ci", t->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	p = project(sub, "[block a]\nports = 5000-5001\n", OTHER, 0644);
	snprintf(text, sizeof(text), "[portalloc]\ntrust = /nowhere/*, "
	    "%s/*\n", sub);
	h = th_write(t->dir, "host.ini", text);
	assert_int_equal(load_as(0, sub, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "a");
	assert_int_equal(cfg->system_trusted, 0);
	assert_string_equal(cfg->host_file, t->host);
	pa_config_free(cfg);
	unlink(h);
	assert_int_equal(load_as(0, sub, NULL, &cfg, &err), PA_ECONFIG);
	free(p);
	p = project(sub, "[portalloc]\ntrust = ci/*\n", 0, 0644);
	assert_int_equal(load_as(0, sub, NULL, &cfg, &err), PA_ECONFIG);
	assert_non_null(strstr(err.msg, "bad trust 'ci/*'"));
	free(p);
	p = project(sub, "[portalloc]\ntrust = /*\n", 0, 0644);
	assert_int_equal(load_as(0, sub, NULL, &cfg, &err), PA_ECONFIG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "'trust' is read only from the host"));
	free(p);
	free(h);
}

/* $PORTALLOC_HOST_CONFIG is honoured for root only when root alone can
 * write it; for other users as it is. */
static void
test_host_override(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char *h;

	need_root();
	h = th_write(t->dir, "host.ini", "[portalloc]\nstore = /srv/h.db\n");
	assert_int_equal(chown(h, OTHER, OTHER), 0);
	assert_int_equal(load_as(0, t->dir, NULL, &cfg, &err), PA_ECONFIG);
	assert_non_null(strstr(err.msg, "not used"));
	assert_int_equal(load_as(OTHER, t->dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->store, "/srv/h.db");
	pa_config_free(cfg);
	unlink(h);
	free(h);
}

/* The host's store applies unless the project file or $PORTALLOC_STORE
 * names one; a project file that names another gets a warning. */
static void
test_host_store(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char *h, *p;
	int64_t me = (int64_t)getuid();

	h = th_write(t->dir, "host.ini", "; host\n[portalloc]\n"
	    "store = /var/lib/portalloc/host.db\n");
	p = th_write(t->dir, "portalloc.ini", "[block a]\nports = 5000-5001\n");
	assert_int_equal(load_as(me, t->dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->store, "/var/lib/portalloc/host.db");
	assert_int_equal(cfg->o_store.source, PA_FROM_FILE);
	assert_int_equal(cfg->o_store.line, 3);
	assert_string_equal(cfg->o_store.name, t->host);
	assert_int_equal(cfg->nwarnings, 0);
	pa_config_free(cfg);
	free(p);
	p = th_write(t->dir, "portalloc.ini", "[portalloc]\n"
	    "store = /tmp/mine.db\n[block a]\nports = 5000-5001\n");
	assert_int_equal(load_as(me, t->dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->store, "/tmp/mine.db");
	assert_int_equal(cfg->nwarnings, 1);
	assert_non_null(strstr(cfg->warnings[0], "moves the store away from "
	    "the host's"));
	assert_non_null(strstr(cfg->warnings[0], "portalloc.ini:2"));
	pa_config_free(cfg);
	th_setenv("PORTALLOC_STORE", "/tmp/env.db");
	assert_int_equal(load_as(me, t->dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->store, "/tmp/env.db");
	assert_int_equal(cfg->nwarnings, 0);
	pa_config_free(cfg);
	th_unsetenv("PORTALLOC_STORE");
	unlink(h);
	free(h);
	free(p);
}

/* Not regular files: refused at once, without reading. */
static void
test_not_regular(void **state)
{
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char fifo[800];

	assert_int_equal(load_as(0, t->dir, "/dev/zero", &cfg, &err),
	    PA_ECONFIG);
	assert_non_null(strstr(err.msg, "/dev/zero: not a regular file"));
	snprintf(fifo, sizeof(fifo), "%s/fifo.ini", t->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(load_as(0, t->dir, fifo, &cfg, &err), PA_ECONFIG);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(load_as(0, t->dir, t->dir, &cfg, &err), PA_ECONFIG);
	assert_non_null(strstr(err.msg, "it is a directory"));
}

/* Reads text from a file and expects an error at line with words. */
static void
expect_bad(const struct t *t, const char *text, size_t len, int line,
    const char *words)
{
	struct pa_config *cfg;
	struct pa_error err;
	char path[800];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/bad.ini", t->dir);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(load_as(0, t->dir, path, &cfg, &err), PA_ECONFIG);
	assert_int_equal(err.line, line);
	assert_non_null(strstr(err.msg, words));
}

/* A BOM is skipped; a NUL byte and an over-long line are reported at
 * their own line, also as a block's first key. */
static void
test_bytes(void **state)
{
	static const char bom[] = "\xEF\xBB\xBF[block a]\nports = 5000-5001\n";
	static const char nul[] = "[block a]\nports = 5000-5009\0\n";
	struct t *t = *state;
	struct pa_config *cfg;
	struct pa_error err;
	char longl[400], path[800];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/bom.ini", t->dir);
	assert_non_null(fp = fopen(path, "wb"));
	fputs(bom, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(load_as(0, t->dir, path, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "a");
	pa_config_free(cfg);
	expect_bad(t, nul, sizeof(nul) - 1, 2, "NUL byte");
	snprintf(longl, sizeof(longl), "[block a]\nports = 5000-5009 ;%0300d\n"
	    "protocols = tcp\n", 0);
	expect_bad(t, longl, strlen(longl), 2, "line too long");
	snprintf(longl, sizeof(longl), "[block a]\nports = 5000-5009\n"
	    "[block b]\nports = 6000-6001%300s\n", "");
	expect_bad(t, longl, strlen(longl), 4, "line too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_found_file_of_another_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_by_others,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_links_and_parents,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_host_override, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_host_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

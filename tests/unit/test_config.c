/* The INI configuration: good files, every bad case with its line, the
 * search order, and the OS checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#include "core/core.h"
#include "fake/fake.h"

static void
test_good_file(void **state)
{
	static const char text[] =
	    "; a comment\n"
	    "[portalloc]\n"
	    "store = /var/tmp/x/leases.db\n"
	    "lease_ttl = 30m   ; inline comment\n"
	    "\n"
	    "[block web]\n"
	    "ports = 21000-21499\n"
	    "protocols = tcp\n"
	    "reserve = persistent\n"
	    "bind_address = ::1\n"
	    "[block db]\n"
	    "ports = 21500-21599\n";
	struct pa_config *cfg;
	const struct pa_block *b;
	struct pa_error err;

	(void)state;
	assert_int_equal(pa_config_parse_string(&cfg, text, "t.ini", &err), 0);
	assert_string_equal(cfg->file, "t.ini");
	assert_string_equal(cfg->store, "/var/tmp/x/leases.db");
	assert_int_equal(cfg->o_store.line, 3);
	assert_int_equal(cfg->lease_ttl, 1800);
	assert_int_equal(cfg->o_ttl.line, 4);
	assert_int_equal(cfg->nblocks, 2);
	assert_int_equal(cfg->default_blocks, 0);
	b = pa_config_block(cfg, "web");
	assert_non_null(b);
	assert_int_equal(b->first, 21000);
	assert_int_equal(b->last, 21499);
	assert_int_equal(b->protos, PA_TCP);
	assert_int_equal(b->reserve, PA_RESERVE_PERSISTENT);
	assert_string_equal(b->bind_address, "::1");
	assert_int_equal(b->at.line, 6);
	assert_int_equal(b->o_ports.line, 7);
	assert_int_equal(b->o_bind.line, 10);
	b = pa_config_block(cfg, "db");
	assert_non_null(b);
	assert_int_equal(b->protos, PA_BOTH);          /* defaults */
	assert_int_equal(b->reserve, PA_RESERVE_NO);
	assert_string_equal(b->bind_address, "127.0.0.1");
	assert_int_equal(b->o_protos.source, PA_FROM_DEFAULT);
	assert_ptr_equal(pa_config_block(cfg, NULL), &cfg->blocks[0]);
	assert_null(pa_config_block(cfg, "nope"));
	pa_config_free(cfg);
}

static void
test_no_blocks_gets_default(void **state)
{
	struct pa_config *cfg;
	struct pa_error err;

	(void)state;
	assert_int_equal(pa_config_parse_string(&cfg,
	    "[portalloc]\nlease_ttl = 1h\n", "t.ini", &err), 0);
	assert_int_equal(cfg->nblocks, 1);
	assert_int_equal(cfg->default_blocks, 1);
	assert_string_equal(cfg->blocks[0].name, "default");
	assert_int_equal(cfg->blocks[0].last - cfg->blocks[0].first + 1, 1000);
	/* outside the Linux and Windows ephemeral ranges */
	assert_true(cfg->blocks[0].last < 32768);
	assert_int_equal(cfg->lease_ttl, 3600);
	pa_config_free(cfg);
}

struct bad {
	const char *text;
	int line;
	const char *words;
};

static const struct bad bad_cases[] = {
	{ "[foo]\nx = 1\n", 1, "unknown section [foo]" },
	{ "[portalloc]\nstore = /a\ncolour = red\n", 3, "unknown key 'colour'" },
	{ "[block a]\nports = 1-2\nport = 3\n", 3, "unknown key 'port'" },
	{ "[block a]\nports = 200-100\n", 2, "bad port range '200-100'" },
	{ "[block a]\nports = 0-100\n", 2, "bad port range" },
	{ "[block a]\nports = 65000-65536\n", 2, "bad port range" },
	{ "[block a]\nports = lots\n", 2, "bad port range" },
	{ "[block a]\nports = 100-200\n\n[block b]\nports = 150-300\n", 4,
	    "block 'b' (150-300) overlaps block 'a' (100-200, line 1)" },
	{ "[block b]\nports = 150-300\n[block a]\nports = 100-200\n", 3,
	    "block 'a' (100-200) overlaps block 'b'" },
	{ "[block a]\nports = 1-2\nprotocols = tcp, sctp\n", 3,
	    "bad protocols 'tcp, sctp'" },
	{ "[portalloc]\nlease_ttl = 5 minutes\n", 2, "bad duration" },
	{ "[block a]\nports = 1-2\n[block a]\nports = 3-4\n", 3,
	    "block 'a' is defined twice (first at line 1)" },
	{ "[block a]\nports = 1-2\n[block b]\nports = 5-6\n[block a]\n"
	    "ports = 3-4\n", 5, "defined twice" },
	{ "[block a]\nports = 1-2\nports = 3-4\n", 3, "'ports' is set twice" },
	{ "ports = 1-2\n", 1, "outside any section" },
	{ "[block a]\nports 1-2\n", 2, "syntax error" },
	{ "[block a]\nports 1-2\n[block b]\nports = 3-4\n", 2,
	    "syntax error" },
	{ "[block a]\n[block b]\nports = 9-1\n", 1, "[block a] has no" },
	{ "[block a]\nports = 9-1\n[block b]\n", 2, "bad port range" },
	{ "[block a\nports = 1-2\n", 1, "syntax error" },
	{ "[block a]\nprotocols = tcp\n", 1, "block 'a' has no 'ports'" },
	{ "[block a]\nports = 1-2\n[block b]\n", 3, "[block b] has no 'ports'" },
	{ "[block a]\n[block b]\nports = 1-2\n", 1, "[block a] has no" },
	{ "[block a]\nports = 1-2\nreserve = maybe\n", 3, "bad reserve" },
	{ "[block a]\nports = 1-2\nbind_address = localhost\n", 3,
	    "bad bind_address" },
	{ "[block a/b]\nports = 1-2\n", 1, "bad block name" },
	{ "[block a123456789b123456789c123456789d123456789e123456789]\nports = 1-2\n",
	    1, "section name too long" },
	{ "[block]\nports = 1-2\n", 1, "bad block name" },
	{ "[blockade]\nports = 1-2\n", 1, "unknown section" },
	{ "[portalloc]\nstore = relative/leases.db\n", 2, "absolute path" },
	{ "[portalloc]\n\n[nonsense]\n", 3, "unknown section [nonsense]" },
};

static void
test_bad_files(void **state)
{
	struct pa_config *cfg;
	struct pa_error err;
	char where[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		cfg = (struct pa_config *)1;
		print_message("case %lu: %s\n", (unsigned long)i,
		    bad_cases[i].words);
		assert_int_equal(pa_config_parse_string(&cfg,
		    bad_cases[i].text, "bad.ini", &err), PA_ECONFIG);
		assert_null(cfg);
		assert_int_equal(err.code, PA_ECONFIG);
		assert_int_equal(err.line, bad_cases[i].line);
		assert_string_equal(err.file, "bad.ini");
		snprintf(where, sizeof(where), "bad.ini:%d: ",
		    bad_cases[i].line);
		assert_true(strncmp(err.msg, where, strlen(where)) == 0);
		assert_non_null(strstr(err.msg, bad_cases[i].words));
	}
}

static void
test_long_line(void **state)
{
	char text[600];
	struct pa_config *cfg;
	struct pa_error err;

	(void)state;
	memset(text, 'x', sizeof(text));
	memcpy(text, "[block a]\nports = 1-2\nbind_address = ", 37);
	memcpy(text + 500, "\nprotocols = tcp\n", 18);
	assert_int_equal(pa_config_parse_string(&cfg, text, "long.ini", &err),
	    PA_ECONFIG);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "line too long"));
}

/* An indented line right after a key continues its value (inih's
 * multi-line values); a second value for one key is refused. */
static void
test_continuation(void **state)
{
	struct pa_config *cfg;
	struct pa_error err;

	(void)state;
	assert_int_equal(pa_config_parse_string(&cfg,
	    "[block a]\nports = 1-2\n  [block b]\n", "c.ini", &err),
	    PA_ECONFIG);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "set twice"));
}

static void
test_file_errors(void **state)
{
	char *dir = th_tmpdir(), *path, missing[600];
	struct pa_config *cfg;
	struct pa_error err;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/none.ini", dir);
	assert_int_equal(pa_config_parse_file(&cfg, missing, &err),
	    PA_ECONFIG);
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "No such file"));
	path = th_write(dir, "p.ini", "[block a]\nports = 5-9\n\nx = y\n");
	assert_int_equal(pa_config_parse_file(&cfg, path, &err), PA_ECONFIG);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.file, path);
	free(path);
	path = th_write(dir, "ok.ini", "[block a]\nports = 5-9\n");
	assert_int_equal(pa_config_parse_file(&cfg, path, &err), 0);
	assert_string_equal(cfg->file, path);
	pa_config_free(cfg);
	free(path);
	th_rmtree(dir);
	free(dir);
}

/* Runs pa_config_load inside dir with a clean environment. */
static int
load_in(const char *dir, const char *path, struct pa_config **cfg,
    struct pa_error *err)
{
	char old[1024];
	int rc;

	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(dir), 0);
	rc = pa_config_load(cfg, path, err);
	assert_int_equal(chdir(old), 0);
	return rc;
}

static void
test_search_order(void **state)
{
	char *dir = th_tmpdir(), *xdg, *p_env, *p_cwd, *p_xdg, *p_arg, buf[600];
	struct pa_config *cfg;
	struct pa_error err;

	(void)state;
	snprintf(buf, sizeof(buf), "%s/xdg", dir);
	xdg = strdup(buf);
	assert_int_equal(th_mkdir(xdg), 0);
	snprintf(buf, sizeof(buf), "%s/portalloc", xdg);
	assert_int_equal(th_mkdir(buf), 0);
	p_xdg = th_write(buf, "portalloc.ini", "[block x]\nports = 3-4\n");
	p_cwd = th_write(dir, "portalloc.ini", "[block c]\nports = 5-6\n");
	p_env = th_write(dir, "env.ini", "[block e]\nports = 7-8\n");
	p_arg = th_write(dir, "arg.ini", "[block a]\nports = 9-10\n");
	th_setenv("XDG_CONFIG_HOME", xdg);
	th_setenv("HOME", dir);
	th_unsetenv("PORTALLOC_STORE");
	th_setenv("PORTALLOC_CONFIG", p_env);

	assert_int_equal(load_in(dir, p_arg, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "a");
	pa_config_free(cfg);
	assert_int_equal(load_in(dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "e");
	pa_config_free(cfg);
	th_unsetenv("PORTALLOC_CONFIG");
	assert_int_equal(load_in(dir, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "c");
	pa_config_free(cfg);
	assert_int_equal(load_in(xdg, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->blocks[0].name, "x");
	assert_string_equal(cfg->file, p_xdg);
	pa_config_free(cfg);
	/* with nothing to find: the built-in default (unless the machine has
	 * an /etc/portalloc/portalloc.ini of its own) */
	unlink(p_xdg);
	if (access("/etc/portalloc/portalloc.ini", F_OK) != 0) {
		assert_int_equal(load_in(xdg, NULL, &cfg, &err), 0);
		assert_string_equal(cfg->file, "");
		assert_int_equal(cfg->default_blocks, 1);
		assert_int_equal(cfg->blocks[0].at.source, PA_FROM_DEFAULT);
		pa_config_free(cfg);
	}
	/* a named file must exist */
	th_setenv("PORTALLOC_CONFIG", "/nonexistent/portalloc.ini");
	assert_int_equal(load_in(dir, NULL, &cfg, &err), PA_ECONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/portalloc.ini"));
	th_unsetenv("PORTALLOC_CONFIG");
	/* $PORTALLOC_STORE wins over the file */
	th_setenv("PORTALLOC_STORE", "/tmp/elsewhere.db");
	assert_int_equal(load_in(dir, p_arg, &cfg, &err), 0);
	assert_string_equal(cfg->store, "/tmp/elsewhere.db");
	assert_int_equal(cfg->o_store.source, PA_FROM_ENV);
	pa_config_free(cfg);
	th_unsetenv("PORTALLOC_STORE");
	free(p_xdg);
	free(p_cwd);
	free(p_env);
	free(p_arg);
	free(xdg);
	th_rmtree(dir);
	free(dir);
}

static void
test_ephemeral_overlap(void **state)
{
	struct pa_fake *f = pa_fake_new();
	struct pa_config *cfg;
	struct pa_error err;

	(void)state;
	pa_fake_set_ephemeral(f, 32768, 60999);
	assert_int_equal(pa_config_parse_string(&cfg,
	    "[block ok]\nports = 20000-20009\n\n[block eph]\n"
	    "ports = 40000-40009\n", "e.ini", &err), 0);
	assert_int_equal(pa__config_check_os(cfg, pa_fake_os(f), &err),
	    PA_ECONFIG);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "ephemeral"));
	cfg->blocks[1].reserve = PA_RESERVE_RUNTIME;
	assert_int_equal(pa__config_check_os(cfg, pa_fake_os(f), &err), 0);
	pa_config_free(cfg);
	pa_fake_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_no_blocks_gets_default),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_ephemeral_overlap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

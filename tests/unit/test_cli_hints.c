/*
 * The CLI's wording of the hints the library returns as data: every hint
 * becomes a sentence with the user's own -c FILE, the block and the
 * command, and an error without a hint gets none.  Compiled with
 * src/cli/cli.c and out.c alone.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#include "cli/cli.h"

static const struct cmd_entry reserve = { "reserve", "", "", NULL };
static const struct cmd_entry get = { "get", "", "", NULL };

/* The hint's words for hint h on block b, run as cmd with -c config. */
static void
word(char *buf, size_t len, enum pa_hint h, const char *b,
    const struct cmd_entry *cmd, const char *config, const char *file)
{
	struct cli cli;
	struct pa_error err;

	memset(&cli, 0, sizeof(cli));
	memset(&err, 0, sizeof(err));
	cli.cmd = cmd;
	cli.config_path = config;
	err.hint = h;
	snprintf(err.hint_block, sizeof(err.hint_block), "%s", b ? b : "");
	snprintf(err.file, sizeof(err.file), "%s", file ? file : "");
	cli_hint_text(&cli, &err, buf, len);
}

static void
test_every_hint_worded(void **state)
{
	char buf[2048];

	(void)state;
	word(buf, sizeof(buf), PA_HINT_NONE, NULL, &get, "/x/p.ini", NULL);
	assert_string_equal(buf, "");
#ifndef _WIN32
	word(buf, sizeof(buf), PA_HINT_PRIVILEGE, "web", &reserve, "/x/p.ini",
	    NULL);
	assert_non_null(strstr(buf, "'sudo portalloc -c /x/p.ini reserve -b "
	    "web'"));
	word(buf, sizeof(buf), PA_HINT_RESERVE, "web", &get, "/x/p.ini", NULL);
	assert_non_null(strstr(buf, "'sudo portalloc -c /x/p.ini reserve -b "
	    "web'"));
#endif
	word(buf, sizeof(buf), PA_HINT_PRIVILEGE, NULL, &reserve, NULL, NULL);
	assert_non_null(strstr(buf, "portalloc reserve'"));
	assert_null(strstr(buf, " -c "));
	assert_null(strstr(buf, " -b "));
	word(buf, sizeof(buf), PA_HINT_STORE, NULL, &get, NULL, NULL);
	assert_non_null(strstr(buf, "PORTALLOC_STORE="));
	word(buf, sizeof(buf), PA_HINT_OWNER, NULL, &get, NULL, NULL);
	assert_non_null(strstr(buf, "portalloc exec"));
	assert_non_null(strstr(buf, "PORTALLOC_OWNER="));
	word(buf, sizeof(buf), PA_HINT_TRUST, NULL, &get, NULL,
	    "/tmp/portalloc.ini");
	assert_non_null(strstr(buf, "'portalloc -c /tmp/portalloc.ini get'"));
	word(buf, sizeof(buf), PA_HINT_RELEASE, "tiny", &get, "my p.ini", NULL);
	assert_non_null(strstr(buf, "'portalloc -c \"my p.ini\" list -b "
	    "tiny'"));
	assert_non_null(strstr(buf, "release PORT..."));
	assert_null(strstr(buf, "gc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_hint_worded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

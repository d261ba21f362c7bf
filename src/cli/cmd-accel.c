/*
 * portalloc accel [on|off]: pin (or remove) the BPF iterator that lets who
 * and check find socket holders without scanning /proc, or say its state.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
print_json(const struct pa_accel_status *st)
{
	printf("{\"pinned\":%s,\"readable\":%s,\"state\":",
	    st->pinned ? "true" : "false", st->readable ? "true" : "false");
	out_json_string(stdout, pa_accel_why_name(st->why));
	printf(",\"path\":");
	out_json_string(stdout, st->path);
	printf(",\"mode\":\"%04o\",\"group\":", st->mode);
	out_json_string(stdout, st->group);
	printf(",\"other_version\":%s,\"can_load\":%s}\n",
	    st->other_version ? "true" : "false",
	    st->can_load ? "true" : "false");
}

static void
print_text(const struct pa_accel_status *st)
{
	if (st->pinned)
		printf("pinned: %s (mode %04o, group %s)\n", st->path,
		    st->mode, st->group[0] ? st->group : "?");
	else
		printf("not pinned (%s)\n", st->path);
	if (st->why == PA_ACCEL_READY)
		printf("readable by you: who and check use it\n");
	else
		printf("not used by you: %s; who and check scan /proc\n",
		    pa_accel_why_name(st->why));
	if (st->other_version)
		printf("a pin of another portalloc version is there too "
		    "(ignored; 'accel on' replaces it)\n");
	if (!st->can_load)
		printf("this portalloc was built without BPF: it cannot "
		    "pin the iterator\n");
}

static int
cmd_accel(struct cli *cli, int argc, char **argv)
{
	struct pa_accel_status st;
	struct pa_error err;
	const char *verb = "";
	int rc, json = 0, first;
	const struct cli_opt opts[] = {
		OPT_JSON(&json, "print the state as JSON"),
		OPT_END
	};

	if ((rc = cli_parse(cli, opts, argc, argv, CLI_ARGS, &first)) >= 0)
		return rc;
	if (first < argc)
		verb = argv[first++];
	if (first < argc || (verb[0] && strcmp(verb, "on") != 0 &&
	    strcmp(verb, "off") != 0))
		return cli_usage_error(cli, "expected 'on', 'off' or nothing, "
		    "not '%s'", argv[first - 1]);
	memset(&err, 0, sizeof(err));
	if (strcmp(verb, "on") == 0) {
		if ((rc = cli_open(cli, 0)) != 0)
			return rc;
		rc = pa_accel_on(cli->cfg, &st, &err);
	} else if (strcmp(verb, "off") == 0) {
		rc = pa_accel_off(&st, &err);
	} else {
		rc = pa_accel_status(&st, &err);
	}
	if (rc != 0)
		return cli_fail(cli, rc, &err);
	if (json)
		print_json(&st);
	else
		print_text(&st);
	return verb[0] || st.why == PA_ACCEL_READY ? EXIT_OK : EXIT_CONFLICT;
}

const struct cmd_entry cmd_accel_entry = {
	"accel",
	"[on|off]",
	"Pin (on) or remove (off) the BPF iterator that speeds up who and check.\n"
	    "With it they find the processes holding a socket in one read instead "
	    "of a scan\nof /proc; alone, accel says whether it is pinned and "
	    "usable by you, and why not.\non and off need root.  The pin is readable by root and "
	    "by the group\n[portalloc] accel_group names.  PORTALLOC_ACCEL=0 "
	    "makes who and check\nscan /proc.  Exit 0, or 1 when you cannot "
	    "use the pin (accel alone).",
	cmd_accel,
};

/* portalloc unreserve: take off the OS's reserved list exactly the ports
 * portalloc put there. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
print_actions(const struct pa_resv_report *r, const char *block)
{
	const struct pa_resv_action *a;
	size_t i;

	if (r->nactions == 0 && block != NULL)
		printf("block %s has no reservation by portalloc in %s: "
		    "nothing to undo\n", block, r->netns);
	else if (r->nactions == 0)
		printf("portalloc has no reservations in %s: nothing to "
		    "undo\n", r->netns);
	for (i = 0; i < r->nactions; i++) {
		a = &r->actions[i];
		if (a->ports[0] != '\0')
			printf("unreserved block %s (%u-%u) in %s: removed "
			    "%s\n", a->block, a->first, a->last, r->netns,
			    a->ports);
		else
			printf("unreserved block %s (%u-%u) in %s: its ports "
			    "were reserved by somebody else before, so none "
			    "were removed\n", a->block, a->first, a->last,
			    r->netns);
	}
}

static int
cmd_unreserve(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "block", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pa_resv_report *r;
	struct pa_error err;
	const char *block = NULL;
	int c, rc, json = 0;

	while ((c = getopt_long(argc, argv, "hc:b:j", opts, NULL)) != -1) {
		if (c == 'b')
			block = optarg;
		else if (c == 'j')
			json = 1;
		else if ((rc = cli_common_option(cli, c, optarg)) >= 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_open(cli, 1)) != 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_unreserve(cli->pa, block, &r, &err)) != 0)
		return cli_fail(rc, &err);
	if (json) {
		out_resv_json(stdout, r);
	} else {
		print_actions(r, block);
		out_resv_changes(stdout, r);
		out_resv_warnings(stderr, r);
	}
	pa_resv_report_free(r);
	return EXIT_OK;
}

const struct cmd_entry cmd_unreserve_entry = {
	"unreserve",
	"[-b BLOCK] [--json]",
	"Undo reserve: remove exactly the ports portalloc added.\n"
	    "Take off the OS's reserved list exactly the ports portalloc added, "
	    "and rewrite\nor remove the drop-in.  Needs root; exits 77 "
	    "without, having changed nothing.",
	"  -b, --block BLOCK   only BLOCK (also one no longer configured); "
	"default: every\n"
	"                      block portalloc reserved in this network "
	"namespace\n"
	"      --json          print what was done and the state as JSON\n",
	cmd_unreserve,
};

/*
 * What reserve and unreserve share: the same options, one library call,
 * then the report, so the two commands differ only in the call and in how
 * they say what they did.  unreserve prints no warnings: they would end by
 * telling the user to reserve what they just asked to undo (--json keeps
 * them).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int
cli_resv_command(struct cli *cli, int argc, char **argv,
    int (*op)(struct pa *, const char *, struct pa_resv_report **,
    struct pa_error *),
    void (*print_actions)(const struct cli *, const struct pa_resv_report *,
    const char *))
{
	struct pa_resv_report *r;
	struct pa_error err;
	const char *block = NULL;
	int rc, json = 0;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&block, op == pa_reserve ?
		    "only BLOCK (whatever its reserve = says); default:\n"
		    "every block with reserve = runtime or persistent" :
		    "only BLOCK (also one no longer configured); default:\n"
		    "every block portalloc reserved in this network namespace"),
		OPT_JSON(&json, "print what was done and the state as JSON"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 1)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = op(cli->pa, block, &r, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json) {
		out_resv_json(stdout, r);
	} else {
		print_actions(cli, r, block);
		out_resv_changes(stdout, r);
		if (op == pa_reserve)
			out_resv_warnings(stderr, cli, r);
	}
	pa_resv_report_free(r);
	return EXIT_OK;
}

/* portalloc reservations: what the OS reserves, block by block, and what
 * is wrong with it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int
cmd_reservations(struct cli *cli, int argc, char **argv)
{
	struct pa_resv_report *r;
	struct pa_error err;
	int rc, json = 0;
	const struct cli_opt opts[] = {
		OPT_JSON(&json, "print JSON"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 1)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_reservations(cli->pa, &r, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json)
		out_resv_json(stdout, r);
	else
		out_resv_report(stdout, cli, r);
	pa_resv_report_free(r);
	return EXIT_OK;
}

const struct cmd_entry cmd_reservations_entry = {
	"reservations",
	"",
	"Show the ports the OS reserves, block by block.\n"
	    "In this network namespace, with the ephemeral range and the drop-in, and warn about what "
	    "needs doing.",
	cmd_reservations,
};

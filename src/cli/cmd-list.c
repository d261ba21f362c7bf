/* portalloc list: the leases in the store. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	int rc, json = 0;
	size_t n;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&f.block, "only leases in BLOCK"),
		OPT_TAG(&f.tag, "only leases with this tag"),
		OPT_PID('o', "owner", &f.owner_pid, "only leases owned by PID"),
		OPT_JSON(&json, "print JSON"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 1)) >= 0)
		return rc;
	if (f.block && pa_config_block(cli->cfg, f.block) == NULL)
		cli_warn("note: no block '%s' in the configuration", f.block);
	memset(&err, 0, sizeof(err));
	if ((rc = pa_list(cli->pa, &f, &v, &n, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json)
		out_leases_json(stdout, v, n);
	else if (n > 0)
		out_leases_table(stdout, v, n, (int64_t)time(NULL));
	else    /* stdout stays a table, empty */
		cli_warn("no leases in %s", pa_store_path(cli->pa));
	pa_leases_free(v);
	return EXIT_OK;
}

const struct cmd_entry cmd_list_entry = {
	"list",
	"",
	"Show the leases.\nPort, protocol, block, owner, state, age, expiry, "
	    "tag and command.  State is alive, dead (owner gone) or expired; "
	    "'portalloc gc' drops the last two.\nNothing on stdout when there "
	    "are no leases (a note on stderr).",
	cmd_list,
};

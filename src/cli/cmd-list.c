/* portalloc list: the leases in the store. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "block", required_argument, NULL, 'b' },
		{ "tag", required_argument, NULL, 'T' },
		{ "owner", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	long long num;
	int c, rc, json = 0;
	size_t n;

	while ((c = getopt_long(argc, argv, "hc:b:T:o:j", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			f.block = optarg;
			break;
		case 'T':
			f.tag = optarg;
			break;
		case 'o':
			if ((rc = cli_number(cli, optarg, 1, INT32_MAX,
			    "owner pid", &num)) != 0)
				return rc;
			f.owner_pid = num;
			break;
		case 'j':
			json = 1;
			break;
		default:
			if ((rc = cli_common_option(cli, c, optarg)) >= 0)
				return rc;
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_open(cli, 1)) != 0)
		return rc;
	if (f.block && pa_config_block(cli->cfg, f.block) == NULL)
		cli_warn("note: no block '%s' in the configuration", f.block);
	memset(&err, 0, sizeof(err));
	if ((rc = pa_list(cli->pa, &f, &v, &n, &err)) != 0)
		return cli_fail(rc, &err);
	if (json)
		out_leases_json(stdout, v, n);
	else if (n > 0)
		out_leases_table(stdout, v, n, (int64_t)time(NULL));
	else
		printf("no leases in %s\n", pa_store_path(cli->pa));
	pa_leases_free(v);
	return EXIT_OK;
}

const struct cmd_entry cmd_list_entry = {
	"list",
	"[-b BLOCK] [--tag TAG] [--owner PID] [--json]",
	"Show the leases.\nPort, protocol, block, owner, state, age, expiry, "
	    "tag and command.  State is alive, dead (owner gone) or expired; "
	    "'portalloc gc' drops the last two.",
	"  -b, --block BLOCK   only leases in BLOCK\n"
	"      --tag TAG       only leases with this tag\n"
	"  -o, --owner PID     only leases owned by PID\n"
	"      --json          print JSON\n",
	cmd_list,
};

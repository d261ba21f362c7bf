/* portalloc reserve: make blocks OS reservations (Linux:
 * net.ipv4.ip_local_reserved_ports), persistent ones through a drop-in. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
print_actions(const struct pa_resv_report *r, const char *config)
{
	const struct pa_resv_action *a;
	size_t i;

	if (r->nactions == 0)
		printf("no block in %s has reserve = runtime or persistent: "
		    "nothing to reserve (name one with -b BLOCK)\n", config);
	for (i = 0; i < r->nactions; i++) {
		a = &r->actions[i];
		if (a->ports[0] != '\0')
			printf("reserved block %s (%u-%u, %s) in %s: added "
			    "%s\n", a->block, a->first, a->last,
			    a->persistent ? "persistent" : "runtime",
			    r->netns, a->ports);
		else
			printf("block %s (%u-%u, %s) was reserved in %s "
			    "already\n", a->block, a->first, a->last,
			    a->persistent ? "persistent" : "runtime",
			    r->netns);
	}
}

static int
cmd_reserve(struct cli *cli, int argc, char **argv)
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
	if ((rc = pa_reserve(cli->pa, block, &r, &err)) != 0)
		return cli_fail(rc, &err);
	if (json) {
		out_resv_json(stdout, r);
	} else {
		print_actions(r, cli->cfg->file[0] ? cli->cfg->file :
		    "the built-in default");
		out_resv_changes(stdout, r);
		out_resv_warnings(stderr, r);
	}
	pa_resv_report_free(r);
	return EXIT_OK;
}

const struct cmd_entry cmd_reserve_entry = {
	"reserve",
	"[-b BLOCK] [--json]",
	"Reserve blocks in the OS (Linux: ip_local_reserved_ports), so that no "
	    "outgoing\nconnection or bind(0) takes their ports; persistent "
	    "ones again at every boot,\nthrough $PORTALLOC_SYSCTL_DROPIN "
	    "(default /etc/sysctl.d/60-portalloc.conf).\nNeeds root; exits "
	    "77 without, having changed nothing.\nWindows: a persistent "
	    "reservation per block and protocol; needs an elevated\n"
	    "Administrator; exits 71 where the system has none (Wine).",
	"  -b, --block BLOCK   only BLOCK (whatever its reserve = says); "
	"default: every\n"
	"                      block with reserve = runtime or persistent\n"
	"      --json          print what was done and the state as JSON\n",
	cmd_reserve,
};

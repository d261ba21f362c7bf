/* portalloc reserve: make blocks OS reservations (Linux:
 * net.ipv4.ip_local_reserved_ports), persistent ones through a drop-in. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
print_actions(const struct cli *cli, const struct pa_resv_report *r,
    const char *block)
{
	const char *config = cli->cfg->file[0] ? cli->cfg->file :
	    "the built-in default";
	const struct pa_resv_action *a;
	size_t i;

	(void)block;
	if (r->nactions == 0)
		printf("no block in %s has reserve = runtime or persistent: "
		    "nothing to reserve (name one with -b BLOCK)\n", config);
	for (i = 0; i < r->nactions; i++) {
		a = &r->actions[i];
		if (a->ports[0] != '\0')
			printf("reserved block %s (%u-%u, %s) %s: added "
			    "%s%s%s\n", a->block, a->first, a->last,
			    a->persistent ? "persistent" : "runtime",
			    out_resv_where(r), a->ports, a->protos ? " for " :
			    "", a->protos ? out_protos(a->protos) : "");
		else
			printf("block %s (%u-%u, %s) was reserved %s "
			    "already\n", a->block, a->first, a->last,
			    a->persistent ? "persistent" : "runtime",
			    out_resv_where(r));
	}
}

static int
cmd_reserve(struct cli *cli, int argc, char **argv)
{
	return cli_resv_command(cli, argc, argv, pa_reserve, print_actions);
}

const struct cmd_entry cmd_reserve_entry = {
	"reserve",
	"",
	"Make blocks OS port reservations (Linux: ip_local_reserved_ports).\n"
	    "No outgoing connection or bind(0) then takes their ports; persistent "
	    "ones again at every boot,\nthrough $PORTALLOC_SYSCTL_DROPIN "
	    "(default /etc/sysctl.d/60-portalloc.conf).\nNeeds root; exits "
	    "77 without, having changed nothing.\nWindows: a persistent "
	    "reservation per block and protocol; needs an elevated\n"
	    "Administrator; exits 71 where the system has none (Wine).",
	cmd_reserve,
};

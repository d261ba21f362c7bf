/* portalloc unreserve: take off the OS's reserved list exactly the ports
 * portalloc put there. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
print_actions(const struct cli *cli, const struct pa_resv_report *r,
    const char *block)
{
	const struct pa_resv_action *a;
	size_t i;

	(void)cli;
	if (r->nactions == 0 && block != NULL)
		printf("block %s has no reservation by portalloc %s: "
		    "nothing to undo\n", block, out_resv_where(r));
	else if (r->nactions == 0)
		printf("portalloc has no reservations %s: nothing to "
		    "undo\n", out_resv_where(r));
	for (i = 0; i < r->nactions; i++) {
		a = &r->actions[i];
		if (a->ports[0] != '\0')
			printf("unreserved block %s (%u-%u) %s: removed "
			    "%s%s%s\n", a->block, a->first, a->last,
			    out_resv_where(r), a->ports, a->protos ? " for " :
			    "", a->protos ? out_protos(a->protos) : "");
		else
			printf("unreserved block %s (%u-%u) %s: its ports "
			    "were reserved by somebody else before, so none "
			    "were removed\n", a->block, a->first, a->last,
			    out_resv_where(r));
	}
}

static int
cmd_unreserve(struct cli *cli, int argc, char **argv)
{
	return cli_resv_command(cli, argc, argv, pa_unreserve, print_actions);
}

const struct cmd_entry cmd_unreserve_entry = {
	"unreserve",
	"",
	"Undo reserve: remove exactly the ports portalloc added.\n"
	    "Take off the OS's reserved list exactly the ports portalloc added, "
	    "and rewrite\nor remove the drop-in.  Needs root; exits 77 "
	    "without, having changed nothing.",
	cmd_unreserve,
};

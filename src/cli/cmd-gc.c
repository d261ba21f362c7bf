/* portalloc gc: drop leases whose owner is gone or whose time is up. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int
cmd_gc(struct cli *cli, int argc, char **argv)
{
	struct pa_lease *v;
	struct pa_error err;
	int rc, json;
	size_t n, i;

	if ((rc = cli_simple_options(cli, argc, argv, 1, NULL,
	    &json)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_gc(cli->pa, &v, &n, &err)) != 0)
		return cli_fail(rc, &err);
	if (json) {
		out_leases_json(stdout, v, n);
	} else {
		for (i = 0; i < n; i++)
			printf("%u/%s  block %s  pid %" PRId64 " %s\n",
			    v[i].port, pa_protos_name(v[i].protos),
			    v[i].block, v[i].owner_pid,
			    v[i].state == PA_LEASE_EXPIRED ? "(expired)" :
			    "(owner gone)");
		printf("reclaimed %zu lease%s\n", n, n == 1 ? "" : "s");
	}
	pa_leases_free(v);
	return EXIT_OK;
}

const struct cmd_entry cmd_gc_entry = {
	"gc",
	"[--json]",
	"Drop the leases whose owner has exited or whose lease time is up.\n"
	    "get does this too, for the whole store, before it allocates.",
	"      --json          print the reclaimed leases as JSON\n",
	cmd_gc,
};

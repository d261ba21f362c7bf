/* portalloc gc: drop leases whose owner is gone or whose time is up. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
print_reclaimed(const struct pa_lease *v, size_t n)
{
	char block[PA_NAME_MAX * 4];
	size_t i;

	for (i = 0; i < n; i++) {
		out_text(block, sizeof(block), v[i].block);
		printf("%u/%s  block %s  pid %" PRId64 " %s\n", v[i].port,
		    out_protos(v[i].protos), block, v[i].owner_pid,
		    v[i].state == PA_LEASE_EXPIRED ? "(expired)" :
		    "(owner gone)");
	}
	printf("reclaimed %zu lease%s\n", n, n == 1 ? "" : "s");
}

static int
cmd_gc(struct cli *cli, int argc, char **argv)
{
	struct pa_lease *v;
	struct pa_error err;
	int rc, json = 0;
	size_t n;
	const struct cli_opt opts[] = {
		OPT_JSON(&json, "print the reclaimed leases as JSON"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 1)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_gc(cli->pa, &v, &n, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json)
		out_leases_json(stdout, v, n);
	else
		print_reclaimed(v, n);
	pa_leases_free(v);
	return EXIT_OK;
}

const struct cmd_entry cmd_gc_entry = {
	"gc",
	"",
	"Drop the leases whose owner has exited or whose lease time is up.\n"
	    "get does this too, for the whole store, before it allocates.",
	cmd_gc,
};

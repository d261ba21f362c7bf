/*
 * portalloc list: the leases in the store, printed as they are read from
 * it, so that its memory does not grow with the store (issue 14).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

/* Where the rows go, and how many went. */
struct rows {
	FILE *fp;
	int json;
	int64_t now;
	size_t n;
	int werrno;                  /* the write error that stopped us */
};

/* Prints one lease (the table's header or JSON's '[' before the first);
 * 1 once fp failed, which ends the walk. */
static int
print_row(const struct pa_lease *l, void *arg)
{
	struct rows *r = arg;

	if (r->json) {
		fputs(r->n ? ",\n " : "[", r->fp);
		out_lease_json(r->fp, l);
	} else {
		if (r->n == 0)
			out_leases_header(r->fp);
		out_lease_row(r->fp, l, r->now);
	}
	r->n++;
	if (!ferror(r->fp))
		return 0;
	r->werrno = errno;
	return 1;
}

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct rows r = { stdout, 0, 0, 0, 0 };
	struct pa_error err;
	int rc;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&f.block, "only leases in BLOCK"),
		OPT_TAG(&f.tag, "only leases with this tag"),
		OPT_PID('o', "owner", &f.owner_pid, "only leases owned by PID"),
		OPT_JSON(&r.json, "print JSON"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 1)) >= 0)
		return rc;
	if (f.block && pa_config_block(cli->cfg, f.block) == NULL)
		cli_warn("note: no block '%s' in the configuration", f.block);
	memset(&err, 0, sizeof(err));
	r.now = (int64_t)time(NULL);
	if ((rc = pa_list_each(cli->pa, &f, print_row, &r, &err)) < 0)
		return cli_fail(cli, rc, &err);
	if (rc > 0) {   /* as main says it when the last flush fails */
		cli_warn("cannot write output: %s", strerror(r.werrno));
		return EXIT_IOERR;
	}
	if (r.json)
		fputs(r.n ? "]\n" : "[]\n", stdout);
	else if (r.n == 0)    /* stdout stays a table, empty */
		cli_warn("no leases in %s", pa_store_path(cli->pa));
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

/* portalloc release: end leases, by port, tag, owner or user. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Says which of the named ports had no lease to release. */
static void
report_missing(const uint16_t *ports, size_t nports,
    const struct pa_lease *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < nports; i++) {
		for (j = 0; j < n && v[j].port != ports[i]; j++)
			;
		if (j == n)
			cli_warn("port %u: no lease to release", ports[i]);
	}
}

/* Tells root whose leases it ended, when they were another user's. */
static void
report_owners(const struct cli *cli, const struct pa_lease *v, size_t n)
{
	int64_t me = pa_uid(cli->pa);
	char cmd[61];
	size_t k;

	for (k = 0; k < n; k++) {
		if (v[k].uid == me)
			continue;
		out_text(cmd, sizeof(cmd), v[k].command);
		cli_warn("port %u was leased by uid %lld (pid %lld, %s)",
		    v[k].port, (long long)v[k].uid,
		    (long long)v[k].owner_pid, cmd);
	}
}

/* The ports named as arguments into *ports: 0, or an exit code. */
static int
parse_ports(const struct cli *cli, char **args, size_t n, uint16_t **ports)
{
	size_t k;
	int rc;

	*ports = NULL;
	if (n > 0 && (*ports = calloc(n, sizeof(**ports))) == NULL)
		return cli_fail(cli, PA_ENOMEM, NULL);
	for (k = 0; k < n; k++)
		if ((rc = cli_port(cli, args[k], &(*ports)[k])) != 0)
			return rc;
	return 0;
}

/* Releases what f selects and says what was released. */
static int
release(struct cli *cli, const struct pa_filter *f, int json)
{
	struct pa_lease *v = NULL;
	struct pa_error err;
	size_t n = 0, k;
	int rc;

	memset(&err, 0, sizeof(err));
	if ((rc = pa_release(cli->pa, f, &v, &n, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json) {
		out_leases_json(stdout, v, n);
	} else {
		printf("released %zu lease%s", n, n == 1 ? "" : "s");
		for (k = 0; k < n; k++)
			printf("%s%u", k ? " " : ": ", v[k].port);
		printf("\n");
	}
	report_owners(cli, v, n);
	report_missing(f->ports, f->nports, v, n);
	pa_leases_free(v);
	return EXIT_OK;
}

static int
cmd_release(struct cli *cli, int argc, char **argv)
{
	struct pa_filter f = PA_FILTER_INIT;
	uint16_t *ports = NULL;
	int rc, json = 0, mine = 0, first;
	const struct cli_opt opts[] = {
		OPT_TAG(&f.tag, "the leases with this tag"),
		OPT_PID('o', "owner", &f.owner_pid, "the leases owned by PID"),
		OPT_BLOCK(&f.block, "the leases in BLOCK"),
		OPT_FLAG('m', "mine", &mine, "the leases made by the calling "
		    "user"),
		OPT_FLAG(0, "all-mine", &mine, NULL),     /* the old name */
		OPT_JSON(&json, "print the released leases as JSON"),
		OPT_END
	};

	if ((rc = cli_parse(cli, opts, argc, argv, CLI_ARGS, &first)) >= 0)
		return rc;
	if (mine)
		f.uid = PA_UID_SELF;
	f.nports = (size_t)(argc - first);
	if (f.nports == 0 && !f.tag && !f.owner_pid && !mine && !f.block)
		return cli_usage_error(cli, "say which leases to release: "
		    "PORT..., --tag TAG, --owner PID, --block BLOCK or --mine");
	if ((rc = parse_ports(cli, argv + first, f.nports, &ports)) == 0 &&
	    (rc = cli_open(cli, 1)) == 0) {
		f.ports = ports;
		rc = release(cli, &f, json);
	}
	free(ports);
	return rc;
}

const struct cmd_entry cmd_release_entry = {
	"release",
	"[PORT...]",
	"End leases.  The selectors combine: every one given must match.\n"
	    "A port without a lease is reported on stderr, not an error "
	    "(exit 0).\nAnother user's lease is released only by root (exit 77 "
	    "otherwise).\n\n  PORT...             the leases on these ports",
	cmd_release,
};

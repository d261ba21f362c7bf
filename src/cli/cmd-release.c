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
	size_t k;

	for (k = 0; k < n; k++)
		if (v[k].uid != me)
			cli_warn("port %u was leased by uid %lld (pid %lld, "
			    "%.60s)", v[k].port, (long long)v[k].uid,
			    (long long)v[k].owner_pid, v[k].command);
}

static int
cmd_release(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "tag", required_argument, NULL, 'T' },
		{ "owner", required_argument, NULL, 'o' },
		{ "mine", no_argument, NULL, 'm' },
		{ "all-mine", no_argument, NULL, 'm' },
		{ "block", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v = NULL;
	struct pa_error err;
	uint16_t *ports = NULL;
	int c, rc, json = 0, mine = 0, i;
	long long num;
	size_t n = 0, k;

	while ((c = getopt_long(argc, argv, "hc:T:o:mb:j", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'T':
			if (optarg[0] == '\0')
				return cli_usage_error(cli, "empty tag");
			f.tag = optarg;
			break;
		case 'o':
			if ((rc = cli_number(cli, optarg, 1, INT32_MAX,
			    "owner pid", &num)) != 0)
				return rc;
			f.owner_pid = num;
			break;
		case 'm':
			mine = 1;
			f.uid = PA_UID_SELF;
			break;
		case 'b':
			f.block = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			if ((rc = cli_common_option(cli, c, optarg)) >= 0)
				return rc;
		}
	}
	f.nports = (size_t)(argc - optind);
	if (f.nports == 0 && !f.tag && !f.owner_pid && !mine && !f.block)
		return cli_usage_error(cli, "say which leases to release: "
		    "PORT..., --tag TAG, --owner PID, --block BLOCK or --mine");
	if (f.nports > 0 && (ports = calloc(f.nports, sizeof(*ports))) ==
	    NULL)
		return cli_fail(PA_ENOMEM, NULL);
	for (i = optind, k = 0; i < argc; i++, k++) {
		if ((rc = cli_number(cli, argv[i], 1, 65535, "port", &num)) !=
		    0)
			goto out;
		ports[k] = (uint16_t)num;
	}
	f.ports = ports;
	if ((rc = cli_open(cli, 1)) != 0)
		goto out;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_release(cli->pa, &f, &v, &n, &err)) != 0) {
		rc = cli_fail(rc, &err);
		goto out;
	}
	if (json) {
		out_leases_json(stdout, v, n);
	} else {
		printf("released %zu lease%s", n, n == 1 ? "" : "s");
		for (k = 0; k < n; k++)
			printf("%s%u", k ? " " : ": ", v[k].port);
		printf("\n");
	}
	report_owners(cli, v, n);
	report_missing(ports, f.nports, v, n);
	rc = EXIT_OK;
out:
	pa_leases_free(v);
	free(ports);
	return rc;
}

const struct cmd_entry cmd_release_entry = {
	"release",
	"[PORT...] [--tag TAG] [--owner PID] [--block BLOCK] [--mine] "
	    "[--json]",
	"End leases.  The selectors combine: every one given must match.",
	"  PORT...             the leases on these ports\n"
	"      --tag TAG       the leases with this tag\n"
	"  -o, --owner PID     the leases owned by PID\n"
	"  -b, --block BLOCK   the leases in BLOCK\n"
	"  -m, --mine          the leases made by the calling user "
	"(--all-mine too)\n"
	"      --json          print the released leases as JSON\n"
	"A port without a lease is reported on stderr, not an error (exit 0).\n"
	"Another user's lease is released only by root (exit 77 otherwise).\n",
	cmd_release,
};

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

/* Says whose leases were ended: each owner once, with its ports. */
static void
report_whose(const struct pa_lease *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && (v[j].owner_pid != v[i].owner_pid ||
		    v[j].owner_start != v[i].owner_start ||
		    v[j].uid != v[i].uid); j++)
			;
		if (j < i)
			continue; /* this owner was told already */
		fprintf(stderr, "portalloc: released from pid %lld (%.60s), "
		    "uid %lld:", (long long)v[i].owner_pid, v[i].command,
		    (long long)v[i].uid);
		for (j = i; j < n; j++)
			if (v[j].owner_pid == v[i].owner_pid &&
			    v[j].owner_start == v[i].owner_start &&
			    v[j].uid == v[i].uid)
				fprintf(stderr, " %u", v[j].port);
		fputc('\n', stderr);
	}
}

/*
 * Whose leases a selection may take: root touches other users' leases
 * only when it names them (ports, --owner, --user UID, --all); --tag and
 * --block alone select the caller's own.
 */
static void
default_user(const struct cli *cli, struct pa_filter *f, int named)
{
	if (!named && f->nports == 0 && f->owner_pid == 0 && f->uid == -1 &&
	    pa_uid(cli->pa) == 0)
		f->uid = PA_UID_SELF;
}

/*
 * The selection options into f (*named: --user or --all named whose):
 * -1 when handled, -2 when c is not one of them, else an exit code.
 */
static int
select_option(struct cli *cli, int c, const char *arg, struct pa_filter *f,
    int *named)
{
	long long num;
	int rc;

	switch (c) {
	case 'T':
		if (arg[0] == '\0')
			return cli_usage_error(cli, "empty tag");
		f->tag = arg;
		return -1;
	case 'o':
		if ((rc = cli_number(cli, arg, 1, INT32_MAX, "owner pid",
		    &num)) != 0)
			return rc;
		f->owner_pid = num;
		return -1;
	case 'm':       /* the owner get would choose: the caller's own */
		f->owner_pid = PA_OWNER_PARENT;
		return -1;
	case 'u':
		f->uid = PA_UID_SELF;
		if (arg != NULL && (rc = cli_number(cli, arg, 0, INT32_MAX,
		    "uid", &num)) != 0)
			return rc;
		if (arg != NULL)
			f->uid = num;
		*named = 1;
		return -1;
	case 'A':
		*named = 1;
		return -1;
	case 'b':
		f->block = arg;
		return -1;
	}
	return -2;
}

/* Releases what f selects and says what and whose. */
static int
release_and_report(struct cli *cli, struct pa_filter *f, int named,
    int json)
{
	struct pa_lease *v = NULL;
	struct pa_error err;
	size_t n = 0, k;
	int rc;

	if ((rc = cli_open(cli, 1)) != 0)
		return rc;
	default_user(cli, f, named);
	memset(&err, 0, sizeof(err));
	if ((rc = pa_release(cli->pa, f, &v, &n, &err)) != 0)
		return cli_fail(rc, &err);
	if (json) {
		out_leases_json(stdout, v, n);
	} else {
		printf("released %zu lease%s", n, n == 1 ? "" : "s");
		for (k = 0; k < n; k++)
			printf("%s%u", k ? " " : ": ", v[k].port);
		printf("\n");
	}
	report_owners(cli, v, n);
	if (!json && f->nports == 0)
		report_whose(v, n);
	report_missing(f->ports, f->nports, v, n);
	pa_leases_free(v);
	return EXIT_OK;
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
		{ "user", optional_argument, NULL, 'u' },
		{ "all", no_argument, NULL, 'A' },
		{ "block", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pa_filter f = PA_FILTER_INIT;
	uint16_t *ports = NULL;
	int c, rc, json = 0, named = 0, i;
	long long num;
	size_t k;

	while ((c = getopt_long(argc, argv, "hc:T:o:mb:ju", opts, NULL)) !=
	    -1) {
		if (c == 'j')
			json = 1;
		else if ((rc = select_option(cli, c, optarg, &f, &named)) ==
		    -2 && (rc = cli_common_option(cli, c, optarg)) >= 0)
			return rc;
		else if (rc >= 0)
			return rc;
	}
	f.nports = (size_t)(argc - optind);
	if (f.nports == 0 && !f.tag && !f.owner_pid && !f.block && !named)
		return cli_usage_error(cli, "say which leases to release: "
		    "PORT..., --tag TAG, --owner PID, --block BLOCK, --mine, "
		    "--user[=UID] or --all");
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
	rc = release_and_report(cli, &f, named, json);
out:
	free(ports);
	return rc;
}

const struct cmd_entry cmd_release_entry = {
	"release",
	"[PORT...] [--tag TAG] [--owner PID] [--block BLOCK] [--mine] "
	    "[--user[=UID]] [--all] [--json]",
	"End leases.  The selectors combine: every one given must match.",
	"  PORT...             the leases on these ports\n"
	"      --tag TAG       the leases with this tag\n"
	"  -o, --owner PID     the leases owned by PID\n"
	"  -b, --block BLOCK   the leases in BLOCK\n"
	"  -m, --mine          the leases owned by the caller (the process "
	"get would\n"
	"                      make the owner; --all-mine too)\n"
	"  -u, --user[=UID]    every lease of the calling user (of UID: "
	"root)\n"
	"      --all           every lease selected, whoever's (root)\n"
	"      --json          print the released leases as JSON\n"
	"A port without a lease is reported on stderr, not an error (exit 0).\n"
	"Another user's lease is released only by root (exit 77 otherwise),\n"
	"and root's --tag and --block select root's own unless --user or "
	"--all.\n",
	cmd_release,
};

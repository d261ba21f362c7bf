/* portalloc release: end leases, by port, tag, owner or user. */
#include <inttypes.h>
#include <limits.h>
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

/* Says whose leases were ended: each owner once, with its ports. */
static void
report_whose(const struct pa_lease *v, size_t n)
{
	char cmd[61];
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && (v[j].owner_pid != v[i].owner_pid ||
		    v[j].owner_start != v[i].owner_start ||
		    v[j].uid != v[i].uid); j++)
			;
		if (j < i)
			continue; /* this owner was told already */
		out_text(cmd, sizeof(cmd), v[i].command);
		fprintf(stderr, "portalloc: released from pid %lld (%s), "
		    "uid %lld:", (long long)v[i].owner_pid, cmd,
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
 * only when it names them (ports, --owner, --user, --uid, --all); --tag
 * and --block alone select the caller's own.
 */
static void
default_user(const struct cli *cli, struct pa_filter *f, int named)
{
	if (!named && f->nports == 0 && f->owner_pid == 0 && f->uid == -1 &&
	    pa_uid(cli->pa) == 0)
		f->uid = PA_UID_SELF;
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
release(struct cli *cli, struct pa_filter *f, int named, int json)
{
	struct pa_lease *v = NULL;
	struct pa_error err;
	size_t n = 0, k;
	int rc;

	default_user(cli, f, named);
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
	if (!json && f->nports == 0)
		report_whose(v, n);
	report_missing(f->ports, f->nports, v, n);
	pa_leases_free(v);
	return EXIT_OK;
}

static int
cmd_release(struct cli *cli, int argc, char **argv)
{
	struct pa_filter f = PA_FILTER_INIT;
	uint16_t *ports = NULL;
	int rc, json = 0, mine = 0, user = 0, all = 0, first;
	unsigned uid = UINT_MAX;    /* --uid not given */
	const struct cli_opt opts[] = {
		OPT_TAG(&f.tag, "the leases with this tag"),
		OPT_PID('o', "owner", &f.owner_pid, "the leases owned by PID"),
		OPT_BLOCK(&f.block, "the leases in BLOCK"),
		OPT_FLAG('m', "mine", &mine, "the leases owned by the caller "
		    "(the process get would make\nthe owner)"),
		OPT_FLAG(0, "all-mine", &mine, NULL),     /* the old name */
		OPT_FLAG('u', "user", &user, "every lease of the calling user"),
		OPT_UINT(0, "uid", "UID", &uid, 0, INT32_MAX, "every lease of "
		    "user UID (root)"),
		OPT_FLAG(0, "all", &all, "every lease selected, whoever's (root)"),
		OPT_JSON(&json, "print the released leases as JSON"),
		OPT_END
	};

	if ((rc = cli_parse(cli, opts, argc, argv, CLI_ARGS, &first)) >= 0)
		return rc;
	if (mine)
		f.owner_pid = PA_OWNER_PARENT;
	if (user)
		f.uid = PA_UID_SELF;
	else if (uid != UINT_MAX)
		f.uid = uid;
	f.nports = (size_t)(argc - first);
	if (f.nports == 0 && !f.tag && !f.owner_pid && !f.block &&
	    f.uid == -1 && !all)
		return cli_usage_error(cli, "say which leases to release: "
		    "PORT..., --tag TAG, --owner PID, --block BLOCK, --mine, "
		    "--user, --uid UID or --all");
	if ((rc = parse_ports(cli, argv + first, f.nports, &ports)) == 0 &&
	    (rc = cli_open(cli, 1)) == 0) {
		f.ports = ports;
		rc = release(cli, &f, f.uid != -1 || all, json);
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
	    "otherwise), and root's\n--tag and --block select root's own "
	    "unless --user, --uid or --all.\n\n  PORT...             the "
	    "leases on these ports",
	cmd_release,
};

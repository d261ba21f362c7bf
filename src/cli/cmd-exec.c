/*
 * portalloc exec: lease ports for a command, run it with PORTALLOC_PORTS and
 * PORTALLOC_PORT0.. in its environment, release when it exits.  The command
 * itself owns the leases, so they live exactly as long as it does, even if
 * portalloc is killed (on Windows, the pid pa__child_start gives, portalloc's,
 * owns them, and the command dies with portalloc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "os/os.h"

/* PORTALLOC_PORTn=... for each lease, then PORTALLOC_PORTS="a b c". */
static char **
make_env(const struct pa_lease *v, size_t n)
{
	char **env = calloc(n + 1, sizeof(*env));
	size_t i, len = sizeof("PORTALLOC_PORTS=") + 6 * n;

	if (env == NULL || (env[n] = malloc(len)) == NULL) {
		free(env);
		return NULL;
	}
	strcpy(env[n], "PORTALLOC_PORTS=");
	for (i = 0; i < n; i++) {
		if ((env[i] = malloc(40)) == NULL)
			break;
		snprintf(env[i], 40, "PORTALLOC_PORT%zu=%u", i, v[i].port);
		snprintf(env[n] + strlen(env[n]), 7, "%s%u", i ? " " : "",
		    v[i].port);
	}
	if (i < n) {
		while (i > 0)
			free(env[--i]);
		free(env[n]);
		free(env);
		return NULL;
	}
	return env;
}

static void
free_env(char **env, size_t n)
{
	size_t i;

	for (i = 0; env != NULL && i <= n; i++)
		free(env[i]);
	free(env);
}

/* The command line to record in the leases. */
static void
join(char *buf, size_t len, char **argv)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i] && off + 1 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", argv[i]);
}

/* Ends every lease the child owned: when it is gone, they are dead anyway. */
static void
release(struct cli *cli, int64_t pid)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *gone;
	struct pa_error err;
	size_t ngone;

	f.owner_pid = pid;
	memset(&err, 0, sizeof(err));
	if (pa_release(cli->pa, &f, &gone, &ngone, &err) != 0)
		cli_warn("warning: leases of pid %lld not released (gc will "
		    "reclaim them): %s", (long long)pid, err.msg);
	else
		pa_leases_free(gone);
}

static int
run(struct cli *cli, struct pa_request *req, char **cmd)
{
	char command[PA_CMD_MAX], **env = NULL;
	struct pa_child *child;
	struct pa_lease *v = NULL;
	struct pa_error err;
	int64_t pid;
	size_t n = 0;
	int rc, status;

	memset(&err, 0, sizeof(err));
	if ((rc = pa__child_start(cmd, &child, &pid, &err)) != 0)
		return cli_fail(rc, &err);
	join(command, sizeof(command), cmd);
	req->owner_pid = pid;
	req->command = command;
	if ((rc = pa_get(cli->pa, req, &v, &n, &err)) != 0) {
		pa__child_abort(child);
		return cli_fail(rc, &err);
	}
	if ((env = make_env(v, n)) == NULL) {
		pa__child_abort(child);
		release(cli, pid);
		pa_leases_free(v);
		return cli_fail(PA_ENOMEM, NULL);
	}
	if ((rc = pa__child_go(child, env, (int)n + 1, &err)) != 0)
		cli_warn("%s", err.msg);
	if (pa__child_wait(child, &status, &err) != 0)
		cli_warn("%s", err.msg);
	release(cli, pid);
	free_env(env, n);
	pa_leases_free(v);
	return status;
}

static int
cmd_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "block", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "proto", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' },
		{ "tag", required_argument, NULL, 'T' },
		{ "consecutive", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct pa_request req = { NULL, 1, 0, 0, 0, NULL, NULL, 0 };
	long long v;
	int c, rc;

	/* '+': stop at the command, whose options are its own */
	while ((c = getopt_long(argc, argv, "+hc:b:n:p:t:T:C", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'b':
			req.block = optarg;
			break;
		case 'n':
			if ((rc = cli_number(cli, optarg, 1, 1000, "count",
			    &v)) != 0)
				return rc;
			req.count = (unsigned)v;
			break;
		case 'p':
			if (pa_parse_protos(optarg, &req.protos) != 0)
				return cli_usage_error(cli, "bad protocol '%s' "
				    "(expected tcp, udp or both)", optarg);
			break;
		case 't':
			if (pa_parse_duration(optarg, &req.ttl) != 0)
				return cli_usage_error(cli, "bad duration '%s' "
				    "(like 90s, 30m, 2h, 1d, or never)",
				    optarg);
			break;
		case 'T':
			if (optarg[0] == '\0')
				return cli_usage_error(cli, "empty tag");
			req.tag = optarg;
			break;
		case 'C':
			req.consecutive = 1;
			break;
		default:
			if ((rc = cli_common_option(cli, c, optarg)) >= 0)
				return rc;
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli, "no command to run (portalloc exec "
		    "-n N -- CMD [ARGS...])");
	if ((rc = cli_open(cli, 1)) != 0)
		return rc;
	return run(cli, &req, argv + optind);
}

const struct cmd_entry cmd_exec_entry = {
	"exec",
	"[-b BLOCK] [-n COUNT] [--proto P] [--ttl DUR] [--tag TAG] "
	    "[--consecutive] -- CMD [ARGS...]",
	"Lease COUNT ports, run CMD with PORTALLOC_PORTS=\"a b c\" and "
	    "PORTALLOC_PORT0..N-1\nin its environment, release them when it "
	    "exits, and exit with its status\n(128+N if it died of signal N; "
	    "127/126 if it could not be run).\nCMD owns the leases; signals "
	    "sent to portalloc are passed on to it.\n(Windows: portalloc owns "
	    "them, and CMD, in a job, cannot outlive it.)",
	"  -b, --block BLOCK   lease from BLOCK (default: the first block)\n"
	"  -n, --count N       how many ports (default 1, at most 1000)\n"
	"  -p, --proto P       tcp, udp or both (default: what the block "
	"serves)\n"
	"  -t, --ttl DUR       lease time (default: never; the lease ends "
	"with CMD)\n"
	"      --tag TAG       a label for list and release --tag\n"
	"      --consecutive   adjacent ports only\n",
	cmd_exec,
};

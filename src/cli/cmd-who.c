/* portalloc who: every process holding a port, both families. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* "8080", "8080/tcp", "8000-8099/udp". */
static int
parse_query(const struct cli *cli, const char *arg, struct pa_port_query *q)
{
	char buf[64], *slash, shown[64];

	out_text(shown, sizeof(shown), arg);
	if (strlen(arg) >= sizeof(buf))
		return cli_usage_error(cli, "bad port '%s'", shown);
	strcpy(buf, arg);
	q->protos = 0;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (strcmp(slash, "tcp") == 0)
			q->protos = PA_TCP;
		else if (strcmp(slash, "udp") == 0)
			q->protos = PA_UDP;
		else
			return cli_usage_error(cli, "bad protocol in '%s' "
			    "(PORT/tcp or PORT/udp)", shown);
	}
	if (pa_parse_port_range(buf, &q->first, &q->last) != 0)
		return cli_usage_error(cli, "bad port '%s' (1-65535, or a "
		    "range A-B, optionally /tcp or /udp)", shown);
	return 0;
}

/* The holders of the ports in args, printed: an exit code. */
static int
who(struct cli *cli, char **args, int nq, int json, int verbose)
{
	const char *source;
	struct pa_port_query *q;
	struct pa_holder *v;
	struct pa_error err;
	unsigned unreadable;
	size_t n, i, procs = 0, unseen = 0;
	int rc, k;

	if ((q = calloc((size_t)nq, sizeof(*q))) == NULL)
		return cli_fail(cli, PA_ENOMEM, NULL);
	for (k = 0; k < nq; k++)
		if ((rc = parse_query(cli, args[k], &q[k])) != 0) {
			free(q);
			return rc;
		}
	memset(&err, 0, sizeof(err));
	rc = pa_who_from(q, (size_t)nq, &v, &n, &unreadable, &source, &err);
	free(q);
	if (rc != 0)
		return cli_fail(cli, rc, &err);
	if (verbose)
		cli_warn("holders from: %s", source);
	for (i = 0; i < n; i++) {
		procs += v[i].pid != 0;
		unseen += v[i].hidden;
	}
	if (json)
		out_holders_json(stdout, v, n);
	else if (n > 0)
		out_holders_table(stdout, v, n);
	if (procs == 0 && unseen > 0 && !json)
		cli_warn("%s%s is held by a process not visible here (another "
		    "user's, or outside this PID namespace)",
		    args[0], nq > 1 ? " or another port asked about" : "");
	else if (procs == 0 && !json)
		cli_warn("no process holds %s%s", args[0],
		    nq > 1 ? " or the other ports" : "");
	out_unreadable(unreadable);
	pa_holders_free(v);
	return procs + unseen > 0 ? EXIT_OK : EXIT_CONFLICT;
}

static int
cmd_who(struct cli *cli, int argc, char **argv)
{
	int rc, json = 0, verbose = 0, first;
	const struct cli_opt opts[] = {
		OPT_JSON(&json, "print JSON"),
		OPT_FLAG('v', "verbose", &verbose, "say where the holders came "
		    "from (bpf pin or /proc scan)"),
		OPT_END
	};

	if ((rc = cli_parse(cli, opts, argc, argv, CLI_ARGS, &first)) >= 0)
		return rc;
	if (first == argc)
		return cli_usage_error(cli, "which port? (portalloc who "
		    "PORT[/tcp|/udp] ...)");
	return who(cli, argv + first, argc - first, json, verbose);
}

const struct cmd_entry cmd_who_entry = {
	"who",
	"PORT[/tcp|/udp]...",
	"Show every process holding a port, IPv4 and IPv6.\nProtocol, local and "
	    "remote address, state, pid, user, name and command line.  A "
	    "socket shared by\nseveral processes is shown once for each; one "
	    "no process holds (TIME-WAIT)\nas '(no process)', one held by a "
	    "process you cannot see (another user's,\nanother PID "
	    "namespace's) as '(not visible)'.  PORT may be a range A-B.\n"
	    "Exit 0 if a process holds one of the ports (seen or not), 1 if "
	    "none does.",
	cmd_who,
};

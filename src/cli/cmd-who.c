/* portalloc who: every process holding a port, both families. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* "8080", "8080/tcp", "8000-8099/udp". */
static int
parse_query(const struct cli *cli, const char *arg, struct pa_port_query *q)
{
	char buf[64], *slash;

	if (strlen(arg) >= sizeof(buf))
		return cli_usage_error(cli, "bad port '%s'", arg);
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
			    "(PORT/tcp or PORT/udp)", arg);
	}
	if (pa_parse_port_range(buf, &q->first, &q->last) != 0)
		return cli_usage_error(cli, "bad port '%s' (1-65535, or a "
		    "range A-B, optionally /tcp or /udp)", arg);
	return 0;
}

static const char *
proto_family(const struct pa_holder *h)
{
	if (h->proto == PA_TCP)
		return h->family == 6 ? "tcp6" : "tcp";
	return h->family == 6 ? "udp6" : "udp";
}

static void
endpoint(char *buf, size_t len, int family, const char *addr, uint16_t port)
{
	if (addr[0] == '\0')
		snprintf(buf, len, "-");
	else if (family == 6)
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
}

void
out_holder_json(FILE *fp, const struct pa_holder *h, int foreign)
{
	fprintf(fp, "{\"port\":%u,\"proto\":\"%s\",\"family\":%d,\"local\":",
	    h->port, h->proto == PA_TCP ? "tcp" : "udp", h->family == 6 ? 6 :
	    4);
	out_json_string(fp, h->local);
	fputs(",\"remote\":", fp);
	if (h->remote[0]) {
		out_json_string(fp, h->remote);
		fprintf(fp, ",\"remote_port\":%u", h->rport);
	} else {
		fputs("null", fp);
	}
	fprintf(fp, ",\"state\":\"%s\",\"inode\":%" PRIu64 ",\"pid\":",
	    pa_sock_state_name(h->state, h->proto), h->inode);
	if (h->pid == 0) {
		fputs("null", fp);
	} else {
		fprintf(fp, "%" PRId64 ",\"ppid\":%" PRId64 ",\"name\":",
		    h->pid, h->ppid);
		out_json_string(fp, h->name);
		fputs(",\"cmdline\":", fp);
		out_json_string(fp, h->cmdline);
	}
	fprintf(fp, ",\"uid\":%" PRId64 ",\"user\":", h->uid);
	out_json_string(fp, h->user);
	if (foreign)
		fprintf(fp, ",\"foreign\":%s", h->foreign ? "true" : "false");
	fputc('}', fp);
}

void
out_holders_table(FILE *fp, const struct pa_holder *v, size_t n)
{
	char local[PA_ADDR_MAX + 16], remote[PA_ADDR_MAX + 16], pid[24];
	size_t i;

	fprintf(fp, "%-5s %-24s %-24s %-11s %7s %-10s %-15s %s\n", "PROTO",
	    "LOCAL", "REMOTE", "STATE", "PID", "USER", "NAME", "COMMAND");
	for (i = 0; i < n; i++) {
		endpoint(local, sizeof(local), v[i].family, v[i].local,
		    v[i].port);
		endpoint(remote, sizeof(remote), v[i].family, v[i].remote,
		    v[i].rport);
		if (v[i].pid)
			snprintf(pid, sizeof(pid), "%" PRId64, v[i].pid);
		else
			snprintf(pid, sizeof(pid), "-");
		fprintf(fp, "%-5s %-24s %-24s %-11s %7s %-10s %-15s %.80s\n",
		    proto_family(&v[i]), local, remote,
		    pa_sock_state_name(v[i].state, v[i].proto), pid,
		    v[i].user[0] ? v[i].user : "-",
		    v[i].pid ? v[i].name : "(no process)",
		    v[i].pid ? v[i].cmdline : "");
	}
}

void
out_unreadable(unsigned n)
{
	if (n > 0)
		cli_warn("note: %u process%s could not be read; run as root to "
		    "see every holder", n, n == 1 ? "" : "es");
}

static int
cmd_who(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source;
	struct pa_port_query *q;
	struct pa_holder *v;
	struct pa_error err;
	unsigned unreadable;
	size_t n, i, procs = 0;
	int c, rc, json = 0, verbose = 0, nq, k;

	while ((c = getopt_long(argc, argv, "hc:jv", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'v')
			verbose = 1;
		else if ((rc = cli_common_option(cli, c, optarg)) >= 0)
			return rc;
	}
	if ((nq = argc - optind) == 0)
		return cli_usage_error(cli, "which port? (portalloc who "
		    "PORT[/tcp|/udp] ...)");
	if ((q = calloc((size_t)nq, sizeof(*q))) == NULL)
		return cli_fail(PA_ENOMEM, NULL);
	for (k = 0; k < nq; k++)
		if ((rc = parse_query(cli, argv[optind + k], &q[k])) != 0) {
			free(q);
			return rc;
		}
	memset(&err, 0, sizeof(err));
	rc = pa_who_from(q, (size_t)nq, &v, &n, &unreadable, &source, &err);
	free(q);
	if (rc != 0)
		return cli_fail(rc, &err);
	if (verbose)
		cli_warn("holders from: %s", source);
	for (i = 0; i < n; i++)
		procs += v[i].pid != 0;
	if (json) {
		fputc('[', stdout);
		for (i = 0; i < n; i++) {
			fputs(i ? ",\n " : "", stdout);
			out_holder_json(stdout, &v[i], 0);
		}
		fputs("]\n", stdout);
	} else if (n > 0) {
		out_holders_table(stdout, v, n);
	}
	if (procs == 0 && !json)
		cli_warn("no process holds %s%s", argv[optind],
		    nq > 1 ? " or the other ports" : "");
	out_unreadable(unreadable);
	pa_holders_free(v);
	return procs > 0 ? EXIT_OK : EXIT_CONFLICT;
}

const struct cmd_entry cmd_who_entry = {
	"who",
	"PORT[/tcp|/udp]... [--json] [-v]",
	"Show every process holding a port, IPv4 and IPv6.\nProtocol, local and "
	    "remote address, state, pid, user, name and command line.  A "
	    "socket shared by\nseveral processes is shown once for each; one "
	    "no process holds (TIME-WAIT)\nas '(no process)'.  PORT may be a "
	    "range A-B.  Exit 0 if a process holds\none of the ports, 1 if "
	    "none does (like fuser).",
	"      --json          print JSON\n"
	"  -v, --verbose       say where the holders came from (bpf pin or "
	    "/proc scan)\n",
	cmd_who,
};

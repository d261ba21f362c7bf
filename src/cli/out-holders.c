/*
 * Holders (processes with a socket on a port) as JSON and as a table, for
 * who and check.  Names and command lines are other users' bytes: the JSON
 * stays valid and the table escapes them (no fake rows, no escape
 * sequences in root's terminal).  Every JSON object has the same keys.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

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
	char a[PA_ADDR_MAX * 4];

	out_text(a, sizeof(a), addr);
	if (addr[0] == '\0')
		snprintf(buf, len, "-");
	else if (family == 6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
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
		fputs("null,\"remote_port\":null", fp);
	}
	fprintf(fp, ",\"state\":\"%s\",\"inode\":%" PRIu64 ",\"pid\":",
	    pa_sock_state_name(h->state, h->proto), h->inode);
	if (h->pid == 0) {
		fprintf(fp, "null,\"hidden\":%s,\"ppid\":null,\"name\":null,"
		    "\"cmdline\":null", h->hidden ? "true" : "false");
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
out_holders_json(FILE *fp, const struct pa_holder *v, size_t n)
{
	size_t i;

	fputc('[', fp);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n " : "", fp);
		out_holder_json(fp, &v[i], 0);
	}
	fputs("]\n", fp);
}

static void
holder_row(FILE *fp, const struct pa_holder *h)
{
	char local[PA_ADDR_MAX * 4 + 16], remote[PA_ADDR_MAX * 4 + 16];
	char pid[24], user[32 * 4], name[64 * 4], cmd[81];

	endpoint(local, sizeof(local), h->family, h->local, h->port);
	endpoint(remote, sizeof(remote), h->family, h->remote, h->rport);
	if (h->pid != 0)
		snprintf(pid, sizeof(pid), "%" PRId64, h->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	out_text(user, sizeof(user), h->user[0] ? h->user : "-");
	out_text(name, sizeof(name), h->pid ? h->name : h->hidden ?
	    "(not visible)" : "(no process)");
	out_text(cmd, sizeof(cmd), h->pid ? h->cmdline : "");
	fprintf(fp, "%-5s %-24s %-24s %-11s %7s %-10s %-15s %s\n",
	    proto_family(h), local, remote,
	    pa_sock_state_name(h->state, h->proto), pid, user, name, cmd);
}

void
out_holders_table(FILE *fp, const struct pa_holder *v, size_t n)
{
	size_t i;

	fprintf(fp, "%-5s %-24s %-24s %-11s %7s %-10s %-15s %s\n", "PROTO",
	    "LOCAL", "REMOTE", "STATE", "PID", "USER", "NAME", "COMMAND");
	for (i = 0; i < n; i++)
		holder_row(fp, &v[i]);
}

void
out_unreadable(unsigned n)
{
	if (n > 0)
		fprintf(stderr, "portalloc: note: %u process%s could not be "
		    "read; run as root to see every holder\n", n,
		    n == 1 ? "" : "es");
}

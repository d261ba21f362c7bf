/*
 * Leases as people and programs read them: a JSON object per lease, valid
 * whatever bytes the store holds, and a table whose cells cannot break its
 * rows.  list, get, release, gc and check all write leases through here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int64_t
out_owner_pid(const struct pa_lease *l)
{
	return l->owner_pid_here ? l->owner_pid_here : l->owner_pid;
}

void
out_lease_json(FILE *fp, const struct pa_lease *l)
{
	fprintf(fp, "{\"port\":%u,\"proto\":\"%s\",\"block\":", l->port,
	    out_protos(l->protos));
	out_json_string(fp, l->block);
	fprintf(fp, ",\"owner_pid\":%" PRId64 ",\"owner_pid_here\":",
	    l->owner_pid);
	if (l->owner_pid_here)
		fprintf(fp, "%" PRId64, l->owner_pid_here);
	else
		fputs("null", fp);
	fprintf(fp, ",\"uid\":%" PRId64 ",\"tag\":", l->uid);
	if (l->tag[0])
		out_json_string(fp, l->tag);
	else
		fputs("null", fp);
	fputs(",\"command\":", fp);
	out_json_string(fp, l->command);
	fprintf(fp, ",\"created\":%" PRId64 ",\"expires\":", l->created);
	if (l->expires)
		fprintf(fp, "%" PRId64, l->expires);
	else
		fputs("null", fp);
	fprintf(fp, ",\"state\":\"%s\"}", out_state(l->state));
}

void
out_leases_json(FILE *fp, const struct pa_lease *v, size_t n)
{
	size_t i;

	fputc('[', fp);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n " : "", fp);
		out_lease_json(fp, &v[i]);
	}
	fputs("]\n", fp);
}

/* "never", "past" or the time left. */
static void
expiry(char *buf, size_t len, int64_t expires, int64_t now)
{
	if (expires == 0)
		snprintf(buf, len, "never");
	else if (expires <= now)
		snprintf(buf, len, "past");
	else
		out_duration(buf, len, expires - now);
}

void
out_leases_header(FILE *fp)
{
	fprintf(fp, "%-5s  %-7s  %-12s  %7s  %-7s  %6s  %7s  %-12s  %s\n",
	    "PORT", "PROTO", "BLOCK", "PID", "STATE", "AGE", "EXPIRES", "TAG",
	    "COMMAND");
}

void
out_lease_row(FILE *fp, const struct pa_lease *l, int64_t now)
{
	char age[32], exp[32], block[PA_NAME_MAX * 4], tag[PA_TAG_MAX * 4];
	char cmd[61];

	out_duration(age, sizeof(age), now - l->created);
	expiry(exp, sizeof(exp), l->expires, now);
	out_text(block, sizeof(block), l->block);
	out_text(tag, sizeof(tag), l->tag[0] ? l->tag : "-");
	out_text(cmd, sizeof(cmd), l->command);
	fprintf(fp, "%-5u  %-7s  %-12s  %7" PRId64 "  %-7s  %6s  %7s  "
	    "%-12s  %s\n", l->port, out_protos(l->protos), block,
	    out_owner_pid(l), out_state(l->state), age, exp, tag, cmd);
}

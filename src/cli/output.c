/* Output formats shared by the commands: JSON, durations, lease tables. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void
out_json_string(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", fp); break;
		case '\\': fputs("\\\\", fp); break;
		case '\n': fputs("\\n", fp); break;
		case '\r': fputs("\\r", fp); break;
		case '\t': fputs("\\t", fp); break;
		default:
			if (*p < 0x20)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

void
out_duration(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
}

const char *
out_state(enum pa_lease_state s)
{
	switch (s) {
	case PA_LEASE_ALIVE: return "alive";
	case PA_LEASE_DEAD: return "dead";
	case PA_LEASE_EXPIRED: return "expired";
	}
	return "?";
}

void
out_lease_json(FILE *fp, const struct pa_lease *l)
{
	fprintf(fp, "{\"port\":%u,\"proto\":\"%s\",\"block\":", l->port,
	    pa_protos_name(l->protos));
	out_json_string(fp, l->block);
	fprintf(fp, ",\"owner_pid\":%" PRId64 ",\"uid\":%" PRId64 ",\"tag\":",
	    l->owner_pid, l->uid);
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

void
out_leases_table(FILE *fp, const struct pa_lease *v, size_t n, int64_t now)
{
	char age[32], exp[32];
	size_t i;

	fprintf(fp, "%-5s  %-7s  %-12s  %7s  %-7s  %6s  %7s  %-12s  %s\n",
	    "PORT", "PROTO", "BLOCK", "PID", "STATE", "AGE", "EXPIRES", "TAG",
	    "COMMAND");
	for (i = 0; i < n; i++) {
		out_duration(age, sizeof(age), now - v[i].created);
		if (v[i].expires == 0)
			snprintf(exp, sizeof(exp), "never");
		else if (v[i].expires <= now)
			snprintf(exp, sizeof(exp), "past");
		else
			out_duration(exp, sizeof(exp), v[i].expires - now);
		fprintf(fp, "%-5u  %-7s  %-12s  %7" PRId64 "  %-7s  %6s  %7s  "
		    "%-12s  %.60s\n", v[i].port, pa_protos_name(v[i].protos),
		    v[i].block, v[i].owner_pid, out_state(v[i].state), age,
		    exp, v[i].tag[0] ? v[i].tag : "-", v[i].command);
	}
}

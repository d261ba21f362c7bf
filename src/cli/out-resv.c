/*
 * OS reservations as JSON and for people: the report of reservations, and
 * what reserve and unreserve did (the lists before and after, the drop-in,
 * the warnings about the blocks acted on).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const char *const reserve_names[] = { "no", "runtime", "persistent" };

/* A list for people: "(none)" when empty. */
static const char *
list_text(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "(none)";
}

static void
json_bool(FILE *fp, const char *key, int v)
{
	fprintf(fp, ",\"%s\":%s", key, v ? "true" : "false");
}

static void
json_str(FILE *fp, const char *key, const char *v)
{
	fprintf(fp, ",\"%s\":", key);
	out_json_string(fp, v);
}

const char *
out_resv_where(const struct pa_resv_report *r)
{
	static char buf[PA_NETNS_MAX + 8];

	if (r->shape == PA_RESV_RANGE)
		return "on this host";
	snprintf(buf, sizeof(buf), "in %s", r->netns);
	return buf;
}

/* What portalloc added to an entry: ports (list shape) or the protocols
 * whose reservation it made (range shape). */
static const char *
added_text(const struct pa_resv *e)
{
	if (e->added_protos != 0)
		return out_protos(e->added_protos);
	return e->added;
}

/* One block or row; what the OS does is known for this namespace only. */
static void
entry_json(FILE *fp, const struct pa_resv *e)
{
	fputs("{\"block\":", fp);
	out_json_string(fp, e->block);
	json_str(fp, "netns", e->netns);
	json_bool(fp, "this_netns", e->this_netns);
	fprintf(fp, ",\"first\":%u,\"last\":%u,\"reserve\":", e->first,
	    e->last);
	if (e->configured)
		out_json_string(fp, reserve_names[e->reserve]);
	else
		fputs("null", fp);
	json_bool(fp, "recorded", e->recorded);
	json_bool(fp, "persistent", e->persistent);
	if (e->recorded)
		fprintf(fp, ",\"created\":%" PRId64, e->created);
	else
		fputs(",\"created\":null", fp);
	json_str(fp, "added", added_text(e));
	if (e->this_netns) {
		fprintf(fp, ",\"os_reserved\":%u", e->os_count);
		json_bool(fp, "in_ephemeral", e->in_ephemeral);
		json_bool(fp, "in_dropin", e->in_dropin);
	} else {
		fputs(",\"os_reserved\":null,\"in_ephemeral\":null,"
		    "\"in_dropin\":null", fp);
	}
	fprintf(fp, ",\"size\":%u}", (unsigned)e->last - e->first + 1u);
}

static void
actions_json(FILE *fp, const struct pa_resv_report *r)
{
	size_t i;

	fputs(",\"actions\":[", fp);
	for (i = 0; i < r->nactions; i++) {
		fputs(i ? ",{\"block\":" : "{\"block\":", fp);
		out_json_string(fp, r->actions[i].block);
		fprintf(fp, ",\"first\":%u,\"last\":%u", r->actions[i].first,
		    r->actions[i].last);
		json_bool(fp, "persistent", r->actions[i].persistent);
		json_str(fp, "ports", r->actions[i].ports);
		if (r->shape == PA_RESV_RANGE)
			json_str(fp, "protos", r->actions[i].protos ?
			    out_protos(r->actions[i].protos) : "");
		fputc('}', fp);
	}
	fputc(']', fp);
}

void
out_resv_json(FILE *fp, const struct pa_resv_report *r)
{
	size_t i;

	fputs("{\"netns\":", fp);
	out_json_string(fp, r->netns);
	json_str(fp, "reserved", r->now);
	if (r->before != NULL)
		json_str(fp, "before", r->before);
	if (r->eph_first != 0)
		fprintf(fp, ",\"ephemeral\":{\"first\":%u,\"last\":%u}",
		    r->eph_first, r->eph_last);
	else
		fputs(",\"ephemeral\":null", fp);
	fputs(",\"dropin\":{\"path\":", fp);
	out_json_string(fp, r->dropin);
	json_bool(fp, "exists", r->dropin_exists);
	json_str(fp, "ports", r->dropin_ports);
	json_bool(fp, "changed", r->dropin_changed);
	fprintf(fp, "},\"shape\":\"%s\",\"blocks\":[",
	    r->shape == PA_RESV_RANGE ? "range" : "list");
	for (i = 0; i < r->n; i++) {
		fputs(i ? ",\n " : "", fp);
		entry_json(fp, &r->v[i]);
	}
	fputc(']', fp);
	if (r->before != NULL)
		actions_json(fp, r);
	fputs(",\"excluded\":[", fp);
	for (i = 0; i < r->nexcluded; i++)
		fprintf(fp, "%s{\"proto\":\"%s\",\"first\":%u,\"last\":%u,"
		    "\"administered\":%s,\"portalloc\":%s}", i ? "," : "",
		    out_protos(r->excluded[i].proto), r->excluded[i].first,
		    r->excluded[i].last, r->excluded[i].administered ? "true" :
		    "false", r->excluded[i].portalloc ? "true" : "false");
	fputs("],\"warnings\":[", fp);
	for (i = 0; i < r->nwarnings; i++) {
		fputs(i ? "," : "", fp);
		out_json_string(fp, r->warnings[i].msg);
	}
	fputs("]}\n", fp);
}

void
out_resv_changes(FILE *fp, const struct pa_resv_report *r)
{
	if (r->before != NULL && strcmp(r->before, r->now) != 0)
		fprintf(fp, "reserved ports %s: %s -> %s\n",
		    out_resv_where(r), list_text(r->before),
		    list_text(r->now));
	else
		fprintf(fp, "reserved ports %s: %s (unchanged)\n",
		    out_resv_where(r), list_text(r->now));
	if (r->dropin_changed && r->dropin_exists)
		fprintf(fp, "drop-in %s: written, reserves %s at boot\n",
		    r->dropin, r->dropin_ports);
	else if (r->dropin_changed)
		fprintf(fp, "drop-in %s: removed\n", r->dropin);
	else if (r->dropin_exists)
		fprintf(fp, "drop-in %s: unchanged, reserves %s at boot\n",
		    r->dropin, list_text(r->dropin_ports));
}

/* A warning, and what would mend it in the user's own words. */
static void
warning(FILE *fp, const struct cli *cli, const char *prefix,
    const struct pa_resv_warning *w)
{
	struct pa_error e;
	char hint[1024];

	fprintf(fp, "%swarning: %s\n", prefix, w->msg);
	memset(&e, 0, sizeof(e));
	e.hint = w->hint;
	snprintf(e.hint_block, sizeof(e.hint_block), "%s", w->block);
	cli_hint_text(cli, &e, hint, sizeof(hint));
	if (hint[0] != '\0')
		fprintf(fp, "%s  hint: %s\n", prefix, hint);
}

void
out_resv_warnings(FILE *fp, const struct cli *cli,
    const struct pa_resv_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nwarnings; i++)
		for (j = 0; j < r->nactions; j++)
			if (strcmp(r->warnings[i].block,
			    r->actions[j].block) == 0) {
				warning(fp, cli, "portalloc: ", &r->warnings[i]);
				break;
			}
}

/* "5m ago", or "-" for a block portalloc did not reserve. */
static void
since(char *buf, size_t len, const struct pa_resv *e, int64_t now)
{
	char d[32];

	if (!e->recorded) {
		snprintf(buf, len, "-");
		return;
	}
	out_duration(d, sizeof(d), now - e->created);
	snprintf(buf, len, "%s ago", d);
}

static void
print_table(FILE *fp, const struct pa_resv_report *r, int64_t now)
{
	char ports[16], os[32], when[40];
	const struct pa_resv *e;
	size_t i;

	fprintf(fp, "\n%-14s %-11s %-11s %-9s %-8s %-20s %s\n", "BLOCK", "PORTS",
	    "RESERVE", "OS", "DROP-IN", "ADDED BY PORTALLOC", "RESERVED");
	for (i = 0; i < r->n; i++) {
		e = &r->v[i];
		if (!e->this_netns)
			continue;
		snprintf(ports, sizeof(ports), "%u-%u", e->first, e->last);
		snprintf(os, sizeof(os), "%u/%u", e->os_count,
		    (unsigned)e->last - e->first + 1u);
		since(when, sizeof(when), e, now);
		fprintf(fp, "%-14s %-11s %-11s %-9s %-8s %-20s %s\n", e->block,
		    ports, e->configured ? reserve_names[e->reserve] :
		    "(gone)", os, r->shape == PA_RESV_RANGE ? "-" :
		    e->in_dropin ? "yes" : "no",
		    e->recorded ? list_text(added_text(e)) : "-", when);
	}
}

/* Rows recorded in other namespaces: shown, never touched from here. */
static void
print_others(FILE *fp, const struct pa_resv_report *r, int64_t now)
{
	char when[40];
	size_t i;
	int first = 1;

	for (i = 0; i < r->n; i++) {
		if (r->v[i].this_netns)
			continue;
		if (first)
			fprintf(fp, "\nrecorded in other network namespaces (only "
			    "'portalloc unreserve' run there undoes them):\n");
		first = 0;
		since(when, sizeof(when), &r->v[i], now);
		fprintf(fp, "  %s  block %s %u-%u%s, added %s, %s\n",
		    r->v[i].netns, r->v[i].block, r->v[i].first,
		    r->v[i].last, r->v[i].persistent ? " persistent" : "",
		    list_text(r->v[i].added), when);
	}
}

/* The ranges the OS excludes (range shape): others' are where a bind
 * fails with "access denied" (WSAEACCES), not "in use". */
static void
print_excluded(FILE *fp, const struct pa_resv_report *r)
{
	const struct pa_resv_excluded *e;
	size_t i;

	if (r->nexcluded == 0)
		return;
	fprintf(fp, "\nexcluded from automatic ports by the OS (a bind into "
	    "one fails with access denied):\n");
	for (i = 0; i < r->nexcluded; i++) {
		e = &r->excluded[i];
		fprintf(fp, "  %-3s %5u-%-5u  %s\n", out_protos(e->proto),
		    e->first, e->last, e->portalloc ? "portalloc's reservation" :
		    e->administered ? "added by an administrator" :
		    "excluded by the system (Hyper-V, WinNAT, Docker...)");
	}
}

void
out_resv_report(FILE *fp, const struct cli *cli,
    const struct pa_resv_report *r)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if (r->shape == PA_RESV_RANGE)
		fprintf(fp, "reservations:      host-wide, one per block and "
		    "protocol\n");
	else
		fprintf(fp, "network namespace: %s\n", r->netns);
	fprintf(fp, "reserved ports:    %s\n", list_text(r->now));
	if (r->eph_first != 0)
		fprintf(fp, "ephemeral range:   %u-%u\n", r->eph_first,
		    r->eph_last);
	else
		fprintf(fp, "ephemeral range:   unknown\n");
	if (r->dropin[0] == '\0')  /* reservations that outlive reboots */
		fprintf(fp, "drop-in:           none needed (the OS keeps its "
		    "reservations across reboots)\n");
	else
		fprintf(fp, "drop-in:           %s (%s)\n", r->dropin,
		    r->dropin_exists ? (r->dropin_ports[0] ?
		    r->dropin_ports : "reserves nothing") : "missing");
	print_table(fp, r, now);
	print_others(fp, r, now);
	print_excluded(fp, r);
	if (r->nwarnings > 0)
		fprintf(fp, "\n");
	for (i = 0; i < r->nwarnings; i++)
		warning(fp, cli, "", &r->warnings[i]);
}


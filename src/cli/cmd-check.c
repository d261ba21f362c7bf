/* portalloc check: leases against the kernel's socket tables. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/*
 * What comes back from line to line, each built once: the texts, and a
 * holder's process part ("held by pid 7 name (user): cmd [tcp "), which
 * all the sockets of a process share.
 */
struct memos {
	struct ol_memo name, user, cmdline, local, command;
	const struct pa_holder *part_of;    /* NULL: no part kept yet */
	size_t npart;
	char part[OL_LINE];
};

/* Would h's process part read as the kept one? (Its texts are interned:
 * the same text, the same pointer.) */
static int
same_part(const struct memos *m, const struct pa_holder *h)
{
	const struct pa_holder *k = m->part_of;

	return k != NULL && k->pid == h->pid && k->foreign == h->foreign &&
	    k->proto == h->proto && k->name == h->name &&
	    k->user == h->user && k->cmdline == h->cmdline;
}

/* One holder of a port, under it. */
static void
print_holder(struct out_line *l, struct memos *m, const struct pa_holder *h)
{
	const char *proto = h->proto == PA_TCP ? "tcp" : "udp";
	size_t at;

	ol_str(l, "       ");
	if (h->hidden) {
		ol_str(l, h->foreign ? "FOREIGN, " : "held by ");
		ol_str(l, "a process not visible here (");
		if (h->user[0] != '\0')
			ol_memo_text(l, &m->user, h->user, 32 * 4);
		else if (h->uid >= 0) {
			ol_str(l, "uid ");
			ol_int(l, h->uid);
		} else
			ol_str(l, "user unknown");
		ol_str(l, ") [");
		ol_str(l, proto);
		ol_str(l, " ");
	} else if (h->pid == 0) {
		ol_str(l, h->family == 6 ? "IPv6 " : "IPv4 ");
		ol_str(l, proto);
		ol_str(l, "/");
	} else if (same_part(m, h)) {
		ol_mem(l, m->part, m->npart);
	} else {
		at = l->n;
		ol_str(l, h->foreign ? "FOREIGN pid " : "held by pid ");
		ol_int(l, h->pid);
		ol_str(l, " ");
		ol_memo_text(l, &m->name, h->name, 64 * 4);
		ol_str(l, " (");
		ol_memo_text(l, &m->user, h->user, 32 * 4);
		ol_str(l, "): ");
		ol_memo_text(l, &m->cmdline, h->cmdline, 81);
		ol_str(l, " [");
		ol_str(l, proto);
		ol_str(l, " ");
		m->part_of = h;
		m->npart = l->n - at;
		memcpy(m->part, l->buf + at, m->npart);
	}
	ol_memo_text(l, &m->local, h->local, PA_ADDR_MAX * 4);
	ol_str(l, " ");
	ol_str(l, pa_sock_state_name(h->state, h->proto));
	ol_str(l, h->pid == 0 && !h->hidden ? ", no process\n" : "]\n");
	ol_write(l, stdout);
}

/* A port's line, then its holders' (built in memory: see out_line). */
static void
print_port(struct out_line *l, struct memos *m, const struct pa_check *r,
    const struct pa_port_check *p)
{
	size_t i, at;

	ol_int(l, p->port);
	ol_pad(l, 5);
	ol_str(l, "  ");
	at = l->n - l->line;
	ol_str(l, pa_port_status_name(p->status));
	ol_pad(l, at + 8);
	ol_str(l, "  ");
	if (p->lease != NULL) {
		ol_str(l, "leased to pid ");
		ol_int(l, out_owner_pid(p->lease));
		ol_str(l, " (");
		ol_memo_text(l, &m->command, p->lease->command, 41);
		ol_str(l, ")");
		ol_str(l, p->lease->state == PA_LEASE_DEAD ? ", which is gone" :
		    p->lease->state == PA_LEASE_EXPIRED ? ", expired" : "");
		ol_str(l, "\n");
	} else {
		ol_str(l, "not leased\n");
	}
	ol_write(l, stdout);
	for (i = 0; i < p->n; i++)
		print_holder(l, m, &r->holders[p->first + i]);
}

static void
print_json(const struct pa_check *r)
{
	const struct pa_port_check *p;
	size_t i, j;
	int s;

	printf("{\"ports\":[");
	for (i = 0; i < r->nports; i++) {
		p = &r->ports[i];
		printf("%s{\"port\":%u,\"status\":\"%s\",\"lease\":",
		    i ? ",\n " : "", p->port, pa_port_status_name(p->status));
		if (p->lease != NULL)
			out_lease_json(stdout, p->lease);
		else
			printf("null");
		printf(",\"holders\":[");
		for (j = 0; j < p->n; j++) {
			const struct pa_holder *h = &r->holders[p->first + j];
			fputs(j ? "," : "", stdout);
			out_holder_json(stdout, h,
			    p->lease != NULL && h->pid != 0);
		}
		printf("]}");
	}
	printf("],\"summary\":{");
	for (s = 0; s < PA_PORT_NSTATUS; s++)
		printf("%s\"%s\":%u", s ? "," : "", pa_port_status_name(s),
		    r->count[s]);
	printf("},\"unreadable_processes\":%u,\"source\":",
	    r->unreadable);
	out_json_string(stdout, r->source != NULL ? r->source : "");
	printf("}\n");
}

static int
cmd_check(struct cli *cli, int argc, char **argv)
{
	const char *block = NULL;
	struct pa_check_job *job;
	struct pa_check *r;
	struct memos m;
	static struct out_line l;
	struct pa_error err;
	unsigned total = 0;
	size_t i;
	int rc, json = 0, s;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&block, "only BLOCK (default: every block)"),
		OPT_JSON(&json, "print JSON"),
		OPT_END
	};

	/* the kernel's tables are read while the store opens */
	if ((rc = cli_options(cli, opts, argc, argv, 0)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_check_start(cli->cfg, block, &job, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if ((rc = cli_open(cli, 1)) != 0) {
		pa_check_abort(job);
		return rc;
	}
	if ((rc = pa_check_finish(cli->pa, job, &r, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json) {
		print_json(r);
	} else {
		memset(&m, 0, sizeof(m));
		for (i = 0; i < r->nports; i++)
			print_port(&l, &m, r, &r->ports[i]);
		ol_flush(&l, stdout);
		for (s = 0; s < PA_PORT_NSTATUS; s++)
			total += r->count[s];
		printf("%u ports: ", total);
		for (s = 1; s < PA_PORT_NSTATUS; s++)
			printf("%u %s, ", r->count[s], pa_port_status_name(s));
		printf("%u free\n", r->count[PA_PORT_FREE]);
	}
	out_unreadable(r->unreadable);
	rc = r->count[PA_PORT_FOREIGN] || r->count[PA_PORT_INTRUDER] ?
	    EXIT_CONFLICT : EXIT_OK;
	pa_check_free(r);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	"check",
	"",
	"Check the leases of a block against the kernel's socket tables.\n"
	    "Each port of the block(s) is one of:\n"
	    "  ok        leased, held by the lease owner or its descendants\n"
	    "  waiting   leased, nobody bound yet\n"
	    "  foreign   leased, but held by another process (both are shown)\n"
	    "  stale     leased, but the owner is gone or the lease expired\n"
	    "  intruder  not leased, but held by some process\n"
	    "  orphan    only sockets no process holds (TIME-WAIT)\n"
	    "A socket held by a process you cannot see (another user's, "
	    "another PID\nnamespace's) still holds its port: foreign when it "
	    "is another user's than\nthe lease's, ok when the same user's.\n"
	    "Exit 1 if any port is foreign or intruder, else 0.",
	cmd_check,
};

/* portalloc map: a picture of a block, one cell per port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define CELLS_PER_ROW 50

/* How each status is drawn: a character, and a color on a terminal. */
static const struct {
	char c;
	const char *color;
	const char *meaning;
} cells[PA_PORT_NSTATUS] = {
	[PA_PORT_FREE] = { '.', "\033[2m", "free" },
	[PA_PORT_OK] = { 'o', "\033[32m", "leased, held by its owner" },
	[PA_PORT_WAITING] = { 'w', "\033[33m", "leased, nobody bound yet" },
	[PA_PORT_FOREIGN] = { 'F', "\033[1;31m", "leased, held by another "
	    "process" },
	[PA_PORT_STALE] = { 's', "\033[35m", "leased, owner gone" },
	[PA_PORT_INTRUDER] = { 'I', "\033[1;31m", "not leased, held" },
	[PA_PORT_ORPHAN] = { 't', "\033[36m", "TIME-WAIT only" },
};

/* The status of every port of a block, by offset. */
static enum pa_port_status *
statuses(const struct pa_check *r, const struct pa_block *b)
{
	size_t size = (size_t)b->last - b->first + 1, i;
	enum pa_port_status *v = calloc(size, sizeof(*v));

	if (v == NULL)
		return NULL;
	for (i = 0; i < r->nports; i++)
		if (r->ports[i].port >= b->first && r->ports[i].port <= b->last)
			v[r->ports[i].port - b->first] = r->ports[i].status;
	return v;
}

static void
draw_block(const struct pa_check *r, const struct pa_block *b, int color)
{
	enum pa_port_status *v = statuses(r, b), prev = PA_PORT_NSTATUS;
	size_t size = (size_t)b->last - b->first + 1, i;

	if (v == NULL)
		return;
	printf("block %s (%u-%u)\n", b->name, b->first, b->last);
	for (i = 0; i < size; i++) {
		if (i % CELLS_PER_ROW == 0)
			printf("%s%5zu ", i ? "\n" : "", b->first + i);
		if (color && v[i] != prev)
			printf("\033[0m%s", cells[v[i]].color);
		prev = v[i];
		putchar(cells[v[i]].c);
	}
	if (color)
		fputs("\033[0m", stdout);
	putchar('\n');
	free(v);
}

static void
legend(const struct pa_check *r, int color)
{
	int s;

	putchar('\n');
	for (s = 0; s < PA_PORT_NSTATUS; s++)
		printf("  %s%c%s %-9s %5u  %s\n", color ? cells[s].color : "",
		    cells[s].c, color ? "\033[0m" : "", pa_port_status_name(s),
		    r->count[s], cells[s].meaning);
}

static int
cmd_map(struct cli *cli, int argc, char **argv)
{
	const char *block = NULL, *nc = getenv("NO_COLOR");
	const struct pa_block *b;
	struct pa_check *r;
	struct pa_error err;
	int rc, color = isatty(STDOUT_FILENO) && (nc == NULL || !*nc);
	size_t i;

	if ((rc = cli_simple_options(cli, argc, argv, 1, &block, NULL)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_check(cli->pa, block, &r, &err)) != 0)
		return cli_fail(rc, &err);
	for (i = 0; i < cli->cfg->nblocks; i++) {
		b = &cli->cfg->blocks[i];
		if (block == NULL || strcmp(block, b->name) == 0)
			draw_block(r, b, color);
	}
	legend(r, color);
	out_unreadable(r->unreadable);
	pa_check_free(r);
	return EXIT_OK;
}

const struct cmd_entry cmd_map_entry = {
	"map",
	"[-b BLOCK]",
	"Draw a block, one cell per port, by state, with a legend and counts.\n"
	    "The states are those of 'portalloc check'.  Colors on a terminal; "
	    "plain\ncharacters when stdout is not one or NO_COLOR is set.",
	"  -b, --block BLOCK   only BLOCK (default: every block)\n",
	cmd_map,
};

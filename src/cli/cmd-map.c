/*
 * portalloc map: a picture of a block, one cell per port.  Rows fit the
 * terminal ($COLUMNS, else its width; 50 cells when stdout is no terminal,
 * so that scripts see the same picture anywhere).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "os/spawn.h"

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

/* The width to draw in: $COLUMNS, the terminal's, or 0 (unknown). */
static int
columns(void)
{
	const char *s = getenv("COLUMNS");
	char *end;
	long v;

	if (s != NULL && *s != '\0') {
		v = strtol(s, &end, 10);
		if (*end == '\0' && v > 0 && v < 10000)
			return (int)v;
	}
	return pa__term_columns();
}

/* Cells in a row of width columns: a multiple of 10, 10 to 100. */
static size_t
row_cells(int width)
{
	int n = (width - 7) / 10 * 10;

	if (width <= 0)
		return 50;
	return n < 10 ? 10 : n > 100 ? 100 : (size_t)n;
}

static void
draw_block(const struct pa_check *r, const struct pa_block *b, int color,
    size_t per_row)
{
	enum pa_port_status *v = statuses(r, b), prev = PA_PORT_NSTATUS;
	size_t size = (size_t)b->last - b->first + 1, i;

	if (v == NULL)
		return;
	printf("block %s (%u-%u)\n", b->name, b->first, b->last);
	for (i = 0; i < size; i++) {
		if (i % per_row == 0)
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

/* What each cell means and how many there are; the meanings only where
 * they fit. */
static void
legend(const struct pa_check *r, int color, int width)
{
	int s, wide = width <= 0 || width >= 64;

	putchar('\n');
	for (s = 0; s < PA_PORT_NSTATUS; s++)
		printf("  %s%c%s %-9s %5u%s%s\n", color ? cells[s].color : "",
		    cells[s].c, color ? "\033[0m" : "", pa_port_status_name(s),
		    r->count[s], wide ? "  " : "", wide ? cells[s].meaning : "");
}

static int
cmd_map(struct cli *cli, int argc, char **argv)
{
	const char *block = NULL, *nc = getenv("NO_COLOR");
	const struct pa_block *b;
	struct pa_check *r;
	struct pa_error err;
	/* a terminal has a width; a file or a pipe has none */
	int rc, color = pa__term_columns() > 0 && (nc == NULL || !*nc);
	int width = columns();
	size_t i;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&block, "only BLOCK (default: every block)"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 1)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_check(cli->pa, block, &r, &err)) != 0)
		return cli_fail(cli, rc, &err);
	for (i = 0; i < cli->cfg->nblocks; i++) {
		b = &cli->cfg->blocks[i];
		if (block == NULL || strcmp(block, b->name) == 0)
			draw_block(r, b, color, row_cells(width));
	}
	legend(r, color, width);
	out_unreadable(r->unreadable);
	pa_check_free(r);
	return EXIT_OK;
}

const struct cmd_entry cmd_map_entry = {
	"map",
	"",
	"Draw a block, one cell per port, by state, with a legend and counts.\n"
	    "The states are those of 'portalloc check'.  Colors on a terminal; "
	    "plain\ncharacters when stdout is not one or NO_COLOR is set.  "
	    "Rows fit $COLUMNS or the\nterminal (50 cells when stdout is not "
	    "a terminal).  No --json: use\n'portalloc check --json'.",
	cmd_map,
};

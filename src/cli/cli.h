/*
 * The command-line interface: one file per command, each exporting a
 * cmd_entry; main.c holds the table.  Only the CLI prints or exits.
 */
#ifndef PA_CLI_H
#define PA_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "portalloc/portalloc.h"

/* As in core.h: the build may check formats as gnu_printf (mingw). */
#ifndef PA_PRINTF_KIND
#define PA_PRINTF_KIND printf
#endif

/* Exit codes (sysexits-style), as documented in the README. */
enum {
	EXIT_OK = 0,
	EXIT_CONFLICT = 1,
	EXIT_USAGE = 2,
	EXIT_DATA = 65,
	EXIT_NOPORTS = 69,
	EXIT_SOFTWARE = 70,
	EXIT_OSERR = 71,
	EXIT_CANTCREAT = 73,
	EXIT_IOERR = 74,
	EXIT_NOPERM = 77,
	EXIT_CONFIG = 78,
};

struct cli {
	const char *config_path;     /* -c FILE */
	struct pa_config *cfg;
	struct pa *pa;
	const struct cmd_entry *cmd;
};

struct cmd_entry {
	const char *name;
	const char *args;            /* the synopsis after the name */
	const char *summary;
	const char *help;            /* the options, one per line */
	int (*exec)(struct cli *cli, int argc, char **argv);
};

extern const struct cmd_entry cmd_get_entry, cmd_release_entry,
    cmd_list_entry, cmd_exec_entry, cmd_gc_entry, cmd_config_entry,
    cmd_who_entry, cmd_check_entry, cmd_reserve_entry, cmd_unreserve_entry,
    cmd_reservations_entry, cmd_map_entry, cmd_accel_entry;

/* Options every command takes; put CLI_COMMON_OPTIONS in each table. */
#define CLI_OPT_HELP 'h'
#define CLI_OPT_CONFIG 'c'
#define CLI_COMMON_OPTIONS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "config", required_argument, NULL, 'c' }

/*
 * Handles -h and -c and unknown options for a command.  Returns -1 when the
 * option was handled and parsing goes on, or an exit code to return now.
 */
int cli_common_option(struct cli *cli, int c, const char *arg);

/*
 * The whole option parsing of a command that takes only -h, -c, and -b
 * BLOCK where block is not NULL, --json where json is not NULL; then
 * cli_open.  -1 when the command goes on, else the exit code to return now
 * (0 after --help).
 */
int cli_simple_options(struct cli *cli, int argc, char **argv,
    int need_store, const char **block, int *json);

/*
 * The request options of get and exec (-b -n -p -t --tag --consecutive)
 * into req: -1 when handled, -2 when c is not one of them, else the exit
 * code of a bad value.
 */
int cli_request_option(struct cli *cli, int c, const char *arg,
    struct pa_request *req, unsigned max_count);

/* Loads the configuration and, with need_store, opens the store.
 * 0, or an exit code after printing why. */
int cli_open(struct cli *cli, int need_store);

/* Prints "portalloc: MSG" for a failed call; returns its exit code. */
int cli_fail(int rc, const struct pa_error *err);
/* Prints "portalloc: MSG" and returns EXIT_USAGE, with a hint at --help. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(PA_PRINTF_KIND, 2, 3)));
/* The exit code for a PA_E* code. */
int cli_exit_code(int rc);
void cli_warn(const char *fmt, ...)
    __attribute__((format(PA_PRINTF_KIND, 1, 2)));

/* Checked numbers: 0, or an exit code after printing what was wrong. */
int cli_number(const struct cli *cli, const char *s, long long min,
    long long max, const char *what, long long *out);

/* Output helpers (output.c). */
void out_json_string(FILE *fp, const char *s);
/* "45s", "5m", "1h55m", "2d3h". */
void out_duration(char *buf, size_t len, int64_t seconds);
const char *out_state(enum pa_lease_state s);
/* One lease as a JSON object; now is for age and expiry. */
void out_lease_json(FILE *fp, const struct pa_lease *l);
/* An array of leases as JSON, one object per line. */
void out_leases_json(FILE *fp, const struct pa_lease *v, size_t n);
/* Leases as a table with a header line. */
void out_leases_table(FILE *fp, const struct pa_lease *v, size_t n,
    int64_t now);

/* Holders (cmd-who.c, shared with check). */
/* With foreign, says whether the holder is the lease owner's. */
void out_holder_json(FILE *fp, const struct pa_holder *h, int foreign);
void out_holders_table(FILE *fp, const struct pa_holder *v, size_t n);
/* A note on stderr when some processes could not be read. */
void out_unreadable(unsigned n);
/* OS reservations (cmd-reservations.c): a report as JSON; its lists and
 * drop-in as lines; the warnings about the blocks it acted on,
 * "portalloc: warning: ..." on fp. */
void out_resv_json(FILE *fp, const struct pa_resv_report *r);
/* Where the report's reservations are: "in net:[...]" (list shape), "on
 * this host" (range shape). */
const char *out_resv_where(const struct pa_resv_report *r);
void out_resv_changes(FILE *fp, const struct pa_resv_report *r);
void out_resv_warnings(FILE *fp, const struct pa_resv_report *r);
/* reserve and unreserve: [-b BLOCK] [--json], op, then its report. */
int cli_resv_command(struct cli *cli, int argc, char **argv,
    int (*op)(struct pa *, const char *, struct pa_resv_report **,
    struct pa_error *),
    void (*print_actions)(const struct cli *, const struct pa_resv_report *,
    const char *));

#endif

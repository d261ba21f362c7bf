/*
 * The command-line interface: one file per command, each exporting a
 * cmd_entry whose options are a table (opts.c parses it and writes its
 * --help); cli.c words failures and opens the store; out*.c write tables
 * and JSON.  main.c holds only the command list and the dispatch.  Only the
 * CLI prints or exits.
 */
#ifndef PA_CLI_H
#define PA_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "portalloc/portalloc.h"

/* As in core.h: the build may check formats as gnu_printf (mingw). */
#ifndef PA_PRINTF_KIND
#define PA_PRINTF_KIND printf
#endif
#define CLI_PRINTF(a, b) __attribute__((format(PA_PRINTF_KIND, a, b)))

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
	const struct cmd_entry *cmd; /* NULL while the global options parse */
};

struct cmd_entry {
	const char *name;
	const char *args;            /* positional arguments, for the synopsis */
	const char *summary;         /* first line; then the description */
	int (*exec)(struct cli *cli, int argc, char **argv);
};

/*
 * Options (opts.c).  A command declares its options once, as a table of
 * struct cli_opt ended by OPT_END; cli_parse builds getopt_long's arrays
 * from it, checks each value with the validator its kind names, stores it
 * in the target, and writes --help (synopsis and option lines).  -h/--help
 * and -c/--config are added to every command's table.  An option without a
 * short name has none: `get -j` is an unknown option.
 */
enum cli_opt_kind {
	OPT_KIND_END,
	OPT_KIND_FLAG,     /* int *: set to 1 */
	OPT_KIND_SET,      /* int *: set to min (e.g. --json: format json) */
	OPT_KIND_NAME,     /* const char **: a non-empty name (block) */
	OPT_KIND_PATH,     /* const char **: a non-empty path (-c FILE) */
	OPT_KIND_UINT,     /* unsigned *: min..max */
	OPT_KIND_PID,      /* int64_t *: 1..2^31-1 */
	OPT_KIND_TAG,      /* const char **: UTF-8, no control characters */
	OPT_KIND_DURATION, /* int64_t *: "90s", "2h", "never" (0); not "0" */
	OPT_KIND_PROTO,    /* unsigned *: tcp, udp, tcp,udp (both, tcp+udp) */
	OPT_KIND_CHOICE,   /* int *: the index of the word in choices */
};

struct cli_opt {
	int short_name;              /* 0: long only */
	const char *long_name;
	enum cli_opt_kind kind;
	const char *argname;         /* "N" in "--count N"; NULL: no value */
	const char *help;            /* lines; NULL: accepted, not shown */
	void *target;
	long long min, max;
	const char *const *choices;  /* OPT_KIND_CHOICE, NULL-terminated */
};

#define OPT_FLAG(s, l, p, h) \
	{ (s), (l), OPT_KIND_FLAG, NULL, (h), (p), 0, 0, NULL }
#define OPT_SET(l, p, v, h) \
	{ 0, (l), OPT_KIND_SET, NULL, (h), (p), (v), 0, NULL }
#define OPT_NAME(s, l, a, p, h) \
	{ (s), (l), OPT_KIND_NAME, (a), (h), (p), 0, 0, NULL }
#define OPT_UINT(s, l, a, p, lo, hi, h) \
	{ (s), (l), OPT_KIND_UINT, (a), (h), (p), (lo), (hi), NULL }
#define OPT_PID(s, l, p, h) \
	{ (s), (l), OPT_KIND_PID, "PID", (h), (p), 0, 0, NULL }
#define OPT_TAG(p, h) \
	{ 0, "tag", OPT_KIND_TAG, "TAG", (h), (p), 0, 0, NULL }
#define OPT_DURATION(s, l, p, h) \
	{ (s), (l), OPT_KIND_DURATION, "DUR", (h), (p), 0, 0, NULL }
#define OPT_PROTO(p, h) \
	{ 'p', "proto", OPT_KIND_PROTO, "PROTO", (h), (p), 0, 0, NULL }
#define OPT_CHOICE(s, l, a, p, c, h) \
	{ (s), (l), OPT_KIND_CHOICE, (a), (h), (p), 0, 0, (c) }
/* The usual -b BLOCK and --json. */
#define OPT_BLOCK(p, h) OPT_NAME('b', "block", "BLOCK", (p), (h))
#define OPT_JSON(p, h) OPT_FLAG(0, "json", (p), (h))
#define OPT_END { 0, NULL, OPT_KIND_END, NULL, NULL, NULL, 0, 0, NULL }

/* cli_parse's flags. */
#define CLI_ARGS 1       /* positional arguments are allowed */
#define CLI_STOP 2       /* stop at the first one (exec: the command's own) */

/*
 * Parses argv[1..] against opts (of cli->cmd; the global options when
 * cli->cmd is NULL, without the implied -h/-c).  -1 when the command goes
 * on, *first (if not NULL) being the index of the first positional
 * argument; else the exit code to return now, after printing why (0 after
 * --help).
 */
int cli_parse(struct cli *cli, const struct cli_opt *opts, int argc,
    char **argv, int flags, int *first);
/* The whole parsing of a command whose options are opts and, with
 * need_store >= 0, cli_open(need_store): -1 to go on, else an exit code. */
int cli_options(struct cli *cli, const struct cli_opt *opts, int argc,
    char **argv, int need_store);
/* Prints usage: the synopsis (name, then opts, then cmd->args) and the
 * option lines of opts (and the implied ones where cmd is not NULL). */
void cli_help(FILE *fp, const struct cmd_entry *cmd,
    const struct cli_opt *opts);
/* The "  -b, --block BLOCK   help" lines of opts. */
void cli_option_lines(FILE *fp, const struct cli_opt *opts);
/* Validators the commands share with the option table: 0, or an exit code
 * after printing what was wrong. */
int cli_port(const struct cli *cli, const char *s, uint16_t *port);
int cli_number(const struct cli *cli, const char *s, long long min,
    long long max, const char *what, long long *out);
/* 1 if s is UTF-8 without control characters. */
int cli_clean_text(const char *s);

/*
 * Failures (cli.c).
 */
/* Loads the configuration and, with need_store, opens the store.
 * 0, or an exit code after printing why. */
int cli_open(struct cli *cli, int need_store);
/* Prints "portalloc: MSG" for a failed call, then its hint in words with
 * the user's own -c FILE; returns the exit code. */
int cli_fail(const struct cli *cli, int rc, const struct pa_error *err);
/* The sentence that says how to mend err (its hint), with the user's own
 * options; "" when err has no hint. */
void cli_hint_text(const struct cli *cli, const struct pa_error *err,
    char *buf, size_t len);
/* Prints "portalloc: MSG" and returns EXIT_USAGE, with a hint at --help. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    CLI_PRINTF(2, 3);
/* The exit code for a PA_E* code. */
int cli_exit_code(int rc);
/* "portalloc: MSG" on stderr. */
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
/* " -c FILE" when the user named a configuration file, else "". */
const char *cli_config_arg(const struct cli *cli, char *buf, size_t len);

/*
 * Output (out.c: text and JSON strings; out-leases.c, out-holders.c,
 * out-resv.c: the writers of each kind of record).
 */
/* The UTF-8 character at s: its length (1-4) and *cp, or 0 when the
 * bytes there are not valid UTF-8. */
size_t out_utf8(const char *s, uint32_t *cp);
/* A JSON string: valid whatever bytes s holds (control characters
 * escaped, invalid UTF-8 as U+FFFD). */
void out_json_string(FILE *fp, const char *s);
/* s for a table cell: control characters and invalid UTF-8 escaped
 * (\n, \x1b), cut to len - 1 bytes on a character boundary. */
void out_text(char *buf, size_t len, const char *s);
/* The same for a message (an error with another user's command line in
 * it): backslashes stay as they are. */
void out_message(char *buf, size_t len, const char *s);
/*
 * Lines built in memory and written a buffer at a time: check writes a
 * line per holder, thousands of them, and printf's parsing of its format,
 * with a lock of the stream per call, was most of the time they took.  A
 * line has OL_LINE bytes, room for every part at its widest; a part that
 * does not fit is cut.  Start with n = line = 0.
 */
#define OL_LINE 1024
struct out_line {
	size_t n;                   /* bytes in buf */
	size_t line;                /* where the line being built starts */
	char buf[16 * OL_LINE];
};
void ol_str(struct out_line *l, const char *s);
/* k bytes of s, as they are. */
void ol_mem(struct out_line *l, const char *s, size_t k);
/* s as out_text shows it in a buffer of len bytes. */
void ol_text(struct out_line *l, const char *s, size_t len);
/*
 * ol_text with the shown text kept in m, for a string that comes back
 * line after line: the holders of one process share its name, user and
 * command line (the same interned pointers), so check escapes each once.
 * s must stay unchanged while m is in use; m starts zeroed.
 */
struct ol_memo {
	const char *src;
	size_t len, n;
	char text[256];
};
void ol_memo_text(struct out_line *l, struct ol_memo *m, const char *s,
    size_t len);
void ol_int(struct out_line *l, int64_t v);
/* Spaces until the line is `col` long (printf's %-*s). */
void ol_pad(struct out_line *l, size_t col);
/* Ends the line; writes the buffer when no room for another is left. */
void ol_write(struct out_line *l, FILE *fp);
/* Writes what the buffer holds. */
void ol_flush(struct out_line *l, FILE *fp);
/* "45s", "5m", "1h55m", "2d3h". */
void out_duration(char *buf, size_t len, int64_t seconds);
const char *out_state(enum pa_lease_state s);
/* The one spelling of a protocol set: "tcp", "udp", "tcp,udp". */
const char *out_protos(unsigned protos);

/* The owner's pid as this caller sees it: its pid here where the lease
 * was made from another PID namespace, else the pid recorded. */
int64_t out_owner_pid(const struct pa_lease *l);
void out_lease_json(FILE *fp, const struct pa_lease *l);
/* An array of leases as JSON, one object per line. */
void out_leases_json(FILE *fp, const struct pa_lease *v, size_t n);
/* Leases as a table, a row at a time (list prints leases as they are
 * read): the header line, then one line per lease; now is for age and
 * expiry. */
void out_leases_header(FILE *fp);
void out_lease_row(FILE *fp, const struct pa_lease *l, int64_t now);

/* With foreign, says whether the holder is the lease owner's. */
void out_holder_json(FILE *fp, const struct pa_holder *h, int foreign);
void out_holders_json(FILE *fp, const struct pa_holder *v, size_t n);
void out_holders_table(FILE *fp, const struct pa_holder *v, size_t n);
/* A note on stderr when some processes could not be read. */
void out_unreadable(unsigned n);

/* OS reservations: a report as JSON; a report for people; its lists and
 * drop-in as lines; the warnings about the blocks it acted on,
 * "portalloc: warning: ..." on fp. */
void out_resv_json(FILE *fp, const struct pa_resv_report *r);
void out_resv_report(FILE *fp, const struct cli *cli,
    const struct pa_resv_report *r);
/* Where the report's reservations are: "in net:[...]" (list shape), "on
 * this host" (range shape). */
const char *out_resv_where(const struct pa_resv_report *r);
void out_resv_changes(FILE *fp, const struct pa_resv_report *r);
void out_resv_warnings(FILE *fp, const struct cli *cli,
    const struct pa_resv_report *r);

/* reserve and unreserve (resv.c): [-b BLOCK] [--json], op, then its
 * report, print_actions saying what was done. */
int cli_resv_command(struct cli *cli, int argc, char **argv,
    int (*op)(struct pa *, const char *, struct pa_resv_report **,
    struct pa_error *),
    void (*print_actions)(const struct cli *, const struct pa_resv_report *,
    const char *));

#endif

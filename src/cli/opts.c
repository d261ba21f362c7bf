/*
 * Options, declared once.  Each command writes its options as one table of
 * struct cli_opt (short name, long name, kind, target, help line); from it
 * come getopt_long's optstring and long options, the checks of every value
 * (one validator per kind, so `list --tag ''` and `release --tag ''` cannot
 * drift apart), and the --help text with its synopsis.  The global options
 * (-c FILE before the command) go through the same parser.  A long-only
 * option gets no short letter: `get -j` is an unknown option.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define OPTS_MAX 40         /* options of one command, the implied ones too */
#define LONG_ONLY 256       /* getopt's value for opts[i] without a short */
#define HELP_COL 22         /* where the help text of an option starts */

/* -h and -c, which every command takes. */
static const struct cli_opt implied[] = {
	OPT_FLAG('h', "help", NULL, "show this help"),
	{ 'c', "config", OPT_KIND_PATH, "FILE", "read FILE instead of "
	    "searching for portalloc.ini", NULL, 0, 0, NULL },
	OPT_END
};

/* The command's table followed by the implied options, in v. */
static size_t
all_options(const struct cli *cli, const struct cli_opt *opts,
    const struct cli_opt **v)
{
	size_t n = 0, i;

	for (i = 0; opts[i].kind != OPT_KIND_END && n < OPTS_MAX; i++)
		v[n++] = &opts[i];
	for (i = 0; cli->cmd != NULL && implied[i].kind != OPT_KIND_END; i++)
		v[n++] = &implied[i];
	return n;
}

/* getopt_long's arrays for v[0..n). */
static void
getopt_arrays(const struct cli_opt *const *v, size_t n, int flags,
    char *optstring, struct option *longopts)
{
	size_t i, k = 0;

	if (flags & CLI_STOP)
		optstring[k++] = '+';
	optstring[k++] = ':';   /* a missing value returns ':' */
	for (i = 0; i < n; i++) {
		longopts[i].name = v[i]->long_name;
		longopts[i].has_arg = v[i]->argname != NULL ?
		    required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = v[i]->short_name ? v[i]->short_name :
		    LONG_ONLY + (int)i;
		if (v[i]->short_name == 0)
			continue;
		optstring[k++] = (char)v[i]->short_name;
		if (v[i]->argname != NULL)
			optstring[k++] = ':';
	}
	optstring[k] = '\0';
	memset(&longopts[n], 0, sizeof(longopts[n]));
}

int
cli_number(const struct cli *cli, const char *s, long long min,
    long long max, const char *what, long long *out)
{
	char shown[64];
	long long v = 0;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		out_text(shown, sizeof(shown), s);
		return cli_usage_error(cli, "bad %s '%s' (expected %lld-%lld)",
		    what, shown, min, max);
	}
	*out = v;
	return 0;
}

int
cli_port(const struct cli *cli, const char *s, uint16_t *port)
{
	long long v = 0;
	int rc;

	if ((rc = cli_number(cli, s, 1, 65535, "port", &v)) != 0)
		return rc;
	*port = (uint16_t)v;
	return 0;
}

int
cli_clean_text(const char *s)
{
	uint32_t c;
	size_t n;

	for (; *s; s += n)
		if ((n = out_utf8(s, &c)) == 0 || c < 0x20 || c == 0x7f ||
		    (c >= 0x80 && c <= 0x9f))
			return 0;
	return 1;
}

static int
check_tag(const struct cli *cli, const char *arg)
{
	char shown[PA_TAG_MAX * 4];

	out_text(shown, sizeof(shown), arg);
	if (arg[0] == '\0')
		return cli_usage_error(cli, "empty tag");
	if (strlen(arg) >= PA_TAG_MAX)
		return cli_usage_error(cli, "tag '%.40s...' is longer than %d "
		    "bytes", shown, PA_TAG_MAX - 1);
	if (!cli_clean_text(arg))
		return cli_usage_error(cli, "bad tag '%s': a tag is UTF-8 text "
		    "without control characters", shown);
	return 0;
}

/* --ttl: a duration, or "never"; "0" is refused (it is not "never"). */
static int
check_duration(const struct cli *cli, const char *arg, int64_t *out)
{
	char shown[64];

	out_text(shown, sizeof(shown), arg);
	if (strcmp(arg, "never") == 0) {
		*out = 0;
		return 0;
	}
	if (pa_parse_duration(arg, out) != 0)
		return cli_usage_error(cli, "bad duration '%s' (like 90s, 30m, "
		    "2h, 1d, or never)", shown);
	if (*out == 0)
		return cli_usage_error(cli, "a lease time of '%s' would end "
		    "the lease at once; for leases that do not expire, say "
		    "'never'", shown);
	return 0;
}

/* tcp, udp, tcp,udp; the old spellings "both", "tcp, udp", "tcp+udp". */
static int
check_proto(const struct cli *cli, const char *arg, unsigned *out)
{
	char buf[64], shown[64];
	size_t i;

	out_text(shown, sizeof(shown), arg);
	for (i = 0; arg[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = arg[i] == '+' ? ',' : arg[i];
	buf[i] = '\0';
	if (arg[i] != '\0' || pa_parse_protos(buf, out) != 0)
		return cli_usage_error(cli, "bad protocol '%s' (expected tcp, "
		    "udp or tcp,udp)", shown);
	return 0;
}

static int
check_choice(const struct cli *cli, const struct cli_opt *o,
    const char *arg)
{
	char shown[64], words[256];
	size_t i, off = 0;

	for (i = 0; o->choices[i] != NULL; i++)
		if (strcmp(arg, o->choices[i]) == 0) {
			*(int *)o->target = (int)i;
			return 0;
		}
	words[0] = '\0';
	for (i = 0; o->choices[i] != NULL && off < sizeof(words); i++)
		off += (size_t)snprintf(words + off, sizeof(words) - off,
		    "%s%s", i ? ", " : "", o->choices[i]);
	out_text(shown, sizeof(shown), arg);
	return cli_usage_error(cli, "bad %s '%s' (expected %s)", o->long_name,
	    shown, words);
}

/* A name or a path into *out: not empty, and for a name, clean text. */
static int
check_name(const struct cli *cli, const struct cli_opt *o, const char *arg,
    const char **out)
{
	char shown[64];

	if (arg[0] == '\0')
		return cli_usage_error(cli, "empty %s", o->long_name);
	if (o->kind == OPT_KIND_NAME && !cli_clean_text(arg)) {
		out_text(shown, sizeof(shown), arg);
		return cli_usage_error(cli, "bad %s '%s'", o->long_name, shown);
	}
	*out = arg;
	return 0;
}

/* Checks arg for o and stores it: 0, or the exit code after saying why. */
static int
apply(const struct cli *cli, const struct cli_opt *o, const char *arg)
{
	long long v = 0;
	int rc = 0;

	switch (o->kind) {
	case OPT_KIND_FLAG:
		*(int *)o->target = 1;
		return 0;
	case OPT_KIND_SET:
		*(int *)o->target = (int)o->min;
		return 0;
	case OPT_KIND_NAME:
	case OPT_KIND_PATH:
		return check_name(cli, o, arg, o->target);
	case OPT_KIND_UINT:
		if ((rc = cli_number(cli, arg, o->min, o->max, o->long_name,
		    &v)) == 0)
			*(unsigned *)o->target = (unsigned)v;
		return rc;
	case OPT_KIND_PID:
		if ((rc = cli_number(cli, arg, 1, INT32_MAX, "pid", &v)) == 0)
			*(int64_t *)o->target = v;
		return rc;
	case OPT_KIND_TAG:
		if ((rc = check_tag(cli, arg)) == 0)
			*(const char **)o->target = arg;
		return rc;
	case OPT_KIND_DURATION:
		return check_duration(cli, arg, o->target);
	case OPT_KIND_PROTO:
		return check_proto(cli, arg, o->target);
	case OPT_KIND_CHOICE:
		return check_choice(cli, o, arg);
	case OPT_KIND_END:
		break;
	}
	return EXIT_SOFTWARE;
}

/* The option getopt_long returned as c, or NULL. */
static const struct cli_opt *
find(const struct cli_opt *const *v, size_t n, int c)
{
	size_t i;

	if (c >= LONG_ONLY && (size_t)(c - LONG_ONLY) < n)
		return v[c - LONG_ONLY];
	for (i = 0; i < n; i++)
		if (v[i]->short_name != 0 && v[i]->short_name == c)
			return v[i];
	return NULL;
}

/* What getopt_long refused: an unknown option, or one without its value
 * (or with one it does not take). */
static int
refused(const struct cli *cli, const struct cli_opt *const *v, size_t n,
    int c, char **argv)
{
	const struct cli_opt *o = optopt != 0 ? find(v, n, optopt) : NULL;
	const char *arg = argv[optind - 1];
	int as_long = strncmp(arg, "--", 2) == 0;
	char shown[64];

	if (c == ':' && o != NULL && !as_long)
		return cli_usage_error(cli, "option '-%c' needs a value",
		    o->short_name);
	if (c == ':' && o != NULL)
		return cli_usage_error(cli, "option '--%s' needs a value",
		    o->long_name);
	if (o != NULL && as_long)
		return cli_usage_error(cli, "option '--%s' takes no value",
		    o->long_name);
	if (optopt != 0 && optopt < LONG_ONLY)
		return cli_usage_error(cli, "unknown option '-%c'", optopt);
	out_text(shown, sizeof(shown), arg);
	return cli_usage_error(cli, "unknown option '%s'", shown);
}

int
cli_parse(struct cli *cli, const struct cli_opt *opts, int argc,
    char **argv, int flags, int *first)
{
	const struct cli_opt *v[OPTS_MAX + 4], *o;
	struct option longopts[OPTS_MAX + 5];
	char optstring[2 * OPTS_MAX + 8], shown[64];
	size_t n = all_options(cli, opts, v);
	int c, rc;

	getopt_arrays(v, n, flags, optstring, longopts);
	optind = 0;     /* GNU getopt: start afresh */
	opterr = 0;     /* refused() says what was wrong, our way */
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		if (c == '?' || c == ':')
			return refused(cli, v, n, c, argv);
		if ((o = find(v, n, c)) == NULL)
			return EXIT_SOFTWARE;
		if (o == &implied[0]) {
			cli_help(stdout, cli->cmd, opts);
			return EXIT_OK;
		}
		if (o == &implied[1] && (rc = check_name(cli, o, optarg,
		    &cli->config_path)) != 0)
			return rc;
		if (o != &implied[1] && (rc = apply(cli, o, optarg)) != 0)
			return rc;
	}
	if (optind < argc && !(flags & CLI_ARGS)) {
		out_text(shown, sizeof(shown), argv[optind]);
		return cli_usage_error(cli, "unexpected argument '%s'", shown);
	}
	if (first != NULL)
		*first = optind;
	return -1;
}

int
cli_options(struct cli *cli, const struct cli_opt *opts, int argc,
    char **argv, int need_store)
{
	int rc;

	if ((rc = cli_parse(cli, opts, argc, argv, 0, NULL)) >= 0)
		return rc;
	if (need_store >= 0 && (rc = cli_open(cli, need_store)) != 0)
		return rc;
	return -1;
}

/* How the option is written: "-b, --block BLOCK" or "    --tag TAG" with
 * both (the option lines), else "--block BLOCK" (the synopsis, where a
 * reader looks for the long names). */
static void
spelling(char *buf, size_t len, const struct cli_opt *o, int both)
{
	const char *a = o->argname != NULL ? o->argname : "";
	const char *sp = o->argname != NULL ? " " : "";

	if (o->short_name != 0 && both)
		snprintf(buf, len, "-%c, --%s%s%s", o->short_name, o->long_name,
		    sp, a);
	else
		snprintf(buf, len, "%s--%s%s%s", both ? "    " : "",
		    o->long_name, sp, a);
}

/* "usage: portalloc NAME [-b BLOCK] ... ARGS", wrapped at 79 columns. */
static void
synopsis(FILE *fp, const struct cmd_entry *cmd, const struct cli_opt *opts)
{
	char word[96];
	int col, indent, i;

	col = indent = fprintf(fp, "usage: portalloc %s", cmd->name);
	for (i = 0; opts[i].kind != OPT_KIND_END; i++) {
		if (opts[i].help == NULL)
			continue;
		spelling(word, sizeof(word), &opts[i], 0);
		if (col + (int)strlen(word) + 3 > 79)
			col = fprintf(fp, "\n%*s", indent, "") - 1;
		col += fprintf(fp, " [%s]", word);
	}
	if (cmd->args[0] != '\0' && col + (int)strlen(cmd->args) + 1 > 79)
		fprintf(fp, "\n%*s", indent, "");
	fprintf(fp, "%s%s\n", cmd->args[0] ? " " : "", cmd->args);
}

/* One option's lines: its spelling, then its help from column 22. */
static void
option_help(FILE *fp, const struct cli_opt *o)
{
	const char *h = o->help;
	char word[96];
	size_t len;

	spelling(word, sizeof(word), o, 1);
	if (strlen(word) + 4 > HELP_COL)
		fprintf(fp, "  %s\n%*s", word, HELP_COL, "");
	else
		fprintf(fp, "  %-*s", HELP_COL - 2, word);
	for (;;) {
		len = strcspn(h, "\n");
		fprintf(fp, "%.*s\n", (int)len, h);
		if (h[len] == '\0')
			break;
		h += len + 1;
		fprintf(fp, "%*s", HELP_COL, "");
	}
}

void
cli_option_lines(FILE *fp, const struct cli_opt *opts)
{
	size_t i;

	for (i = 0; opts[i].kind != OPT_KIND_END; i++)
		if (opts[i].help != NULL)
			option_help(fp, &opts[i]);
}

void
cli_help(FILE *fp, const struct cmd_entry *cmd, const struct cli_opt *opts)
{
	synopsis(fp, cmd, opts);
	fprintf(fp, "\n%s\n\noptions:\n", cmd->summary);
	cli_option_lines(fp, opts);
	cli_option_lines(fp, implied);
}

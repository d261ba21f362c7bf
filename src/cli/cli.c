/*
 * How the CLI fails: a library error becomes "portalloc: MSG", the hint the
 * library returned as data becomes one sentence in the user's own terms
 * (their -c FILE, the block, the command they ran), and the PA_E* code
 * becomes an exit code.  Also the one place that loads the configuration
 * and opens the store for every command.  Of the CLI it calls only out.c
 * (to escape messages), so every other CLI file may call it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("portalloc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_exit_code(int rc)
{
	switch (rc) {
	case PA_OK:
		return EXIT_OK;
	case PA_EUSAGE:
		return EXIT_USAGE;
	case PA_ECONFIG:
		return EXIT_CONFIG;
	case PA_EFULL:
	case PA_EINUSE:     /* Windows reserve: overlap, or a port in use */
		return EXIT_NOPORTS;
	case PA_ESTORE:
		return EXIT_CANTCREAT;
	case PA_EIO:
		return EXIT_IOERR;
	case PA_EPERM:
		return EXIT_NOPERM;
	case PA_ENOENT:
	case PA_EDATA:
	case PA_ESRCH:
		return EXIT_DATA;
	case PA_ENOMEM:
	case PA_EOS:
	case PA_ENOTSUP:
		return EXIT_OSERR;
	}
	return EXIT_SOFTWARE;
}

const char *
cli_config_arg(const struct cli *cli, char *buf, size_t len)
{
	if (cli == NULL || cli->config_path == NULL)
		return "";
	/* quoted for a shell only when it needs it */
	if (cli->config_path[strcspn(cli->config_path,
	    " \t'\"\\$`;&|<>()*?[]{}~!#")] == '\0')
		snprintf(buf, len, " -c %s", cli->config_path);
	else
		snprintf(buf, len, " -c \"%s\"", cli->config_path);
	return buf;
}

/* "sudo portalloc -c FILE reserve -b web": a command line to suggest. */
static void
suggest(const struct cli *cli, char *buf, size_t len, int sudo,
    const char *cmd, const char *block)
{
	char c[PA_PATH_MAX + 16];

#ifdef _WIN32
	sudo = 0;   /* an elevated prompt instead */
#endif
	snprintf(buf, len, "%sportalloc%s %s%s%s", sudo ? "sudo " : "",
	    cli_config_arg(cli, c, sizeof(c)), cmd,
	    block != NULL && block[0] != '\0' ? " -b " : "",
	    block != NULL ? block : "");
}

/* PA_HINT_RELEASE: the block is full of live leases (and of ports other
 * processes hold). */
static void
release_hint(const struct cli *cli, const char *block, char *buf,
    size_t len)
{
	char list[PA_PATH_MAX + 128], check[PA_PATH_MAX + 128];
	char release[PA_PATH_MAX + 128];

	suggest(cli, list, sizeof(list), 0, "list", block);
	suggest(cli, check, sizeof(check), 0, "check", block);
	suggest(cli, release, sizeof(release), 0, "release PORT...", NULL);
	snprintf(buf, len, "see who holds its ports with '%s' (leases) and "
	    "'%s' (every process); end your own leases with '%s', or wait "
	    "for their owners to exit", list, check, release);
}

void
cli_hint_text(const struct cli *cli, const struct pa_error *err, char *buf,
    size_t len)
{
	const char *cmd = cli != NULL && cli->cmd != NULL ? cli->cmd->name :
	    "COMMAND", *b = err->hint_block;
	char s[PA_PATH_MAX + 128];

	buf[0] = '\0';
	switch (err->hint) {
	case PA_HINT_NONE:
		return;
	case PA_HINT_PRIVILEGE:
		suggest(cli, s, sizeof(s), 1, cmd, b);
#ifdef _WIN32
		snprintf(buf, len, "run '%s' from an elevated (Administrator) "
		    "prompt", s);
#else
		snprintf(buf, len, "run '%s' (it needs root, or "
		    "CAP_NET_ADMIN)", s);
#endif
		return;
	case PA_HINT_RESERVE:
		suggest(cli, s, sizeof(s), 1, "reserve", b);
		snprintf(buf, len, "block '%s' must be reserved first, once, "
		    "by an administrator: run '%s'", b, s);
		return;
	case PA_HINT_STORE:
		snprintf(buf, len, "name another store: PORTALLOC_STORE=/path/"
		    "leases.db, or 'store = /path/leases.db' under "
		    "[portalloc] in the configuration");
		return;
	case PA_HINT_OWNER:
		snprintf(buf, len, "run the job under 'portalloc exec -- CMD', "
		    "or name the owner: --owner PID or PORTALLOC_OWNER=PID");
		return;
	case PA_HINT_TRUST:
		snprintf(buf, len, "if you trust it, name it: 'portalloc -c "
		    "%s %s'; or let the host trust it, in "
		    "/etc/portalloc/portalloc.ini: [portalloc] trust = %s (as "
		    "root, reserve still takes blocks only from files that "
		    "root alone can write)", err->file[0] ? err->file : "FILE",
		    cmd, err->file[0] ? err->file : "FILE");
		return;
	case PA_HINT_RELEASE:
		release_hint(cli, b, buf, len);
		return;
	}
}

int
cli_fail(const struct cli *cli, int rc, const struct pa_error *err)
{
	char hint[PA_PATH_MAX * 2], msg[sizeof(err->msg) * 4];

	if (err == NULL || err->msg[0] == '\0') {
		cli_warn("%s", pa_strerror(rc));
		return cli_exit_code(rc);
	}
	/* a message may quote another user's command line */
	out_message(msg, sizeof(msg), err->msg);
	cli_warn("%s", msg);
	cli_hint_text(cli, err, hint, sizeof(hint));
	if (hint[0] != '\0')
		cli_warn("hint: %s", hint);
	return cli_exit_code(rc);
}

int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("portalloc: ", stderr);
	if (cli->cmd != NULL)
		fprintf(stderr, "%s: ", cli->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'portalloc %s%s--help'.\n",
	    cli->cmd ? cli->cmd->name : "", cli->cmd ? " " : "");
	return EXIT_USAGE;
}

int
cli_open(struct cli *cli, int need_store)
{
	struct pa_error err;
	size_t i;
	int rc;

	memset(&err, 0, sizeof(err));
	if (cli->cfg == NULL) {
		if ((rc = pa_config_load(&cli->cfg, cli->config_path,
		    &err)) != 0)
			return cli_fail(cli, rc, &err);
		for (i = 0; i < cli->cfg->nwarnings; i++)
			cli_warn("warning: %s", cli->cfg->warnings[i]);
	}
	if (need_store && cli->pa == NULL &&
	    (rc = pa_open(&cli->pa, cli->cfg, &err)) != 0)
		return cli_fail(cli, rc, &err);
	return 0;
}

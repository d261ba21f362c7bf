/*
 * portalloc exec: lease ports for a command, run it with PORTALLOC_PORTS and
 * PORTALLOC_PORT0.. in its environment, release when it exits.  The command
 * itself owns the leases, so they live exactly as long as it does, even if
 * portalloc is killed (on Windows, the pid pa__child_start gives, portalloc's,
 * owns them, and the command dies with portalloc).  With --listen, portalloc
 * binds the ports itself and hands the listening sockets over the systemd
 * way (fds 3.., LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "os/spawn.h"

/* PORTALLOC_PORTn=... for each lease, then PORTALLOC_PORTS="a b c". */
static char **
make_env(const struct pa_lease *v, size_t n)
{
	char **env = calloc(n + 1, sizeof(*env));
	size_t i, len = sizeof("PORTALLOC_PORTS=") + 6 * n;

	if (env == NULL || (env[n] = malloc(len)) == NULL) {
		free(env);
		return NULL;
	}
	strcpy(env[n], "PORTALLOC_PORTS=");
	for (i = 0; i < n; i++) {
		if ((env[i] = malloc(40)) == NULL)
			break;
		snprintf(env[i], 40, "PORTALLOC_PORT%zu=%u", i, v[i].port);
		snprintf(env[n] + strlen(env[n]), 7, "%s%u", i ? " " : "",
		    v[i].port);
	}
	if (i < n) {
		while (i > 0)
			free(env[--i]);
		free(env[n]);
		free(env);
		return NULL;
	}
	return env;
}

static void
free_env(char **env, size_t n)
{
	size_t i;

	for (i = 0; env != NULL && i <= n; i++)
		free(env[i]);
	free(env);
}

/*
 * The socket activation variables for n sockets given to pid, after the
 * n + 1 entries of make_env: LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES
 * (portalloc0:portalloc1:..., fd 3 + i being PORTALLOC_PORTi).  The
 * array grows to n + 4 entries; NULL (and env freed) when out of memory.
 */
static char **
add_listen_env(char **env, size_t n, int64_t pid)
{
	char **e = realloc(env, (n + 4) * sizeof(*env));
	size_t i, len = sizeof("LISTEN_FDNAMES=") + 16 * n;

	if (e == NULL) {
		free_env(env, n);
		return NULL;
	}
	e[n + 1] = malloc(32);
	e[n + 2] = malloc(32);
	e[n + 3] = malloc(len);
	if (e[n + 1] == NULL || e[n + 2] == NULL || e[n + 3] == NULL) {
		free(e[n + 1]);
		free(e[n + 2]);
		free(e[n + 3]);
		free_env(e, n);
		return NULL;
	}
	snprintf(e[n + 1], 32, "LISTEN_FDS=%zu", n);
	snprintf(e[n + 2], 32, "LISTEN_PID=%lld", (long long)pid);
	strcpy(e[n + 3], "LISTEN_FDNAMES=");
	for (i = 0; i < n; i++)
		snprintf(e[n + 3] + strlen(e[n + 3]), 16, "%sportalloc%zu",
		    i ? ":" : "", i);
	return e;
}

/* The command line to record in the leases. */
static void
join(char *buf, size_t len, char **argv)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i] && off + 1 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", argv[i]);
}

/* Ends every lease the child owned: when it is gone, they are dead anyway. */
static void
release(struct cli *cli, int64_t pid)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *gone;
	struct pa_error err;
	size_t ngone;

	f.owner_pid = pid;
	memset(&err, 0, sizeof(err));
	if (pa_release(cli->pa, &f, &gone, &ngone, &err) != 0)
		cli_warn("warning: leases of pid %lld not released (gc will "
		    "reclaim them): %s", (long long)pid, err.msg);
	else
		pa_leases_free(gone);
}

/* Closes the listening sockets fds[0..n) in portalloc and frees them. */
static void
close_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; fds != NULL && i < n; i++)
		if (fds[i] >= 0)
			pa__fd_close(fds[i]);
	free(fds);
}

/* Leases for the held child pid: with listen, the sockets go to *fds. */
static int
lease(struct cli *cli, struct pa_request *req, int listen, int **fds,
    struct pa_lease **v, size_t *n, struct pa_error *err)
{
	*fds = NULL;
	if (!listen)
		return pa_get(cli->pa, req, v, n, err);
	if ((*fds = calloc(req->count, sizeof(**fds))) == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return PA_ENOMEM;
	}
	return pa_get_listen(cli->pa, req, *fds, v, n, err);
}

static int
run(struct cli *cli, struct pa_request *req, int listen, char **cmd)
{
	char command[PA_CMD_MAX], **env = NULL;
	struct pa_child *child;
	struct pa_lease *v = NULL;
	struct pa_error err;
	int64_t pid;
	size_t n = 0, nenv;
	int rc, status, *fds = NULL;

	memset(&err, 0, sizeof(err));
	if ((rc = pa__child_start(cmd, &child, &pid, &err)) != 0)
		return cli_fail(cli, rc, &err);
	join(command, sizeof(command), cmd);
	req->owner_pid = pid;
	req->command = command;
	if ((rc = lease(cli, req, listen, &fds, &v, &n, &err)) != 0) {
		pa__child_abort(child);
		free(fds);
		return cli_fail(cli, rc, &err);
	}
	env = make_env(v, n);
	if (env != NULL && listen)
		env = add_listen_env(env, n, pid);
	nenv = n + 1 + (listen ? 3 : 0);
	if (env == NULL) {
		pa__child_abort(child);
		close_fds(fds, n);
		release(cli, pid);
		pa_leases_free(v);
		return cli_fail(cli, PA_ENOMEM, NULL);
	}
	if ((rc = pa__child_go_fds(child, env, (int)nenv, fds,
	    listen ? (int)n : 0, &err)) != 0)
		cli_warn("%s", err.msg);
	close_fds(fds, n);
	if (pa__child_wait(child, &status, &err) != 0)
		cli_warn("%s", err.msg);
	release(cli, pid);
	for (; nenv > n + 1; nenv--)
		free(env[nenv - 1]);
	free_env(env, n);
	pa_leases_free(v);
	return status;
}

/* The request once the options are read: 0, or an exit code. */
static int
settle(const struct cli *cli, struct pa_request *req, unsigned listen)
{
	if (listen && req->count && req->count != listen)
		return cli_usage_error(cli, "--listen %u and --count %u "
		    "disagree (--listen N leases N ports)", listen, req->count);
	if (listen && req->protos != 0 && req->protos != PA_TCP)
		return cli_usage_error(cli, "--listen sockets are TCP only");
	if (listen)
		req->count = listen;
	if (req->count == 0)
		req->count = 1;
	return 0;
}

static int
cmd_exec(struct cli *cli, int argc, char **argv)
{
	struct pa_request req = { NULL, 0, 0, 0, 0, NULL, NULL, 0 };
	unsigned listen = 0;
	int rc, first;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&req.block, "lease from BLOCK (default: the first "
		    "block)"),
		OPT_UINT('n', "count", "N", &req.count, 1, 1000, "how many "
		    "ports (default 1, at most 1000)"),
		OPT_PROTO(&req.protos, "tcp, udp or tcp,udp (default: what "
		    "the block serves)"),
		OPT_DURATION('t', "ttl", &req.ttl, "lease time (default: "
		    "never; the lease ends with CMD)"),
		OPT_TAG(&req.tag, "a label for list and release --tag"),
		OPT_FLAG(0, "consecutive", &req.consecutive, "adjacent ports "
		    "only"),
		OPT_UINT('l', "listen", "N", &listen, 1, 253, "bind N TCP "
		    "ports on the block's bind_address and\npass the "
		    "listening sockets as fds 3.. (systemd\nstyle: LISTEN_FDS, "
		    "LISTEN_PID, LISTEN_FDNAMES=\nportalloc0:...); implies "
		    "--count N"),
		OPT_END
	};

	/* CLI_STOP: the command's options are its own */
	if ((rc = cli_parse(cli, opts, argc, argv, CLI_ARGS | CLI_STOP,
	    &first)) >= 0)
		return rc;
	if (first >= argc)
		return cli_usage_error(cli, "no command to run (portalloc exec "
		    "-n N -- CMD [ARGS...])");
	if ((rc = settle(cli, &req, listen)) != 0 ||
	    (rc = cli_open(cli, 1)) != 0)
		return rc;
	return run(cli, &req, listen != 0, argv + first);
}

const struct cmd_entry cmd_exec_entry = {
	"exec",
	"[--] CMD [ARGS...]",
	"Run a command with leased ports; release them when it exits.\n"
	    "Lease COUNT ports, run CMD with PORTALLOC_PORTS=\"a b c\" and "
	    "PORTALLOC_PORT0..N-1\nin its environment, release them when it "
	    "exits, and exit with its status\n(128+N if it died of signal N; "
	    "127/126 if it could not be run).\nCMD owns the leases; signals "
	    "sent to portalloc are passed on to it.\n(Windows: portalloc owns "
	    "them, and CMD, in a job, cannot outlive it.)",
	cmd_exec,
};

/*
 * The end-to-end sandbox (see sandbox.h): one temporary directory and
 * environment per test, the built CLI run inside it, a private network
 * namespace or checked-free ports, and bounded waits.  POSIX; the network
 * namespace is Linux's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#endif

#include "sandbox.h"

static int private_net;

struct sb *
sb_new(void)
{
	struct sb *s = calloc(1, sizeof(*s));
	char buf[700];

	if (s == NULL)
		abort();
	s->dir = th_tmpdir();
	snprintf(s->store, sizeof(s->store), "%s/state/leases.db", s->dir);
	sb_setenv(s, "PORTALLOC_STORE", s->store);
	sb_setenv(s, "HOME", s->dir);
	snprintf(buf, sizeof(buf), "%s/xdg", s->dir);
	sb_setenv(s, "XDG_CONFIG_HOME", buf);
	snprintf(buf, sizeof(buf), "%s/state", s->dir);
	sb_setenv(s, "XDG_STATE_HOME", buf);
	snprintf(buf, sizeof(buf), "%s/60-portalloc.conf", s->dir);
	sb_setenv(s, "PORTALLOC_SYSCTL_DROPIN", buf);
	return s;
}

void
sb_free(struct sb *s)
{
	if (s == NULL)
		return;
	th_rmtree(s->dir);
	th_strv_free(s->env);
	free(s->dir);
	free(s);
}

void
sb_setenv(struct sb *s, const char *name, const char *value)
{
	size_t i, n = strlen(name);
	char *kv;

	if (asprintf(&kv, "%s=%s", name, value) < 0)
		abort();
	for (i = 0; s->env[i] != NULL; i++)
		if (strncmp(s->env[i], name, n) == 0 && s->env[i][n] == '=')
			break;
	if (i == SB_ENV_MAX)
		abort();
	free(s->env[i]);
	s->env[i] = kv;
}

void
sb_config(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (rc < 0)
		abort();
	free(th_write(s->dir, "portalloc.ini", text));
	free(text);
}

void
sb_run_argv(struct sb *s, struct th_run *r, char *const argv[])
{
	th_run(r, s->dir, s->env, argv);
}

void
sb_run(struct sb *s, struct th_run *r, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;

	va_start(ap, r);
	th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	sb_run_argv(s, r, argv);
}

char **
sb_envp(struct sb *s)
{
	char **v = calloc(SB_ENV_MAX + 2, sizeof(*v));
	size_t i;

	if (v == NULL)
		abort();
	for (i = 0; s->env[i] != NULL; i++)
		v[i] = s->env[i];
	v[i] = "PATH=/usr/local/bin:/usr/bin:/bin";
	return v;
}

#ifdef __linux__
/* Brings lo up in the current network namespace; 0 on success. */
static int
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}
#endif

int
sb_private_net(void)
{
	if (private_net)
		return 1;
#ifdef __linux__
	if (getuid() == 0 && unshare(CLONE_NEWNET) == 0 && lo_up() == 0) {
		private_net = 1;
		return 1;
	}
	fprintf(stderr, "note: no private network namespace (%s): ports are "
	    "checked free on the host's network instead\n",
	    getuid() != 0 ? "not root" : strerror(errno));
#endif
	return 0;
}

int
sb_in_private_net(void)
{
	return private_net;
}

/* Is IPv6 loopback there at all? */
static int
have_v6(void)
{
	static int known = -1;
	pa_socket_t t;

	if (known < 0) {
		t = th_bind_udp(AF_INET6, 0);
		known = t != TH_BADSOCK;
		if (known)
			th_sock_close(t);
	}
	return known;
}

/* Can port be bound now, TCP and UDP, on loopback of each family? */
static int
port_free(uint16_t port)
{
	static const int families[] = { AF_INET, AF_INET6 };
	pa_socket_t t, u;
	size_t i;
	int ok = 1;

	for (i = 0; i < (have_v6() ? 2u : 1u) && ok; i++) {
		t = th_listen_tcp(families[i], port);
		u = th_bind_udp(families[i], port);
		ok = t != TH_BADSOCK && u != TH_BADSOCK;
		if (t != TH_BADSOCK)
			th_sock_close(t);
		if (u != TH_BADSOCK)
			th_sock_close(u);
	}
	return ok;
}

uint16_t
sb_free_range(uint16_t from, unsigned width)
{
	unsigned base, p;

	if (private_net)
		return from;
	for (base = from; base + width <= 32768; base += width) {
		for (p = base; p < base + width && port_free((uint16_t)p); p++)
			;
		if (p == base + width)
			return (uint16_t)base;
	}
	fail_msg("no %u free ports from %u on", width, from);
	return 0;
}

int
sb_until(int (*cond)(void *), void *arg, int ms)
{
	struct timespec start, now, nap = { 0, 1000000 };
	long waited;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (cond(arg))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= ms)
			return 0;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 32000000)
			nap.tv_nsec *= 2;
	}
}

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

#include "core/core.h"      /* PA__STORE_VERSION */

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

long
sb_peak_rss(struct sb *s, struct th_run *r, const char *peak_rss,
    char *const argv[], int want_status)
{
	char file[700], *text, *all[16];
	long kib = -1;
	int i, status = -1;

	snprintf(file, sizeof(file), "%s/peak", s->dir);
	all[0] = (char *)peak_rss;
	all[1] = file;
	for (i = 0; argv[i] != NULL && i < 13; i++)
		all[2 + i] = argv[i];
	all[2 + i] = NULL;
	sb_run_argv(s, r, all);
	assert_int_equal(r->status, 0);
	if ((text = th_read(file, NULL)) == NULL ||
	    sscanf(text, "%ld %d", &kib, &status) != 2)
		fail_msg("no peak from %s", peak_rss);
	free(text);
	assert_int_equal(status, want_status);
	return kib;
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
int
sb_lo_up(void)
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
	if (getenv("PORTALLOC_TEST_HOST_NET") != NULL) {
		fprintf(stderr, "note: PORTALLOC_TEST_HOST_NET: ports are "
		    "checked free on the host's network\n");
		return 0;
	}
#ifdef __linux__
	if (getuid() == 0 && unshare(CLONE_NEWNET) == 0 && sb_lo_up() == 0) {
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

/*
 * Outside a namespace of its own a test leases its ports, like any other
 * user of portalloc: from one store that every test process of this user
 * shares ($TMPDIR/portalloc-test-ports-UID-vSCHEMA.db), owned by the test
 * process,
 * so that two suites running at once never get the same range, and each
 * port probed free (TCP and UDP, 127.0.0.1, 0.0.0.0 and ::; TIME-WAIT
 * counts as taken).  The leases end when the test process does.
 */
#define SB_PORTS_FIRST 20000
#define SB_PORTS_LAST 28999     /* not the built-in block 29000-29999, which
                                   test_cli uses as it is */

uint16_t
sb_free_range(uint16_t from, unsigned width)
{
	struct pa_request req = { NULL, width, 0, 0, 0, "test", NULL, 1 };
	const char *tmp = getenv("TMPDIR");
	struct pa_config *cfg;
	struct pa_lease *v;
	struct pa_error err;
	struct pa *pa;
	uint16_t first;
	char *text;
	size_t n;
	int rc;

	if (private_net)
		return from;
	/* one store per schema: suites of other versions may run too */
	if (asprintf(&text, "[portalloc]\nstore = %s/portalloc-test-ports-%ld"
	    "-v%d.db\n[block tests]\nports = %d-%d\n", tmp && *tmp ? tmp :
	    "/tmp", (long)getuid(), PA__STORE_VERSION, SB_PORTS_FIRST,
	    SB_PORTS_LAST) < 0)
		abort();
	if ((rc = pa_config_parse_string(&cfg, text, "sandbox", &err)) == 0 &&
	    (rc = pa_open(&pa, cfg, &err)) != 0)
		pa_config_free(cfg);
	free(text);
	if (rc != 0)
		fail_msg("the tests' port store: %s", err.msg);
	rc = pa_get(pa, &req, &v, &n, &err);
	pa_close(pa);
	pa_config_free(cfg);
	if (rc != 0)
		fail_msg("no %u free ports in a row: %s", width, err.msg);
	first = v[0].port;
	pa_leases_free(v);
	return first;
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

/* A store in a fresh temporary directory, on the fake OS. */
#ifndef PA_TEST_FIXTURE_H
#define PA_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"

#include "core/core.h"
#include "fake/fake.h"

struct fx {
	char *dir;
	char store[600];
	struct pa_fake *f;
	struct pa_config *cfg;
	struct pa *pa;
};

/* The fixture's config: "[portalloc] store = DIR/leases.db" plus text. */
static inline struct fx *
fx_new(const char *blocks)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct pa_error err;
	char *text;

	x->dir = th_tmpdir();
	snprintf(x->store, sizeof(x->store), "%s/leases.db", x->dir);
	if (asprintf(&text, "[portalloc]\nstore = %s\n%s", x->store,
	    blocks) < 0)
		abort();
	x->f = pa_fake_new();
	if (pa_config_parse_string(&x->cfg, text, "fx.ini", &err) != 0)
		fail_msg("fixture config: %s", err.msg);
	free(text);
	return x;
}

static inline void
fx_open(struct fx *x)
{
	struct pa_error err;

	if (pa__open_os(&x->pa, x->cfg, pa_fake_os(x->f), &err) != 0)
		fail_msg("open: %s", err.msg);
}

static inline void
fx_free(struct fx *x)
{
	pa_close(x->pa);
	pa_config_free(x->cfg);
	pa_fake_free(x->f);
	th_rmtree(x->dir);
	free(x->dir);
	free(x);
}

/* Leases count ports for owner (0: the fake caller) or fails the test. */
static inline struct pa_lease *
fx_get(struct fx *x, unsigned count, int64_t owner, size_t *n)
{
	struct pa_request req = { NULL, count, 0, owner, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	int rc = pa_get(x->pa, &req, &v, n, &err);

	if (rc != 0)
		fail_msg("pa_get: %s", err.msg);
	return v;
}

/* One port for owner (0: the fake caller), or fails the test. */
static inline uint16_t
fx_port(struct fx *x, int64_t owner)
{
	struct pa_lease *v;
	uint16_t port;
	size_t n;

	v = fx_get(x, 1, owner, &n);
	port = v[0].port;
	pa_leases_free(v);
	return port;
}

/* Ends the lease on port, which must exist, or fails the test. */
static inline void
fx_release_port(struct fx *x, uint16_t port)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	f.ports = &port;
	f.nports = 1;
	if (pa_release(x->pa, &f, &v, &n, &err) != 0)
		fail_msg("pa_release: %s", err.msg);
	if (n != 1)
		fail_msg("pa_release of port %u: %zu leases", port, n);
	pa_leases_free(v);
}

static inline size_t
fx_count(struct fx *x)
{
	struct pa_filter all = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	if (pa_list(x->pa, &all, &v, &n, &err) != 0)
		fail_msg("pa_list: %s", err.msg);
	pa_leases_free(v);
	return n;
}

#endif

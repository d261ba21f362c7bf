/*
 * An example test harness using the portalloc C API: load the
 * configuration the way the CLI does, open the lease store, lease 2 ports
 * for this process, print them, and release them.
 *
 * Build it against an installed portalloc, either way:
 *
 *   cc harness.c $(pkg-config --cflags --libs --static portalloc) -o harness
 *
 *   find_package(portalloc REQUIRED)          # CMakeLists.txt
 *   target_link_libraries(harness PRIVATE portalloc::portalloc)
 *
 * A real harness would start its servers on the ports between pa_get and
 * pa_release; the leases also end by themselves when this process exits.
 */
#include <stdio.h>
#include <string.h>

#include <portalloc/portalloc.h>

int
main(void)
{
	struct pa_config *cfg = NULL;
	struct pa_request req;
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *leases = NULL, *gone = NULL;
	struct pa_error err;
	struct pa *pa = NULL;
	uint16_t ports[2];
	size_t n = 0, ngone = 0, i;
	int rc;

	memset(&err, 0, sizeof(err));
	/* NULL: $PORTALLOC_CONFIG, ./portalloc.ini, ... or the default */
	if ((rc = pa_config_load(&cfg, NULL, &err)) != 0)
		goto fail;
	if ((rc = pa_open(&pa, cfg, &err)) != 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.count = 2;          /* from the first block */
	req.owner_pid = 0;      /* this process owns them */
	req.ttl = -1;           /* the configured lease_ttl */
	req.tag = "example-harness";
	if ((rc = pa_get(pa, &req, &leases, &n, &err)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		printf("%u\n", leases[i].port);
		ports[i] = leases[i].port;
	}
	f.ports = ports;
	f.nports = n;
	if ((rc = pa_release(pa, &f, &gone, &ngone, &err)) != 0)
		goto fail;
	pa_leases_free(gone);
	pa_leases_free(leases);
	pa_close(pa);
	pa_config_free(cfg);
	return 0;
fail:
	fprintf(stderr, "harness: %s\n", err.msg[0] ? err.msg :
	    pa_strerror(rc));
	pa_leases_free(leases);
	pa_close(pa);
	pa_config_free(cfg);
	return 1;
}

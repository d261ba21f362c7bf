/*
 * The Linux probe (os-linux.c) answers for the block's bind address and
 * both wildcards with one dual-stack bind per protocol.  That is only
 * right if the one bind fails whenever any of the separate binds would:
 * here each kind of holder (TCP listening or only bound, UDP; 127.0.0.1,
 * another loopback address, 0.0.0.0, ::1, :: with and without V6ONLY;
 * with and without SO_REUSEADDR) must make the port "in use".  Ports come
 * from bind(0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

#include "os/os.h"

struct holder {
	int type;                   /* SOCK_STREAM or SOCK_DGRAM */
	const char *addr;
	int v6only;
	int reuse;
	int listen;
};

/* A socket as h describes it on a port the kernel picks; -1 if this host
 * cannot make it (no IPv6). */
static int
hold(const struct holder *h, uint16_t *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, fam = strchr(h->addr, ':') ? AF_INET6 : AF_INET;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, h->addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, h->addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	if ((fd = socket(fam, h->type, 0)) < 0)
		return -1;
	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &h->v6only,
		    sizeof(h->v6only));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &h->reuse, sizeof(h->reuse));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    (h->listen && listen(fd, 1) != 0) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(fam == AF_INET ? sin->sin_port : sin6->sin6_port);
	return fd;
}

static void
test_every_holder_seen(void **state)
{
	static const struct holder holders[] = {
		{ SOCK_STREAM, "127.0.0.1", 0, 0, 1 },
		{ SOCK_STREAM, "127.0.0.1", 0, 1, 1 },
		{ SOCK_STREAM, "127.0.0.1", 0, 0, 0 },
		{ SOCK_STREAM, "127.0.0.2", 0, 0, 1 },
		{ SOCK_STREAM, "0.0.0.0", 0, 1, 1 },
		{ SOCK_STREAM, "::1", 1, 0, 1 },
		{ SOCK_STREAM, "::", 1, 1, 1 },
		{ SOCK_STREAM, "::", 0, 0, 1 },
		{ SOCK_DGRAM, "127.0.0.1", 0, 0, 0 },
		{ SOCK_DGRAM, "127.0.0.1", 0, 1, 0 },
		{ SOCK_DGRAM, "0.0.0.0", 0, 0, 0 },
		{ SOCK_DGRAM, "::1", 1, 1, 0 },
		{ SOCK_DGRAM, "::", 1, 0, 0 },
	};
	const struct pa_os *os = pa__os_native();
	struct pa_addr addrs[3];
	struct pa_error err;
	unsigned protos;
	uint16_t port;
	size_t i;
	int fd, tried = 0;

	(void)state;
	assert_int_equal(pa__addr_parse("127.0.0.1", &addrs[0]), 0);
	assert_int_equal(pa__addr_parse("0.0.0.0", &addrs[1]), 0);
	assert_int_equal(pa__addr_parse("::", &addrs[2]), 0);
	for (i = 0; i < sizeof(holders) / sizeof(holders[0]); i++) {
		if ((fd = hold(&holders[i], &port)) < 0)
			continue; /* e.g. no IPv6 here */
		tried++;
		protos = holders[i].type == SOCK_STREAM ? PA_TCP : PA_UDP;
		if (os->probe(os->ctx, addrs, 3, port, protos, &err) !=
		    PA_EINUSE)
			fail_msg("holder %zu (%s) on port %u not seen", i,
			    holders[i].addr, port);
		/* both protocols asked: still in use */
		assert_int_equal(os->probe(os->ctx, addrs, 3, port,
		    PA_TCP | PA_UDP, &err), PA_EINUSE);
		close(fd);
	}
	assert_true(tried >= 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_holder_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

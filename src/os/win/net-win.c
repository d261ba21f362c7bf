/*
 * Probe binds and bound sockets on Windows.  Every socket is exclusive
 * (SO_EXCLUSIVEADDRUSE): without it, Windows lets a bind to 0.0.0.0 succeed
 * on a port somebody holds on 127.0.0.1, so a probe would miss the holder;
 * with it, the probe's bind fails wherever anybody holds the port on an
 * overlapping address.  WSAEADDRINUSE and WSAEACCES (a port another
 * process holds exclusively, or one in a range the OS keeps for itself,
 * such as Hyper-V's) count as taken.
 */
#include "base/base.h"
#include "os/win/win.h"

/*
 * A new socket of proto bound to a:port into *out: 0, PA_EINUSE when the
 * port is taken, 1 when this address family is not available here, or
 * another error.
 */
static int
bind_new(const struct pa_addr *a, uint16_t port, unsigned proto,
    SOCKET *out, struct pa_error *err)
{
	struct sockaddr_storage ss;
	int len, e, rc;
	SOCKET s;

	*out = INVALID_SOCKET;
	if ((rc = pa__win_wsa(err)) != 0)
		return rc;
	if ((s = pa__win_socket(a, proto)) == INVALID_SOCKET) {
		e = WSAGetLastError();
		if (e == WSAEAFNOSUPPORT)
			return 1;
		return pa__win_err(err, (DWORD)e, "socket");
	}
	len = pa__addr_sockaddr(a, port, &ss);
	if (bind(s, (struct sockaddr *)&ss, len) == 0) {
		*out = s;
		return 0;
	}
	e = WSAGetLastError();
	closesocket(s);
	if (e == WSAEADDRINUSE || e == WSAEACCES)
		return PA_EINUSE;
	if (e == WSAEADDRNOTAVAIL && a->wildcard)
		return 1;
	return pa__win_err(err, (DWORD)e, "bind to port %u", port);
}

int
pa__win_probe(void *ctx, const struct pa_addr *addrs, int n, uint16_t port,
    unsigned protos, struct pa_error *err)
{
	static const unsigned kinds[] = { PA_TCP, PA_UDP };
	SOCKET s;
	size_t k;
	int i, rc;

	(void)ctx;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!(protos & kinds[k]))
			continue;
		for (i = 0; i < n; i++) {
			rc = bind_new(&addrs[i], port, kinds[k], &s, err);
			if (rc < 0)
				return rc;
			if (rc == 0)
				closesocket(s);
		}
	}
	return 0;
}

int
pa__win_bind_port(void *ctx, unsigned proto, const struct pa_addr *addr,
    uint16_t port, pa_socket_t *sock, struct pa_error *err)
{
	SOCKET s;
	int rc;

	(void)ctx;
	rc = bind_new(addr, port, proto, &s, err);
	if (rc == 1)
		return pa__err(err, PA_EOS, "cannot bind port %u: IPv%d is not "
		    "available here", port, addr->family);
	if (rc == 0)
		*sock = (pa_socket_t)s;
	return rc;
}

void
pa__win_sock_close(void *ctx, pa_socket_t sock)
{
	(void)ctx;
	closesocket((SOCKET)sock);
}

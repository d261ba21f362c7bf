/*
 * Sockets bound through a reservation's token (SIO_ASSOCIATE_PORT_
 * RESERVATION, then bind to port 0: the OS picks a free port of the
 * reservation), the one way Microsoft documents to use a persistent
 * reservation.  Here because the pick needs more than the bind: a port
 * that another process holds on a wildcard address is free to an exclusive
 * bind on a specific address, and must be refused all the same.
 */
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

/* Refused picks held at once, at most: each makes the OS pick another. */
#define REFUSED_MAX 64

/* One socket bound through the token into *out, its port into *port. */
static int
bind_one(struct pa__win *w, ULONG64 token, uint16_t first, uint16_t last,
    unsigned proto, const struct pa_addr *addr, uint16_t *port, SOCKET *out,
    struct pa_error *err)
{
	struct sockaddr_storage ss;
	SOCKET s;
	int len, e, rc;

	if ((rc = pa__win_wsa(err)) != 0)
		return rc;
	if ((s = pa__win_socket(addr, proto)) == INVALID_SOCKET)
		return pa__win_err(err, (DWORD)WSAGetLastError(), "socket");
	len = pa__addr_sockaddr(addr, 0, &ss);
	if ((e = w->api->assoc_bind(s, token, (struct sockaddr *)&ss,
	    len)) != 0) {
		closesocket(s);
		/* ENOBUFS: what a reservation with no port left may say */
		if (e == WSAEADDRINUSE || e == WSAENOBUFS)
			return pa__err(err, PA_EFULL, "no port of the "
			    "reservation %u-%u is free", first, last);
		return pa__win_err(err, (DWORD)e, "a port from the "
		    "reservation %u-%u (SIO_ASSOCIATE_PORT_RESERVATION, "
		    "bind)", first, last);
	}
	len = (int)sizeof(ss);
	if (getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
		e = WSAGetLastError();
		closesocket(s);
		return pa__win_err(err, (DWORD)e, "getsockname");
	}
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*out = s;
	return 0;
}

int
pa__win_token_bind(struct pa__win *w, ULONG64 token, uint16_t first,
    uint16_t last, unsigned proto, const struct pa_addr *addr,
    uint16_t *port, pa_socket_t *sock, struct pa_error *err)
{
	SOCKET refused[REFUSED_MAX], s = INVALID_SOCKET;
	size_t nref = 0;
	int rc;

	for (;;) {
		if ((rc = bind_one(w, token, first, last, proto, addr, port,
		    &s, err)) != 0)
			break;
		/* an exclusive bind to 0.0.0.0 or :: saw everything */
		if (addr->wildcard || !pa__win_port_seen(w, proto, *port, 1)) {
			*sock = (pa_socket_t)s;
			break;
		}
		if (nref == REFUSED_MAX) {
			closesocket(s);
			rc = pa__err(err, PA_EFULL, "no port of the "
			    "reservation %u-%u is free on every address",
			    first, last);
			break;
		}
		refused[nref++] = s;
	}
	while (nref > 0)
		closesocket(refused[--nref]);
	return rc;
}

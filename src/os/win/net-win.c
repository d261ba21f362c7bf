/*
 * Probe binds and bound sockets on Windows.  Every socket is exclusive
 * (SO_EXCLUSIVEADDRUSE): without it, Windows lets a bind to 0.0.0.0 succeed
 * on a port somebody holds on 127.0.0.1, so a probe would miss the holder;
 * with it, the probe's bind fails wherever anybody holds the port on an
 * overlapping address.  WSAEADDRINUSE counts as taken; so does WSAEACCES
 * (a port another process holds exclusively, or one in a range the OS
 * keeps for somebody else, such as Hyper-V's), except inside a
 * reservation of this process's own where no socket holds the port
 * (own-win.c says why).
 */
#include "base/base.h"
#include "os/win/win.h"

/* What bind_new found besides 0 (bound) and errors. */
enum {
	NO_FAMILY = 1,  /* this address family is not available here */
	OWN_RESV = 2    /* refused (WSAEACCES) inside an own reservation,
	                   no socket on the port: free, but not bound */
};

/* A plain bind through the api (tests replace it): 0 or the error. */
static int
plain_bind(struct pa__win *w, SOCKET s, const struct sockaddr *sa, int len)
{
	if (w->api->bind != NULL)
		return w->api->bind(s, sa, len);
	return bind(s, sa, len) == 0 ? 0 : WSAGetLastError();
}

/*
 * Does the owner-PID table show a socket of proto on port?  Read once
 * per probe (*seen: -1 not read yet), not once per address.
 */
static int
seen_once(struct pa__win *w, unsigned proto, uint16_t port, int *seen)
{
	if (*seen < 0)
		*seen = pa__win_port_seen(w, proto, port, 0);
	return *seen;
}

/*
 * A new socket of proto bound to a:port into *out: 0, PA_EINUSE when the
 * port is taken, NO_FAMILY, OWN_RESV (*out then holds the unbound socket
 * when keep, else it is closed), or another error.  *seen caches the
 * table's word on the port (seen_once).
 */
static int
bind_new(struct pa__win *w, const struct pa_addr *a, uint16_t port,
    unsigned proto, int keep, int *seen, SOCKET *out, struct pa_error *err)
{
	struct sockaddr_storage ss;
	struct pa__win_own r;
	int len, e, rc;
	SOCKET s;

	*out = INVALID_SOCKET;
	if ((rc = pa__win_wsa(err)) != 0)
		return rc;
	if ((s = pa__win_socket(a, proto)) == INVALID_SOCKET) {
		e = WSAGetLastError();
		if (e == WSAEAFNOSUPPORT)
			return NO_FAMILY;
		return pa__win_err(err, (DWORD)e, "socket");
	}
	len = pa__addr_sockaddr(a, port, &ss);
	if ((e = plain_bind(w, s, (struct sockaddr *)&ss, len)) == 0) {
		*out = s;
		return 0;
	}
	if (e == WSAEACCES && pa__win_own_find(w, proto, port, &r) &&
	    !seen_once(w, proto, port, seen)) {
		if (keep)
			*out = s;
		else
			closesocket(s);
		return OWN_RESV;
	}
	closesocket(s);
	if (e == WSAEADDRINUSE || e == WSAEACCES)
		return PA_EINUSE;
	if (e == WSAEADDRNOTAVAIL && a->wildcard)
		return NO_FAMILY;
	return pa__win_err(err, (DWORD)e, "bind to port %u", port);
}

int
pa__win_probe(void *ctx, const struct pa_addr *addrs, int n, uint16_t port,
    unsigned protos, struct pa_error *err)
{
	static const unsigned kinds[] = { PA_TCP, PA_UDP };
	SOCKET s;
	size_t k;
	int i, rc, seen;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!(protos & kinds[k]))
			continue;
		for (seen = -1, i = 0; i < n; i++) {
			rc = bind_new(ctx, &addrs[i], port, kinds[k], 0, &seen,
			    &s, err);
			if (rc < 0)
				return rc;
			if (rc == 0)
				closesocket(s);
		}
	}
	return 0;
}

/* A port of an own reservation that a plain bind may not take. */
static int
refused_inside(uint16_t port, struct pa_error *err)
{
	return pa__err(err, PA_EPERM, "port %u lies in a persistent "
	    "reservation: a plain bind to it is refused (WSAEACCES), and "
	    "binding through the reservation's token needs an Administrator",
	    port);
}

int
pa__win_bind_port(void *ctx, unsigned proto, const struct pa_addr *addr,
    uint16_t port, pa_socket_t *sock, struct pa_error *err)
{
	SOCKET s;
	int rc, seen = -1;

	rc = bind_new(ctx, addr, port, proto, 0, &seen, &s, err);
	if (rc == NO_FAMILY)
		return pa__err(err, PA_EOS, "cannot bind port %u: IPv%d is not "
		    "available here", port, addr->family);
	if (rc == OWN_RESV)
		return refused_inside(port, err);
	if (rc == 0)
		*sock = (pa_socket_t)s;
	return rc;
}

/*
 * s (unbound) to a:port through the token of the own reservation holding
 * port: an explicit port with the token, which Microsoft does not
 * document (the real-Windows test shows what Windows does with it).
 */
static int
token_bind_port(struct pa__win *w, SOCKET s, const struct pa_addr *a,
    uint16_t port, struct pa_error *err)
{
	struct sockaddr_storage ss;
	struct pa__win_own r;
	ULONG64 token;
	int len, e;

	if (!pa__win_own_find(w, PA_TCP, port, &r) ||
	    pa__win_token(w, PA_TCP, r.first, r.last, &token, err) != 0)
		return refused_inside(port, err);
	len = pa__addr_sockaddr(a, port, &ss);
	e = w->api->assoc_bind(s, token, (struct sockaddr *)&ss, len);
	/* taken after all (a bound socket the tables did not show) */
	if (e == WSAEADDRINUSE)
		return PA_EINUSE;
	return e != 0 ? refused_inside(port, err) : 0;
}

int
pa__win_listen(void *ctx, const struct pa_addr *a, uint16_t port, int *fd,
    struct pa_error *err)
{
	struct pa__win *w = ctx;
	SOCKET s;
	int rc, e, seen = -1;

	*fd = -1;
	rc = bind_new(w, a, port, PA_TCP, 1, &seen, &s, err);
	if (rc == NO_FAMILY)
		return pa__err(err, PA_EOS, "cannot listen on port %u: IPv%d "
		    "is not available here", port, a->family);
	if (rc == OWN_RESV && (rc = token_bind_port(w, s, a, port, err)) != 0)
		closesocket(s);
	if (rc != 0)
		return rc;
	if (listen(s, SOMAXCONN) != 0) {
		e = WSAGetLastError();
		closesocket(s);
		if (e == WSAEADDRINUSE)
			return PA_EINUSE;
		return pa__win_err(err, (DWORD)e, "listen on port %u", port);
	}
	/* a SOCKET is a kernel handle: its value fits in 32 bits */
	*fd = (int)s;
	return 0;
}

void
pa__win_unlisten(void *ctx, int fd)
{
	(void)ctx;
	if (fd >= 0)
		closesocket((SOCKET)fd);
}

void
pa__win_sock_close(void *ctx, pa_socket_t sock)
{
	(void)ctx;
	closesocket((SOCKET)sock);
}

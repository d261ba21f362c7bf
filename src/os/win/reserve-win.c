/*
 * Persistent TCP/UDP port reservations on Windows, and ports picked from
 * them.  The functions are looked up in iphlpapi.dll at run time: Wine and
 * some Windows builds have none, and the program must start there and say
 * "not supported here".  A reservation's token may change at every boot,
 * so it is looked up each time, never stored.
 *
 * Creating and deleting need an Administrator (elevated); so does
 * associating a socket with a persistent reservation.  Looking up does
 * not.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

#include <mstcpip.h>

static const char *const proto_names[2] = { "Tcp", "Udp" };

/* 0 for TCP, 1 for UDP: the index into the api's arrays. */
static int
pi(unsigned proto)
{
	return proto == PA_UDP;
}

static int
unsupported(struct pa_error *err, const char *verb, unsigned proto)
{
	return pa__err(err, PA_ENOTSUP, "persistent port reservations are "
	    "not supported here: iphlpapi.dll has no %sPersistent%sPort"
	    "Reservation (Wine has none)", verb, proto_names[pi(proto)]);
}

static int
not_found(struct pa_error *err, unsigned proto, uint16_t first,
    uint16_t last)
{
	return pa__err(err, PA_ENOENT, "no persistent %s reservation of "
	    "ports %u-%u", proto == PA_UDP ? "UDP" : "TCP", first, last);
}

/* The token of the reservation of exactly first..last for proto. */
static int
lookup_token(const struct pa__win *w, unsigned proto, uint16_t first,
    uint16_t last, ULONG64 *token, struct pa_error *err)
{
	pa__win_resv_fn fn = w->api->lookup[pi(proto)];
	ULONG e;

	if (fn == NULL)
		return unsupported(err, "Lookup", proto);
	e = fn(htons(first), (USHORT)(last - first + 1), token);
	if (e == NO_ERROR)
		return 0;
	if (e == ERROR_NOT_FOUND)
		return not_found(err, proto, first, last);
	return pa__win_err(err, e, "LookupPersistent%sPortReservation of "
	    "ports %u-%u", proto_names[pi(proto)], first, last);
}

static int
win_range_lookup(void *ctx, unsigned proto, uint16_t first,
    uint16_t last, struct pa_error *err)
{
	ULONG64 token;

	return pa__win_token(ctx, proto, first, last, &token, err);
}

/*
 * ERROR_SHARING_VIOLATION from a create: a port of the range is in use,
 * or the range overlaps another reservation.  The owner-PID table tells
 * which.
 */
static int
sharing_violation(struct pa__win *w, unsigned proto, uint16_t first,
    uint16_t last, struct pa_error *err)
{
	const char *name = proto == PA_UDP ? "udp" : "tcp";
	struct pa_portq q;
	struct pa_socktab t;
	struct pa_error e2;
	int64_t pid;

	q.first = first;
	q.last = last;
	q.protos = proto;
	memset(&e2, 0, sizeof(e2));
	if (pa__win_sockets(w, &q, 1, 1, &t, &e2) == 0 && t.n > 0) {
		pid = t.socks[0].npids ? t.pids[t.socks[0].first_pid] : 0;
		pa__err(err, PA_EINUSE, "cannot reserve %s ports %u-%u: port "
		    "%u is in use (%s%lld; 'portalloc who %u/%s' says more)",
		    name, first, last, t.socks[0].lport, pid ? "pid " :
		    "no process, pid ", (long long)pid, t.socks[0].lport,
		    name);
		pa__socktab_free(&t);
		return PA_EINUSE;
	}
	pa__socktab_free(&t);
	return pa__err(err, PA_EINUSE, "cannot reserve %s ports %u-%u: the "
	    "range overlaps another reservation ('netsh int ipv4 show "
	    "excludedportrange protocol=%s' lists them)", name, first, last,
	    name);
}

static int
win_range_create(void *ctx, unsigned proto, uint16_t first,
    uint16_t last, struct pa_error *err)
{
	struct pa__win *w = ctx;
	pa__win_resv_fn fn = w->api->create[pi(proto)];
	ULONG64 token;
	ULONG e;

	if (fn == NULL)
		return unsupported(err, "Create", proto);
	e = fn(htons(first), (USHORT)(last - first + 1), &token);
	if (e == NO_ERROR) {
		pa__win_own_note(w, proto, first, last);
		return 0;
	}
	if (e == ERROR_SHARING_VIOLATION)
		return sharing_violation(w, proto, first, last, err);
	return pa__win_err(err, e, "CreatePersistent%sPortReservation of "
	    "ports %u-%u", proto_names[pi(proto)], first, last);
}

static int
win_range_remove(void *ctx, unsigned proto, uint16_t first,
    uint16_t last, struct pa_error *err)
{
	struct pa__win *w = ctx;
	pa__win_unresv_fn fn = w->api->remove[pi(proto)];
	ULONG e;

	if (fn == NULL)
		return unsupported(err, "Delete", proto);
	e = fn(htons(first), (USHORT)(last - first + 1));
	if (e == NO_ERROR)
		return 0;
	if (e == ERROR_NOT_FOUND)
		return not_found(err, proto, first, last);
	return pa__win_err(err, e, "DeletePersistent%sPortReservation of "
	    "ports %u-%u", proto_names[pi(proto)], first, last);
}

static int
win_range_bind(void *ctx, uint16_t first, uint16_t last, unsigned proto,
    const struct pa_addr *addr, uint16_t *port, pa_socket_t *sock,
    struct pa_error *err)
{
	struct pa__win *w = ctx;
	ULONG64 token;
	int rc;

	if ((rc = pa__win_token(w, proto, first, last, &token, err)) != 0)
		return rc;
	return pa__win_token_bind(w, token, first, last, proto, addr, port,
	    sock, err);
}

/* netsh's excluded ranges for proto, as the seam wants them. */
static int
win_range_excluded(void *ctx, unsigned proto, struct pa_resv_excluded *v,
    size_t max, size_t *n, struct pa_error *err)
{
	struct pa__win_range r[512];
	size_t i;
	int rc;

	(void)ctx;
	*n = 0;
	if (max > 512)
		max = 512;
	if ((rc = pa__win_excluded(proto, r, max, n, err)) != 0)
		return rc;
	for (i = 0; i < *n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].proto = proto;
		v[i].first = r[i].first;
		v[i].last = r[i].last;
		v[i].administered = r[i].administered;
	}
	return 0;
}

const struct pa__resv_range_ops pa__win_resv_range = {
	win_range_lookup,
	win_range_create,
	win_range_remove,
	win_range_bind,
	win_range_excluded,
};

/* The real association: the token, then the bind to port 0. */
static int
real_assoc_bind(SOCKET s, ULONG64 token, const struct sockaddr *sa, int len)
{
	INET_PORT_RESERVATION_TOKEN t;
	DWORD got = 0;

	t.Token = token;
	if (WSAIoctl(s, SIO_ASSOCIATE_PORT_RESERVATION, &t, sizeof(t), NULL,
	    0, &got, NULL, NULL) != 0)
		return WSAGetLastError();
	if (bind(s, sa, len) != 0)
		return WSAGetLastError();
	return 0;
}

/* A function of iphlpapi.dll, or NULL. */
static FARPROC
iphlpapi(const char *name)
{
	HMODULE m = GetModuleHandleW(L"iphlpapi.dll");

	if (m == NULL)
		m = LoadLibraryW(L"iphlpapi.dll");
	return m != NULL ? GetProcAddress(m, name) : NULL;
}

#define RESV(name) ((pa__win_resv_fn)(void (*)(void))iphlpapi(name))
#define UNRESV(name) ((pa__win_unresv_fn)(void (*)(void))iphlpapi(name))

const struct pa__win_api *
pa__win_api_real(void)
{
	static struct pa__win_api api;
	static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
	BOOL pending;

	if (InitOnceBeginInitialize(&once, 0, &pending, NULL) && pending) {
		api.create[0] = RESV("CreatePersistentTcpPortReservation");
		api.create[1] = RESV("CreatePersistentUdpPortReservation");
		api.lookup[0] = RESV("LookupPersistentTcpPortReservation");
		api.lookup[1] = RESV("LookupPersistentUdpPortReservation");
		api.remove[0] = UNRESV("DeletePersistentTcpPortReservation");
		api.remove[1] = UNRESV("DeletePersistentUdpPortReservation");
		api.assoc_bind = real_assoc_bind;
		api.bind = NULL;    /* the real bind() */
		api.tcp_table = GetExtendedTcpTable;
		api.udp_table = GetExtendedUdpTable;
		InitOnceComplete(&once, 0, NULL);
	}
	return &api;
}

int
pa__win_token(struct pa__win *w, unsigned proto, uint16_t first,
    uint16_t last, ULONG64 *token, struct pa_error *err)
{
	int rc;

	if ((rc = lookup_token(w, proto, first, last, token, err)) == 0)
		pa__win_own_note(w, proto, first, last);
	return rc;
}

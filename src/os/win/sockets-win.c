/*
 * The sockets op on Windows: the owner-PID tables of iphlpapi
 * (GetExtendedTcpTable with TCP_TABLE_OWNER_PID_ALL, GetExtendedUdpTable
 * with UDP_TABLE_OWNER_PID), for IPv4 and IPv6.  Each row is one socket
 * with the one process that owns it; pid 0 is no process (TIME_WAIT rows,
 * the System Idle process).  Windows has no socket inodes: inode stays 0.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

/* Asked again at most this often while the table keeps growing. */
#define TABLE_TRIES 8
/* Room for rows that appear between two calls. */
#define TABLE_SLACK 4096

int
pa__win_tcp_state(DWORD state)
{
	switch (state) {
	case MIB_TCP_STATE_LISTEN:
		return PA_SOCK_LISTEN;
	case MIB_TCP_STATE_SYN_SENT:
		return PA_SOCK_SYN_SENT;
	case MIB_TCP_STATE_SYN_RCVD:
		return PA_SOCK_SYN_RECV;
	case MIB_TCP_STATE_ESTAB:
		return PA_SOCK_ESTABLISHED;
	case MIB_TCP_STATE_FIN_WAIT1:
		return PA_SOCK_FIN_WAIT1;
	case MIB_TCP_STATE_FIN_WAIT2:
		return PA_SOCK_FIN_WAIT2;
	case MIB_TCP_STATE_CLOSE_WAIT:
		return PA_SOCK_CLOSE_WAIT;
	case MIB_TCP_STATE_CLOSING:
		return PA_SOCK_CLOSING;
	case MIB_TCP_STATE_LAST_ACK:
		return PA_SOCK_LAST_ACK;
	case MIB_TCP_STATE_TIME_WAIT:
		return PA_SOCK_TIME_WAIT;
	default:    /* CLOSED, DELETE_TCB */
		return PA_SOCK_CLOSE;
	}
}

/* The port in a dwLocalPort or dwRemotePort: its low 16 bits, network
 * order; the upper ones are not the port's (and need not be zero). */
static uint16_t
row_port(DWORD v)
{
	return ntohs((u_short)(v & 0xffff));
}

void
pa__win_rows_free(struct pa__win_rows *r)
{
	free(r->socks.v);
	free(r->pids);
	memset(r, 0, sizeof(*r));
}

static int
rows_push(struct pa__win_rows *r, const struct pa_sock *s, DWORD pid)
{
	int64_t *v;
	size_t cap;

	if (pa__sockvec_push(&r->socks, s) != 0)
		return PA_ENOMEM;
	if (r->socks.n > r->pcap) {
		cap = r->socks.cap;
		if ((v = realloc(r->pids, cap * sizeof(*v))) == NULL) {
			r->socks.n--;
			return PA_ENOMEM;
		}
		r->pids = v;
		r->pcap = cap;
	}
	r->pids[r->socks.n - 1] = (int64_t)pid;
	return 0;
}

/* The socket of row i of a table of proto and family (4 or 6), and its
 * owner. */
static void
row_sock(const unsigned char *row, unsigned proto, int family,
    struct pa_sock *s, DWORD *pid)
{
	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->family = family;
	s->uid = -1;
	if (proto == PA_TCP && family == 4) {
		MIB_TCPROW_OWNER_PID r;

		memcpy(&r, row, sizeof(r));
		memcpy(s->local, &r.dwLocalAddr, 4);
		memcpy(s->remote, &r.dwRemoteAddr, 4);
		s->lport = row_port(r.dwLocalPort);
		s->rport = row_port(r.dwRemotePort);
		s->state = pa__win_tcp_state(r.dwState);
		*pid = r.dwOwningPid;
	} else if (proto == PA_TCP) {
		MIB_TCP6ROW_OWNER_PID r;

		memcpy(&r, row, sizeof(r));
		memcpy(s->local, r.ucLocalAddr, 16);
		memcpy(s->remote, r.ucRemoteAddr, 16);
		s->lport = row_port(r.dwLocalPort);
		s->rport = row_port(r.dwRemotePort);
		s->state = pa__win_tcp_state(r.dwState);
		*pid = r.dwOwningPid;
	} else if (family == 4) {
		MIB_UDPROW_OWNER_PID r;

		memcpy(&r, row, sizeof(r));
		memcpy(s->local, &r.dwLocalAddr, 4);
		s->lport = row_port(r.dwLocalPort);
		s->state = PA_SOCK_CLOSE;   /* the table has no peer */
		*pid = r.dwOwningPid;
	} else {
		MIB_UDP6ROW_OWNER_PID r;

		memcpy(&r, row, sizeof(r));
		memcpy(s->local, r.ucLocalAddr, 16);
		s->lport = row_port(r.dwLocalPort);
		s->state = PA_SOCK_CLOSE;
		*pid = r.dwOwningPid;
	}
}

/* Where a table's rows start, and how long each is. */
static void
table_shape(unsigned proto, int family, size_t *off, size_t *size)
{
	if (proto == PA_TCP && family == 4) {
		*off = offsetof(MIB_TCPTABLE_OWNER_PID, table);
		*size = sizeof(MIB_TCPROW_OWNER_PID);
	} else if (proto == PA_TCP) {
		*off = offsetof(MIB_TCP6TABLE_OWNER_PID, table);
		*size = sizeof(MIB_TCP6ROW_OWNER_PID);
	} else if (family == 4) {
		*off = offsetof(MIB_UDPTABLE_OWNER_PID, table);
		*size = sizeof(MIB_UDPROW_OWNER_PID);
	} else {
		*off = offsetof(MIB_UDP6TABLE_OWNER_PID, table);
		*size = sizeof(MIB_UDP6ROW_OWNER_PID);
	}
}

int
pa__win_table_walk(const void *buf, size_t len, unsigned proto, int family,
    const struct pa_portq *q, size_t nq, struct pa__win_rows *out,
    struct pa_error *err)
{
	const unsigned char *p = buf;
	struct pa_sock s;
	size_t off, size, i;
	DWORD n, pid;

	table_shape(proto, family, &off, &size);
	if (len < sizeof(n))
		return pa__err(err, PA_EDATA, "owner-PID table of %zu bytes: "
		    "too short", len);
	memcpy(&n, p, sizeof(n));
	if (len < off || n > (len - off) / size)
		return pa__err(err, PA_EDATA, "owner-PID table says %lu rows "
		    "but holds %zu bytes", (unsigned long)n, len);
	for (i = 0; i < n; i++) {
		row_sock(p + off + i * size, proto, family, &s, &pid);
		if (!pa__portq_match(q, nq, s.lport, proto))
			continue;
		if (rows_push(out, &s, pid) != 0)
			return pa__err(err, PA_ENOMEM, "out of memory");
	}
	return 0;
}

int
pa__win_table_read(const struct pa__win_api *api, unsigned proto,
    int family, void **buf, size_t *len, struct pa_error *err)
{
	ULONG af = family == 6 ? AF_INET6 : AF_INET;
	DWORD size = TABLE_SLACK, rc = ERROR_INSUFFICIENT_BUFFER;
	void *v = NULL, *nv;
	int tries;

	*buf = NULL;
	*len = 0;
	for (tries = 0; tries < TABLE_TRIES &&
	    rc == ERROR_INSUFFICIENT_BUFFER; tries++) {
		if ((nv = realloc(v, size)) == NULL) {
			free(v);
			return pa__err(err, PA_ENOMEM, "out of memory");
		}
		v = nv;
		*len = size;
		rc = proto == PA_TCP ? api->tcp_table(v, &size, FALSE, af,
		    TCP_TABLE_OWNER_PID_ALL, 0) : api->udp_table(v, &size,
		    FALSE, af, UDP_TABLE_OWNER_PID, 0);
		if (rc == ERROR_INSUFFICIENT_BUFFER)
			size += TABLE_SLACK;   /* it may grow again */
	}
	if (rc == NO_ERROR) {
		*buf = v;
		return 0;
	}
	free(v);
	*len = 0;
	if (rc == ERROR_NOT_SUPPORTED && family == 6)
		return 0;   /* no IPv6 here: an empty table */
	if (rc == ERROR_INSUFFICIENT_BUFFER)
		return pa__err(err, PA_EOS, "the %s table kept growing: gave "
		    "up after %d tries", proto == PA_TCP ? "TCP" : "UDP",
		    TABLE_TRIES);
	return pa__win_err(err, rc, "%s", proto == PA_TCP ?
	    "GetExtendedTcpTable" : "GetExtendedUdpTable");
}

/* The rows as the core's table: each socket with its one holder, if it
 * has one and holders are wanted. */
static int
to_socktab(struct pa__win_rows *r, int pids, struct pa_socktab *t)
{
	size_t i;

	if ((t->pids = malloc((r->socks.n + 1) * sizeof(*t->pids))) == NULL)
		return PA_ENOMEM;
	t->socks = r->socks.v;
	t->n = r->socks.n;
	for (i = 0; i < t->n; i++) {
		t->socks[i].first_pid = t->npids;
		t->socks[i].npids = pids && r->pids[i] != 0;
		if (t->socks[i].npids)
			t->pids[t->npids++] = r->pids[i];
	}
	free(r->pids);
	memset(r, 0, sizeof(*r));
	return 0;
}

int
pa__win_sockets(void *ctx, const struct pa_portq *q, size_t nq, int pids,
    struct pa_socktab *t, struct pa_error *err)
{
	static const struct { unsigned proto; int family; } tables[] = {
		{ PA_TCP, 4 }, { PA_TCP, 6 }, { PA_UDP, 4 }, { PA_UDP, 6 },
	};
	const struct pa__win *w = ctx;
	struct pa__win_rows rows;
	unsigned protos = 0;
	size_t i, len;
	void *buf;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	memset(&rows, 0, sizeof(rows));
	t->source = "GetExtendedTcpTable/GetExtendedUdpTable";
	for (i = 0; i < nq; i++)
		protos |= q[i].protos;
	for (i = 0; rc == 0 && i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (!(protos & tables[i].proto))
			continue;
		rc = pa__win_table_read(w->api, tables[i].proto,
		    tables[i].family, &buf, &len, err);
		if (rc == 0 && buf != NULL)
			rc = pa__win_table_walk(buf, len, tables[i].proto,
			    tables[i].family, q, nq, &rows, err);
		free(buf);
	}
	if (rc == 0 && to_socktab(&rows, pids, t) != 0)
		rc = pa__err(err, PA_ENOMEM, "out of memory");
	if (rc != 0) {
		pa__win_rows_free(&rows);
		pa__socktab_free(t);
	}
	return rc;
}

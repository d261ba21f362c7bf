/*
 * NETLINK_SOCK_DIAG: one dump per protocol and family, filtered in the
 * kernel by a bytecode program to the local ports asked about.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/linux.h"

static void
msg_to_sock(const struct inet_diag_msg *m, unsigned proto, struct pa_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->family = m->idiag_family == AF_INET6 ? 6 : 4;
	memcpy(s->local, m->id.idiag_src, s->family == 6 ? 16 : 4);
	memcpy(s->remote, m->id.idiag_dst, s->family == 6 ? 16 : 4);
	s->lport = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	s->state = m->idiag_state;
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
}

int
pa__diag_parse(const void *buf, size_t len, unsigned proto,
    const struct pa_portq *q, size_t nq, struct pa__sockvec *out,
    int *kerrno, struct pa_error *err)
{
	const struct nlmsghdr *h = buf;
	const struct nlmsgerr *e;
	const struct inet_diag_msg *m;
	struct pa_sock s;
	int rest = (int)len;

	*kerrno = 0;
	if (len > INT32_MAX)
		return pa__err(err, PA_EDATA, "sock_diag: reply too large");
	for (; NLMSG_OK(h, rest); h = NLMSG_NEXT(h, rest)) {
		switch (h->nlmsg_type) {
		case NLMSG_DONE:
			return 1;
		case NLMSG_ERROR:
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return pa__err(err, PA_EDATA, "sock_diag: short "
				    "error message");
			e = NLMSG_DATA(h);
			/* errno values are 1..4095; -INT_MIN overflows */
			if (e->error > 0 || e->error < -4095)
				return pa__err(err, PA_EDATA, "sock_diag: bad "
				    "error code %d", e->error);
			*kerrno = -e->error;
			return pa__err(err, PA_EOS, "sock_diag: %s",
			    strerror(-e->error));
		case SOCK_DIAG_BY_FAMILY:
		case TCPDIAG_GETSOCK:   /* the replies of a compat dump */
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				return pa__err(err, PA_EDATA, "sock_diag: short "
				    "message");
			m = NLMSG_DATA(h);
			if (m->idiag_family != AF_INET &&
			    m->idiag_family != AF_INET6)
				return pa__err(err, PA_EDATA, "sock_diag: "
				    "family %u", m->idiag_family);
			msg_to_sock(m, proto, &s);
			if (!pa__portq_match(q, nq, s.lport, proto))
				continue;
			if (pa__sockvec_push(out, &s) != 0)
				return pa__err(err, PA_ENOMEM, "out of memory");
			break;
		default:
			break; /* NLMSG_NOOP and the like */
		}
	}
	if (rest != 0)
		return pa__err(err, PA_EDATA, "sock_diag: %d bytes of a "
		    "truncated message", rest);
	return 0;
}

/* The request: header, inet_diag_req_v2, and the port filter. */
struct diag_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
	struct rtattr rta;
	struct inet_diag_bc_op ops[4];
};

/*
 * The older TCPDIAG_GETSOCK request: the kernel dumps TCP sockets of both
 * families in one walk of its tables for it, where the v2 request needs a
 * walk per family (under 12,000 connections, a walk costs some 7 ms).
 */
struct diag_request_compat {
	struct nlmsghdr nlh;
	struct inet_diag_req req;
	struct rtattr rta;
	struct inet_diag_bc_op ops[4];
};

/*
 * local port >= first && local port <= last.  A condition is two ops (the
 * second carries the port in .no); a failed test jumps 4 past the end,
 * which the kernel reads as "reject".
 */
static void
build_filter(struct rtattr *rta, struct inet_diag_bc_op *ops,
    uint16_t first, uint16_t last)
{
	const size_t size = 4 * sizeof(*ops);

	rta->rta_type = INET_DIAG_REQ_BYTECODE;
	rta->rta_len = RTA_LENGTH(size);
	ops[0].code = INET_DIAG_BC_S_GE;
	ops[0].yes = 2 * sizeof(ops[0]);
	ops[0].no = size + 4;
	ops[1].no = first;
	ops[2].code = INET_DIAG_BC_S_LE;
	ops[2].yes = 2 * sizeof(ops[0]);
	ops[2].no = 2 * sizeof(ops[0]) + 4;
	ops[3].no = last;
}

/* The request into buf; its length.  family 0: TCP of both families. */
static size_t
build_request(void *buf, unsigned proto, int family, uint16_t first,
    uint16_t last)
{
	struct diag_request *r = buf;
	struct diag_request_compat *c = buf;

	if (family == 0) {
		memset(c, 0, sizeof(*c));
		c->nlh.nlmsg_len = sizeof(*c);
		c->nlh.nlmsg_type = TCPDIAG_GETSOCK;
		c->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		c->req.idiag_states = ~0u;
		build_filter(&c->rta, c->ops, first, last);
		return sizeof(*c);
	}
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = sizeof(*r);
	r->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r->req.sdiag_family = family == 6 ? AF_INET6 : AF_INET;
	r->req.sdiag_protocol = proto == PA_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	r->req.idiag_states = ~0u;
	build_filter(&r->rta, r->ops, first, last);
	return sizeof(*r);
}

int
pa__diag_dump(unsigned proto, int family, uint16_t first, uint16_t last,
    const struct pa_portq *q, size_t nq, struct pa__sockvec *out,
    struct pa_error *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	union {
		struct diag_request v2;
		struct diag_request_compat compat;
	} r;
	size_t rlen;
	const size_t size = 64 * 1024;
	char *buf;
	ssize_t got;
	int fd, rc = 0, kerrno;

	if ((buf = malloc(size)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		free(buf);
		return pa__err(err, PA_ENOENT, "sock_diag: %s",
		    strerror(errno));
	}
	rlen = build_request(&r, proto, family, first, last);
	if (sendto(fd, &r, rlen, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0) {
		rc = pa__err(err, PA_ENOENT, "sock_diag: %s", strerror(errno));
		goto out;
	}
	while (rc == 0) {
		got = recv(fd, buf, size, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = pa__err(err, PA_EOS, "sock_diag: %s",
			    strerror(errno));
			break;
		}
		if (got == 0) {
			rc = pa__err(err, PA_EDATA, "sock_diag: early end");
			break;
		}
		rc = pa__diag_parse(buf, (size_t)got, proto, q, nq, out,
		    &kerrno, err);
		if (rc >= 0 && out->grew != NULL)
			out->grew(out->grew_arg, out);
		/* No such dump here: no udp_diag module, netlink refused. */
		if (rc == PA_EOS && (kerrno == ENOENT ||
		    kerrno == EOPNOTSUPP || kerrno == EPROTONOSUPPORT ||
		    kerrno == EPERM || kerrno == EACCES))
			rc = PA_ENOENT;
	}
out:
	close(fd);
	free(buf);
	return rc < 0 ? rc : 0;
}

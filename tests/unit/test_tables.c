/* The Linux table parsers: /proc/net fixtures and sock_diag messages. */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#include "core/core.h"
#include "os/linux/linux.h"

static const struct pa_portq everything = { 1, 65535, PA_BOTH };

static void
read_fixture(const char *name, int family, unsigned proto,
    struct pa__sockvec *sv, int expect)
{
	char path[512];
	struct pa_error err;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
	assert_int_equal(pa__procnet_read(path, family, proto, &everything, 1,
	    sv, &err), expect);
}

static void
addr_is(const struct pa_sock *s, const char *text)
{
	char buf[64];

	pa__addr_format(s->family, s->local, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

static void
test_procnet_tcp(void **state)
{
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };
	char buf[64];

	(void)state;
	read_fixture("proc_net_tcp", 4, PA_TCP, &sv, 0);
	assert_int_equal(sv.n, 4);
	addr_is(&sv.v[0], "127.0.0.1");
	assert_int_equal(sv.v[0].lport, 8765);
	assert_int_equal(sv.v[0].state, PA_SOCK_LISTEN);
	assert_int_equal(sv.v[0].inode, 203491);
	addr_is(&sv.v[1], "0.0.0.0");
	assert_int_equal(sv.v[1].lport, 2024);
	assert_int_equal(sv.v[1].uid, 1000);
	/* TIME-WAIT: no inode, a remote end */
	assert_int_equal(sv.v[2].state, PA_SOCK_TIME_WAIT);
	assert_int_equal(sv.v[2].inode, 0);
	assert_int_equal(sv.v[2].rport, 45934);
	pa__addr_format(4, sv.v[2].remote, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
	/* a client whose remote port is 8765 is on port 45934 */
	assert_int_equal(sv.v[3].lport, 45934);
	assert_int_equal(sv.v[3].rport, 8765);
	free(sv.v);
}

static void
test_procnet_tcp6(void **state)
{
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };

	(void)state;
	read_fixture("proc_net_tcp6", 6, PA_TCP, &sv, 0);
	assert_int_equal(sv.n, 3);
	addr_is(&sv.v[0], "::");
	assert_int_equal(sv.v[0].lport, 8080);
	addr_is(&sv.v[1], "::ffff:127.0.0.1");
	assert_int_equal(sv.v[1].uid, 33);
	addr_is(&sv.v[2], "::1");
	assert_int_equal(sv.v[2].state, PA_SOCK_ESTABLISHED);
	free(sv.v);
}

static void
test_procnet_udp_and_filter(void **state)
{
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };
	struct pa_portq only53 = { 60000, 65535, PA_UDP };
	struct pa_portq tcp_only = { 1, 65535, PA_TCP };
	char path[512];
	struct pa_error err;

	(void)state;
	read_fixture("proc_net_udp", 4, PA_UDP, &sv, 0);
	assert_int_equal(sv.n, 2);
	assert_int_equal(sv.v[0].lport, 68);
	assert_int_equal(sv.v[0].state, PA_SOCK_CLOSE);
	assert_string_equal(pa_sock_state_name(sv.v[0].state, PA_UDP),
	    "UNCONN");
	free(sv.v);
	memset(&sv, 0, sizeof(sv));
	snprintf(path, sizeof(path), "%s/proc_net_udp", FIXTURES_DIR);
	assert_int_equal(pa__procnet_read(path, 4, PA_UDP, &only53, 1, &sv,
	    &err), 0);
	assert_int_equal(sv.n, 0);   /* 68 and 53699 are both below 60000 */
	assert_int_equal(pa__procnet_read(path, 4, PA_UDP, &tcp_only, 1, &sv,
	    &err), 0);
	assert_int_equal(sv.n, 0);
	free(sv.v);
}

static void
test_procnet_malformed(void **state)
{
	static const char *const bad[] = {
		"   1: 0100007G:223D 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"   2: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"   3: 0100007F:1FFFFF 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"   4: 0100007F:223D 00000000:0000 0A 0:0 0:0 0 0\n",
		"   5: 0100007F:223D 00000000:0000 ZZ 0:0 0:0 0 0 0 1 1\n",
		"   6: 0100007F:223D 00000000:0000 0A 0:0 0:0 0 -5 0 1 1\n",
		"   7 0100007F:223D 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"",
		"   8: 00000000000000000000:1F90 0:0 0A 0:0 0:0 0 0 0 1\n",
	};
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };
	struct pa_sock s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("line %zu\n", i);
		assert_int_equal(pa__procnet_line(bad[i], i == 8 ? 6 : 4,
		    PA_TCP, &s), -1);
	}
	/* a whole file: the first bad line is named */
	read_fixture("proc_net_bad", 4, PA_TCP, &sv, PA_EDATA);
	free(sv.v);
}

/* Appends one SOCK_DIAG_BY_FAMILY message to buf at *off. */
static void
put_msg(char *buf, size_t *off, int family, uint16_t sport, uint16_t dport,
    int state, uint32_t inode)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct inet_diag_msg *m = NLMSG_DATA(h);

	memset(h, 0, NLMSG_SPACE(sizeof(*m)));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->idiag_family = family;
	m->idiag_state = state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	if (family == AF_INET)
		m->id.idiag_src[0] = htonl(INADDR_LOOPBACK);
	else
		((unsigned char *)m->id.idiag_src)[15] = 1;
	m->idiag_uid = 1000;
	m->idiag_inode = inode;
	*off += NLMSG_SPACE(sizeof(*m));
}

static void
put_done(char *buf, size_t *off, int type, int error)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct nlmsgerr *e = NLMSG_DATA(h);

	memset(h, 0, NLMSG_SPACE(sizeof(*e)));
	h->nlmsg_type = type;
	h->nlmsg_len = type == NLMSG_ERROR ? NLMSG_LENGTH(sizeof(*e)) :
	    NLMSG_LENGTH(4);
	if (type == NLMSG_ERROR)
		e->error = -error;
	*off += NLMSG_SPACE(type == NLMSG_ERROR ? sizeof(*e) : 4);
}

static void
test_diag_parse(void **state)
{
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };
	struct pa_portq q = { 8000, 8099, PA_TCP };
	struct pa_error err;
	char buf[4096];
	size_t off = 0;
	int kerrno;

	(void)state;
	put_msg(buf, &off, AF_INET, 8080, 0, PA_SOCK_LISTEN, 77);
	put_msg(buf, &off, AF_INET6, 8081, 0, PA_SOCK_LISTEN, 78);
	put_msg(buf, &off, AF_INET, 9000, 8080, PA_SOCK_ESTABLISHED, 79);
	/* more to come: 0 */
	assert_int_equal(pa__diag_parse(buf, off, PA_TCP, &q, 1, &sv,
	    &kerrno, &err), 0);
	assert_int_equal(sv.n, 2);
	assert_int_equal(sv.v[0].lport, 8080);
	assert_int_equal(sv.v[0].inode, 77);
	assert_int_equal(sv.v[0].uid, 1000);
	addr_is(&sv.v[0], "127.0.0.1");
	assert_int_equal(sv.v[1].family, 6);
	addr_is(&sv.v[1], "::1");
	off = 0;
	put_msg(buf, &off, AF_INET, 8082, 0, PA_SOCK_TIME_WAIT, 0);
	put_done(buf, &off, NLMSG_DONE, 0);
	assert_int_equal(pa__diag_parse(buf, off, PA_TCP, &q, 1, &sv,
	    &kerrno, &err), 1);
	assert_int_equal(sv.n, 3);
	assert_int_equal(sv.v[2].inode, 0);
	/* the kernel's error */
	off = 0;
	put_done(buf, &off, NLMSG_ERROR, 2 /* ENOENT */);
	assert_int_equal(pa__diag_parse(buf, off, PA_UDP, &q, 1, &sv,
	    &kerrno, &err), PA_EOS);
	assert_int_equal(kerrno, 2);
	/* an error code no kernel sends (fuzz_diag): bad data, and no
	 * overflow negating it */
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error =
	    INT32_MIN;
	assert_int_equal(pa__diag_parse(buf, off, PA_UDP, &q, 1, &sv,
	    &kerrno, &err), PA_EDATA);
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error =
	    4;
	assert_int_equal(pa__diag_parse(buf, off, PA_UDP, &q, 1, &sv,
	    &kerrno, &err), PA_EDATA);
	/* truncated: a message cut in half */
	off = 0;
	put_msg(buf, &off, AF_INET, 8083, 0, PA_SOCK_LISTEN, 80);
	assert_int_equal(pa__diag_parse(buf, off - 10, PA_TCP, &q, 1, &sv,
	    &kerrno, &err), PA_EDATA);
	/* a header that claims less than an inet_diag_msg */
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(8);
	assert_int_equal(pa__diag_parse(buf, NLMSG_SPACE(8), PA_TCP, &q, 1,
	    &sv, &kerrno, &err), PA_EDATA);
	/* a family that is neither */
	off = 0;
	put_msg(buf, &off, AF_UNIX, 8084, 0, PA_SOCK_LISTEN, 81);
	assert_int_equal(pa__diag_parse(buf, off, PA_TCP, &q, 1, &sv,
	    &kerrno, &err), PA_EDATA);
	assert_int_equal(sv.n, 3);
	free(sv.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procnet_tcp),
		cmocka_unit_test(test_procnet_tcp6),
		cmocka_unit_test(test_procnet_udp_and_filter),
		cmocka_unit_test(test_procnet_malformed),
		cmocka_unit_test(test_diag_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

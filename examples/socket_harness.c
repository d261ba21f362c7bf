/*
 * An example C test harness that leases a port together with a socket
 * already bound to it (pa_get_socket), and hands the socket to the server
 * it tests instead of the port number.  Between choosing a port and
 * binding it there is then no window in which another process can take
 * it.  On Windows this is also the way into a block with reserve =
 * persistent: the socket is bound through the reservation's token (the
 * OS picks a free port of it), where a plain bind into the reservation
 * may be refused with WSAEACCES.
 *
 *   cc socket_harness.c $(pkg-config --cflags --libs --static portalloc)
 *
 * Prints "PORT bound", and exits 0 when a second bind to the port fails
 * (the socket holds it).
 */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef int socklen_t;
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#define closesocket close
#endif
#include <stdio.h>
#include <string.h>

#include <portalloc/portalloc.h>

/* Does a plain bind to 127.0.0.1:port fail, as it must while s holds it? */
static int
port_is_held(uint16_t port)
{
	struct sockaddr_in sin;
	pa_socket_t t = (pa_socket_t)socket(AF_INET, SOCK_STREAM, 0);
	int held;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	held = bind(t, (struct sockaddr *)&sin, sizeof(sin)) != 0;
	closesocket(t);
	return held;
}

int
main(void)
{
	struct pa_config *cfg = NULL;
	struct pa_request req;
	struct pa_lease lease;
	struct pa_error err;
	struct pa *pa = NULL;
	pa_socket_t s;
	int rc, ok;
#ifdef _WIN32
	WSADATA d;

	WSAStartup(MAKEWORD(2, 2), &d);
#endif
	memset(&err, 0, sizeof(err));
	if ((rc = pa_config_load(&cfg, NULL, &err)) != 0 ||
	    (rc = pa_open(&pa, cfg, &err)) != 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.count = 1;          /* one port, one socket */
	req.protos = PA_TCP;
	req.owner_pid = 0;      /* this process owns the lease */
	req.ttl = -1;
	req.tag = "example-socket-harness";
	if ((rc = pa_get_socket(pa, &req, &lease, &s, &err)) != 0)
		goto fail;
	printf("%u bound\n", lease.port);
	/* here: listen(s, ...) and give s to the server under test */
	ok = port_is_held(lease.port);
	closesocket(s);
	pa_close(pa);       /* the lease ends when this process exits */
	pa_config_free(cfg);
	return ok ? 0 : 1;
fail:
	fprintf(stderr, "socket_harness: %s\n", err.msg[0] ? err.msg :
	    pa_strerror(rc));
	pa_close(pa);
	pa_config_free(cfg);
	return 1;
}

/* IP address literals, for bind_address and probe binds, and socket
 * addresses made of them. */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif
#include <string.h>

#include "os/os.h"

int
pa__addr_parse(const char *text, struct pa_addr *a)
{
	static const unsigned char zero[16];

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->bytes) == 1) {
		a->family = 4;
		a->wildcard = memcmp(a->bytes, zero, 4) == 0;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->bytes) == 1) {
		a->family = 6;
		a->wildcard = memcmp(a->bytes, zero, 16) == 0;
		return 0;
	}
	return PA_EUSAGE;
}

int
pa__addr_sockaddr(const struct pa_addr *a, uint16_t port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return (int)sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->bytes, 16);
	return (int)sizeof(*sin6);
}

void
pa__addr_format(int family, const unsigned char *bytes, char *buf,
    size_t len)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, bytes, buf,
	    (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
}

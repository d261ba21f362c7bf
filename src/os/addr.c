/* IP address literals, for bind_address and probe binds. */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
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

void
pa__addr_format(int family, const unsigned char *bytes, char *buf,
    size_t len)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, bytes, buf,
	    (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
}

/* Test helpers that need Windows: temporary directories, sockets, the
 * environment. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <direct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Winsock, started once for the tests' own sockets. */
static void
wsa(void)
{
	static int started;
	WSADATA data;

	if (!started && WSAStartup(MAKEWORD(2, 2), &data) != 0)
		abort();
	started = 1;
}

char *
th_tmpdir(void)
{
	static unsigned n;
	char base[MAX_PATH + 1], *path;
	unsigned i;

	if (GetTempPathA(sizeof(base), base) == 0)
		abort();
	for (i = 0; i < 100; i++) {
		if (asprintf(&path, "%sportalloc-test.%lu.%u", base,
		    (unsigned long)GetCurrentProcessId(), n++) < 0)
			abort();
		if (CreateDirectoryA(path, NULL))
			return path;
		free(path);
	}
	abort();
}

void
th_rmtree(const char *path)
{
	WIN32_FIND_DATAA fd;
	char *pattern, *child;
	HANDLE h;

	if (asprintf(&pattern, "%s\\*", path) < 0)
		abort();
	h = FindFirstFileA(pattern, &fd);
	free(pattern);
	if (h != INVALID_HANDLE_VALUE) {
		do {
			if (!strcmp(fd.cFileName, ".") ||
			    !strcmp(fd.cFileName, ".."))
				continue;
			if (asprintf(&child, "%s\\%s", path, fd.cFileName) < 0)
				abort();
			SetFileAttributesA(child, FILE_ATTRIBUTE_NORMAL);
			if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				th_rmtree(child);
			else
				DeleteFileA(child);
			free(child);
		} while (FindNextFileA(h, &fd));
		FindClose(h);
	}
	RemoveDirectoryA(path);
}

static pa_socket_t
bind_socket(int family, int type, uint16_t port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	SOCKET s;
	int rc;

	wsa();
	if ((s = socket(family, type, 0)) == INVALID_SOCKET)
		return TH_BADSOCK;
	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sin6.sin6_addr = in6addr_loopback;
		rc = bind(s, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	if (rc != 0 || (type == SOCK_STREAM && listen(s, 4) != 0)) {
		closesocket(s);
		return TH_BADSOCK;
	}
	return (pa_socket_t)s;
}

pa_socket_t
th_listen_tcp(int family, uint16_t port)
{
	return bind_socket(family, SOCK_STREAM, port);
}

pa_socket_t
th_bind_udp(int family, uint16_t port)
{
	return bind_socket(family, SOCK_DGRAM, port);
}

void
th_sock_close(pa_socket_t s)
{
	closesocket((SOCKET)s);
}

uint16_t
th_sock_port(pa_socket_t s)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	wsa();
	if (getsockname((SOCKET)s, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
}

void
th_setenv(const char *name, const char *value)
{
	if (_putenv_s(name, value) != 0)
		abort();
}

void
th_unsetenv(const char *name)
{
	_putenv_s(name, "");    /* "" removes it */
}

int
th_mkdir(const char *path)
{
	return _mkdir(path);
}

int
th_is_root(void)
{
	return 0;
}

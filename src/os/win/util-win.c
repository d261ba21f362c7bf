/* The Windows backend's plumbing: UTF-8/UTF-16, error translation,
 * Winsock start-up, exclusive sockets, and the roots of paths. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

wchar_t *
pa__win_wide(const char *s)
{
	wchar_t *w;
	int n;

	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL,
	    0);
	if (n <= 0 || (w = malloc((size_t)n * sizeof(*w))) == NULL)
		return NULL;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w,
	    n) != n) {
		free(w);
		return NULL;
	}
	return w;
}

int
pa__win_narrow(const wchar_t *w, char *buf, size_t len)
{
	char *tmp;
	int n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	if (n <= 0 || (tmp = malloc((size_t)n)) == NULL)
		return -1;
	if (WideCharToMultiByte(CP_UTF8, 0, w, -1, tmp, n, NULL, NULL) != n) {
		free(tmp);
		return -1;
	}
	pa__strlcpy(buf, tmp, len);
	free(tmp);
	return 0;
}

int
pa__win_code(DWORD e)
{
	switch (e) {
	case ERROR_ACCESS_DENIED:
	case WSAEACCES:
		return PA_EPERM;
	case ERROR_SHARING_VIOLATION:
	case WSAEADDRINUSE:
		return PA_EINUSE;
	case ERROR_NOT_FOUND:
		return PA_ENOENT;
	case WSAEOPNOTSUPP:
	case ERROR_NOT_SUPPORTED:
	case ERROR_CALL_NOT_IMPLEMENTED:
		return PA_ENOTSUP;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
	case WSAENOBUFS:
		return PA_ENOMEM;
	}
	return PA_EOS;
}

/* The system's text for e, without its line end, into buf. */
static void
system_text(DWORD e, char *buf, size_t len)
{
	wchar_t w[512];
	size_t n;

	buf[0] = '\0';
	if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, w,
	    sizeof(w) / sizeof(w[0]), NULL) == 0 ||
	    pa__win_narrow(w, buf, len) != 0)
		snprintf(buf, len, "error");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '.'))
		buf[--n] = '\0';
}

int
pa__win_err(struct pa_error *err, DWORD e, const char *fmt, ...)
{
	char what[512], text[256];
	va_list ap;
	int code = pa__win_code(e);

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	system_text(e, text, sizeof(text));
	return pa__err(err, code, "%s: %s (%lu)", what, text,
	    (unsigned long)e);
}

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_error;

static BOOL CALLBACK
wsa_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	WSADATA data;

	(void)once;
	(void)param;
	(void)ctx;
	wsa_error = WSAStartup(MAKEWORD(2, 2), &data);
	return TRUE;
}

int
pa__win_wsa(struct pa_error *err)
{
	InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
	if (wsa_error != 0)
		return pa__win_err(err, (DWORD)wsa_error, "WSAStartup");
	return 0;
}

SOCKET
pa__win_socket(const struct pa_addr *a, unsigned proto)
{
	DWORD on = 1;
	SOCKET s;
	int e;

	int af = a->family == 6 ? AF_INET6 : AF_INET;
	int type = proto == PA_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int ip = proto == PA_UDP ? IPPROTO_UDP : IPPROTO_TCP;

	s = WSASocketW(af, type, ip, NULL, 0, WSA_FLAG_OVERLAPPED |
	    WSA_FLAG_NO_HANDLE_INHERIT);
	if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
		/* Windows 7 before SP1 has no such flag */
		if ((s = socket(af, type, ip)) != INVALID_SOCKET)
			SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT,
			    0);
	}
	if (s == INVALID_SOCKET)
		return s;
	/* the v6 socket must not also claim the v4 port: that has its own */
	if (a->family == 6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on,
		    sizeof(on));
	if (setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on,
	    sizeof(on)) != 0) {
		e = WSAGetLastError();
		closesocket(s);
		WSASetLastError(e);
		return INVALID_SOCKET;
	}
	return s;
}

static int
slash(char c)
{
	return c == '\\' || c == '/';
}

/* The end of the n-th path component of p from "at" on (after its
 * slash), or where p ends. */
static size_t
skip_parts(const char *p, size_t at, int n)
{
	for (; n > 0 && p[at] != '\0'; n--) {
		while (p[at] != '\0' && !slash(p[at]))
			at++;
		if (p[at] != '\0')
			at++;
	}
	return at;
}

/*
 * How much of path is its root, which exists or cannot be made:
 * "C:\", "\", "\\server\share\", "\\?\C:\", "\\?\UNC\server\share\"
 * (also with "\\.\").
 */
size_t
pa__win_root_len(const char *p)
{
	if (slash(p[0]) && slash(p[1]) && (p[2] == '?' || p[2] == '.') &&
	    slash(p[3])) {
		if (strncmp(p + 4, "UNC", 3) == 0 && slash(p[7]))
			return skip_parts(p, 8, 2);
		return skip_parts(p, 4, 1);
	}
	if (slash(p[0]) && slash(p[1]))
		return skip_parts(p, 2, 2);
	if (p[0] != '\0' && p[1] == ':')
		return slash(p[2]) ? 3 : 2;
	return slash(p[0]) ? 1 : 0;
}

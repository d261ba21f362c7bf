/*
 * What only netsh tells: the dynamic (ephemeral) port range and the port
 * ranges excluded from it (by Hyper-V, WinNAT, Docker, WSL, or netsh's
 * "add excludedportrange", which netsh marks with "*").
 *
 * Why netsh: Windows has no public function for either.  The documented
 * ways are `netsh int ipv4 show dynamicport|excludedportrange` and the
 * MSFT_NetTCPSetting/MSFT_NetUDPSetting CIM classes (WMI); the ranges that
 * Hyper-V and WSL set live only in the TCP/IP driver at run time, not in
 * a documented registry value.  netsh's labels are translated, its numbers
 * are not: the parsers read numbers only.  netsh runs from the system
 * folder, without a window, for at most a few seconds; where it fails
 * (Wine has a stub) the caller falls back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

#define NETSH_WAIT_MS 5000
#define NETSH_MAX_OUT (256 * 1024)

/* The numbers of one line (up to max) into v; how many. */
static size_t
line_numbers(const char *s, const char *end, unsigned long *v, size_t max)
{
	size_t n = 0;

	while (s < end && n < max) {
		if (*s >= '0' && *s <= '9') {
			v[n] = 0;
			while (s < end && *s >= '0' && *s <= '9' &&
			    v[n] < 1000000)
				v[n] = v[n] * 10 + (unsigned long)(*s++ - '0');
			n++;
		} else {
			s++;
		}
	}
	return n;
}

int
pa__win_parse_dynamic(const char *text, uint16_t *first, uint16_t *last)
{
	unsigned long v[2], got[2];
	const char *s = text, *end;
	size_t n = 0;

	/* "Start Port : 49152" then "Number of Ports : 16384" */
	for (; *s != '\0' && n < 2; s = *end ? end + 1 : end) {
		end = s + strcspn(s, "\n");
		if (line_numbers(s, end, v, 2) == 1)
			got[n++] = v[0];
	}
	if (n < 2 || got[0] == 0 || got[1] == 0 || got[0] > 65535 ||
	    got[0] + got[1] - 1 > 65535)
		return -1;
	*first = (uint16_t)got[0];
	*last = (uint16_t)(got[0] + got[1] - 1);
	return 0;
}

int
pa__win_parse_excluded(const char *text, struct pa__win_range *v,
    size_t max, size_t *n)
{
	const char *s = text, *end;
	unsigned long num[3];

	*n = 0;
	for (; *s != '\0'; s = *end ? end + 1 : end) {
		end = s + strcspn(s, "\n");
		/* "  50000   50059   *": two numbers; the star: netsh's */
		if (line_numbers(s, end, num, 3) != 2 || num[0] == 0 ||
		    num[0] > num[1] || num[1] > 65535)
			continue;
		if (*n == max)
			return -1;
		v[*n].first = (uint16_t)num[0];
		v[*n].last = (uint16_t)num[1];
		v[*n].administered = memchr(s, '*', (size_t)(end - s)) != NULL;
		(*n)++;
	}
	return 0;
}

/* Reads all of h into a malloc'd string. */
static char *
read_all(HANDLE h)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	DWORD got;

	while (buf != NULL && ReadFile(h, buf + len, (DWORD)(cap - len - 1),
	    &got, NULL) && got > 0) {
		len += got;
		if (cap - len < 1024 && cap < NETSH_MAX_OUT) {
			if ((nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		} else if (cap - len < 2) {
			break;
		}
	}
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

/* Starts netsh with args, its output into the pipe's write end w. */
static int
start_netsh(const wchar_t *args, HANDLE w, PROCESS_INFORMATION *pi)
{
	wchar_t app[MAX_PATH], line[512];
	STARTUPINFOW si;
	UINT n = GetSystemDirectoryW(app, MAX_PATH - 16);

	if (n == 0 || n >= MAX_PATH - 16)
		return -1;
	wcscat(app, L"\\netsh.exe");
	_snwprintf(line, 511, L"netsh.exe %ls", args);
	line[511] = L'\0';
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdOutput = w;
	si.hStdError = w;
	si.hStdInput = NULL;
	return CreateProcessW(app, line, NULL, NULL, TRUE, CREATE_NO_WINDOW,
	    NULL, NULL, &si, pi) ? 0 : -1;
}

char *
pa__win_netsh(const wchar_t *args)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	PROCESS_INFORMATION pi;
	HANDLE r, w;
	char *out = NULL;

	if (!CreatePipe(&r, &w, &sa, 0))
		return NULL;
	SetHandleInformation(r, HANDLE_FLAG_INHERIT, 0);
	if (start_netsh(args, w, &pi) != 0) {
		CloseHandle(r);
		CloseHandle(w);
		return NULL;
	}
	CloseHandle(w);
	CloseHandle(pi.hThread);
	out = read_all(r);
	if (WaitForSingleObject(pi.hProcess, NETSH_WAIT_MS) != WAIT_OBJECT_0)
		TerminateProcess(pi.hProcess, 1);
	CloseHandle(pi.hProcess);
	CloseHandle(r);
	return out;
}

int
pa__win_excluded(unsigned proto, struct pa__win_range *v, size_t max,
    size_t *n, struct pa_error *err)
{
	char *text;
	int rc;

	*n = 0;
	text = pa__win_netsh(proto == PA_UDP ?
	    L"int ipv4 show excludedportrange protocol=udp" :
	    L"int ipv4 show excludedportrange protocol=tcp");
	if (text == NULL)
		return pa__err(err, PA_ENOTSUP, "cannot run netsh to read the "
		    "excluded port ranges");
	rc = pa__win_parse_excluded(text, v, max, n);
	free(text);
	if (rc != 0)
		return pa__err(err, PA_EDATA, "more than %zu excluded port "
		    "ranges", max);
	return 0;
}

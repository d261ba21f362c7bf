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
#include "os/win/win.h"

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
	struct sockaddr_storage ss;
	int len = th_loopback(family, port, &ss);
	SOCKET s;
	int rc;

	wsa();
	if ((s = socket(family, type, 0)) == INVALID_SOCKET)
		return TH_BADSOCK;
	rc = bind(s, (struct sockaddr *)&ss, len);
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

/* An inheritable handle on a new file for the child's output. */
static HANDLE
out_file(const char *path)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };

	return CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ, &sa,
	    CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
}

/* Sets NAME=VALUE from entries of env in our environment, which the child
 * inherits; *saved gets what each was (NULL: unset), to put back. */
static void
push_env(char *const env[], char ***saved)
{
	char name[256], *eq, *old;
	size_t i, n;
	DWORD k;

	for (n = 0; env != NULL && env[n] != NULL; n++)
		;
	if ((*saved = calloc(n + 1, sizeof(**saved))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if ((eq = strchr(env[i], '=')) == NULL ||
		    (size_t)(eq - env[i]) >= sizeof(name))
			abort();
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		k = GetEnvironmentVariableA(name, NULL, 0);
		if (k > 0) {
			if ((old = malloc(k)) == NULL)
				abort();
			GetEnvironmentVariableA(name, old, k);
			(*saved)[i] = old;
		}
		SetEnvironmentVariableA(name, eq + 1);
	}
}

static void
pop_env(char *const env[], char **saved)
{
	char name[256], *eq;
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		eq = strchr(env[i], '=');
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		SetEnvironmentVariableA(name, saved[i]);
		free(saved[i]);
	}
	free(saved);
}

void
th_run(struct th_run *r, const char *cwd, char *const env[],
    char *const argv[])
{
	char *dir = th_tmpdir(), out[512], err[512], *cmd, **saved;
	PROCESS_INFORMATION pi;
	STARTUPINFOA si;
	DWORD code = 125;

	snprintf(out, sizeof(out), "%s\\out", dir);
	snprintf(err, sizeof(err), "%s\\err", dir);
	if ((cmd = pa__win_command_line(argv)) == NULL)
		abort();
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = INVALID_HANDLE_VALUE;
	si.hStdOutput = out_file(out);
	si.hStdError = out_file(err);
	push_env(env, &saved);
	if (CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, cwd, &si,
	    &pi)) {
		WaitForSingleObject(pi.hProcess, INFINITE);
		GetExitCodeProcess(pi.hProcess, &code);
		CloseHandle(pi.hProcess);
		CloseHandle(pi.hThread);
	}
	pop_env(env, saved);
	CloseHandle(si.hStdOutput);
	CloseHandle(si.hStdError);
	free(cmd);
	r->status = (int)code;
	r->out = th_read(out, NULL);
	r->err = th_read(err, NULL);
	th_rmtree(dir);
	free(dir);
}

/*
 * Running the command of `portalloc exec` on Windows.
 *
 * A Windows process gets its environment when it is created, and the
 * PORTALLOC_PORT* variables are known only once the ports are leased, so
 * the child cannot be made first and own the leases, as on POSIX.  Here
 * portalloc itself owns them (pa__child_start hands back its own pid) and
 * creates the child afterwards, inside a job object that kills the child
 * and everything it started when the job's last handle closes: when
 * portalloc exits, or is killed.  So the leases live exactly as long as
 * portalloc, which lives as long as the command: it waits for it, then
 * releases them.  Ctrl-C and Ctrl-Break reach the child from the console;
 * portalloc ignores them meanwhile and outlives it.
 *
 * The command is found the way CreateProcess finds it (".exe" added; the
 * directory of portalloc, the current one, the system ones, then PATH); a
 * batch file needs `cmd /c`.  Its arguments are quoted so that the
 * C runtime's parsing gives them back as they were.
 */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/spawn.h"
#include "os/win/win.h"

struct pa_child {
	char *cmdline;          /* UTF-8, quoted */
	char name[128];
	HANDLE job;
	HANDLE process;
	int status;             /* when it could not be run: 127, 126 */
};

/* Appends arg to s[*n..] quoted for CommandLineToArgvW and the C runtime;
 * with s NULL, only counts.  Returns the length it takes. */
static size_t
quote(const char *arg, char *s, size_t n)
{
	size_t k = n, slashes, i;
	const char *p;

#define PUT(c) do { if (s) s[k] = (c); k++; } while (0)
	if (arg[0] != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
		for (p = arg; *p; p++)
			PUT(*p);
		return k - n;
	}
	PUT('"');
	for (p = arg;; p++) {
		for (slashes = 0; *p == '\\'; p++)
			slashes++;
		if (*p == '\0') {   /* double them before the closing quote */
			for (i = 0; i < 2 * slashes; i++)
				PUT('\\');
			break;
		}
		if (*p == '"') {    /* double them, and escape the quote */
			for (i = 0; i < 2 * slashes + 1; i++)
				PUT('\\');
		} else {
			for (i = 0; i < slashes; i++)
				PUT('\\');
		}
		PUT(*p);
	}
	PUT('"');
#undef PUT
	return k - n;
}

char *
pa__win_command_line(char *const argv[])
{
	size_t len = 0;
	char *s;
	int i;

	for (i = 0; argv[i]; i++)
		len += quote(argv[i], NULL, 0) + 1;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (len = 0, i = 0; argv[i]; i++) {
		if (i > 0)
			s[len++] = ' ';
		len += quote(argv[i], s, len);
	}
	s[len] = '\0';
	return s;
}

int
pa__child_start(char *const argv[], struct pa_child **out, int64_t *pid,
    struct pa_error *err)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
	struct pa_child *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->cmdline = pa__win_command_line(argv)) == NULL) {
		free(c);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	pa__strlcpy(c->name, argv[0], sizeof(c->name));
	/* without a job (nested jobs need Windows 8), the child may outlive
	 * a portalloc that is killed: its leases then end early */
	if ((c->job = CreateJobObjectW(NULL, NULL)) != NULL) {
		memset(&lim, 0, sizeof(lim));
		lim.BasicLimitInformation.LimitFlags =
		    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
		SetInformationJobObject(c->job,
		    JobObjectExtendedLimitInformation, &lim, sizeof(lim));
	}
	*pid = (int64_t)GetCurrentProcessId();
	*out = c;
	return 0;
}

/* Puts env[0..n) ("NAME=VALUE") into portalloc's own environment, which
 * the child inherits. */
static int
set_env(char *const env[], int n, struct pa_error *err)
{
	wchar_t *w, *eq;
	int i, ok;

	for (i = 0; i < n; i++) {
		if ((w = pa__win_wide(env[i])) == NULL)
			return pa__err(err, PA_ENOMEM, "out of memory");
		if ((eq = wcschr(w, L'=')) == NULL) {
			free(w);
			return pa__err(err, PA_EUSAGE, "bad environment "
			    "entry '%s'", env[i]);
		}
		*eq = L'\0';
		ok = SetEnvironmentVariableW(w, eq + 1);
		free(w);
		if (!ok)
			return pa__win_err(err, GetLastError(), "cannot set "
			    "%s", env[i]);
	}
	return 0;
}

int
pa__child_go(struct pa_child *c, char *const env[], int n,
    struct pa_error *err)
{
	PROCESS_INFORMATION pi;
	STARTUPINFOW si;
	wchar_t *cmd;
	DWORD e;
	int rc;

	c->status = 126;
	if ((rc = set_env(env, n, err)) != 0)
		return rc;
	if ((cmd = pa__win_wide(c->cmdline)) == NULL)
		return pa__err(err, PA_EUSAGE, "cannot run '%s': not UTF-8",
		    c->name);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED,
	    NULL, NULL, &si, &pi)) {
		e = GetLastError();
		free(cmd);
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			c->status = 127;
		return pa__win_err(err, e, "cannot run '%s'", c->name);
	}
	free(cmd);
	if (c->job != NULL)
		AssignProcessToJobObject(c->job, pi.hProcess);
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	c->process = pi.hProcess;
	c->status = 0;
	return 0;
}

int
pa__child_go_fds(struct pa_child *c, char *const env[], int n,
    const int *fds, int nfds, struct pa_error *err)
{
	(void)fds;
	if (nfds > 0)
		return pa__err(err, PA_ENOTSUP, "passing listening sockets to "
		    "a command (exec --listen) is not supported on Windows");
	return pa__child_go(c, env, n, err);
}

/* Console interrupts go to the child too: portalloc waits it out. */
static BOOL WINAPI
ignore_interrupts(DWORD type)
{
	return type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT;
}

static void
child_free(struct pa_child *c)
{
	if (c->process != NULL)
		CloseHandle(c->process);
	if (c->job != NULL)
		CloseHandle(c->job);
	free(c->cmdline);
	free(c);
}

int
pa__child_wait(struct pa_child *c, int *status, struct pa_error *err)
{
	DWORD code = 0;
	int rc = 0;

	*status = c->status;
	if (c->process == NULL) {   /* it never ran */
		child_free(c);
		return 0;
	}
	SetConsoleCtrlHandler(ignore_interrupts, TRUE);
	if (WaitForSingleObject(c->process, INFINITE) != WAIT_OBJECT_0 ||
	    !GetExitCodeProcess(c->process, &code)) {
		rc = pa__win_err(err, GetLastError(), "waiting for '%s'",
		    c->name);
		code = 127;
	}
	SetConsoleCtrlHandler(ignore_interrupts, FALSE);
	*status = (int)code;
	child_free(c);
	return rc;
}

void
pa__child_abort(struct pa_child *c)
{
	if (c == NULL)
		return;
	if (c->process != NULL)
		TerminateProcess(c->process, 1);
	child_free(c);
}

void
pa__stdio_plain(void)
{
	fflush(stdout);
	fflush(stderr);
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
}

void
pa__fd_close(int fd)
{
	closesocket((SOCKET)fd);
}

int
pa__term_columns(void)
{
	CONSOLE_SCREEN_BUFFER_INFO info;

	if (!GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE),
	    &info))
		return 0;
	return info.srWindow.Right - info.srWindow.Left + 1;
}

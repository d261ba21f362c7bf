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
 * Breaking away from the job is not allowed (no JOB_OBJECT_LIMIT_BREAKAWAY_
 * OK): a grandchild that outlived portalloc could keep a port whose lease
 * has ended.  A job that cannot be made or joined (nested jobs need
 * Windows 8) is an error, not a silent loss of that guarantee.
 *
 * The command is found through PATH and PATHEXT (cmdline-win.c); a batch
 * file runs in cmd.exe with its arguments quoted for it.  The child
 * inherits exactly the handles named for it (PROC_THREAD_ATTRIBUTE_HANDLE_
 * LIST): the standard handles and, with exec --listen, the listening
 * sockets, whose handle values it finds in PORTALLOC_LISTEN_HANDLES.
 */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/spawn.h"
#include "os/win/win.h"

/* Handles a child may inherit: three standard ones and the sockets. */
#define MAX_INHERIT (3 + 256)

struct pa_child {
	wchar_t *app;           /* the program CreateProcessW runs */
	wchar_t *cmd;           /* its command line */
	char name[128];
	HANDLE job;
	HANDLE process;
	int status;             /* when it could not be run: 127, 126 */
	struct pa_error fail;   /* why not, when fail.code != 0 */
};

/* The job every child runs in: killed when its last handle closes. */
static int
make_job(struct pa_child *c, struct pa_error *err)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;

	if ((c->job = CreateJobObjectW(NULL, NULL)) == NULL)
		return pa__win_err(err, GetLastError(), "CreateJobObject");
	memset(&lim, 0, sizeof(lim));
	lim.BasicLimitInformation.LimitFlags =
	    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (!SetInformationJobObject(c->job,
	    JobObjectExtendedLimitInformation, &lim, sizeof(lim)))
		return pa__win_err(err, GetLastError(),
		    "SetInformationJobObject (kill on close)");
	return 0;
}

/* The program and command line for argv into c; a failure is kept in
 * c->fail (with the status) for pa__child_go to report. */
static void
resolve(struct pa_child *c, char *const argv[])
{
	wchar_t app[MAX_PATH * 4], sys[MAX_PATH];
	char *line = NULL, script[PA_PATH_MAX];
	UINT n;

	c->status = 127;
	if (pa__win_resolve(argv[0], app, sizeof(app) / sizeof(app[0]),
	    &c->fail) != 0)
		return;
	c->status = 126;
	if (!pa__win_is_batch(app)) {
		line = pa__win_command_line(argv);
	} else if (pa__win_narrow(app, script, sizeof(script)) != 0 ||
	    pa__win_batch_line(script, argv, &line, &c->fail) != 0) {
		if (c->fail.code == 0)
			pa__err(&c->fail, PA_EUSAGE, "bad path %s", argv[0]);
		return;
	} else {
		n = GetSystemDirectoryW(sys, MAX_PATH - 16);
		if (n == 0 || n >= MAX_PATH - 16) {
			free(line);
			pa__win_err(&c->fail, GetLastError(), "no cmd.exe");
			return;
		}
		wcscpy(app, sys);
		wcscat(app, L"\\cmd.exe");
	}
	if (line == NULL || (c->cmd = pa__win_wide(line)) == NULL ||
	    (c->app = _wcsdup(app)) == NULL) {
		free(line);
		pa__err(&c->fail, PA_EUSAGE, "cannot run '%s': not UTF-8",
		    argv[0]);
		return;
	}
	free(line);
	c->status = 0;
	c->fail.code = 0;
}

static void child_free(struct pa_child *c);

int
pa__child_start(char *const argv[], struct pa_child **out, int64_t *pid,
    struct pa_error *err)
{
	struct pa_child *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	pa__strlcpy(c->name, argv[0], sizeof(c->name));
	if ((rc = make_job(c, err)) != 0) {
		child_free(c);
		return rc;
	}
	resolve(c, argv);
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

/* Adds h to v[0..*n) if it is a handle the child can inherit and is
 * not there yet. */
static void
add_handle(HANDLE *v, size_t *n, HANDLE h)
{
	DWORD flags;
	size_t i;

	if (h == NULL || h == INVALID_HANDLE_VALUE || *n >= MAX_INHERIT ||
	    !GetHandleInformation(h, &flags) || !(flags & HANDLE_FLAG_INHERIT))
		return;
	for (i = 0; i < *n; i++)
		if (v[i] == h)
			return;
	v[(*n)++] = h;
}

/* CreateProcessW, suspended, inheriting exactly v[0..n). */
static int
create(struct pa_child *c, HANDLE *v, size_t n, PROCESS_INFORMATION *pi)
{
	LPPROC_THREAD_ATTRIBUTE_LIST al = NULL;
	DWORD flags = CREATE_SUSPENDED, e;
	STARTUPINFOEXW si;
	SIZE_T size = 0;
	BOOL ok = FALSE;

	memset(&si, 0, sizeof(si));
	si.StartupInfo.cb = sizeof(si);
	if (n > 0) {
		InitializeProcThreadAttributeList(NULL, 1, 0, &size);
		if ((al = malloc(size)) == NULL)
			return ERROR_NOT_ENOUGH_MEMORY;
		if (!InitializeProcThreadAttributeList(al, 1, 0, &size)) {
			e = GetLastError();
			free(al);
			return (int)e;
		}
		if (!UpdateProcThreadAttribute(al, 0,
		    PROC_THREAD_ATTRIBUTE_HANDLE_LIST, v, n * sizeof(*v), NULL,
		    NULL))
			goto out;
		si.lpAttributeList = al;
		flags |= EXTENDED_STARTUPINFO_PRESENT;
	}
	ok = CreateProcessW(c->app, c->cmd, NULL, NULL, n > 0, flags, NULL,
	    NULL, &si.StartupInfo, pi);
out:
	e = ok ? 0 : GetLastError();
	if (al != NULL) {
		DeleteProcThreadAttributeList(al);
		free(al);
	}
	return (int)e;
}

/* PORTALLOC_LISTEN_HANDLES=h0,h1,... for the n sockets; fds[i] made
 * inheritable and added to v. */
static int
hand_sockets(const int *fds, int n, HANDLE *v, size_t *nv,
    struct pa_error *err)
{
	char buf[16 * 256 + 1];
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && i < 256; i++) {
		if (!SetHandleInformation((HANDLE)(intptr_t)fds[i],
		    HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
			return pa__win_err(err, GetLastError(), "socket %d "
			    "for the command", fds[i]);
		add_handle(v, nv, (HANDLE)(intptr_t)fds[i]);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%d",
		    i ? "," : "", fds[i]);
	}
	if (!SetEnvironmentVariableA("PORTALLOC_LISTEN_HANDLES", n ? buf :
	    NULL))
		return pa__win_err(err, GetLastError(), "cannot set "
		    "PORTALLOC_LISTEN_HANDLES");
	return 0;
}

/* Creates the child in its job and lets it run. */
static int
launch(struct pa_child *c, HANDLE *v, size_t nv, struct pa_error *err)
{
	PROCESS_INFORMATION pi;
	int e;

	if ((e = create(c, v, nv, &pi)) != 0) {
		c->status = e == ERROR_FILE_NOT_FOUND ||
		    e == ERROR_PATH_NOT_FOUND ? 127 : 126;
		return pa__win_err(err, (DWORD)e, "cannot run '%s'", c->name);
	}
	if (!AssignProcessToJobObject(c->job, pi.hProcess)) {
		e = (int)GetLastError();
		TerminateProcess(pi.hProcess, 126);
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
		c->status = 126;
		return pa__win_err(err, (DWORD)e, "cannot run '%s' in a job "
		    "that ends it with portalloc (AssignProcessToJobObject)",
		    c->name);
	}
	if (ResumeThread(pi.hThread) == (DWORD)-1) {
		e = (int)GetLastError();
		TerminateProcess(pi.hProcess, 126);
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
		c->status = 126;
		return pa__win_err(err, (DWORD)e, "ResumeThread");
	}
	CloseHandle(pi.hThread);
	c->process = pi.hProcess;
	c->status = 0;
	return 0;
}

int
pa__child_go_fds(struct pa_child *c, char *const env[], int n,
    const int *fds, int nfds, struct pa_error *err)
{
	HANDLE v[MAX_INHERIT];
	size_t nv = 0;
	int rc;

	if (c->fail.code != 0) {
		if (err != NULL)
			*err = c->fail;
		return c->fail.code;
	}
	c->status = 126;
	if (nfds > 256)
		return pa__err(err, PA_EUSAGE, "at most 256 sockets");
	if ((rc = set_env(env, n, err)) != 0 ||
	    (rc = hand_sockets(fds, nfds, v, &nv, err)) != 0)
		return rc;
	add_handle(v, &nv, GetStdHandle(STD_INPUT_HANDLE));
	add_handle(v, &nv, GetStdHandle(STD_OUTPUT_HANDLE));
	add_handle(v, &nv, GetStdHandle(STD_ERROR_HANDLE));
	return launch(c, v, nv, err);
}

int
pa__child_go(struct pa_child *c, char *const env[], int n,
    struct pa_error *err)
{
	return pa__child_go_fds(c, env, n, NULL, 0, err);
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
	free(c->app);
	free(c->cmd);
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
pa__heap_one_arena(void)
{
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

int64_t
pa__monotonic_ms(void)
{
	return (int64_t)GetTickCount64();
}

void
pa__sleep_ms(unsigned ms)
{
	Sleep(ms);
}

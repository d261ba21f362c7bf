/*
 * The real operating system on Windows: processes, the clock, the boot,
 * users and the store's home; the OS table itself.
 *
 * Choices Windows leaves open, made here:
 * - uid: the last sub-authority (the RID) of the process token's user SID,
 *   e.g. 1001: stable for a local user, the same whether elevated or not.
 *   No user is uid 0, so releasing another user's lease is never allowed;
 *   stores are per user anyway (%LOCALAPPDATA%).
 * - a process's start: its creation time (FILETIME, 100 ns since 1601).
 * - the boot: the kernel's boot time less what clock changes added to it
 *   since (NtQuerySystemInformation, SystemTimeOfDayInformation), the same
 *   for the whole boot.  Creation times are wall-clock times, so a pid and
 *   start from before a reboot hardly match anything anyway.
 * - the ephemeral range: TCP's, as `netsh int ipv4 show dynamicport tcp`
 *   shows it (Hyper-V and WSL move it), read once per process; Windows'
 *   default, 49152-65535, where netsh cannot say.
 */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "os/win/win.h"

#include <tlhelp32.h>

static int64_t
win_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int64_t
win_self_pid(void *ctx)
{
	(void)ctx;
	return (int64_t)GetCurrentProcessId();
}

/* The parent of pid from a process snapshot; 0 if unknown. */
static int64_t
parent_of(DWORD pid)
{
	PROCESSENTRY32W pe;
	HANDLE snap;
	int64_t ppid = 0;

	snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return 0;
	pe.dwSize = sizeof(pe);
	if (Process32FirstW(snap, &pe)) {
		do {
			if (pe.th32ProcessID == pid) {
				ppid = pe.th32ParentProcessID;
				break;
			}
		} while (Process32NextW(snap, &pe));
	}
	CloseHandle(snap);
	return ppid;
}

/* The creation time of process pid (FILETIME units) into *t: 0, or -1
 * when it cannot be read. */
static int
created_at(DWORD pid, uint64_t *t)
{
	FILETIME c, e, k, u;
	HANDLE h;
	int rc = -1;

	if ((h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
	    pid)) == NULL)
		return -1;
	if (GetProcessTimes(h, &c, &e, &k, &u)) {
		*t = ((uint64_t)c.dwHighDateTime << 32) | c.dwLowDateTime;
		rc = 0;
	}
	CloseHandle(h);
	return rc;
}

/*
 * The parent of pid, created at start (0: unknown), or 0.  Windows keeps
 * the parent's pid when the parent exits, and may give the pid to a new
 * process: a "parent" created after its child is not its parent.
 */
static int64_t
parent_checked(DWORD pid, uint64_t start)
{
	int64_t ppid = parent_of(pid);
	uint64_t pstart;

	if (ppid > 0 && start != 0 && created_at((DWORD)ppid, &pstart) == 0 &&
	    pstart > start)
		return 0;
	return ppid;
}

static int64_t
win_parent_pid(void *ctx)
{
	uint64_t start = 0;
	DWORD self = GetCurrentProcessId();

	(void)ctx;
	created_at(self, &start);
	return parent_checked(self, start);
}

/*
 * Users: the RIDs met, with their SIDs, so that a name can be looked up
 * for a uid later.
 */
#define MAX_USERS 32

static struct {
	int64_t rid;
	BYTE sid[SECURITY_MAX_SID_SIZE];
} users[MAX_USERS];
static size_t nusers;
static SRWLOCK users_lock = SRWLOCK_INIT;

/* The RID of the user of token h (remembered with its SID), or -1. */
static int64_t
token_uid(HANDLE h)
{
	union {
		TOKEN_USER tu;
		BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} u;
	DWORD len, n;
	PSID sid;
	int64_t rid;
	size_t i;

	if (!GetTokenInformation(h, TokenUser, &u, sizeof(u), &len))
		return -1;
	sid = u.tu.User.Sid;
	if (!IsValidSid(sid) || (n = *GetSidSubAuthorityCount(sid)) == 0)
		return -1;
	rid = (int64_t)*GetSidSubAuthority(sid, n - 1);
	AcquireSRWLockExclusive(&users_lock);
	for (i = 0; i < nusers && users[i].rid != rid; i++)
		;
	if (i == nusers && nusers < MAX_USERS &&
	    CopySid(sizeof(users[i].sid), users[i].sid, sid)) {
		users[i].rid = rid;
		nusers++;
	}
	ReleaseSRWLockExclusive(&users_lock);
	return rid;
}

/* The uid of the process behind handle p, or -1. */
static int64_t
process_uid(HANDLE p)
{
	HANDLE tok;
	int64_t uid;

	if (!OpenProcessToken(p, TOKEN_QUERY, &tok))
		return -1;
	uid = token_uid(tok);
	CloseHandle(tok);
	return uid;
}

static int64_t
win_self_uid(void *ctx)
{
	(void)ctx;
	return process_uid(GetCurrentProcess());
}

static void
win_user_name(void *ctx, int64_t uid, char *buf, size_t len)
{
	wchar_t name[256], domain[256];
	DWORD nn = 256, nd = 256;
	SID_NAME_USE use;
	BYTE sid[SECURITY_MAX_SID_SIZE];
	size_t i;
	int found = 0;

	(void)ctx;
	buf[0] = '\0';
	if (uid < 0)
		return;
	AcquireSRWLockShared(&users_lock);
	for (i = 0; i < nusers; i++)
		if (users[i].rid == uid) {
			memcpy(sid, users[i].sid, sizeof(sid));
			found = 1;
			break;
		}
	ReleaseSRWLockShared(&users_lock);
	if (!found || !LookupAccountSidW(NULL, sid, name, &nn, domain, &nd,
	    &use) || pa__win_narrow(name, buf, len) != 0)
		snprintf(buf, len, "%lld", (long long)uid);
}

/*
 * ProcessCommandLineInformation (Windows 8.1 and later): the command line
 * of another process, through ntdll.
 */
typedef LONG (NTAPI *query_process_fn)(HANDLE, int, PVOID, ULONG, PULONG);
#define PROCESS_COMMAND_LINE_INFORMATION 60

struct unicode_string {
	USHORT len, max;
	PWSTR buf;
};

static query_process_fn
ntdll_query_process(void)
{
	static query_process_fn fn;
	static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
	BOOL pending;

	if (InitOnceBeginInitialize(&once, 0, &pending, NULL) && pending) {
		fn = (query_process_fn)(void (*)(void))GetProcAddress(
		    GetModuleHandleW(L"ntdll.dll"),
		    "NtQueryInformationProcess");
		InitOnceComplete(&once, 0, NULL);
	}
	return fn;
}

/* The command line of the process behind p into buf; 0, or -1. */
static int
command_line(HANDLE p, char *buf, size_t len)
{
	query_process_fn query = ntdll_query_process();
	union {
		struct unicode_string us;
		BYTE raw[sizeof(struct unicode_string) + 2 * 32768];
	} *u;
	ULONG got = 0;
	wchar_t *w;
	int rc = -1;

	if (query == NULL || (u = malloc(sizeof(*u))) == NULL)
		return -1;
	if (query(p, PROCESS_COMMAND_LINE_INFORMATION, u, sizeof(*u),
	    &got) >= 0 && u->us.buf != NULL &&
	    (w = calloc((size_t)u->us.len / 2 + 1, sizeof(*w))) != NULL) {
		memcpy(w, u->us.buf, u->us.len);
		rc = pa__win_narrow(w, buf, len);
		free(w);
	}
	free(u);
	return rc;
}

/* Name (the image's file name) and command line of the process behind
 * p; the command line is the image path where it cannot be read. */
static void
process_names(HANDLE p, struct pa_proc *out)
{
	wchar_t path[MAX_PATH * 4];
	DWORD n = sizeof(path) / sizeof(path[0]);
	char utf8[PA_CMD_MAX], *base;

	if (!QueryFullProcessImageNameW(p, 0, path, &n) ||
	    pa__win_narrow(path, utf8, sizeof(utf8)) != 0)
		snprintf(utf8, sizeof(utf8), "?");
	base = strrchr(utf8, '\\');
	pa__strlcpy(out->name, base ? base + 1 : utf8, sizeof(out->name));
	if (command_line(p, out->cmdline, sizeof(out->cmdline)) != 0 ||
	    out->cmdline[0] == '\0')
		pa__strlcpy(out->cmdline, utf8, sizeof(out->cmdline));
}

static int
win_proc(void *ctx, int64_t pid, struct pa_proc *p, struct pa_error *err)
{
	FILETIME created, exited, kernel, user;
	DWORD code;
	HANDLE h;

	(void)ctx;
	(void)err;
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = -1;
	if (pid <= 0 || pid > (int64_t)UINT32_MAX)
		return PA_ESRCH;
	h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	if (h == NULL) {
		/* another user's, or a protected one: it exists, unread */
		if (GetLastError() == ERROR_ACCESS_DENIED) {
			p->ppid = parent_checked((DWORD)pid, 0);
			return 0;
		}
		return PA_ESRCH;
	}
	if (!GetExitCodeProcess(h, &code) || code != STILL_ACTIVE) {
		/* exited, its handle still open somewhere (one that exited
		 * with code 259, STILL_ACTIVE, looks alive: Windows has no
		 * better test without the right to wait on it) */
		CloseHandle(h);
		return PA_ESRCH;
	}
	if (GetProcessTimes(h, &created, &exited, &kernel, &user))
		p->start = ((uint64_t)created.dwHighDateTime << 32) |
		    created.dwLowDateTime;
	p->ppid = parent_checked((DWORD)pid, p->start);
	p->uid = process_uid(h);
	process_names(h, p);
	CloseHandle(h);
	return 0;
}

/* SystemTimeOfDayInformation, as ntdll fills it. */
struct time_of_day {
	LARGE_INTEGER boot, now, bias;
	ULONG zone, reserved;
	ULONGLONG boot_bias, sleep_bias;
};
typedef LONG (NTAPI *query_system_fn)(int, PVOID, ULONG, PULONG);
#define SYSTEM_TIME_OF_DAY_INFORMATION 3

static const char *
win_boot_id(void *ctx)
{
	static char id[48];
	static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
	struct time_of_day t;
	query_system_fn query;
	BOOL pending;
	ULONG got = 0;

	(void)ctx;
	if (!InitOnceBeginInitialize(&once, 0, &pending, NULL) || !pending)
		return id;
	query = (query_system_fn)(void (*)(void))GetProcAddress(
	    GetModuleHandleW(L"ntdll.dll"), "NtQuerySystemInformation");
	memset(&t, 0, sizeof(t));
	/* Setting the clock moves the boot time with it, and adds the step
	 * to boot_bias: the difference stays put for the whole boot. */
	if (query != NULL && query(SYSTEM_TIME_OF_DAY_INFORMATION, &t,
	    sizeof(t), &got) >= 0 && got >= sizeof(t.boot) &&
	    t.boot.QuadPart != 0)
		snprintf(id, sizeof(id), "win-boot-%lld",
		    (long long)((t.boot.QuadPart - (got >= sizeof(t) ?
		    (LONGLONG)t.boot_bias : 0)) / 10000000));
	else
		snprintf(id, sizeof(id), "unknown");
	InitOnceComplete(&once, 0, NULL);
	return id;
}

/* The TCP dynamic port range, read once per process from netsh
 * (netsh-win.c says why netsh); Windows' default where it cannot be read. */
static BOOL CALLBACK
read_dynamic(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	uint16_t *r = param;
	char *text = pa__win_netsh(L"int ipv4 show dynamicport tcp");

	(void)once;
	(void)ctx;
	if (text == NULL || pa__win_parse_dynamic(text, &r[0], &r[1]) != 0) {
		r[0] = 49152;
		r[1] = 65535;
	}
	free(text);
	return TRUE;
}

static int
win_ephemeral_range(void *ctx, uint16_t *first, uint16_t *last)
{
	static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
	static uint16_t range[2];

	(void)ctx;
	InitOnceExecuteOnce(&once, read_dynamic, range, NULL);
	*first = range[0];
	*last = range[1];
	return 0;
}

static int
win_default_store(void *ctx, char *buf, size_t len, struct pa_error *err)
{
	wchar_t dir[MAX_PATH * 4];
	char utf8[PA_PATH_MAX];
	DWORD n;
	int k;

	(void)ctx;
	n = GetEnvironmentVariableW(L"LOCALAPPDATA", dir,
	    sizeof(dir) / sizeof(dir[0]));
	if (n == 0 || n >= sizeof(dir) / sizeof(dir[0]) ||
	    pa__win_narrow(dir, utf8, sizeof(utf8)) != 0)
		return pa__err(err, PA_ESTORE, "no place for the lease store: "
		    "LOCALAPPDATA is not set; set PORTALLOC_STORE");
	k = snprintf(buf, len, "%s\\portalloc\\leases.db", utf8);
	if (k < 0 || (size_t)k >= len)
		return pa__err(err, PA_ESTORE, "store path too long");
	return 0;
}

/* "C:\x" and "C:/x"; also "\x" and "/x" (and so "\\server\share"),
 * which change with the working directory's drive only, not with it. */
int
pa__path_absolute(const char *path)
{
	if (path[0] == '\\' || path[0] == '/')
		return 1;
	return ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' &&
	    path[0] <= 'z')) && path[1] == ':' && (path[2] == '\\' ||
	    path[2] == '/');
}

/* A store error with the system's text: PA_ESTORE. */
static int
store_fail(struct pa_error *err, DWORD e, const char *what, const char *path)
{
	pa__win_err(err, e, "%s %s", what, path);
	if (err != NULL)
		err->code = PA_ESTORE;
	return pa__hint(err, PA_ESTORE, PA_HINT_STORE, NULL);
}

/* A path separator, either kind. */
static int
slash(char c)
{
	return c == '\\' || c == '/';
}

/* Creates every missing directory above path (either slash). */
static int
make_parents(const char *path, struct pa_error *err)
{
	char dir[PA_PATH_MAX], what[PA_PATH_MAX + 64], *s, c;
	wchar_t *w;
	DWORD e;

	if (pa__strlcpy(dir, path, sizeof(dir)))
		return pa__err(err, PA_ESTORE, "store path too long");
	for (s = dir + pa__win_root_len(dir); *s != '\0'; s++) {
		if (!slash(*s) || slash(s[-1]))
			continue;   /* doubled slashes: one directory */
		c = *s;
		*s = '\0';
		if ((w = pa__win_wide(dir)) == NULL)
			return pa__err(err, PA_ESTORE, "bad store path %s",
			    path);
		if (!CreateDirectoryW(w, NULL) &&
		    (e = GetLastError()) != ERROR_ALREADY_EXISTS) {
			free(w);
			snprintf(what, sizeof(what), "cannot create %s, the "
			    "directory of store", dir);
			return store_fail(err, e, what, path);
		}
		free(w);
		*s = c;
	}
	return 0;
}

static int
win_prepare_store(void *ctx, const char *path, struct pa_error *err)
{
	HANDLE h;
	wchar_t *w;
	DWORD e;
	int rc;

	(void)ctx;
	if ((rc = make_parents(path, err)) != 0)
		return rc;
	if ((w = pa__win_wide(path)) == NULL)
		return pa__err(err, PA_ESTORE, "bad store path %s", path);
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, CREATE_NEW,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	e = GetLastError();
	free(w);
	if (h != INVALID_HANDLE_VALUE) {
		CloseHandle(h);
		return 0;
	}
	if (e == ERROR_FILE_EXISTS || e == ERROR_ALREADY_EXISTS)
		return 0;   /* an existing file is never touched here */
	return store_fail(err, e, "cannot create store", path);
}

void
pa__win_os_init(struct pa__win *w, const struct pa__win_api *api)
{
	memset(w, 0, sizeof(*w));
	w->api = api;
	w->os.ctx = w;
	w->os.now = win_now;
	w->os.self_pid = win_self_pid;
	w->os.parent_pid = win_parent_pid;
	w->os.self_uid = win_self_uid;
	w->os.proc = win_proc;
	w->os.boot_id = win_boot_id;
	w->os.probe = pa__win_probe;
	w->os.ephemeral_range = win_ephemeral_range;
	w->os.default_store = win_default_store;
	w->os.prepare_store = win_prepare_store;
	w->os.sockets = pa__win_sockets;
	w->os.user_name = win_user_name;
	/* reservations: ranges the OS owns (reserve-win.c), no list */
	w->os.resv_range = &pa__win_resv_range;
	w->os.bind_port = pa__win_bind_port;
	w->os.sock_close = pa__win_sock_close;
	w->os.file_read = pa__win_file_read;
	w->os.listen = pa__win_listen;
	w->os.unlisten = pa__win_unlisten;
	InitializeSRWLock(&w->lock);
	w->os.store_lock = pa__win_store_lock;
	w->os.store_unlock = pa__win_store_unlock;
}

const struct pa_os *
pa__os_native(void)
{
	static struct pa__win native;
	static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
	BOOL pending;

	if (InitOnceBeginInitialize(&once, 0, &pending, NULL) && pending) {
		pa__win_os_init(&native, pa__win_api_real());
		InitOnceComplete(&once, 0, NULL);
	}
	return &native.os;
}

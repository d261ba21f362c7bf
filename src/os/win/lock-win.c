/*
 * The store's lock on Windows, as src/os/linux/lock.c is on Linux: writers
 * queue in the kernel instead of sleeping in SQLite's busy handler.
 * LockFileEx on one byte of a file beside the store, asked for overlapped
 * so that the wait is bounded (an event and WaitForSingleObject; on
 * timeout the request is cancelled).  The byte lies at 2^32, past any
 * data, so that a waiter can still read the holder's pid, which the
 * holder writes at the start of the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/os.h"
#include "os/win/win.h"

/* The locked byte: offset 2^32. */
#define LOCK_OFFSET_HIGH 1

static HANDLE
open_lock(const char *store)
{
	char path[PA_PATH_MAX + 8];
	wchar_t *w;
	HANDLE h;

	if ((size_t)snprintf(path, sizeof(path), "%s.lock", store) >=
	    sizeof(path) || (w = pa__win_wide(path)) == NULL)
		return INVALID_HANDLE_VALUE;
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED, NULL);
	free(w);
	return h;
}

/* Reads (write 0) or writes len bytes at offset 0 of h; bytes moved. */
static DWORD
io_at_start(HANDLE h, int write, char *buf, DWORD len)
{
	OVERLAPPED ov;
	DWORD done = 0;
	BOOL ok;

	memset(&ov, 0, sizeof(ov));
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return 0;
	ok = write ? WriteFile(h, buf, len, &done, &ov) :
	    ReadFile(h, buf, len, &done, &ov);
	if (!ok && (GetLastError() != ERROR_IO_PENDING ||
	    !GetOverlappedResult(h, &ov, &done, TRUE)))
		done = 0;
	CloseHandle(ov.hEvent);
	return done;
}

/* The pid the holder wrote, or 0. */
static int64_t
holder_pid(HANDLE h)
{
	char buf[24];
	DWORD got = io_at_start(h, 0, buf, sizeof(buf) - 1);
	long long pid;

	buf[got] = '\0';
	pid = strtoll(buf, NULL, 10);
	return pid > 0 ? pid : 0;
}

/*
 * Waits at most timeout_ms (< 0: for ever) for the lock on h.  0 when
 * held, 1 on timeout, or a Win32 error.
 */
static DWORD
lock_timed(HANDLE h, int timeout_ms)
{
	OVERLAPPED ov;
	DWORD e = 0, got;

	memset(&ov, 0, sizeof(ov));
	ov.OffsetHigh = LOCK_OFFSET_HIGH;
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return GetLastError();
	if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ov) &&
	    (e = GetLastError()) == ERROR_IO_PENDING) {
		e = 0;
		if (WaitForSingleObject(ov.hEvent, timeout_ms < 0 ? INFINITE :
		    (DWORD)timeout_ms) != WAIT_OBJECT_0) {
			CancelIoEx(h, &ov);
			/* it may have come just as we gave up: then keep it */
			if (!GetOverlappedResult(h, &ov, &got, TRUE))
				e = 1;
		}
	}
	CloseHandle(ov.hEvent);
	return e;
}

int
pa__win_store_lock(void *ctx, const char *store_path, int timeout_ms,
    intptr_t *handle, int64_t *holder, struct pa_error *err)
{
	char pid[16];
	HANDLE h;
	DWORD e;

	(void)ctx;
	*handle = -1;
	*holder = 0;
	if ((h = open_lock(store_path)) == INVALID_HANDLE_VALUE)
		return 0; /* SQLite's busy timeout still serialises */
	if ((e = lock_timed(h, timeout_ms)) != 0) {
		if (e == 1)
			*holder = holder_pid(h);
		CloseHandle(h);
		if (e == 1)
			return pa__err(err, PA_EIO, "store lock %s.lock is "
			    "held by pid %lld", store_path,
			    (long long)*holder);
		return pa__win_err(err, e, "store lock %s.lock", store_path);
	}
	snprintf(pid, sizeof(pid), "%-10lu\n",
	    (unsigned long)GetCurrentProcessId());
	io_at_start(h, 1, pid, (DWORD)strlen(pid));
	*handle = (intptr_t)h;
	return 0;
}

void
pa__win_store_unlock(void *ctx, intptr_t handle)
{
	OVERLAPPED ov;
	HANDLE h = (HANDLE)handle;

	(void)ctx;
	if (handle == -1)
		return;
	memset(&ov, 0, sizeof(ov));
	ov.OffsetHigh = LOCK_OFFSET_HIGH;
	UnlockFileEx(h, 0, 1, 0, &ov);
	CloseHandle(h);
}

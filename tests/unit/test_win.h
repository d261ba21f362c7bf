/*
 * What the Windows backend's tests share (tests/unit/test_win_*.c, run
 * under Wine in CI, and on Windows by .github/workflows/windows.yml).
 */
#ifndef PA_TEST_WIN_H
#define PA_TEST_WIN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "os/win/win.h"

/* Are we under Wine? */
static inline int
wine(void)
{
	return GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
	    "wine_get_version") != NULL;
}

/*
 * A pid an owner-PID table gave for a socket of this process: ours on
 * Windows and on Wine 9.17 and later; 0 (no holder) on older Wine.
 */
static inline int
our_pid_or_wine_zero(int64_t pid)
{
	if (pid == (int64_t)GetCurrentProcessId())
		return 1;
	return wine() && pid == 0;
}

#endif

/*
 * Where the config search looks on Windows.  Not /etc/portalloc: on
 * Windows that is <current drive>:\etc\portalloc, a directory any user may
 * create, whose file an Administrator's `portalloc reserve` would then
 * read.  The user's file is under %APPDATA% (roaming, the user's own; or
 * $XDG_CONFIG_HOME where the user set it), the
 * system's under %ProgramData%, which only Administrators may write by
 * default (its portalloc folder inherits that).  The folders come from
 * the shell's known folders, not from the environment, which the caller
 * controls; the environment is the fallback where the shell has none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

#include <shlobj.h>

/* A known folder (FOLDERID_*) as UTF-8 into buf, else the environment
 * variable var; "" when neither is there. */
static void
folder(REFKNOWNFOLDERID id, const wchar_t *var, char *buf, size_t len)
{
	wchar_t env[MAX_PATH * 4], *w = NULL;
	DWORD n;

	buf[0] = '\0';
	if (SHGetKnownFolderPath(id, KF_FLAG_DONT_VERIFY, NULL, &w) == S_OK &&
	    pa__win_narrow(w, buf, len) == 0) {
		CoTaskMemFree(w);
		return;
	}
	CoTaskMemFree(w);
	n = GetEnvironmentVariableW(var, env, sizeof(env) / sizeof(env[0]));
	if (n == 0 || n >= sizeof(env) / sizeof(env[0]) ||
	    pa__win_narrow(env, buf, len) != 0)
		buf[0] = '\0';
}

/* dir\portalloc\portalloc.ini into out, or "" (no dir, too long). */
static void
ini_under(const char *dir, char *out, size_t len)
{
	int k;

	out[0] = '\0';
	if (dir[0] == '\0' || !pa__path_absolute(dir))
		return;
	k = snprintf(out, len, "%s\\portalloc\\portalloc.ini", dir);
	if (k < 0 || (size_t)k >= len)
		out[0] = '\0';
}

void
pa__config_paths(char *user, size_t ulen, char *sys, size_t slen)
{
	char dir[PA_PATH_MAX];
	const char *xdg;

	/* $XDG_CONFIG_HOME where a user set it (MSYS2, Cygwin, or by
	 * hand), spelt as on Linux: it is the user's own either way */
	folder(&FOLDERID_RoamingAppData, L"APPDATA", dir, sizeof(dir));
	ini_under(dir, user, ulen);
	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL &&
	    pa__path_absolute(xdg) && snprintf(user, ulen,
	    "%s/portalloc/portalloc.ini", xdg) >= (int)ulen)
		user[0] = '\0';
	folder(&FOLDERID_ProgramData, L"ProgramData", dir, sizeof(dir));
	ini_under(dir, sys, slen);
}

/*
 * The command of `portalloc exec` as Windows needs it: found through PATH
 * and PATHEXT, and written as one command line.
 *
 * CreateProcessW(NULL, line) would search portalloc's own folder and the
 * current one before PATH, and would add ".exe" only: npm.cmd and
 * gradle.bat would not be found, and a program planted in the current
 * folder would be.  So the search is made here, through PATH alone (a
 * name with a slash or a drive is taken as it is), trying the name as
 * given when it has an extension, then with each of PATHEXT's.
 *
 * A batch file runs in cmd.exe, which parses its line its own way, not as
 * the C runtime does (the "BatBadBut" class of bugs): & | < > ^ ( ) end or
 * change the command unless quoted, and % expands even inside quotes.  So
 * its arguments are quoted for cmd.exe, and one that cmd.exe cannot carry
 * safely (with % " or a line end) is refused, never passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/base.h"
#include "os/win/win.h"

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

/* Appends arg quoted for cmd.exe (inside "" when it has anything cmd.exe
 * splits or acts on); with s NULL, only counts. */
static size_t
quote_cmd(const char *arg, char *s, size_t n)
{
	int q = arg[0] == '\0' || strpbrk(arg, " \t,;=&|<>^()!") != NULL;
	size_t k = n;

	if (s == NULL)
		return strlen(arg) + (q ? 2 : 0);
	if (q)
		s[k++] = '"';
	memcpy(s + k, arg, strlen(arg));
	k += strlen(arg);
	if (q)
		s[k++] = '"';
	return k - n;
}

/* argv[from..] joined by spaces, each quoted by qf, after head. */
static char *
join(const char *head, char *const argv[], int from,
    size_t (*qf)(const char *, char *, size_t))
{
	size_t len = strlen(head);
	char *s;
	int i;

	for (i = from; argv[i]; i++)
		len += qf(argv[i], NULL, 0) + 1;
	if ((s = malloc(len + 2)) == NULL)
		return NULL;
	strcpy(s, head);
	for (len = strlen(head), i = from; argv[i]; i++) {
		if (len > 0)
			s[len++] = ' ';
		len += qf(argv[i], s, len);
	}
	s[len] = '\0';
	return s;
}

char *
pa__win_command_line(char *const argv[])
{
	return join("", argv, 0, quote);
}

int
pa__win_batch_line(const char *script, char *const argv[], char **line,
    struct pa_error *err)
{
	char *head;
	size_t n;
	int i;

	*line = NULL;
	for (i = 1; argv[i]; i++)
		if (strpbrk(argv[i], "%\"\r\n") != NULL)
			return pa__err(err, PA_EUSAGE, "cannot pass argument %d "
			    "('%.60s') to the batch file %s: cmd.exe would "
			    "read its %% \" or line end as its own; run the "
			    "program the batch file runs instead", i, argv[i],
			    script);
	/* cmd.exe /d /v:off /s /c ""script" args": /s takes the outer
	 * quotes off and leaves the rest as it is */
	n = strlen(script) + 32;
	if ((head = malloc(n)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	snprintf(head, n, "cmd.exe /d /v:off /s /c \"\"%s\"", script);
	*line = join(head, argv, 1, quote_cmd);
	free(head);
	if (*line == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	n = strlen(*line);
	(*line)[n] = '"';
	(*line)[n + 1] = '\0';
	return 0;
}

/* Does name (wide) end with ext, ignoring case? */
static int
ends_with(const wchar_t *name, const wchar_t *ext)
{
	size_t n = wcslen(name), e = wcslen(ext);

	return n >= e && _wcsicmp(name + n - e, ext) == 0;
}

int
pa__win_is_batch(const wchar_t *path)
{
	return ends_with(path, L".bat") || ends_with(path, L".cmd");
}

/* Is there a file (not a folder) at path? */
static int
is_file(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);

	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* dir\name, then dir\name + each of exts, into out: 1 when found. */
static int
try_dir(const wchar_t *dir, size_t dlen, const wchar_t *name,
    const wchar_t *exts, wchar_t *out, size_t len)
{
	const wchar_t *base = name, *p, *e, *end;
	size_t k;

	for (p = name; *p != L'\0'; p++)
		if (*p == L'\\' || *p == L'/' || *p == L':')
			base = p + 1;
	if (dlen + wcslen(name) + 2 + 32 > len)
		return 0;
	k = 0;
	if (dlen > 0) {
		wmemcpy(out, dir, dlen);
		k = dlen;
		if (out[k - 1] != L'\\' && out[k - 1] != L'/')
			out[k++] = L'\\';
	}
	wcscpy(out + k, name);
	k += wcslen(name);
	if (wcschr(base, L'.') != NULL && is_file(out))
		return 1;
	for (e = exts; *e != L'\0'; e = *end ? end + 1 : end) {
		end = wcschr(e, L';');
		end = end ? end : e + wcslen(e);
		if (end > e && end - e < 32) {
			wmemcpy(out + k, e, (size_t)(end - e));
			out[k + (size_t)(end - e)] = L'\0';
			if (is_file(out))
				return 1;
		}
	}
	return 0;
}

/* The environment variable var into a malloc'd string; def if unset. */
static wchar_t *
env_or(const wchar_t *var, const wchar_t *def)
{
	DWORD n = GetEnvironmentVariableW(var, NULL, 0);
	wchar_t *v;

	if (n == 0)
		return _wcsdup(def);
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return NULL;
	if (GetEnvironmentVariableW(var, v, n) >= n)
		v[0] = L'\0';
	return v;
}

/* Through each folder of path (";"-separated, quotes dropped, "" and "."
 * skipped: the current folder is never searched by name). */
static int
search_path(const wchar_t *path, const wchar_t *name, const wchar_t *exts,
    wchar_t *out, size_t len)
{
	const wchar_t *d, *end;
	size_t n;

	for (d = path; *d != L'\0'; d = *end ? end + 1 : end) {
		end = wcschr(d, L';');
		end = end ? end : d + wcslen(d);
		n = (size_t)(end - d);
		if (n >= 2 && d[0] == L'"' && d[n - 1] == L'"') {
			d++;
			n -= 2;
		}
		if (n == 0 || (n == 1 && d[0] == L'.'))
			continue;
		if (try_dir(d, n, name, exts, out, len))
			return 1;
	}
	return 0;
}

int
pa__win_resolve(const char *name, wchar_t *out, size_t len,
    struct pa_error *err)
{
	wchar_t *w, *path = NULL, *exts;
	int found = 0;

	if ((w = pa__win_wide(name)) == NULL)
		return pa__err(err, PA_EUSAGE, "cannot run '%s': not UTF-8",
		    name);
	exts = env_or(L"PATHEXT", L".COM;.EXE;.BAT;.CMD");
	if (exts != NULL && (wcspbrk(w, L"\\/:") != NULL))
		found = try_dir(L"", 0, w, exts, out, len);
	else if (exts != NULL && (path = env_or(L"PATH", L"")) != NULL)
		found = search_path(path, w, exts, out, len);
	free(path);
	free(w);
	if (exts == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	free(exts);
	if (!found)
		return pa__err(err, PA_ENOENT, "cannot run '%s': not found "
		    "in PATH (with PATHEXT's extensions)", name);
	return 0;
}

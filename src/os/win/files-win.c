/*
 * Configuration files on Windows: the file_read operation of struct
 * pa_os.  Who could have written the file comes from the security
 * descriptors of the file and of every folder above it (acl-win.c turns
 * them into the owner and mode bits the core's rules read: owner 0 for
 * SYSTEM, Administrators and TrustedInstaller, 0022 where anyone else may
 * write, 01777 for a folder where others may only add entries, as
 * %ProgramData% is).  Where a descriptor cannot be read the owner stays
 * -1: the core then uses the file for ordinary commands and never as
 * system-trusted.  Links are not followed to their targets here (making
 * one needs a privilege on Windows); the path is made absolute.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "os/win/win.h"

/* The directories above f->path, nearest first, up to the root. */
static int
dir_facts(struct pa_file_read *f, struct pa_error *err)
{
	char p[PA_PATH_MAX];
	size_t root = pa__win_root_len(f->path), n, k = 0, cap = 8;

	if (root == 0)
		return 0;
	if ((f->dirs = calloc(cap, sizeof(*f->dirs))) == NULL)
		return pa__err_nomem(err);
	pa__strlcpy(p, f->path, sizeof(p));
	for (n = strlen(p); n > root;) {
		while (n > root && p[n - 1] != '\\' && p[n - 1] != '/')
			n--;
		p[n > root ? n - 1 : root] = '\0';
		n = strlen(p);
		if (k == cap && pa__grow(&f->dirs, &cap, k,
		    sizeof(*f->dirs)) != 0)
			return pa__err_nomem(err);
		f->dirs[k].kind = PA_FILE_DIR;
		f->dirs[k].nlink = 1;
		pa__win_path_facts(p, 1, &f->dirs[k].uid, &f->dirs[k].mode);
		k++;
	}
	f->ndirs = k;
	return 0;
}

/* f->path made absolute; the owner and mode of the file and of the
 * folders above it. */
static int
facts(struct pa_file_read *f, struct pa_error *err)
{
	wchar_t *w = pa__win_wide(f->path), full[PA_PATH_MAX];
	DWORD n;

	if (w == NULL)
		return 0;
	n = GetFullPathNameW(w, PA_PATH_MAX, full, NULL);
	free(w);
	if (n == 0 || n >= PA_PATH_MAX ||
	    pa__win_narrow(full, f->path, sizeof(f->path)) != 0)
		return 0;
	pa__win_path_facts(f->path, f->file.kind == PA_FILE_DIR,
	    &f->file.uid, &f->file.mode);
	return dir_facts(f, err);
}

int
pa__win_file_read(void *ctx, const char *path, size_t max,
    struct pa_file_read *f, struct pa_error *err)
{
	struct _stat64 st;
	size_t got;
	FILE *fp;

	(void)ctx;
	memset(f, 0, sizeof(*f));
	f->file.uid = -1;
	if (_stat64(path, &st) != 0)
		return errno == ENOENT ? pa__err(err, PA_ENOENT,
		    "%s: no such file", path) : pa__err(err, PA_EOS, "%s: %s",
		    path, strerror(errno));
	pa__strlcpy(f->path, path, sizeof(f->path));
	f->file.nlink = (uint64_t)st.st_nlink;
	if ((st.st_mode & _S_IFMT) != _S_IFREG) {
		f->file.kind = (st.st_mode & _S_IFMT) == _S_IFDIR ?
		    PA_FILE_DIR : PA_FILE_OTHER;
		return facts(f, err);
	}
	if ((fp = fopen(path, "rb")) == NULL)
		return pa__err(err, PA_EOS, "%s: %s", path, strerror(errno));
	if ((f->text = malloc(max + 2)) == NULL) {
		fclose(fp);
		return pa__err_nomem(err);
	}
	got = fread(f->text, 1, max + 1, fp);
	fclose(fp);
	if (got > max) {
		pa__file_read_free(f);
		return pa__err(err, PA_EDATA, "%s: longer than %zu bytes",
		    path, max);
	}
	f->text[got] = '\0';
	f->len = got;
	return facts(f, err);
}

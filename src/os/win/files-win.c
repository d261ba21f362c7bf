/*
 * Configuration files on Windows: the file_read operation of struct
 * pa_os, as a stub.  It reads the file but cannot yet say who may write
 * it (owner -1, no directories): the core then treats the file as usable
 * for ordinary commands and never as system-trusted.  The Windows
 * backend's owner completes it from the file's security descriptor
 * (GetSecurityInfo: owner SID, write rights of Users/Everyone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "os/win/win.h"

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
		return 0;
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
	return 0;
}

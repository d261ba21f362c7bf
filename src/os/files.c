/*
 * What both backends share about configuration files: freeing what
 * file_read handed back.  The reading itself is the OS's (linux/files.c,
 * win/files-win.c).
 */
#include <stdlib.h>

#include "os/os.h"

void
pa__file_read_free(struct pa_file_read *f)
{
	if (f == NULL)
		return;
	free(f->text);
	free(f->dirs);
	f->text = NULL;
	f->dirs = NULL;
	f->len = f->ndirs = 0;
}

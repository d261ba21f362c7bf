/*
 * Where the config search looks on Linux: the user's file under
 * $XDG_CONFIG_HOME (or ~/.config) and the system's under /etc.  In src/os
 * because Windows has other places (src/os/win/paths-win.c), and a path
 * like /etc/portalloc means something else there.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "os/os.h"

void
pa__config_paths(char *user, size_t ulen, char *sys, size_t slen)
{
	const char *env, *home;

	user[0] = '\0';
	if ((env = getenv("XDG_CONFIG_HOME")) != NULL &&
	    pa__path_absolute(env))
		snprintf(user, ulen, "%s/portalloc/portalloc.ini", env);
	else if ((home = getenv("HOME")) != NULL && pa__path_absolute(home))
		snprintf(user, ulen, "%s/.config/portalloc/portalloc.ini",
		    home);
	pa__strlcpy(sys, "/etc/portalloc/portalloc.ini", slen);
}

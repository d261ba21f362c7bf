/* The socket table every OS backend fills. */
#include <stdlib.h>
#include <string.h>

#include "os/os.h"

void
pa__socktab_free(struct pa_socktab *t)
{
	if (t == NULL)
		return;
	free(t->socks);
	free(t->pids);
	memset(t, 0, sizeof(*t));
}

/*
 * Listening sockets for `portalloc exec --listen`: the port is held from
 * the moment it is chosen, by a socket portalloc hands to the command.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/linux.h"
#include "os/os.h"

/*
 * A close-on-exec TCP socket bound to a:port and listening, in *fd.
 * SO_REUSEADDR as systemd sets it, so that TIME_WAIT leftovers of an
 * earlier run do not keep the port; an IPv6 socket on :: also takes IPv4
 * as the system default says.  PA_EINUSE when somebody holds the port.
 */
int
pa__linux_listen(void *ctx, const struct pa_addr *a, uint16_t port,
    int *fd, struct pa_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = (socklen_t)pa__addr_sockaddr(a, port, &ss);
	int s, on = 1, e;

	(void)ctx;
	*fd = -1;
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return pa__err(err, PA_EOS, "socket: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(s, (struct sockaddr *)&ss, sslen) != 0) {
		e = errno;
		close(s);
		if (e == EADDRINUSE || e == EACCES)
			return PA_EINUSE;
		return pa__err(err, PA_EOS, "bind to port %u: %s", port,
		    strerror(e));
	}
	if (listen(s, SOMAXCONN) != 0) {
		e = errno;
		close(s);
		if (e == EADDRINUSE)
			return PA_EINUSE;
		return pa__err(err, PA_EOS, "listen on port %u: %s", port,
		    strerror(e));
	}
	*fd = s;
	return 0;
}

/* Closes a socket pa__linux_listen made. */
void
pa__linux_unlisten(void *ctx, int fd)
{
	(void)ctx;
	if (fd >= 0)
		close(fd);
}

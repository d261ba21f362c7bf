/* libFuzzer target: a buffer of NETLINK_SOCK_DIAG replies.  The first
 * byte picks the protocol; the rest is what recv() would have read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os/linux/linux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pa_portq q[] = { { 1, 65535, PA_BOTH } };
	struct pa__sockvec sv = { NULL, 0, 0, NULL, NULL };
	struct pa_error err;
	uint32_t *buf;
	int kerrno;

	if (size < 1)
		return 0;
	/* recv() fills an aligned buffer */
	if ((buf = malloc(size + 4)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	pa__diag_parse(buf, size - 1, data[0] & 1 ? PA_UDP : PA_TCP, q, 1,
	    &sv, &kerrno, &err);
	free(sv.v);
	free(buf);
	return 0;
}

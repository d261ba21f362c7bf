/* libFuzzer target: one line of /proc/net/{tcp,udp}{,6}.  The first byte
 * picks the family and protocol; the rest is the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os/linux/linux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pa_sock s;
	char *line;

	if (size < 1 || (line = malloc(size)) == NULL)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	pa__procnet_line(line, data[0] & 1 ? 6 : 4,
	    data[0] & 2 ? PA_UDP : PA_TCP, &s);
	free(line);
	return 0;
}

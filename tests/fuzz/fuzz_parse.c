/* libFuzzer target: durations, port ranges and protocol lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portalloc/portalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int64_t secs;
	uint16_t first, last;
	unsigned protos;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pa_parse_duration(s, &secs) == 0 && secs < 0)
		abort(); /* a duration is never negative */
	if (pa_parse_port_range(s, &first, &last) == 0 &&
	    (first == 0 || first > last))
		abort();
	if (pa_parse_protos(s, &protos) == 0 &&
	    (protos == 0 || (protos & ~(unsigned)PA_BOTH) != 0))
		abort();
	free(s);
	return 0;
}

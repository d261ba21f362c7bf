/* libFuzzer target: INI configuration text through inih and our checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portalloc/portalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pa_config *cfg = NULL;
	struct pa_error err;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pa_config_parse_string(&cfg, text, "fuzz.ini", &err) == 0) {
		pa_config_block(cfg, NULL);
		pa_config_block(cfg, "web");
		pa_config_free(cfg);
	}
	free(text);
	return 0;
}

/* Strings and arrays (base layer): bounded copies that never split a UTF-8
 * character, and the one array-growth rule. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* The length of at most `max` bytes of src that ends on a character
 * boundary: a UTF-8 lead byte whose sequence does not fit is left out. */
static size_t
utf8_cut(const char *src, size_t max)
{
	size_t n = max;

	/* Step back over continuation bytes to the sequence's lead byte. */
	while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int
pa__strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size == 0)
		return len > 0;
	if (len >= size) {
		len = utf8_cut(src, size - 1);
		memcpy(dst, src, len);
		dst[len] = '\0';
		return 1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

int
pa__grow(void *v, size_t *cap, size_t n, size_t size)
{
	void *old, *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 8;
	/* v points at a pointer of some object type: copy it, don't alias. */
	memcpy(&old, v, sizeof(old));
	if (ncap > SIZE_MAX / size || (nv = realloc(old, ncap * size)) == NULL)
		return PA_ENOMEM;
	memcpy(v, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}

int
pa__leases_push(struct pa_lease **arr, size_t *n, size_t *cap,
    const struct pa_lease *l)
{
	if (pa__grow(arr, cap, *n, sizeof(**arr)) != 0)
		return PA_ENOMEM;
	(*arr)[(*n)++] = *l;
	return 0;
}

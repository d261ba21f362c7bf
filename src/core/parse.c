/* Checked parsers for the small value types of the INI file and the CLI. */
#include <ctype.h>
#include <string.h>

#include "core/core.h"

#define PA__DURATION_MAX (10LL * 365 * 24 * 3600) /* ten years */

/* Reads a decimal number of at most `max` from *sp, advancing it. */
static int
parse_number(const char **sp, int64_t max, int64_t *out)
{
	const char *s = *sp;
	int64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return PA_EUSAGE;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return PA_EUSAGE;
	}
	*sp = s;
	*out = v;
	return 0;
}

int
pa_parse_duration(const char *s, int64_t *seconds)
{
	int64_t total = 0, v, unit;

	if (s == NULL || *s == '\0')
		return PA_EUSAGE;
	if (strcmp(s, "never") == 0) {
		*seconds = 0;
		return 0;
	}
	while (*s != '\0') {
		if (parse_number(&s, PA__DURATION_MAX, &v) != 0)
			return PA_EUSAGE;
		switch (*s) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case '\0':
			/* A bare number is seconds, but only on its own. */
			if (total != 0)
				return PA_EUSAGE;
			unit = 1;
			s--;
			break;
		default:
			return PA_EUSAGE;
		}
		s++;
		if (v > (PA__DURATION_MAX - total) / unit)
			return PA_EUSAGE;
		total += v * unit;
	}
	*seconds = total;
	return 0;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int
pa_parse_port_range(const char *s, uint16_t *first, uint16_t *last)
{
	int64_t a, b;

	if (s == NULL)
		return PA_EUSAGE;
	s = skip_space(s);
	if (parse_number(&s, 65535, &a) != 0 || a == 0)
		return PA_EUSAGE;
	s = skip_space(s);
	if (*s == '-') {
		s = skip_space(s + 1);
		if (parse_number(&s, 65535, &b) != 0 || b == 0)
			return PA_EUSAGE;
		s = skip_space(s);
	} else {
		b = a;
	}
	if (*s != '\0' || a > b)
		return PA_EUSAGE;
	*first = (uint16_t)a;
	*last = (uint16_t)b;
	return 0;
}

int
pa_parse_protos(const char *s, unsigned *protos)
{
	unsigned set = 0;
	size_t len;

	if (s == NULL)
		return PA_EUSAGE;
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			break;
		len = strcspn(s, " \t,");
		if (len == 3 && strncmp(s, "tcp", 3) == 0)
			set |= PA_TCP;
		else if (len == 3 && strncmp(s, "udp", 3) == 0)
			set |= PA_UDP;
		else if (len == 4 && strncmp(s, "both", 4) == 0)
			set |= PA_BOTH;
		else
			return PA_EUSAGE;
		s += len;
	}
	if (set == 0)
		return PA_EUSAGE;
	*protos = set;
	return 0;
}

const char *
pa_protos_name(unsigned protos)
{
	switch (protos & PA_BOTH) {
	case PA_TCP: return "tcp";
	case PA_UDP: return "udp";
	case PA_BOTH: return "tcp+udp";
	}
	return "none";
}

/*
 * Port sets, the one data structure both reservation shapes compute with:
 * a bit per port, parsed from and rendered to the kernel's list syntax
 * ("1,5-9,20000-20999"), and the sysctl.d drop-in that sets the list at
 * boot.  Pure functions: no OS, no store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define SYSCTL_KEY "net.ipv4.ip_local_reserved_ports"

static int
has_port(const struct pa__ports *set, unsigned p)
{
	return (set->bits[p / 8] >> (p % 8)) & 1;
}

void
pa__ports_add(struct pa__ports *set, uint16_t first, uint16_t last)
{
	unsigned p;

	for (p = first; p <= last; p++)
		set->bits[p / 8] |= (unsigned char)(1u << (p % 8));
}

void
pa__ports_remove(struct pa__ports *set, uint16_t first, uint16_t last)
{
	unsigned p;

	for (p = first; p <= last; p++)
		set->bits[p / 8] &= (unsigned char)~(1u << (p % 8));
}

unsigned
pa__ports_count(const struct pa__ports *set, uint16_t first, uint16_t last)
{
	unsigned p, n = 0;

	for (p = first; p <= last; p++)
		n += (unsigned)has_port(set, p);
	return n;
}

void
pa__ports_union(struct pa__ports *set, const struct pa__ports *other)
{
	size_t i;

	for (i = 0; i < sizeof(set->bits); i++)
		set->bits[i] |= other->bits[i];
}

void
pa__ports_minus(struct pa__ports *set, const struct pa__ports *other)
{
	size_t i;

	for (i = 0; i < sizeof(set->bits); i++)
		set->bits[i] &= (unsigned char)~other->bits[i];
}

int
pa__ports_equal(const struct pa__ports *a, const struct pa__ports *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Nothing but blanks and line ends left? */
static int
at_end(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Reads a port number 0-65535 from *sp, advancing it. */
static int
read_port(const char **sp, unsigned *port)
{
	const char *s = *sp;
	unsigned v = 0;

	if (*s < '0' || *s > '9')
		return PA_EDATA;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 65535)
			return PA_EDATA;
	}
	*sp = s;
	*port = v;
	return 0;
}

int
pa__ports_parse(const char *text, struct pa__ports *set)
{
	const char *s = skip_blank(text);
	unsigned a, b;

	memset(set, 0, sizeof(*set));
	while (!at_end(s)) {
		if (read_port(&s, &a) != 0)
			goto bad;
		s = skip_blank(s);
		b = a;
		if (*s == '-') {
			s = skip_blank(s + 1);
			if (read_port(&s, &b) != 0 || b < a)
				goto bad;
			s = skip_blank(s);
		}
		pa__ports_add(set, (uint16_t)a, (uint16_t)b);
		if (*s == ',') {
			s = skip_blank(s + 1);
			if (at_end(s))
				goto bad;   /* a comma needs an item after it */
		} else if (!at_end(s)) {
			goto bad;
		}
	}
	return 0;
bad:
	memset(set, 0, sizeof(*set));
	return PA_EDATA;
}

/* Writes the set's text into buf when buf is not NULL; returns its
 * length either way. */
static size_t
render(const struct pa__ports *set, char *buf)
{
	char item[16];
	size_t len = 0;
	unsigned p = 0, q;
	int k;

	while (p < 65536) {
		if (!has_port(set, p)) {
			p++;
			continue;
		}
		for (q = p; q + 1 < 65536 && has_port(set, q + 1); q++)
			;
		if (q == p)
			k = snprintf(item, sizeof(item), "%s%u", len ? "," : "",
			    p);
		else
			k = snprintf(item, sizeof(item), "%s%u-%u",
			    len ? "," : "", p, q);
		if (buf != NULL)
			memcpy(buf + len, item, (size_t)k);
		len += (size_t)k;
		p = q + 1;
	}
	return len;
}

int
pa__ports_render(const struct pa__ports *set, char **text)
{
	size_t len = render(set, NULL);

	if ((*text = malloc(len + 1)) == NULL)
		return PA_ENOMEM;
	render(set, *text);
	(*text)[len] = '\0';
	return 0;
}

/* Is s[0..len) the reserved-ports key?  sysctl.d allows '/' for '.'. */
static int
is_key(const char *s, size_t len)
{
	const char *k = SYSCTL_KEY;
	size_t i;

	if (len != strlen(k))
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != k[i] && !(k[i] == '.' && s[i] == '/'))
			return 0;
	return 1;
}

int
pa__dropin_parse(const char *text, struct pa__ports *set)
{
	const char *line, *end, *k, *eq, *v = NULL, *vend = NULL;
	size_t klen;
	char *value;
	int rc;

	memset(set, 0, sizeof(*set));
	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		k = skip_blank(line);
		if (*k == '-')
			k++;    /* systemd: ignore a failure to set it */
		if (k >= end || *k == '#' || *k == ';' ||
		    (eq = memchr(k, '=', (size_t)(end - k))) == NULL)
			continue;
		for (klen = (size_t)(eq - k); klen > 0 &&
		    (k[klen - 1] == ' ' || k[klen - 1] == '\t'); klen--)
			;
		if (is_key(k, klen)) {
			v = eq + 1;
			vend = end;
		}
	}
	if (v == NULL)
		return 0;
	if ((value = malloc((size_t)(vend - v) + 1)) == NULL)
		return PA_ENOMEM;
	memcpy(value, v, (size_t)(vend - v));
	value[vend - v] = '\0';
	rc = pa__ports_parse(value, set);
	free(value);
	return rc;
}

int
pa__dropin_text(const struct pa__ports *set, char **text)
{
	char *list;
	int n;

	*text = NULL;
	if (pa__ports_count(set, 0, 65535) == 0)
		return 0;
	if (pa__ports_render(set, &list) != 0)
		return PA_ENOMEM;
	n = asprintf(text, "# Written by portalloc: the blocks with reserve "
	    "= persistent, reserved\n# again at every boot.  'portalloc "
	    "reserve' and 'portalloc unreserve'\n# rewrite this file; do not "
	    "edit it.\n" SYSCTL_KEY " = %s\n", list);
	free(list);
	if (n < 0) {
		*text = NULL;
		return PA_ENOMEM;
	}
	return 0;
}


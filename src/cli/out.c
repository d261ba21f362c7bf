/*
 * Text that came from elsewhere, made safe to show: command lines, process
 * names and tags are whatever bytes another user or the OS left, so a JSON
 * string must stay valid (control characters escaped, invalid UTF-8 as
 * U+FFFD) and a table cell must not start a fake row or move the terminal's
 * cursor (control characters and invalid bytes as \n, \x1b, \xff).  Also
 * the small words every writer shares: durations, lease states, the one
 * spelling of a protocol set.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

size_t
out_utf8(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, min;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void
out_json_string(FILE *fp, const char *s)
{
	uint32_t c;
	size_t n;

	fputc('"', fp);
	for (; *s; s += n) {
		if ((n = out_utf8(s, &c)) == 0) {
			fputs("\\ufffd", fp);
			n = 1;
		} else if (c == '"' || c == '\\') {
			fprintf(fp, "\\%c", (char)c);
		} else if (c == '\n') {
			fputs("\\n", fp);
		} else if (c == '\t') {
			fputs("\\t", fp);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(fp, "\\u%04x", (unsigned)c);
		} else {
			fwrite(s, 1, n, fp);
		}
	}
	fputc('"', fp);
}

/* How one character of a table cell is shown: into e, its length.  With
 * keep_bs a backslash stays itself (a message's Windows paths). */
static size_t
cell_char(const char *s, size_t *used, char e[8], int keep_bs)
{
	uint32_t c;
	size_t n = out_utf8(s, &c);

	if (n == 0) {
		*used = 1;
		return (size_t)snprintf(e, 8, "\\x%02x", (unsigned char)*s);
	}
	*used = n;
	if (c == '\n')
		return (size_t)snprintf(e, 8, "\\n");
	if (c == '\t')
		return (size_t)snprintf(e, 8, "\\t");
	if (c == '\\' && !keep_bs)
		return (size_t)snprintf(e, 8, "\\\\");
	if (c < 0x20 || c == 0x7f)
		return (size_t)snprintf(e, 8, "\\x%02x", (unsigned)c);
	if (c >= 0x80 && c <= 0x9f)   /* C1 controls: CSI is 0x9b */
		return (size_t)snprintf(e, 8, "\\u%04x", (unsigned)c);
	memcpy(e, s, n);
	return n;
}

/* s shown in buf (len bytes, the NUL included, len > 0); its length. */
static size_t
escape(char *buf, size_t len, const char *s, int keep_bs)
{
	size_t off = 0, used, n;
	char e[8];

	for (; *s; s += used) {
		/* printable ASCII, the common case, is itself */
		if (*s >= 0x20 && *s < 0x7f && (*s != '\\' || keep_bs)) {
			if (off + 1 >= len)
				break;
			buf[off++] = *s;
			used = 1;
			continue;
		}
		n = cell_char(s, &used, e, keep_bs);
		if (off + n >= len)
			break;
		memcpy(buf + off, e, n);
		off += n;
	}
	buf[off] = '\0';
	return off;
}

void
out_text(char *buf, size_t len, const char *s)
{
	if (len > 0)
		escape(buf, len, s, 0);
}

/* Bytes left for the line being built. */
static size_t
ol_room(const struct out_line *l)
{
	return l->line + OL_LINE - l->n;
}

void
ol_mem(struct out_line *l, const char *s, size_t k)
{
	size_t room = ol_room(l);

	if (k > room)
		k = room;
	memcpy(l->buf + l->n, s, k);
	l->n += k;
}

void
ol_str(struct out_line *l, const char *s)
{
	ol_mem(l, s, strlen(s));
}

void
ol_text(struct out_line *l, const char *s, size_t len)
{
	size_t room = ol_room(l);

	if (len > room)
		len = room;
	if (len == 0)
		return;
	l->n += escape(l->buf + l->n, len, s, 0);
}

void
ol_memo_text(struct out_line *l, struct ol_memo *m, const char *s,
    size_t len)
{
	size_t room = ol_room(l);

	if (len > room)
		len = room;
	if (len > sizeof(m->text)) {
		ol_text(l, s, len);
		return;
	}
	if (len == 0)
		return;
	if (m->src != s || m->len != len) {
		m->n = escape(m->text, len, s, 0);
		m->src = s;
		m->len = len;
	}
	memcpy(l->buf + l->n, m->text, m->n);
	l->n += m->n;
}

void
ol_int(struct out_line *l, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	*--p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	ol_str(l, p);
}

void
ol_pad(struct out_line *l, size_t col)
{
	if (col > OL_LINE)
		col = OL_LINE;
	while (l->n < l->line + col)
		l->buf[l->n++] = ' ';
}

void
ol_write(struct out_line *l, FILE *fp)
{
	if (sizeof(l->buf) - l->n < OL_LINE)
		ol_flush(l, fp);
	l->line = l->n;
}

void
ol_flush(struct out_line *l, FILE *fp)
{
	fwrite(l->buf, 1, l->n, fp);
	l->n = l->line = 0;
}

void
out_message(char *buf, size_t len, const char *s)
{
	if (len > 0)
		escape(buf, len, s, 1);
}

void
out_duration(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
}

const char *
out_state(enum pa_lease_state s)
{
	switch (s) {
	case PA_LEASE_ALIVE: return "alive";
	case PA_LEASE_DEAD: return "dead";
	case PA_LEASE_EXPIRED: return "expired";
	}
	return "?";
}

const char *
out_protos(unsigned protos)
{
	switch (protos & PA_BOTH) {
	case PA_TCP: return "tcp";
	case PA_UDP: return "udp";
	case PA_BOTH: return "tcp,udp";
	}
	return "none";
}

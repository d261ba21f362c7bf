/*
 * /proc/net/{tcp,udp}{,6}: the fallback where sock_diag is refused.  The
 * kernel prints addresses as the raw 32-bit words of the address in host
 * byte order, so a word read back with strtoul and stored as it is gives
 * the address's bytes again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/linux/linux.h"

/* Reads "HEXADDR:HEXPORT" for an address of nwords 32-bit words. */
static int
parse_endpoint(const char **sp, int nwords, unsigned char *addr,
    uint16_t *port)
{
	const char *s = *sp;
	char word[9], *end;
	unsigned long v;
	uint32_t w;
	int i;

	for (i = 0; i < nwords; i++) {
		if (strspn(s, "0123456789abcdefABCDEF") < 8)
			return -1;
		memcpy(word, s, 8);
		word[8] = '\0';
		w = (uint32_t)strtoul(word, NULL, 16);
		memcpy(addr + 4 * i, &w, 4);
		s += 8;
	}
	if (*s++ != ':')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (end == s || end - s > 4 || errno != 0 || v > 0xffff)
		return -1;
	*port = (uint16_t)v;
	*sp = end;
	return 0;
}

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Skips one blank-separated field. */
static const char *
skip_field(const char *s)
{
	s = skip_blanks(s);
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	return s;
}

static int
parse_unsigned(const char **sp, int base, unsigned long long max,
    unsigned long long *v)
{
	const char *s = skip_blanks(*sp);
	char *end;

	if (*s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (end == s || errno != 0 || *v > max)
		return -1;
	*sp = end;
	return 0;
}

int
pa__procnet_line(const char *line, int family, unsigned proto,
    struct pa_sock *s)
{
	const char *p = skip_blanks(line), *start;
	int words = family == 6 ? 4 : 1;
	unsigned long long st, uid, inode;
	int i;

	if (strncmp(p, "sl", 2) == 0)
		return 0;
	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->family = family;
	/* "N:" */
	start = p;
	p = skip_field(p);
	if (p == start || p[-1] != ':')
		return -1;
	p = skip_blanks(p);
	if (parse_endpoint(&p, words, s->local, &s->lport) != 0)
		return -1;
	p = skip_blanks(p);
	if (parse_endpoint(&p, words, s->remote, &s->rport) != 0)
		return -1;
	if (parse_unsigned(&p, 16, 0xff, &st) != 0 || st == 0)
		return -1;
	/* tx_queue:rx_queue tr:tm->when retrnsmt */
	for (i = 0; i < 3; i++)
		p = skip_field(p);
	if (parse_unsigned(&p, 10, UINT32_MAX, &uid) != 0)
		return -1;
	p = skip_field(p); /* timeout */
	if (parse_unsigned(&p, 10, UINT64_MAX, &inode) != 0)
		return -1;
	s->state = (int)st;
	s->uid = (int64_t)uid;
	s->inode = inode;
	return 1;
}

int
pa__procnet_read(const char *path, int family, unsigned proto,
    const struct pa_portq *q, size_t nq, struct pa__sockvec *out,
    struct pa_error *err)
{
	char line[512];
	struct pa_sock s;
	FILE *fp;
	int rc = 0, n = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0; /* no IPv6 here */
		return pa__err(err, PA_EOS, "%s: %s", path, strerror(errno));
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		n++;
		switch (pa__procnet_line(line, family, proto, &s)) {
		case 1:
			if (pa__portq_match(q, nq, s.lport, proto) &&
			    pa__sockvec_push(out, &s) != 0)
				rc = pa__err(err, PA_ENOMEM, "out of memory");
			break;
		case 0:
			break;
		default:
			rc = pa__err(err, PA_EDATA, "%s:%d: unexpected format",
			    path, n);
		}
	}
	fclose(fp);
	return rc;
}

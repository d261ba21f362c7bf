/* Helpers shared by the tests: files, and lists of ports.  What needs the
 * OS is in helpers-posix.c and helpers-win.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

char *
th_write(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *fp;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return path;
}

char *
th_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = 2 * (n + 4096 + 1);
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		got = fread(buf + n, 1, 4096, fp);
		n += got;
		if (got == 0)
			break;
	}
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void
th_run_free(struct th_run *r)
{
	free(r->out);
	free(r->err);
}

size_t
th_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

size_t
th_count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)) != NULL; s++)
		n++;
	return n;
}

size_t
th_ports(const char *s, uint16_t *v, size_t max)
{
	size_t n = 0;
	char *end;
	long p;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\n' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		p = strtol(s, &end, 10);
		if (end == s || p < 1 || p > 65535)
			break;
		v[n++] = (uint16_t)p;
		s = end;
	}
	return n;
}

int
th_distinct(const uint16_t *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (v[i] == v[j])
				return 0;
	return 1;
}

int
th_argv(char *argv[TH_ARGS_MAX], const char *bin, va_list ap)
{
	int n = 0;

	argv[n++] = (char *)bin;
	while (n < TH_ARGS_MAX - 1 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n] = NULL;
	return n;
}

void
th_strv_free(char **v)
{
	for (; *v != NULL; v++) {
		free(*v);
		*v = NULL;
	}
}

int
th_loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return (int)sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = in6addr_loopback;
	return (int)sizeof(*sin6);
}

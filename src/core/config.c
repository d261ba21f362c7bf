/*
 * The configuration: INI files read with inih, validated into a pa_config.
 *
 * inih does the parsing.  We feed it through our own line reader, which
 * counts lines (so every message names FILE:LINE), notices section headers
 * (so a repeated or empty section is caught), and refuses over-long lines
 * instead of letting them be split in two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "core/core.h"

const char pa__default_config[] =
    "[block default]\n"
    "ports = 29000-29999\n"
    "protocols = tcp, udp\n"
    "reserve = no\n"
    "bind_address = 127.0.0.1\n";

#define DEFAULT_TTL (2 * 3600)

enum section_kind { SEC_NONE, SEC_PORTALLOC, SEC_BLOCK, SEC_BAD };

enum { K_STORE = 1, K_TTL = 2, K_PORTS = 4, K_PROTOS = 8, K_RESERVE = 16,
	K_BIND = 32, K_TRUST = 64, K_ACCEL_GROUP = 128 };

struct parser {
	struct pa_config *cfg;
	const char *name;          /* file name for messages */
	enum pa_source source;
	/* the input: text[0..end), which may hold NUL bytes */
	const char *text, *end;
	/* reader state */
	int line;
	int header_line;           /* a header seen, no key since; 0 if none */
	char header[80];           /* its text, for messages */
	int section_line;          /* the current section's header line */
	int keys;                  /* keys seen in the current section */
	enum section_kind kind;
	unsigned seen;             /* K_* bits seen in the current section */
	size_t cap;
	/* the first error a key caused, and the first empty section */
	struct pa_error err;
	int failed;
	struct pa_error empty;
	int has_empty;
};

static int
fail(struct parser *p, int line, const char *fmt, ...) PA__PRINTF(3, 4);

static int
fail(struct parser *p, int line, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (p->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pa__err_at(&p->err, PA_ECONFIG, p->name, line, "%s", text);
	p->failed = 1;
	return 0; /* inih: handler failed */
}

static struct pa_origin
here(const struct parser *p)
{
	struct pa_origin o = { p->source, p->line, NULL };

	return o;
}

/* A section with no keys at all: fine for [portalloc], a mistake elsewhere. */
static void
check_empty_section(struct parser *p)
{
	if (p->header_line == 0 || strcmp(p->header, "portalloc") == 0 ||
	    p->has_empty)
		return;
	p->has_empty = 1;
	if (strncmp(p->header, "block", 5) == 0)
		pa__err_at(&p->empty, PA_ECONFIG, p->name, p->header_line,
		    "[%s] has no 'ports' (every block needs ports = "
		    "FIRST-LAST)", p->header);
	else
		pa__err_at(&p->empty, PA_ECONFIG, p->name, p->header_line,
		    "unknown section [%s] (expected [portalloc] or "
		    "[block NAME])", p->header);
}

/*
 * Picks the error to report: the earliest of a key's error and a syntax
 * error (inih returns the line of the first of either).  An empty section
 * counts only without a syntax error, which may well be its cause.
 */
static void
settle_errors(struct parser *p, int rc)
{
	int syntax = rc > 0 && (!p->failed || rc < p->err.line);

	if (syntax) {
		p->failed = 0;
		fail(p, rc, "syntax error (expected [section] or key = "
		    "value)");
		return;
	}
	if (rc < 0 && !p->failed)
		fail(p, 0, "cannot parse (inih error %d)", rc);
	if (p->has_empty && (!p->failed || p->empty.line < p->err.line)) {
		p->err = p->empty;
		p->failed = 1;
	}
}

/* Notes a header line the way inih will see it: an indented line right after
 * a key is a continuation of that key's value, not a header. */
static void
note_line(struct parser *p, const char *s)
{
	const char *t = s + strspn(s, " \t");
	size_t len;

	if (*t != '[' || (t != s && p->keys > 0))
		return;
	check_empty_section(p);
	t++;
	len = strcspn(t, "]\r\n");
	if (len >= sizeof(p->header))
		len = sizeof(p->header) - 1;
	memcpy(p->header, t, len);
	p->header[len] = '\0';
	p->header_line = p->line;
	p->keys = 0;
}

/* fgets() over the text, counting lines: a whole line is always taken,
 * so that the next call starts on the next line. */
static char *
reader(char *buf, int num, void *stream)
{
	struct parser *p = stream;
	size_t len = 0;
	int c;

	if (num < 2)
		return NULL;
	while (p->text < p->end) {
		c = (unsigned char)*p->text++;
		if (len + 1 < (size_t)num)
			buf[len] = (char)c;
		len++;
		if (c == '\n')
			break;
	}
	if (len == 0)
		return NULL;
	p->line++;
	if (len >= (size_t)num) {
		fail(p, p->line, "line too long (at most %d characters)",
		    num - 3);
		len = (size_t)num - 1;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		fail(p, p->line, "NUL byte in the file");
	note_line(p, buf);
	return buf;
}

static int
valid_block_name(const char *s)
{
	size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return len > 0 && s[len] == '\0' && len < PA_NAME_MAX;
}

static const struct pa_block *
find_block(const struct pa_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nblocks; i++)
		if (strcmp(cfg->blocks[i].name, name) == 0)
			return &cfg->blocks[i];
	return NULL;
}

static int
start_block(struct parser *p, const char *section)
{
	const char *name = section + 5;
	const struct pa_block *dup;
	struct pa_config *cfg = p->cfg;
	struct pa_block *b, *nb;

	if (*name != ' ' && *name != '\t' && *name != '\0')
		return fail(p, p->section_line, "unknown section [%s] (expected "
		    "[portalloc] or [block NAME])", section);
	name += strspn(name, " \t");
	if (!valid_block_name(name))
		return fail(p, p->section_line, "bad block name '%s' (1-%d "
		    "letters, digits, '_', '.', '-')", name, PA_NAME_MAX - 1);
	if ((dup = find_block(cfg, name)) != NULL)
		return fail(p, p->section_line, "block '%s' is defined twice "
		    "(first at line %d)", name, dup->at.line);
	if (cfg->nblocks == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		nb = realloc(cfg->blocks, p->cap * sizeof(*nb));
		if (nb == NULL)
			return fail(p, p->line, "out of memory");
		cfg->blocks = nb;
	}
	b = &cfg->blocks[cfg->nblocks++];
	memset(b, 0, sizeof(*b));
	pa__strlcpy(b->name, name, sizeof(b->name));
	b->protos = PA_BOTH;
	b->reserve = PA_RESERVE_NO;
	pa__strlcpy(b->bind_address, "127.0.0.1", sizeof(b->bind_address));
	b->at.source = p->source;
	b->at.line = p->section_line;
	p->kind = SEC_BLOCK;
	return 1;
}

/* A new section begins at the first key after a header. */
static int
start_section(struct parser *p, const char *section)
{
	p->section_line = p->header_line;
	p->header_line = 0;
	p->seen = 0;
	p->kind = SEC_BAD;
	if (strcmp(section, "portalloc") == 0) {
		p->kind = SEC_PORTALLOC;
		return 1;
	}
	if (strncmp(section, "block", 5) == 0)
		return start_block(p, section);
	return fail(p, p->section_line, "unknown section [%s] (expected "
	    "[portalloc] or [block NAME])", section);
}

static int
seen_once(struct parser *p, unsigned bit, const char *key)
{
	if (p->seen & bit)
		return fail(p, p->line, "'%s' is set twice in this section",
		    key);
	p->seen |= bit;
	return 1;
}

/* Is every pattern of a trust list (separated by commas or blanks) an
 * absolute path, and is there one? */
static int
trust_list_ok(const char *s)
{
	int n = 0;

	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			return n > 0;
		if (!pa__path_absolute(s))
			return 0;
		s += strcspn(s, " \t,");
		n++;
	}
}

/* accel_group = NAME: the group that may read the pinned BPF iterator
 * (portalloc accel); a group name, checked when the pin is made. */
static int
set_accel_group(struct parser *p, const char *value)
{
	struct pa_config *cfg = p->cfg;
	const char *c;

	if (!seen_once(p, K_ACCEL_GROUP, "accel_group"))
		return 0;
	for (c = value; *c; c++)
		if (*c <= ' ' || *c == ':' || *c == '/' || *c == 0x7f)
			return fail(p, p->line, "accel_group: '%s' is not a "
			    "group name", value);
	if (pa__strlcpy(cfg->accel_group, value, sizeof(cfg->accel_group)))
		return fail(p, p->line, "accel_group name too long");
	cfg->o_accel_group = here(p);
	return 1;
}

static int
set_portalloc(struct parser *p, const char *key, const char *value)
{
	struct pa_config *cfg = p->cfg;

	if (strcmp(key, "store") == 0) {
		if (!seen_once(p, K_STORE, key))
			return 0;
		if (!pa__path_absolute(value))
			return fail(p, p->line, "store must be an absolute "
			    "path, not '%s'", value);
		if (pa__strlcpy(cfg->store, value, sizeof(cfg->store)))
			return fail(p, p->line, "store path too long");
		cfg->o_store = here(p);
		return 1;
	}
	if (strcmp(key, "lease_ttl") == 0) {
		if (!seen_once(p, K_TTL, key))
			return 0;
		if (pa_parse_duration(value, &cfg->lease_ttl) != 0)
			return fail(p, p->line, "bad duration '%s' for "
			    "lease_ttl (like 90s, 30m, 2h, 1d, or never)",
			    value);
		cfg->o_ttl = here(p);
		return 1;
	}
	if (strcmp(key, "trust") == 0) {
		if (!seen_once(p, K_TRUST, key))
			return 0;
		if (pa__strlcpy(cfg->trust, value, sizeof(cfg->trust)))
			return fail(p, p->line, "trust list too long");
		if (!trust_list_ok(value))
			return fail(p, p->line, "bad trust '%s' (expected "
			    "absolute path patterns, like /srv/ci/*)", value);
		cfg->o_trust = here(p);
		return 1;
	}
	if (strcmp(key, "accel_group") == 0)
		return set_accel_group(p, value);
	return fail(p, p->line, "unknown key '%s' in [portalloc] (expected "
	    "store, lease_ttl, trust, accel_group)", key);
}

static int
set_block(struct parser *p, const char *key, const char *value)
{
	struct pa_block *b = &p->cfg->blocks[p->cfg->nblocks - 1];
	struct pa_addr addr;

	if (strcmp(key, "ports") == 0) {
		if (!seen_once(p, K_PORTS, key))
			return 0;
		if (pa_parse_port_range(value, &b->first, &b->last) != 0)
			return fail(p, p->line, "bad port range '%s' (expected "
			    "FIRST-LAST, ports 1-65535, FIRST <= LAST)", value);
		b->o_ports = here(p);
		return 1;
	}
	if (strcmp(key, "protocols") == 0) {
		if (!seen_once(p, K_PROTOS, key))
			return 0;
		if (pa_parse_protos(value, &b->protos) != 0)
			return fail(p, p->line, "bad protocols '%s' (expected "
			    "tcp, udp or both)", value);
		b->o_protos = here(p);
		return 1;
	}
	if (strcmp(key, "reserve") == 0) {
		if (!seen_once(p, K_RESERVE, key))
			return 0;
		if (strcmp(value, "no") == 0)
			b->reserve = PA_RESERVE_NO;
		else if (strcmp(value, "runtime") == 0)
			b->reserve = PA_RESERVE_RUNTIME;
		else if (strcmp(value, "persistent") == 0)
			b->reserve = PA_RESERVE_PERSISTENT;
		else
			return fail(p, p->line, "bad reserve '%s' (expected "
			    "no, runtime or persistent)", value);
		b->o_reserve = here(p);
		return 1;
	}
	if (strcmp(key, "bind_address") == 0) {
		if (!seen_once(p, K_BIND, key))
			return 0;
		if (pa__addr_parse(value, &addr) != 0 ||
		    pa__strlcpy(b->bind_address, value,
		    sizeof(b->bind_address)))
			return fail(p, p->line, "bad bind_address '%s' (expected "
			    "an IPv4 or IPv6 address)", value);
		b->o_bind = here(p);
		return 1;
	}
	return fail(p, p->line, "unknown key '%s' in [block %s] (expected "
	    "ports, protocols, reserve, bind_address)", key, b->name);
}

static int
handler(void *user, const char *section, const char *key, const char *value)
{
	struct parser *p = user;

	p->keys++;
	if (p->failed) {
		/* a key after the first error still means its section is
		 * not empty: the error is the one to report */
		p->header_line = 0;
		return 0;
	}
	if (p->header_line != 0) {
		/* inih cuts long section names, and keeps the old section
		 * after a broken header (a syntax error it reports itself) */
		size_t len = strlen(section);
		if (strcmp(section, p->header) == 0) {
			if (!start_section(p, section))
				return 0;
		} else if (len > 0 && strncmp(section, p->header, len) == 0) {
			return fail(p, p->header_line, "section name too long "
			    "(at most %zu characters)", len);
		} else {
			p->header_line = 0;
		}
	}
	switch (p->kind) {
	case SEC_NONE:
		return fail(p, p->line, "'%s' is outside any section (put it "
		    "under [portalloc] or [block NAME])", key);
	case SEC_PORTALLOC:
		return set_portalloc(p, key, value);
	case SEC_BLOCK:
		return set_block(p, key, value);
	case SEC_BAD:
		break;
	}
	return 0;
}

static int
by_first(const void *a, const void *b)
{
	const struct pa_block *x = *(const struct pa_block *const *)a;
	const struct pa_block *y = *(const struct pa_block *const *)b;

	return (int)x->first - (int)y->first;
}

/* Every block has ports, and no two blocks share a port. */
static int
check_blocks(struct parser *p)
{
	struct pa_config *cfg = p->cfg;
	const struct pa_block **v, *a, *b;
	size_t i;

	for (i = 0; i < cfg->nblocks; i++)
		if (cfg->blocks[i].first == 0)
			return fail(p, cfg->blocks[i].at.line, "block '%s' has "
			    "no 'ports' (every block needs ports = "
			    "FIRST-LAST)", cfg->blocks[i].name);
	if (cfg->nblocks < 2)
		return 1;
	if ((v = calloc(cfg->nblocks, sizeof(*v))) == NULL)
		return fail(p, 0, "out of memory");
	for (i = 0; i < cfg->nblocks; i++)
		v[i] = &cfg->blocks[i];
	qsort(v, cfg->nblocks, sizeof(*v), by_first);
	for (i = 1; i < cfg->nblocks; i++) {
		a = v[i - 1];
		b = v[i];
		if (b->first > a->last)
			continue;
		if (a->at.line > b->at.line) {
			const struct pa_block *t = a;
			a = b;
			b = t;
		}
		fail(p, b->at.line, "block '%s' (%u-%u) overlaps block '%s' "
		    "(%u-%u, line %d)", b->name, b->first, b->last, a->name,
		    a->first, a->last, a->at.line);
		break;
	}
	free(v);
	return !p->failed;
}

static struct pa_config *
config_new(void)
{
	struct pa_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	cfg->lease_ttl = DEFAULT_TTL;
	cfg->o_store.source = cfg->o_ttl.source = PA_FROM_DEFAULT;
	cfg->o_trust.source = PA_FROM_DEFAULT;
	cfg->system_trusted = 1;
	return cfg;
}

void
pa_config_free(struct pa_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->blocks);
	free(cfg);
}

static int parse(struct pa_config **out, struct parser *p,
    struct pa_error *err);

/* Gives a file that defines no block the embedded default block. */
static int
add_default_blocks(struct pa_config *cfg, struct pa_error *err)
{
	struct pa_config *def;
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = PA__DEFAULT_CONFIG_NAME;
	p.source = PA_FROM_DEFAULT;
	p.text = pa__default_config;
	p.end = p.text + strlen(p.text);
	if ((rc = parse(&def, &p, err)) != 0)
		return rc;
	free(cfg->blocks);
	cfg->blocks = def->blocks;
	cfg->nblocks = def->nblocks;
	cfg->default_blocks = 1;
	def->blocks = NULL;
	pa_config_free(def);
	return 0;
}

static int
parse(struct pa_config **out, struct parser *p, struct pa_error *err)
{
	int rc;

	*out = NULL;
	if ((p->cfg = config_new()) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	/* a UTF-8 byte order mark is no part of the first line */
	if (p->end - p->text >= 3 && memcmp(p->text, "\xEF\xBB\xBF", 3) == 0)
		p->text += 3;
	rc = ini_parse_stream(reader, p, handler, p);
	check_empty_section(p);
	settle_errors(p, rc);
	if (!p->failed)
		check_blocks(p);
	if (p->failed) {
		if (err)
			*err = p->err;
		pa_config_free(p->cfg);
		return PA_ECONFIG;
	}
	if (p->source == PA_FROM_FILE)
		pa__strlcpy(p->cfg->file, p->name, sizeof(p->cfg->file));
	if (p->cfg->nblocks == 0 &&
	    (rc = add_default_blocks(p->cfg, err)) != 0) {
		pa_config_free(p->cfg);
		return rc;
	}
	*out = p->cfg;
	return 0;
}

int
pa_config_parse_string(struct pa_config **out, const char *text,
    const char *name, struct pa_error *err)
{
	struct parser p;

	memset(&p, 0, sizeof(p));
	p.name = name ? name : "(string)";
	p.source = PA_FROM_FILE;
	p.text = text;
	p.end = text + strlen(text);
	return parse(out, &p, err);
}

/*
 * Files, and who could have written them.
 */
#define CONFIG_MAX (1024 * 1024)
#define HOST_CONFIG_ENV "PORTALLOC_HOST_CONFIG"

/* The OS that reads files: a table without file_read (a test's fake)
 * reads through the real one. */
static const struct pa_os *
file_os(const struct pa_os *os)
{
	return os->file_read != NULL ? os : pa__os_native();
}

/* "uid 1000 (alice)", or "uid 1000" when the OS has no name for it. */
static void
owner_text(const struct pa_os *os, int64_t uid, char *buf, size_t len)
{
	char name[64];

	name[0] = '\0';
	if (os->user_name != NULL)
		os->user_name(os->ctx, uid, name, sizeof(name));
	if (name[0] != '\0')
		snprintf(buf, len, "uid %lld (%s)", (long long)uid, name);
	else
		snprintf(buf, len, "uid %lld", (long long)uid);
}

/* The i-th directory above path (0: its own) into buf. */
static void
dir_above(const char *path, size_t i, char *buf, size_t len)
{
	char *s;

	pa__strlcpy(buf, path, len);
	do {
		if ((s = strrchr(buf, '/')) == NULL) {
			pa__strlcpy(buf, ".", len);
			return;
		}
		s[s == buf] = '\0';     /* "/a/b" -> "/a", "/a" -> "/" */
	} while (i-- > 0);
}

/* Who besides the owner may write a file of this mode; NULL: nobody. */
static const char *
writers(unsigned mode)
{
	if (mode & 002)
		return "every user";
	if (mode & 020)
		return "its group";
	return NULL;
}

/*
 * Could anyone but root have written the file f?  0 when not (root owns
 * it, it has one name, and no one else may write it or a directory above
 * it, but for a sticky root-owned one above its own); else 1, and why
 * into buf.
 */
static int
system_why(const struct pa_os *os, const struct pa_file_read *f, char *buf,
    size_t len)
{
	const struct pa_file_facts *d;
	char who[96], dir[PA_PATH_MAX];
	const char *w;
	size_t i;

	if (f->file.uid < 0)
		return snprintf(buf, len, "the OS does not say who owns it"), 1;
	if (f->file.uid != 0) {
		owner_text(os, f->file.uid, who, sizeof(who));
		return snprintf(buf, len, "it belongs to %s", who), 1;
	}
	if ((w = writers(f->file.mode)) != NULL)
		return snprintf(buf, len, "it is writable by %s", w), 1;
	if (f->file.nlink > 1)
		return snprintf(buf, len, "it has %llu names (hard links)",
		    (unsigned long long)f->file.nlink), 1;
	for (i = 0; i < f->ndirs; i++) {
		d = &f->dirs[i];
		w = writers(d->mode);
		if (d->uid == 0 && (w == NULL || (i > 0 && (d->mode & 01000))))
			continue;
		dir_above(f->path, i, dir, sizeof(dir));
		owner_text(os, d->uid, who, sizeof(who));
		if (d->uid != 0)
			snprintf(buf, len, "the directory %s belongs to %s",
			    dir, who);
		else
			snprintf(buf, len, "the directory %s is writable by "
			    "%s", dir, w);
		return 1;
	}
	return 0;
}

/*
 * May the search use the file f for user me?  0 when it belongs to me or
 * to root and no one else may write it or its directory (sticky or not);
 * else 1, and why into buf.  A file whose owner the OS cannot tell is
 * used (the Windows stub).
 */
static int
user_why(const struct pa_os *os, const struct pa_file_read *f, int64_t me,
    char *buf, size_t len)
{
	char who[96], dir[PA_PATH_MAX];
	const char *w;

	if (f->file.uid < 0)
		return 0;
	/* the owner's name only when it is said: a lookup reads files */
	if (f->file.uid != me && f->file.uid != 0) {
		owner_text(os, f->file.uid, who, sizeof(who));
		return snprintf(buf, len, "it belongs to %s, neither to you "
		    "(uid %lld) nor to root", who, (long long)me), 1;
	}
	if ((w = writers(f->file.mode)) != NULL) {
		owner_text(os, f->file.uid, who, sizeof(who));
		return snprintf(buf, len, "it is writable by %s (it belongs "
		    "to %s)", w, who), 1;
	}
	if (f->ndirs == 0)
		return 0;
	dir_above(f->path, 0, dir, sizeof(dir));
	if (f->dirs[0].uid != me && f->dirs[0].uid != 0) {
		owner_text(os, f->dirs[0].uid, who, sizeof(who));
		return snprintf(buf, len, "its directory %s belongs to %s",
		    dir, who), 1;
	}
	if ((w = writers(f->dirs[0].mode)) != NULL)
		return snprintf(buf, len, "its directory %s is writable by %s",
		    dir, w), 1;
	return 0;
}

/* Does s match pat?  '*' stands for any run of characters, '/' too;
 * '?' for any one. */
static int
glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = ++pat;
			back = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star;
			s = ++back;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Does a list of patterns (separated by commas or blanks) name path? */
static int
trust_names(const char *list, const char *path)
{
	char pat[PA_PATH_MAX];
	size_t len;

	for (;;) {
		list += strspn(list, " \t,");
		if (*list == '\0')
			return 0;
		len = strcspn(list, " \t,");
		if (len < sizeof(pat)) {
			memcpy(pat, list, len);
			pat[len] = '\0';
			if (glob_match(pat, path))
				return 1;
		}
		list += len;
	}
}

static const char *
kind_name(enum pa_file_kind k)
{
	switch (k) {
	case PA_FILE_REGULAR: return "a file";
	case PA_FILE_DIR: return "a directory";
	case PA_FILE_LINK: return "a symbolic link";
	case PA_FILE_OTHER: break;
	}
	return "a device, FIFO or socket";
}

/*
 * Reads the file at path into *f (the caller frees it, whatever this
 * returns).  A missing file is PA_ENOENT when missing_ok (for the search
 * to go on), else PA_ECONFIG; so is anything but a regular file.
 */
static int
read_file(const struct pa_os *os, const char *path, int missing_ok,
    struct pa_file_read *f, struct pa_error *err)
{
	const struct pa_os *fos = file_os(os);
	char msg[sizeof(err->msg)];
	int rc;

	memset(f, 0, sizeof(*f));
	rc = fos->file_read(fos->ctx, path, CONFIG_MAX, f, err);
	if (rc == PA_ENOENT)
		return pa__err_at(err, missing_ok ? PA_ENOENT : PA_ECONFIG,
		    path, 0, "cannot open: %s", strerror(ENOENT));
	if (rc != 0 && err == NULL)
		return PA_ECONFIG;
	if (rc != 0) {
		pa__strlcpy(msg, err->msg, sizeof(msg));
		return pa__err_at(err, PA_ECONFIG, path, 0, "cannot read "
		    "(%s)", msg);
	}
	if (f->file.kind != PA_FILE_REGULAR)
		return pa__err_at(err, PA_ECONFIG, path, 0, "not a regular "
		    "file (it is %s)", kind_name(f->file.kind));
	return 0;
}

/* Parses what read_file read from path; records who could have written
 * it. */
static int
parse_read(struct pa_config **out, const struct pa_os *os, const char *path,
    const struct pa_file_read *f, struct pa_error *err)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = path;
	p.source = PA_FROM_FILE;
	p.text = f->text;
	p.end = f->text + f->len;
	if ((rc = parse(out, &p, err)) != 0)
		return rc;
	(*out)->system_trusted = !system_why(os, f, (*out)->untrusted_why,
	    sizeof((*out)->untrusted_why));
	return 0;
}

/* Reads and parses the file at path (missing: PA_ECONFIG). */
static int
load_file(struct pa_config **out, const struct pa_os *os, const char *path,
    struct pa_error *err)
{
	struct pa_file_read f;
	int rc;

	*out = NULL;
	if ((rc = read_file(os, path, 0, &f, err)) == 0)
		rc = parse_read(out, os, path, &f, err);
	pa__file_read_free(&f);
	return rc;
}

int
pa_config_parse_file(struct pa_config **out, const char *path,
    struct pa_error *err)
{
	return load_file(out, pa__os_native(), path, err);
}

/* What loading one configuration keeps on the way. */
struct loader {
	const struct pa_os *os;
	int64_t me;                 /* the caller's uid */
	struct pa_config *host;     /* the host's file, NULL if none */
	char host_real[PA_PATH_MAX];
	int is_host;                /* the chosen file is the host's */
};

/*
 * The host's policy file into l->host: $PORTALLOC_HOST_CONFIG (a test's
 * stand-in, honoured for root only when root alone can write it), else
 * the OS's system file (/etc/portalloc/portalloc.ini; Windows:
 * %ProgramData%\portalloc\portalloc.ini).  Like a file the search finds,
 * it must be the caller's or root's, and no one else's to write.
 */
static int
load_host(struct loader *l, struct pa_error *err)
{
	const char *env = getenv(HOST_CONFIG_ENV), *path;
	char user[PA_PATH_MAX], sys[PA_PATH_MAX], why[256];
	struct pa_file_read f;
	int rc;

	/* the OS says where (Linux /etc/portalloc, Windows %ProgramData%) */
	pa__config_paths(user, sizeof(user), sys, sizeof(sys));
	path = env != NULL && *env != '\0' ? env : sys;
	if (path[0] == '\0')
		return 0;
	if ((rc = read_file(l->os, path, 1, &f, err)) == 0 &&
	    user_why(l->os, &f, l->me, why, sizeof(why)))
		rc = pa__err_at(err, PA_ECONFIG, path, 0, "the host's "
		    "configuration is not used: %s", why);
	if (rc == 0)
		rc = parse_read(&l->host, l->os, path, &f, err);
	if (rc == 0 && path == env && l->me == 0 && !l->host->system_trusted)
		rc = pa__err_at(err, PA_ECONFIG, path, 0, "$%s is not used as "
		    "root: %s", HOST_CONFIG_ENV, l->host->untrusted_why);
	pa__strlcpy(l->host_real, f.path, sizeof(l->host_real));
	pa__file_read_free(&f);
	if (rc != 0) {
		pa_config_free(l->host);
		l->host = NULL;
	}
	return rc == PA_ENOENT ? 0 : rc;
}

/* Parses a file read by the search or named by the caller, unless it is
 * the host's own (then l->host is the configuration). */
static int
take_file(struct pa_config **out, struct loader *l, const char *path,
    const struct pa_file_read *f, struct pa_error *err)
{
	if (l->host != NULL && strcmp(f->path, l->host_real) == 0) {
		*out = l->host;
		l->host = NULL;
		l->is_host = 1;
		return 0;
	}
	return parse_read(out, l->os, path, f, err);
}

/* The search before the host's file: ./portalloc.ini, then the user's
 * file; "" where there is none. */
static void
search_paths(char cand[2][PA_PATH_MAX])
{
	char sys[PA_PATH_MAX];

	snprintf(cand[0], PA_PATH_MAX, "portalloc.ini");
	/* the OS says where (Linux $XDG_CONFIG_HOME or ~/.config,
	 * Windows %APPDATA%) */
	pa__config_paths(cand[1], PA_PATH_MAX, sys, sizeof(sys));
}

/*
 * The first file the search finds, into *out (NULL when none): used when
 * it is the caller's or root's and no one else may write it or its
 * directory, or when the host's trust list names it; else PA_ECONFIG
 * with PA_HINT_TRUST, and nothing is parsed.
 */
static int
load_found(struct pa_config **out, struct loader *l, struct pa_error *err)
{
	char cand[2][PA_PATH_MAX], why[256];
	struct pa_file_read f;
	int i, rc;

	*out = NULL;
	search_paths(cand);
	for (i = 0; i < 2; i++) {
		if (cand[i][0] == '\0')
			continue;
		rc = read_file(l->os, cand[i], 1, &f, err);
		if (rc == 0 && user_why(l->os, &f, l->me, why, sizeof(why)) &&
		    (l->host == NULL || !l->host->system_trusted ||
		    !trust_names(l->host->trust, f.path)))
			rc = pa__hint(err, pa__err_at(err, PA_ECONFIG, f.path,
			    0, "found by the search, but not used: %s", why),
			    PA_HINT_TRUST, NULL);
		if (rc == 0)
			rc = take_file(out, l, cand[i], &f, err);
		pa__file_read_free(&f);
		if (rc != PA_ENOENT)
			return rc;
	}
	return 0;
}

/* The file named by the caller (path, else $PORTALLOC_CONFIG), else the
 * one the search finds, else the host's, else the embedded default. */
static int
load_chosen(struct pa_config **out, struct loader *l, const char *path,
    struct pa_error *err)
{
	struct pa_file_read f;
	int rc;

	*out = NULL;
	if (path == NULL && (path = getenv("PORTALLOC_CONFIG")) != NULL &&
	    *path == '\0')
		path = NULL;
	if (path != NULL) {
		if ((rc = read_file(l->os, path, 0, &f, err)) == 0)
			rc = take_file(out, l, path, &f, err);
		pa__file_read_free(&f);
	} else {
		rc = load_found(out, l, err);
	}
	if (rc != 0 || *out != NULL)
		return rc;
	if (l->host != NULL) {
		*out = l->host;
		l->host = NULL;
		l->is_host = 1;
		return 0;
	}
	if ((*out = config_new()) == NULL)
		return pa__err_nomem(err);
	return add_default_blocks(*out, err);
}

static void
warn(struct pa_config *cfg, const char *fmt, ...) PA__PRINTF(2, 3);

/* Adds a warning to cfg (the first PA_CONFIG_WARNINGS_MAX are kept). */
static void
warn(struct pa_config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (cfg->nwarnings == PA_CONFIG_WARNINGS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(cfg->warnings[cfg->nwarnings++], sizeof(cfg->warnings[0]),
	    fmt, ap);
	va_end(ap);
}

/*
 * The host's policy over a project's file: `trust` only from the host's
 * file; the host's store unless $PORTALLOC_STORE or the file names its
 * own, and a warning when the file names another.
 */
static int
apply_host(struct pa_config *cfg, const struct loader *l,
    struct pa_error *err)
{
	const struct pa_config *h = l->host;
	const char *env = getenv("PORTALLOC_STORE");
	char user[PA_PATH_MAX], sys[PA_PATH_MAX];

	if (!l->is_host && cfg->o_trust.source == PA_FROM_FILE) {
		pa__config_paths(user, sizeof(user), sys, sizeof(sys));
		return pa__err_at(err, PA_ECONFIG, cfg->file, cfg->o_trust.line,
		    "'trust' is read only from the host's configuration (%s)",
		    sys);
	}
	if (h == NULL)
		return 0;
	pa__strlcpy(cfg->host_file, h->file, sizeof(cfg->host_file));
	if (h->store[0] == '\0' || (env != NULL && *env != '\0'))
		return 0;   /* no host store, or $PORTALLOC_STORE wins */
	if (cfg->o_store.source != PA_FROM_FILE) {
		pa__strlcpy(cfg->store, h->store, sizeof(cfg->store));
		cfg->o_store = h->o_store;
		cfg->o_store.name = cfg->host_file;
	} else if (strcmp(cfg->store, h->store) != 0) {
		warn(cfg, "%s:%d: store = %s moves the store away from the "
		    "host's (%s:%d: %s): jobs that use the host's store may be "
		    "handed the same ports as this one", cfg->file,
		    cfg->o_store.line, cfg->store, h->file, h->o_store.line,
		    h->store);
	}
	return 0;
}

/* $PORTALLOC_STORE, when set, names the store; then, as root, a store
 * named by a file must come from a file that root alone can write. */
static int
apply_store(struct pa_config *cfg, int64_t me, struct pa_error *err)
{
	const char *store = getenv("PORTALLOC_STORE");

	if (store != NULL && *store != '\0') {
		if (pa__strlcpy(cfg->store, store, sizeof(cfg->store)))
			return pa__err(err, PA_ECONFIG, "$PORTALLOC_STORE is "
			    "too long");
		cfg->o_store.source = PA_FROM_ENV;
		cfg->o_store.name = "PORTALLOC_STORE";
		return 0;
	}
	if (me != 0 || cfg->o_store.source != PA_FROM_FILE ||
	    cfg->o_store.name != NULL || cfg->system_trusted)
		return 0;
	return pa__err_at(err, PA_ECONFIG, cfg->file, cfg->o_store.line,
	    "store = %s is not used as root: %s; as root, the store comes "
	    "only from a file that root alone can write", cfg->store,
	    cfg->untrusted_why);
}

int
pa__config_load_os(struct pa_config **out, const char *path,
    const struct pa_os *os, struct pa_error *err)
{
	struct pa_config *cfg = NULL;
	struct loader l;
	int rc;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.os = os;
	l.me = os->self_uid(os->ctx);
	if ((rc = load_host(&l, err)) == 0)
		rc = load_chosen(&cfg, &l, path, err);
	if (rc == 0)
		rc = apply_host(cfg, &l, err);
	if (rc == 0)
		rc = apply_store(cfg, l.me, err);
	if (rc == 0)
		rc = pa__config_check_os(cfg, os, err);
	pa_config_free(l.host);
	if (rc != 0) {
		pa_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int
pa_config_load(struct pa_config **out, const char *path, struct pa_error *err)
{
	return pa__config_load_os(out, path, pa__os_native(), err);
}

int
pa__config_may_change_system(const struct pa_config *cfg,
    const struct pa_os *os, struct pa_error *err)
{
	if (cfg->system_trusted || os->self_uid(os->ctx) != 0)
		return 0;
	return pa__err_at(err, PA_ECONFIG, cfg->file, 0, "not used to change "
	    "system settings as root: %s; as root, portalloc reserves ports "
	    "only from a file that root alone can write, in directories "
	    "that root alone can write", cfg->untrusted_why);
}

const struct pa_block *
pa_config_block(const struct pa_config *cfg, const char *name)
{
	if (name == NULL)
		return cfg->nblocks > 0 ? &cfg->blocks[0] : NULL;
	return find_block(cfg, name);
}

int
pa__config_check_os(const struct pa_config *cfg, const struct pa_os *os,
    struct pa_error *err)
{
	const struct pa_block *b;
	uint16_t lo, hi;
	size_t i;

	if (os->ephemeral_range(os->ctx, &lo, &hi) != 0)
		return 0; /* unknown here: nothing to check against */
	for (i = 0; i < cfg->nblocks; i++) {
		b = &cfg->blocks[i];
		if (b->reserve != PA_RESERVE_NO || b->last < lo ||
		    b->first > hi)
			continue;
		return pa__err_at(err, PA_ECONFIG, cfg->file[0] ? cfg->file :
		    PA__DEFAULT_CONFIG_NAME, b->at.line, "block '%s' (%u-%u) "
		    "overlaps the ephemeral port range %u-%u: the OS may "
		    "give its ports to any outgoing connection; move it or "
		    "set reserve = runtime or persistent", b->name, b->first,
		    b->last, lo, hi);
	}
	return 0;
}

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
	K_BIND = 32, K_ACCEL_GROUP = 64 };

struct parser {
	struct pa_config *cfg;
	const char *name;          /* file name for messages */
	enum pa_source source;
	/* the input: a FILE or a string */
	FILE *fp;
	const char *text;
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

/* fgets() over a FILE or a string, counting lines. */
static char *
reader(char *buf, int num, void *stream)
{
	struct parser *p = stream;
	size_t len = 0;
	int c;

	if (num < 2)
		return NULL;
	for (;;) {
		if (p->fp) {
			c = getc(p->fp);
			if (c == EOF)
				break;
		} else {
			if (*p->text == '\0')
				break;
			c = (unsigned char)*p->text++;
		}
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
	if (strcmp(key, "accel_group") == 0)
		return set_accel_group(p, value);
	return fail(p, p->line, "unknown key '%s' in [portalloc] (expected "
	    "store, lease_ttl, accel_group)", key);
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

	if (p->failed)
		return 0;
	p->keys++;
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
	return parse(out, &p, err);
}

int
pa_config_parse_file(struct pa_config **out, const char *path,
    struct pa_error *err)
{
	struct parser p;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.name = path;
	p.source = PA_FROM_FILE;
	if ((p.fp = fopen(path, "r")) == NULL)
		return pa__err_at(err, PA_ECONFIG, path, 0, "cannot open: %s",
		    strerror(errno));
	rc = parse(out, &p, err);
	if (rc == 0 && ferror(p.fp)) {
		pa_config_free(*out);
		*out = NULL;
		rc = pa__err_at(err, PA_ECONFIG, path, 0, "read error");
	}
	fclose(p.fp);
	return rc;
}

/* Does a file exist at path?  1 yes, 0 no, or an error for one that exists
 * but cannot be read (that is never silently skipped). */
static int
probe_file(const char *path, struct pa_error *err)
{
	FILE *fp = fopen(path, "r");

	if (fp != NULL) {
		fclose(fp);
		return 1;
	}
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return pa__err_at(err, PA_ECONFIG, path, 0, "cannot open: %s",
	    strerror(errno));
}

/* The first file of the search order that exists, into buf; "" if none. */
static int
find_config(char *buf, size_t len, struct pa_error *err)
{
	const char *env, *home;
	char cand[3][PA_PATH_MAX];
	int i, rc;

	if ((env = getenv("PORTALLOC_CONFIG")) != NULL && *env != '\0') {
		pa__strlcpy(buf, env, len);
		return 0;
	}
	snprintf(cand[0], sizeof(cand[0]), "portalloc.ini");
	cand[1][0] = '\0';
	if ((env = getenv("XDG_CONFIG_HOME")) != NULL &&
	    pa__path_absolute(env))
		snprintf(cand[1], sizeof(cand[1]),
		    "%s/portalloc/portalloc.ini", env);
	else if ((home = getenv("HOME")) != NULL && pa__path_absolute(home))
		snprintf(cand[1], sizeof(cand[1]),
		    "%s/.config/portalloc/portalloc.ini", home);
	snprintf(cand[2], sizeof(cand[2]), "/etc/portalloc/portalloc.ini");
	for (i = 0; i < 3; i++) {
		if (cand[i][0] == '\0')
			continue;
		if ((rc = probe_file(cand[i], err)) < 0)
			return rc;
		if (rc == 1) {
			pa__strlcpy(buf, cand[i], len);
			return 0;
		}
	}
	buf[0] = '\0';
	return 0;
}

int
pa_config_load(struct pa_config **out, const char *path, struct pa_error *err)
{
	char found[PA_PATH_MAX];
	struct pa_config *cfg;
	const char *store;
	int rc;

	*out = NULL;
	if (path == NULL) {
		if ((rc = find_config(found, sizeof(found), err)) != 0)
			return rc;
		path = found[0] ? found : NULL;
	}
	if (path != NULL) {
		if ((rc = pa_config_parse_file(&cfg, path, err)) != 0)
			return rc;
	} else {
		/* no file anywhere: everything is the built-in default */
		if ((cfg = config_new()) == NULL)
			return pa__err(err, PA_ENOMEM, "out of memory");
		if ((rc = add_default_blocks(cfg, err)) != 0) {
			pa_config_free(cfg);
			return rc;
		}
	}
	if ((store = getenv("PORTALLOC_STORE")) != NULL && *store != '\0') {
		if (pa__strlcpy(cfg->store, store, sizeof(cfg->store))) {
			pa_config_free(cfg);
			return pa__err(err, PA_ECONFIG, "$PORTALLOC_STORE is "
			    "too long");
		}
		cfg->o_store.source = PA_FROM_ENV;
		cfg->o_store.name = "PORTALLOC_STORE";
	}
	*out = cfg;
	return 0;
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

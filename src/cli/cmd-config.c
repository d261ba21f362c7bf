/* portalloc config: the effective configuration, and where each value
 * came from. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char *const reserve_names[] = { "no", "runtime", "persistent" };

/* "FILE:LINE", "$NAME", "built-in default" or "default". */
static void
origin(char *buf, size_t len, const struct pa_config *cfg,
    const struct pa_origin *o, int in_file_block)
{
	switch (o->source) {
	case PA_FROM_FILE:
		snprintf(buf, len, "%s:%d", o->name ? o->name : cfg->file,
		    o->line);
		return;
	case PA_FROM_ENV:
		snprintf(buf, len, "$%s", o->name);
		return;
	case PA_FROM_DEFAULT:
		snprintf(buf, len, "%s", in_file_block ? "default" :
		    "built-in default");
		return;
	}
}

/* A duration the way the file would say it: "2h", "1h30m", "never". */
static void
ttl_text(char *buf, size_t len, int64_t ttl)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i, off = 0;

	if (ttl == 0) {
		snprintf(buf, len, "never");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && off < len; i++) {
		if (ttl / units[i].secs == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%" PRId64 "%c",
		    ttl / units[i].secs, units[i].unit);
		ttl %= units[i].secs;
	}
}

/* One "key = value ; from" line. */
static void
line(const char *key, const char *value, const char *from)
{
	char kv[PA_PATH_MAX + 64];

	snprintf(kv, sizeof(kv), "%s = %s", key, value);
	printf("%-40s ; %s\n", kv, from);
}

static void
print_ini(const struct pa_config *cfg, const char *store)
{
	const struct pa_block *b;
	char from[PA_PATH_MAX + 16], val[PA_NAME_MAX + 16];
	size_t i;
	int fb = !cfg->default_blocks;

	printf("; portalloc %s: effective configuration\n; file: %s\n",
	    PA_VERSION, cfg->file[0] ? cfg->file :
	    "none found, built-in default");
	printf("[portalloc]\n");
	origin(from, sizeof(from), cfg, &cfg->o_store, 0);
	if (cfg->o_store.source == PA_FROM_DEFAULT)
		snprintf(from, sizeof(from), "default");
	line("store", store, from);
	ttl_text(val, sizeof(val), cfg->lease_ttl);
	origin(from, sizeof(from), cfg, &cfg->o_ttl, 0);
	line("lease_ttl", val, from);
	for (i = 0; i < cfg->nblocks; i++) {
		b = &cfg->blocks[i];
		origin(from, sizeof(from), cfg, &b->at, fb);
		snprintf(val, sizeof(val), "[block %s]", b->name);
		printf("\n%-40s ; %s\n", val, from);
		snprintf(val, sizeof(val), "%u-%u", b->first, b->last);
		origin(from, sizeof(from), cfg, &b->o_ports, fb);
		line("ports", val, from);
		origin(from, sizeof(from), cfg, &b->o_protos, fb);
		line("protocols", out_protos(b->protos), from);
		origin(from, sizeof(from), cfg, &b->o_reserve, fb);
		line("reserve", reserve_names[b->reserve], from);
		origin(from, sizeof(from), cfg, &b->o_bind, fb);
		line("bind_address", b->bind_address, from);
	}
}

static void
json_value(const char *key, const char *value, const char *from, int comma)
{
	printf("%s\"%s\":{\"value\":", comma ? "," : "", key);
	out_json_string(stdout, value);
	printf(",\"from\":");
	out_json_string(stdout, from);
	printf("}");
}

static void
print_json(const struct pa_config *cfg, const char *store)
{
	const struct pa_block *b;
	char from[PA_PATH_MAX + 16];
	size_t i;
	int fb = !cfg->default_blocks;

	printf("{\"file\":");
	if (cfg->file[0])
		out_json_string(stdout, cfg->file);
	else
		printf("null");
	printf(",\"portalloc\":{");
	origin(from, sizeof(from), cfg, &cfg->o_store, 0);
	if (cfg->o_store.source == PA_FROM_DEFAULT)
		snprintf(from, sizeof(from), "default");
	json_value("store", store, from, 0);
	origin(from, sizeof(from), cfg, &cfg->o_ttl, 0);
	printf(",\"lease_ttl\":{\"value\":%" PRId64 ",\"from\":",
	    cfg->lease_ttl);
	out_json_string(stdout, from);
	printf("}},\"blocks\":[");
	for (i = 0; i < cfg->nblocks; i++) {
		b = &cfg->blocks[i];
		printf("%s{\"name\":", i ? "," : "");
		out_json_string(stdout, b->name);
		origin(from, sizeof(from), cfg, &b->o_ports, fb);
		printf(",\"ports\":{\"first\":%u,\"last\":%u,\"from\":",
		    b->first, b->last);
		out_json_string(stdout, from);
		printf("}");
		origin(from, sizeof(from), cfg, &b->o_protos, fb);
		json_value("protocols", out_protos(b->protos), from, 1);
		origin(from, sizeof(from), cfg, &b->o_reserve, fb);
		json_value("reserve", reserve_names[b->reserve], from, 1);
		origin(from, sizeof(from), cfg, &b->o_bind, fb);
		json_value("bind_address", b->bind_address, from, 1);
		printf("}");
	}
	printf("]}\n");
}

static int
cmd_config(struct cli *cli, int argc, char **argv)
{
	char store[PA_PATH_MAX];
	struct pa_error err;
	int rc, json = 0;
	const struct cli_opt opts[] = {
		OPT_JSON(&json, "print JSON"),
		OPT_END
	};

	if ((rc = cli_options(cli, opts, argc, argv, 0)) >= 0)
		return rc;
	memset(&err, 0, sizeof(err));
	if ((rc = pa_config_store(cli->cfg, store, sizeof(store), &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (json)
		print_json(cli->cfg, store);
	else
		print_ini(cli->cfg, store);
	return EXIT_OK;
}

const struct cmd_entry cmd_config_entry = {
	"config",
	"",
	"Print the effective configuration and where each value came from.\n"
	    "Every value shows the file and line it came from (or the default).\n"
	    "Exits 78 on a bad file.",
	cmd_config,
};

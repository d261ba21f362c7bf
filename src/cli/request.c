/* The options get and exec share: what a lease request asks for. */
#include <stdint.h>

#include "cli/cli.h"

int
cli_request_option(struct cli *cli, int c, const char *arg,
    struct pa_request *req, unsigned max_count)
{
	long long v;
	int rc;

	switch (c) {
	case 'b':
		req->block = arg;
		return -1;
	case 'n':
		if ((rc = cli_number(cli, arg, 1, max_count, "count", &v)) != 0)
			return rc;
		req->count = (unsigned)v;
		return -1;
	case 'p':
		if (pa_parse_protos(arg, &req->protos) != 0)
			return cli_usage_error(cli, "bad protocol '%s' (expected "
			    "tcp, udp or both)", arg);
		return -1;
	case 't':
		if (pa_parse_duration(arg, &req->ttl) != 0)
			return cli_usage_error(cli, "bad duration '%s' (like "
			    "90s, 30m, 2h, 1d, or never)", arg);
		return -1;
	case 'T':
		if (arg[0] == '\0')
			return cli_usage_error(cli, "empty tag");
		req->tag = arg;
		return -1;
	case 'C':
		req->consecutive = 1;
		return -1;
	}
	return -2;
}

// The public header from C++: it compiles with -Wall -Wextra -pedantic as
// C++, links (extern "C"), and a few calls give the answers C gets.
#include <portalloc/portalloc.h>

#include <cstdio>
#include <cstring>

int
main()
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_request req = { nullptr, 2, PA_TCP, 0, -1, "cxx", nullptr,
	    0 };
	uint16_t first = 0, last = 0;
	int64_t ttl = 0;
	int bad = 0;

	bad |= f.uid != -1 || req.count != 2;
	bad |= pa_parse_port_range("21000-21009", &first, &last) != 0 ||
	    first != 21000 || last != 21009;
	bad |= pa_parse_duration("1h30m", &ttl) != 0 || ttl != 5400;
	bad |= std::strcmp(pa_protos_name(PA_BOTH), "tcp+udp") != 0;
	bad |= std::strcmp(pa_strerror(PA_EFULL), "no free ports left") != 0;
	if (bad)
		std::fprintf(stderr, "header.cpp: unexpected answers\n");
	return bad;
}

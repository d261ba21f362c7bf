/* Durations, port ranges and protocol lists. */
#include "helpers.h"

#include "portalloc/portalloc.h"

static void
test_duration_good(void **state)
{
	static const struct { const char *s; int64_t v; } cases[] = {
		{ "90s", 90 }, { "30m", 1800 }, { "2h", 7200 },
		{ "1d", 86400 }, { "1h30m", 5400 }, { "45", 45 },
		{ "0", 0 }, { "never", 0 }, { "1d2h3m4s", 93784 },
		{ "3650d", 3650LL * 86400 },
	};
	size_t i;
	int64_t v;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -1;
		assert_int_equal(pa_parse_duration(cases[i].s, &v), 0);
		assert_int_equal(v, cases[i].v);
	}
}

static void
test_duration_bad(void **state)
{
	static const char *const cases[] = {
		"", "h", "5x", "-5s", "1.5h", "2h 30m", "30m5", " 5s", "5s ",
		"99999999999999999999s", "3651d", "1hh", "never!",
	};
	size_t i;
	int64_t v = 123;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pa_parse_duration(cases[i], &v), PA_EUSAGE);
		assert_int_equal(v, 123); /* untouched on error */
	}
	assert_int_equal(pa_parse_duration(NULL, &v), PA_EUSAGE);
}

static void
test_port_range(void **state)
{
	uint16_t a = 0, b = 0;

	(void)state;
	assert_int_equal(pa_parse_port_range("21000-21499", &a, &b), 0);
	assert_int_equal(a, 21000);
	assert_int_equal(b, 21499);
	assert_int_equal(pa_parse_port_range(" 1 - 65535 ", &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 65535);
	assert_int_equal(pa_parse_port_range("8080", &a, &b), 0);
	assert_int_equal(a, 8080);
	assert_int_equal(b, 8080);
	assert_int_equal(pa_parse_port_range("0-10", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("10-0", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("65530-65536", &a, &b),
	    PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("200-100", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("abc", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("100-", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("-100", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("1-2-3", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("", &a, &b), PA_EUSAGE);
	assert_int_equal(pa_parse_port_range("99999999999999999999", &a, &b),
	    PA_EUSAGE);
}

static void
test_protos(void **state)
{
	unsigned p = 0;

	(void)state;
	assert_int_equal(pa_parse_protos("tcp", &p), 0);
	assert_int_equal(p, PA_TCP);
	assert_int_equal(pa_parse_protos("udp", &p), 0);
	assert_int_equal(p, PA_UDP);
	assert_int_equal(pa_parse_protos("tcp, udp", &p), 0);
	assert_int_equal(p, PA_BOTH);
	assert_int_equal(pa_parse_protos("udp,tcp,tcp", &p), 0);
	assert_int_equal(p, PA_BOTH);
	assert_int_equal(pa_parse_protos("both", &p), 0);
	assert_int_equal(p, PA_BOTH);
	assert_int_equal(pa_parse_protos("sctp", &p), PA_EUSAGE);
	assert_int_equal(pa_parse_protos("tcp, sctp", &p), PA_EUSAGE);
	assert_int_equal(pa_parse_protos("", &p), PA_EUSAGE);
	assert_int_equal(pa_parse_protos(" , ", &p), PA_EUSAGE);
	assert_int_equal(pa_parse_protos("TCP", &p), PA_EUSAGE);
	assert_string_equal(pa_protos_name(PA_TCP), "tcp");
	assert_string_equal(pa_protos_name(PA_BOTH), "tcp+udp");
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(pa_strerror(PA_EFULL), "no free ports left");
	assert_string_equal(pa_strerror(0), "success");
	assert_string_equal(pa_strerror(-999), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_protos),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * check's text writer (src/cli/out.c, out_line): thousands of lines built
 * in one buffer and written a buffer at a time must come out exactly as
 * printf would have written them, and a text kept for the next line
 * (ol_memo_text) must never show another string's text.  Compiled with
 * src/cli/cli.c and out.c alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#include "cli/cli.h"

/* A file to write to, in a directory of its own (tmpfile() wants the
 * drive's root on Windows); th_rmtree removes the directory. */
static FILE *
scratch(char **dir)
{
	char path[1024];
	FILE *fp;

	*dir = th_tmpdir();
	assert_non_null(*dir);
	snprintf(path, sizeof(path), "%s/out.txt", *dir);
	fp = fopen(path, "w+b");
	assert_non_null(fp);
	return fp;
}

static void
scratch_done(FILE *fp, char *dir)
{
	fclose(fp);
	th_rmtree(dir);
	free(dir);
}

/* What fp holds, from its start; malloc'd. */
static char *
slurp(FILE *fp)
{
	long n;
	char *s;

	assert_int_equal(fflush(fp), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	return s;
}

/* A grow-only string for the expected text. */
struct text {
	char *s;
	size_t n, cap;
};

static void
text_add(struct text *t, const char *line)
{
	size_t k = strlen(line);

	if (t->n + k + 1 > t->cap) {
		t->cap = 2 * (t->n + k + 1);
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->n, line, k + 1);
	t->n += k;
}

/* 3,000 lines of two columns, padded as printf's %-*s pads, with a text
 * that changes every seventh line: more than a buffer's worth, so the
 * writes cross the buffer's end many times. */
static void
test_many_lines_as_printf(void **state)
{
	static struct out_line l;
	struct ol_memo m;
	struct text want = { NULL, 0, 0 };
	char line[256], word[32], tab[32], *words[3000 / 7 + 1];
	char *dir;
	FILE *fp = scratch(&dir);
	char *got;
	int i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 3000; i++) {
		snprintf(word, sizeof(word), "w%d", i / 7);
		snprintf(tab, sizeof(tab), "a\tb%d", i % 3);
		snprintf(line, sizeof(line), "%-7d%-9s|%s|a\\tb%d\n", i - 1500,
		    i % 2 ? "odd" : "even", word, i % 3);
		text_add(&want, line);
		ol_int(&l, i - 1500);
		ol_pad(&l, 7);
		ol_str(&l, i % 2 ? "odd" : "even");
		ol_pad(&l, 16);
		ol_str(&l, "|");
		/* a new pointer every 7th line; the same one between */
		if (i % 7 == 0)
			assert_non_null(words[i / 7] = strdup(word));
		ol_memo_text(&l, &m, words[i / 7], 32);
		ol_str(&l, "|");
		ol_text(&l, tab, 32);
		ol_str(&l, "\n");
		ol_write(&l, fp);
	}
	ol_flush(&l, fp);
	got = slurp(fp);
	assert_string_equal(got, want.s);
	for (i = 0; i < 3000; i += 7)
		free(words[i / 7]);
	free(got);
	free(want.s);
	scratch_done(fp, dir);
}

/* The kept text is the string's as ol_text shows it: escaped, cut to the
 * length asked; a different string, or the same one cut elsewhere, is
 * shown anew. */
static void
test_memo_shows_each_string(void **state)
{
	static struct out_line l;
	static const char hostile[] = "\033[2J\nport 1 fake\xff\xc3";
	char a[] = "alpha", b[] = "alpha-beta";
	struct ol_memo m;
	char *dir;
	FILE *fp = scratch(&dir);
	char *got;

	(void)state;
	memset(&m, 0, sizeof(m));
	ol_memo_text(&l, &m, a, 64);
	ol_str(&l, " ");
	ol_memo_text(&l, &m, a, 64);
	ol_str(&l, " ");
	ol_memo_text(&l, &m, b, 64);        /* another pointer */
	ol_str(&l, " ");
	ol_memo_text(&l, &m, b, 6);         /* the same, cut to 5 */
	ol_str(&l, " ");
	ol_memo_text(&l, &m, hostile, 64);
	ol_str(&l, " ");
	ol_text(&l, hostile, 64);
	ol_str(&l, "\n");
	ol_write(&l, fp);
	ol_flush(&l, fp);
	got = slurp(fp);
	assert_string_equal(got, "alpha alpha alpha-beta alpha "
	    "\\x1b[2J\\nport 1 fake\\xff\\xc3 \\x1b[2J\\nport 1 fake\\xff\\xc3\n");
	free(got);
	scratch_done(fp, dir);
}

/* A line has OL_LINE bytes: what does not fit is cut, and the next line
 * starts whole. */
static void
test_long_part_cut(void **state)
{
	static struct out_line l;
	char *big = malloc(4 * OL_LINE + 1);
	char *dir;
	FILE *fp = scratch(&dir);
	char *got;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 4 * OL_LINE);
	big[4 * OL_LINE] = '\0';
	ol_str(&l, big);
	ol_write(&l, fp);
	ol_str(&l, "next\n");
	ol_write(&l, fp);
	ol_flush(&l, fp);
	got = slurp(fp);
	assert_int_equal(strlen(got), OL_LINE + 5);
	assert_string_equal(got + OL_LINE, "next\n");
	free(got);
	free(big);
	scratch_done(fp, dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_lines_as_printf),
		cmocka_unit_test(test_memo_shows_each_string),
		cmocka_unit_test(test_long_part_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

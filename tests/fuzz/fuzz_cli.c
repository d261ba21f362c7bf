/*
 * libFuzzer target: the command line.  The input is the arguments after
 * "portalloc", separated by NUL bytes; the CLI's own main() (compiled as
 * pa_cli_main for this target) parses them.  Nothing reaches a store or
 * the system: $PORTALLOC_CONFIG names a file that does not exist, so a
 * command stops at loading the configuration (exit 78) once its options
 * are parsed.  Inputs that could reach beyond that are skipped: any
 * argument with a '/' (-c /dev/stdin would block), and the commands that
 * act before loading a configuration (who reads the kernel's tables,
 * exec would run a program).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pa_cli_main(int argc, char **argv);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXARGS 16

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/portalloc-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	/* relative -c FILE names meet an empty directory */
	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		abort();
	setenv("PORTALLOC_CONFIG", "/nonexistent/portalloc-fuzz.ini", 1);
	setenv("PORTALLOC_STORE", "/nonexistent/portalloc-fuzz.db", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	setenv("HOME", "/nonexistent", 1);
	return 0;
}

static int
allowed(char **argv, int argc)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strchr(argv[i], '/') != NULL)
			return 0;
		if (strcmp(argv[i], "who") == 0 || strcmp(argv[i], "exec") == 0)
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAXARGS + 2], *s, *end;
	int argc = 0;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "portalloc";
	for (s = buf, end = buf + size; s <= end && argc <= MAXARGS;
	    s += strlen(s) + 1)
		argv[argc++] = s;
	argv[argc] = NULL;
	if (allowed(argv, argc)) {
		pa_cli_main(argc, argv);
		clearerr(stdout);
	}
	free(buf);
	return 0;
}

/* Helpers shared by the tests: temporary directories, files, sockets, the
 * environment, running the CLI (POSIX only). */
#ifndef PA_TEST_HELPERS_H
#define PA_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#define TH_WINDOWS 1
#else
#include <netinet/in.h>
#include <sys/socket.h>
#define TH_WINDOWS 0
#endif

#include "portalloc/portalloc.h"

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR (or /tmp); removed by th_rmtree. */
char *th_tmpdir(void);
void th_rmtree(const char *path);
/* Writes text to dir/name; returns the malloc'd path. */
char *th_write(const char *dir, const char *name, const char *text);
/* The whole file, NUL-terminated, malloc'd; *len gets its size. */
char *th_read(const char *path, size_t *len);

/* What a finished command left behind. */
struct th_run {
	int status;     /* exit code, or 128+N for signal N */
	char *out;      /* stdout, NUL-terminated */
	char *err;      /* stderr */
};
/*
 * Runs argv (argv[0] is a path) in directory cwd with an environment made
 * only of env (NULL-terminated NAME=VALUE strings) plus PATH, waits for it.
 * Windows: our own environment with env on top (Winsock needs SystemRoot),
 * and the exit code as the status.
 */
void th_run(struct th_run *r, const char *cwd, char *const env[],
    char *const argv[]);
/* The same as user uid (root only; -1: as we are).  POSIX only. */
void th_run_as(struct th_run *r, long uid, const char *cwd,
    char *const env[], char *const argv[]);
void th_run_free(struct th_run *r);
/*
 * argv for running bin: argv[0] = bin, then the char * arguments of ap up
 * to their NULL (at most TH_ARGS_MAX - 2 of them).  Returns argc.
 */
#define TH_ARGS_MAX 16
int th_argv(char *argv[TH_ARGS_MAX], const char *bin, va_list ap);
/* Frees the strings of a NULL-terminated array (an environment). */
void th_strv_free(char **v);
/* ss gets the loopback address of family (AF_INET, AF_INET6) and port;
 * returns its length. */
int th_loopback(int family, uint16_t port, struct sockaddr_storage *ss);

/* Counts lines in s. */
size_t th_lines(const char *s);
/* How many times needle occurs in s. */
size_t th_count(const char *s, const char *needle);
/* Parses a whitespace-separated list of ports into v; returns how many. */
size_t th_ports(const char *s, uint16_t *v, size_t max);
/* 1 if every one of v[0..n) differs from the others. */
int th_distinct(const uint16_t *v, size_t n);
/* A TCP listener (SO_REUSEADDR on POSIX) or a UDP socket on the loopback
 * address of family (AF_INET, AF_INET6); TH_BADSOCK on failure. */
#define TH_BADSOCK ((pa_socket_t)-1)
pa_socket_t th_listen_tcp(int family, uint16_t port);
pa_socket_t th_bind_udp(int family, uint16_t port);
void th_sock_close(pa_socket_t s);
/* The local port a socket is bound to; 0 if it cannot be read. */
uint16_t th_sock_port(pa_socket_t s);

/* The environment, a directory, and whether we are root (never on
 * Windows). */
void th_setenv(const char *name, const char *value);
void th_unsetenv(const char *name);
int th_mkdir(const char *path);
int th_is_root(void);

/* 1 once /proc/locks shows a process queued on the lock of the file at
 * path, polling for at most 10 s; 0 if none ever shows (POSIX). */
int th_lock_waiter_seen(const char *path);

#endif

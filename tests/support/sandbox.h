/*
 * The one end-to-end sandbox: every test that runs the built portalloc
 * gets a fresh temporary directory that is its working directory, home,
 * config home and state home, a store of its own in it, and an
 * environment that names them, so that no test ever touches the user's
 * store or configuration, nor another test's.  It also gives the tests a
 * network of their own (a private network namespace, as root) or, where
 * that cannot be had, ports that it first checked are free, and a bounded
 * wait for a condition instead of a fixed sleep.
 */
#ifndef PA_TEST_SANDBOX_H
#define PA_TEST_SANDBOX_H

#include <stdint.h>

#include "helpers.h"

#define SB_ENV_MAX 16

struct sb {
	char *dir;                  /* also the working directory */
	char store[600];            /* dir/state/leases.db */
	char *env[SB_ENV_MAX + 1];  /* NAME=VALUE, NULL-terminated;
	                               env[0] is PORTALLOC_STORE */
};

/*
 * A new sandbox: PORTALLOC_STORE, HOME, XDG_CONFIG_HOME, XDG_STATE_HOME and
 * PORTALLOC_SYSCTL_DROPIN point into it.  No config file exists until
 * sb_config writes ./portalloc.ini.
 */
struct sb *sb_new(void);
void sb_free(struct sb *s);
/* Sets (or replaces) NAME=value in the sandbox's environment. */
void sb_setenv(struct sb *s, const char *name, const char *value);
/* Writes dir/portalloc.ini (found as ./portalloc.ini); printf-style. */
void sb_config(struct sb *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Runs portalloc with the arguments up to NULL, in the sandbox. */
void sb_run(struct sb *s, struct th_run *r, ...);
/* Runs argv (argv[0] any program) in the sandbox. */
void sb_run_argv(struct sb *s, struct th_run *r, char *const argv[]);
/*
 * Runs argv in the sandbox under the peak_rss program (its path): the
 * output in *r, the command's peak RSS in KiB returned; fails the test
 * unless the command exited with want_status.
 */
long sb_peak_rss(struct sb *s, struct th_run *r, const char *peak_rss,
    char *const argv[], int want_status);
/* The environment plus PATH, for a caller that forks by itself; free
 * with free() (the strings belong to the sandbox). */
char **sb_envp(struct sb *s);

/*
 * Moves this process, once, into a network namespace of its own with lo
 * up (root only), where no other program's port can be in the way.
 * 1 when it is in one now; 0 (and a note on stderr) when it could not.
 * Call it first in main, before any socket or child exists.
 * $PORTALLOC_TEST_HOST_NET set: stays on the host's network (to test the
 * checked-free ports under load, as a user who is not root would).
 */
int sb_private_net(void);
/* Brings lo up in this process's network namespace (a new one has it
 * down); 0 on success.  Linux. */
int sb_lo_up(void);
/* Whether sb_private_net succeeded. */
int sb_in_private_net(void);
/*
 * The first of width ports in a row for this test: in a private network
 * namespace `from` itself; elsewhere ports leased (for as long as this
 * process lives) from a store all tests of this user share, each probed
 * free, so that neither another program nor another test run has them.
 * Fails the test when there are none.
 */
uint16_t sb_free_range(uint16_t from, unsigned width);

/* Polls cond(arg) until it is true or ms milliseconds passed; 1 if it
 * became true.  For waiting on another process, never a fixed sleep. */
int sb_until(int (*cond)(void *), void *arg, int ms);

#endif

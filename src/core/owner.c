/*
 * Lease owners: which process a lease belongs to, and whether it still
 * lives.  This file exists because both questions are subtle and must be
 * answered the same way by get, release --mine, gc and exec.
 *
 * The owner is the process the user means: by default the caller's
 * parent, skipping the processes that only run portalloc and end with it
 * (timeout, xargs, flock, sudo and friends when they fork, a forked
 * subshell, a `sh -c` whose script ends with the portalloc command, as
 * make, os.system and execSync run), or PORTALLOC_OWNER=PID.
 *
 * A process is identified by its pid, start time and boot, and where the
 * OS says, by its own PID namespace, its pid there and an id that is never
 * reused (the pidfd inode on Linux).  Liveness is judged only where it can
 * be proven: from the owner's namespace, or one that sees it; elsewhere
 * the owner is taken to be alive.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Launchers that fork portalloc, wait for it and end with it. */
static const char *const wrappers[] = {
	"timeout", "xargs", "flock", "runuser", "su", "sudo", "doas", "nice",
	"ionice", "stdbuf", "env", "nohup", "setsid", "time", "chrt",
	"taskset", "setpriv", NULL
};

/* Shells that run `-c SCRIPT`. */
static const char *const shells[] = {
	"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", NULL
};

/* The initial PID namespace of Linux (PROC_PID_INIT_INO). */
#define INIT_PIDNS 0xEFFFFFFCu

#define OWNER_DEPTH PA__OWNER_DEPTH

static int
in_list(const char *const *list, const char *name, size_t len)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0)
			return 1;
	return 0;
}

/* Is the process's name, or its argv[0]'s last component, in list? */
static int
named(const struct pa_proc *p, const char *const *list)
{
	const char *s = p->cmdline, *end, *base;

	if (in_list(list, p->name, strlen(p->name)))
		return 1;
	end = s + strcspn(s, " ");
	for (base = end; base > s && base[-1] != '/'; base--)
		;
	return in_list(list, base, (size_t)(end - base));
}

/* Does the text at s start a command word "portalloc"? */
static int
portalloc_word(const char *script, const char *s)
{
	static const char before[] = " \t\n/(`;&|\"'{";
	static const char after[] = " \t\n;&|)`<>\"'}";

	if (s > script && strchr(before, s[-1]) == NULL)
		return 0;
	return s[9] == '\0' || strchr(after, s[9]) != NULL;
}

/* Is there a command in s, rather than only closing brackets/quotes? */
static int
has_command(const char *s)
{
	for (; *s; s++)
		if (strchr(" \t\n)`}\"'", *s) == NULL)
			return 1;
	return 0;
}

/*
 * Does the script go on after this portalloc's command (the first
 * portalloc command whose arguments are args, else the first one)?  A pipe
 * or a redirection ends with it; ';', '&&', '&' or a new line followed by
 * a command goes on ('||' only runs on failure).  -1 when there is no
 * portalloc command in it.
 */
static int
script_goes_on(const char *script, const char *args)
{
	const char *s, *first = NULL, *mine = NULL;
	size_t len = strlen(args);

	for (s = strstr(script, "portalloc"); s && mine == NULL;
	    s = strstr(s + 1, "portalloc")) {
		if (!portalloc_word(script, s))
			continue;
		if (first == NULL)
			first = s;
		if (len > 0 && s[9] == ' ' && strncmp(s + 10, args, len) == 0)
			mine = s;
	}
	if ((s = mine ? mine : first) == NULL)
		return -1;
	for (s += 9; *s; s++) {
		if (s[0] == '|' && s[1] == '|') {
			s++;
			continue;
		}
		if (*s == '&' && (s[-1] == '>' || s[-1] == '<' ||
		    s[1] == '>'))
			continue; /* 2>&1, >&2, &>file: a redirection */
		if (*s == ';' || *s == '\n' || *s == '&') {
			s += s[0] == '&' && s[1] == '&';
			if (has_command(s + 1))
				return 1;
		}
	}
	return 0;
}

/* The script of a `SHELL [-opts] -c SCRIPT` command line, or NULL. */
static const char *
shell_script(const char *cmdline)
{
	const char *s = cmdline + strcspn(cmdline, " ");
	size_t len;

	while (*s == ' ') {
		s++;
		len = strcspn(s, " ");
		if (s[0] != '-' || s[1] == '-' || len < 2)
			return NULL;
		if (memchr(s, 'c', len) != NULL)
			return s[len] ? s + len + 1 : s + len;
		s += len;
	}
	return NULL;
}

/*
 * A shell's script that struct pa_proc had to cut: read whole (up to 64
 * KiB), does it end with this portalloc?  One still cut, or unreadable, is
 * taken to end, so that the lease goes to the longer-lived process.
 */
static int
long_script_ends(const struct pa_os *os, const struct pa_proc *p,
    const char *args)
{
	const size_t len = 64 * 1024;
	const char *script;
	char *buf;
	int cut = 1, ends = 1;

	if (os->proc_cmdline == NULL || (buf = malloc(len)) == NULL)
		return 1;
	if (os->proc_cmdline(os->ctx, p->pid, buf, len, &cut, NULL) == 0 &&
	    !cut && (script = shell_script(buf)) != NULL)
		ends = script_goes_on(script, args) == 0;
	free(buf);
	return ends;
}

/*
 * Does p only run portalloc and end with it?  A wrapper that forked it, or
 * a shell whose -c script ends with it (or was cut: a cut script is taken
 * to end, so that the lease goes to the longer-lived process).
 */
static int
transient(const struct pa_os *os, const struct pa_proc *p, const char *args)
{
	const char *script;

	if (named(p, wrappers))
		return 1;
	if (!named(p, shells) || (script = shell_script(p->cmdline)) == NULL)
		return 0;
	if (strlen(p->cmdline) >= PA_CMD_MAX - 1)
		return long_script_ends(os, p, args);
	return script_goes_on(script, args) == 0;
}

/* Is p a forked copy of its parent g (a subshell)? */
static int
subshell(const struct pa_proc *p, const struct pa_proc *g)
{
	return strcmp(g->name, p->name) == 0 &&
	    strcmp(g->cmdline, p->cmdline) == 0;
}

/* The processes a walk went past, for release --mine. */
struct passed {
	struct pa_proc *v;          /* NULL: not wanted */
	int n;
};

/* The whole of p (its identity too) now that it may own a lease: read
 * again, kept only if it is the same process. */
static void
identify(const struct pa_os *os, struct pa_proc *p)
{
	struct pa_proc whole;

	if (os->proc(os->ctx, p->pid, &whole, NULL) == 0 &&
	    whole.start == p->start)
		*p = whole;
}

/*
 * Walks up from p while p is a process that ends with portalloc (args:
 * this portalloc's arguments), noting in *past those it goes past.  Never
 * to the host's init.  *exiting is set when the walk had to stop at such a
 * process: it is likely to exit at once.
 */
static void
walk_up(const struct pa_os *os, uint64_t self_ns, const char *args,
    struct pa_proc *p, int *exiting, struct passed *past)
{
	struct pa_proc g;
	int depth, skip;

	*exiting = 0;
	for (depth = 0; depth < OWNER_DEPTH; depth++) {
		if (p->start == 0)
			return; /* unreadable: nothing to judge by */
		if (p->ppid <= 0 || pa__proc(os, p->ppid, PA_PROC_CMDLINE, &g,
		    NULL) != 0 || g.start == 0) {
			*exiting = transient(os, p, args);
			return;
		}
		skip = transient(os, p, args) || subshell(p, &g);
		if (!skip)
			return;
		if (g.pid == 1 && (self_ns == 0 || self_ns == INIT_PIDNS)) {
			*exiting = 1; /* the host's init never ends */
			return;
		}
		if (past->v != NULL)
			past->v[past->n++] = *p;
		identify(os, &g);
		*p = g;
	}
	*exiting = transient(os, p, args);
}

/* PORTALLOC_OWNER's pid into *pid: 1 if set, 0 if not, or PA_EUSAGE. */
static int
env_owner(int64_t *pid, struct pa_error *err)
{
	const char *s = getenv("PORTALLOC_OWNER");
	char *end;
	long long v;

	if (s == NULL || s[0] == '\0')
		return 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0 || v > INT32_MAX)
		return pa__err(err, PA_EUSAGE, "PORTALLOC_OWNER=%s is not a "
		    "process id", s);
	*pid = v;
	return 1;
}

int
pa__owner_choose(const struct pa_os *os, uint64_t self_ns, int64_t want,
    struct pa_proc *owner, int *exiting, struct pa_proc *passed, int *npassed,
    struct pa_error *err)
{
	struct passed past = { passed, 0 };
	const char *from = "", *args;
	struct pa_proc self;
	int64_t pid = want;
	int rc;

	*exiting = 0;
	if (npassed != NULL)
		*npassed = 0;
	if (want == PA_OWNER_PARENT) {
		if ((rc = env_owner(&pid, err)) < 0)
			return rc;
		from = rc ? " (PORTALLOC_OWNER)" : "";
		if (rc == 0 && (pid = os->parent_pid(os->ctx)) <= 0)
			return pa__hint(err, pa__err(err, PA_ESRCH, "no process "
			    "can own the lease: portalloc has no parent in its "
			    "PID namespace (%s)", os->self_pid(os->ctx) == 1 ?
			    "it is pid 1 there, a container's first process" :
			    "it was started from outside it, as by docker exec "
			    "or nsenter"), PA_HINT_OWNER, NULL);
	} else if (want == 0) {
		pid = os->self_pid(os->ctx);
	} else if (want < 0) {
		return pa__err(err, PA_EUSAGE, "bad owner pid %lld",
		    (long long)want);
	}
	rc = os->proc(os->ctx, pid, owner, err);
	if (rc == PA_ESRCH)
		return pa__hint(err, pa__err(err, PA_ESRCH, "no process with "
		    "pid %lld%s to own the lease", (long long)pid, from),
		    PA_HINT_OWNER, NULL);
	if (rc != 0)
		return rc;
	if (want == PA_OWNER_PARENT && from[0] == '\0') {
		if (pa__proc(os, os->self_pid(os->ctx), PA_PROC_CMDLINE,
		    &self, NULL) != 0)
			self.cmdline[0] = '\0';
		args = self.cmdline + strcspn(self.cmdline, " ");
		walk_up(os, self_ns, args + (*args == ' '), owner, exiting,
		    &past);
	}
	/* the host's init owns nothing: its leases would never end */
	if (want == PA_OWNER_PARENT && owner->pid == 1 && owner->ppid == 0 &&
	    (self_ns == 0 || self_ns == INIT_PIDNS))
		*exiting = 1;
	if (npassed != NULL)
		*npassed = past.n;
	return 0;
}

void
pa__owner_of_proc(const struct pa_os *os, const struct pa_proc *p,
    struct pa__owner *o)
{
	memset(o, 0, sizeof(*o));
	o->pid = p->pid;
	o->start = p->start;
	pa__strlcpy(o->boot, os->boot_id(os->ctx), sizeof(o->boot));
	o->pidns = p->pidns;
	o->nspid = p->nspid;
	o->pidid = p->pidid;
}

void
pa__owner_of_lease(const struct pa_lease *l, struct pa__owner *o)
{
	memset(o, 0, sizeof(*o));
	o->pid = l->owner_pid;
	o->start = l->owner_start;
	pa__strlcpy(o->boot, l->owner_boot, sizeof(o->boot));
	o->pidns = l->owner_pidns;
	o->nspid = l->owner_nspid;
	o->pidid = l->owner_pidid;
}

int
pa__owner_same(const struct pa__owner *a, const struct pa__owner *b)
{
	return a->pid == b->pid && a->start == b->start &&
	    a->pidns == b->pidns && a->nspid == b->nspid &&
	    a->pidid == b->pidid && strcmp(a->boot, b->boot) == 0;
}

/* Is the live process p the one o recorded?  The never-reused id decides
 * where both have one; else the namespace and the start time. */
static int
is_process(const struct pa__owner *o, const struct pa_proc *p)
{
	if (o->pidid != 0 && p->pidid != 0)
		return o->pidid == p->pidid;
	if (o->pidns != 0 && p->pidns != 0 && o->pidns != p->pidns)
		return 0;
	return p->start == o->start;
}

int64_t
pa__owner_pid_in(uint64_t self_ns, uint64_t pidns, int64_t nspid,
    int64_t pid)
{
	if (pidns != 0 && pidns == self_ns && nspid > 0)
		return nspid;
	return pid;
}

int
pa__owner_alive(const struct pa_os *os, uint64_t self_ns,
    const struct pa__owner *o, int64_t *here)
{
	struct pa_proc p;
	int64_t pid;
	int rc, alive;

	if (strcmp(o->boot, os->boot_id(os->ctx)) != 0)
		return 0;
	if (o->pidns != 0 && self_ns != 0 && o->pidns != self_ns) {
		if (os->ns_proc == NULL)
			return 1; /* cannot be judged from here */
		rc = os->ns_proc(os->ctx, o->pidns, o->nspid, &p, NULL);
		if (rc == PA_ESRCH)
			return 0;
		alive = rc != 0 || p.start == 0 || is_process(o, &p);
		if (alive && rc == 0 && here != NULL)
			*here = p.pid;
		return alive;
	}
	pid = pa__owner_pid_in(self_ns, o->pidns, o->nspid, o->pid);
	rc = os->proc(os->ctx, pid, &p, NULL);
	if (rc == PA_ESRCH)
		return 0;
	if (rc != 0 || p.start == 0)
		return 1; /* exists but unreadable: never reclaim on a guess */
	if (!is_process(o, &p))
		return 0;
	if (here != NULL && pid != o->pid)
		*here = pid;
	return 1;
}

int
pa__owner_is(uint64_t self_ns, const struct pa__owner *o, int64_t pid,
    const struct pa_proc *live)
{
	/* by the pid recorded, its pid in its namespace, or (made in
	 * another namespace than ours) its namespace and its pid there */
	if (live != NULL)
		return is_process(o, live) && (o->pid == pid ||
		    o->nspid == pid || (o->pidns != 0 &&
		    o->pidns == live->pidns && o->nspid == live->nspid));
	if (o->pidns != 0 && self_ns != 0 && o->pidns != self_ns)
		return 0; /* the pid of another namespace */
	return o->pid == pid;
}

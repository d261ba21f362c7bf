/*
 * `portalloc accel` on Linux: loads the BPF task_file iterator of
 * bpf/sockfd.bpf.c (the object embedded in the skeleton bpftool generates
 * at build time, through libbpf opened at run time) and pins its link in bpffs, so that later readers (procfd.c's
 * pa__pin_read) learn every socket's holders from one read.  Also says
 * what is pinned and why it cannot be used.
 *
 * The pin's name carries the record format's version; `on` keeps a good pin
 * of this version and replaces one of another.  A new pin is made under a
 * temporary name, given its owner and mode, then renamed into place, so
 * readers never see a pin of the wrong mode and two `on` at once both end
 * with one good pin.  Without PA_HAVE_BPF (no libbpf, clang or bpftool at
 * build time) this file can still say the state and remove pins.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/types.h>

#include "base/base.h"
#include "os/linux/linux.h"
#include "os/linux/bpf/sockfd.h"

#ifdef PA_HAVE_BPF
#include <dlfcn.h>
/*
 * The skeleton calls these five libbpf functions; they are renamed to ours,
 * which call libbpf through the pointers open_libbpf fills.
 */
#define bpf_object__open_skeleton pa__bpf_open_skeleton
#define bpf_object__load_skeleton pa__bpf_load_skeleton
#define bpf_object__attach_skeleton pa__bpf_attach_skeleton
#define bpf_object__detach_skeleton pa__bpf_detach_skeleton
#define bpf_object__destroy_skeleton pa__bpf_destroy_skeleton
#include <bpf/libbpf.h>
#include "sockfd.skel.h"
#endif

#define BPFFS "/sys/fs/bpf"
#define PIN_DIR BPFFS "/portalloc"
/* Tests pin in a directory of their own; nothing else is honoured. */
#define TEST_DIR_PREFIX BPFFS "/portalloc-test-"
#define BPF_FS_MAGIC_ 0xcafe4a11
#define BTF_PATH "/sys/kernel/btf/vmlinux"

/* The directory pins live in. */
static void
pin_dir(char *buf, size_t len)
{
	const char *d = getenv("PORTALLOC_BPF_PIN_DIR");

	if (d != NULL && strncmp(d, TEST_DIR_PREFIX,
	    strlen(TEST_DIR_PREFIX)) == 0 &&
	    strchr(d + strlen(BPFFS) + 1, '/') == NULL)
		pa__strlcpy(buf, d, len);
	else
		pa__strlcpy(buf, PIN_DIR, len);
}

static int
accel_disabled(void)
{
	const char *v = getenv("PORTALLOC_ACCEL");

	return v != NULL && strcmp(v, "0") == 0;
}

/*
 * Is this process in a PID namespace below the host's?  The pin's records
 * carry the host's pids, which mean other processes there.  The
 * namespace's inode says it (the initial one has a fixed number), also
 * where the container mounted a /proc of its own; else the NSpid line of
 * /proc/self/status, which lists one pid per level /proc can see.
 */
int
pa__linux_nested_pidns(void)
{
	char line[256];
	int nested = 0;
	struct stat st;
	FILE *f;

	if (stat("/proc/self/ns/pid", &st) == 0)
		return st.st_ino != PA__LINUX_INIT_PIDNS;
	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "NSpid:", 6) == 0) {
			nested = strchr(line + 6 + strspn(line + 6, " \t"),
			    '\t') != NULL;
			break;
		}
	fclose(f);
	return nested;
}

int
pa__accel_pin(char *buf, size_t len)
{
	char dir[200];

	if (accel_disabled())
		return PA_ENOTSUP;
	if (pa__linux_nested_pidns())
		return PA_ESRCH;
	pin_dir(dir, sizeof(dir));
	snprintf(buf, len, "%s/%s", dir, PA_SOCKFD_PIN);
	return 0;
}

static int
bpffs_mounted(void)
{
	struct statfs sf;

	return statfs(BPFFS, &sf) == 0 && sf.f_type == BPF_FS_MAGIC_;
}

/* task_file iterators came with Linux 5.8. */
static int
kernel_new_enough(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 1;
	return major > 5 || (major == 5 && minor >= 8);
}

/* 1 for a readable pin of this version, 0 for another one, or -errno. */
static int
pin_probe(const char *path)
{
	struct pa_sockfd_rec r;
	ssize_t got;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	got = read(fd, &r, sizeof(r));
	close(fd);
	return got == (ssize_t)sizeof(r) && r.tgid == PA_SOCKFD_MAGIC &&
	    r.fd == PA_SOCKFD_VERSION && r.inode == sizeof(r);
}

/* Is name a pin of another version, or a temporary pin nobody is making?
 * (bpffs refuses names with dots.) */
static int
stale_entry(const char *name)
{
	const char *tmp;
	long pid;

	if (strncmp(name, "sockfd", 6) != 0 || strcmp(name, PA_SOCKFD_PIN) == 0)
		return 0;
	if ((tmp = strstr(name, "-tmp-")) == NULL)
		return 1;
	pid = strtol(tmp + 5, NULL, 10);
	return pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* Removes the stale entries of dir (every sockfd one with all); -errno of
 * the first failure. */
static int
remove_entries(const char *dir, int all)
{
	char path[512];
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dp)) != NULL) {
		if (!(all ? strncmp(d->d_name, "sockfd", 6) == 0 :
		    stale_entry(d->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) != 0 && errno != ENOENT && rc == 0)
			rc = -errno;
	}
	closedir(dp);
	return rc;
}

static void
fill_pin(struct pa_accel_status *st)
{
	struct group gr, *g = NULL;
	struct stat sb;
	char gbuf[1024];
	int r;

	if (stat(st->path, &sb) != 0)
		return;
	r = pin_probe(st->path);
	st->pinned = r != 0;
	st->readable = r == 1;
	st->other_version |= r == 0;
	st->mode = sb.st_mode & 07777;
	st->gid = sb.st_gid;
	if (getgrgid_r(sb.st_gid, &gr, gbuf, sizeof(gbuf), &g) == 0 &&
	    g != NULL)
		pa__strlcpy(st->group, g->gr_name, sizeof(st->group));
}

/* Is there an entry of another version in dir? */
static int
other_versions(const char *dir)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL)
		n += strncmp(d->d_name, "sockfd-v", 8) == 0 &&
		    strcmp(d->d_name, PA_SOCKFD_PIN) != 0 &&
		    strstr(d->d_name, "-tmp-") == NULL;
	closedir(dp);
	return n > 0;
}

int
pa__linux_accel_status(void *ctx, struct pa_accel_status *st,
    struct pa_error *err)
{
	char dir[200];

	(void)ctx;
	(void)err;
	memset(st, 0, sizeof(*st));
	st->gid = -1;
#ifdef PA_HAVE_BPF
	st->can_load = 1;
#endif
	pin_dir(dir, sizeof(dir));
	snprintf(st->path, sizeof(st->path), "%s/%s", dir, PA_SOCKFD_PIN);
	if (bpffs_mounted()) {
		fill_pin(st);
		st->other_version |= other_versions(dir);
	}
	if (st->readable)
		st->why = accel_disabled() ? PA_ACCEL_DISABLED :
		    pa__linux_nested_pidns() ? PA_ACCEL_PIDNS : PA_ACCEL_READY;
	else if (st->pinned)
		st->why = PA_ACCEL_NO_PERMISSION;
	else if (!bpffs_mounted())
		st->why = PA_ACCEL_NO_BPFFS;
	else if (access(BTF_PATH, R_OK) != 0 && errno == ENOENT)
		st->why = PA_ACCEL_NO_BTF;
	else if (!kernel_new_enough())
		st->why = PA_ACCEL_OLD_KERNEL;
	else
		st->why = PA_ACCEL_NOT_PINNED;
	return 0;
}

/* An error from a system call on path, with PA_HINT_PRIVILEGE where the
 * right was missing. */
static int
sys_fail(struct pa_error *err, int e, const char *what, const char *path)
{
	if (e == EPERM || e == EACCES)
		return pa__hint(err, pa__err(err, PA_EPERM, "%s %s: %s", what,
		    path, strerror(e)), PA_HINT_PRIVILEGE, NULL);
	return pa__err(err, PA_EOS, "%s %s: %s", what, path, strerror(e));
}

int
pa__linux_accel_off(void *ctx, struct pa_accel_status *st,
    struct pa_error *err)
{
	char dir[200];
	int rc = 0;

	pin_dir(dir, sizeof(dir));
	if (bpffs_mounted() && (rc = remove_entries(dir, 1)) == 0 &&
	    rmdir(dir) != 0 && errno != ENOENT && errno != ENOTEMPTY)
		rc = -errno;
	if (rc != 0)
		return sys_fail(err, -rc, "cannot remove the pins in", dir);
	return pa__linux_accel_status(ctx, st, err);
}

#ifndef PA_HAVE_BPF
int
pa__linux_accel_on(void *ctx, const char *group, struct pa_accel_status *st,
    struct pa_error *err)
{
	(void)group;
	pa__linux_accel_status(ctx, st, NULL);
	return pa__err(err, PA_ENOTSUP, "this portalloc was built without "
	    "BPF support (PORTALLOC_BPF: clang, bpftool and libbpf)");
}
#else

static char bpf_msg[256];

/* libbpf's messages go into bpf_msg: the library never prints. */
__attribute__((format(printf, 2, 0))) static int
keep_message(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(bpf_msg, sizeof(bpf_msg), fmt, ap);
	n = strlen(bpf_msg);
	if (n > 0 && bpf_msg[n - 1] == '\n')
		bpf_msg[n - 1] = '\0';
	return 0;
}

static int
bpf_fail(struct pa_error *err, int e, const char *what)
{
	if (e == EPERM || e == EACCES)
		return pa__hint(err, pa__err(err, PA_EPERM, "cannot %s the BPF "
		    "iterator: %s", what, strerror(e)), PA_HINT_PRIVILEGE,
		    NULL);
	return pa__err(err, PA_EOS, "cannot %s the BPF iterator: %s%s%s",
	    what, strerror(e), bpf_msg[0] ? "; libbpf: " : "", bpf_msg);
}

/*
 * libbpf, opened at run time: only `accel on` needs it, and linking it
 * would make every command load libbpf, libelf and libz at start.
 */
static struct libbpf {
	libbpf_print_fn_t (*set_print)(libbpf_print_fn_t fn);
	int (*open_skeleton)(struct bpf_object_skeleton *s,
	    const struct bpf_object_open_opts *opts);
	int (*load_skeleton)(struct bpf_object_skeleton *s);
	int (*attach_skeleton)(struct bpf_object_skeleton *s);
	void (*detach_skeleton)(struct bpf_object_skeleton *s);
	void (*destroy_skeleton)(struct bpf_object_skeleton *s);
	struct bpf_link *(*attach_iter)(const struct bpf_program *prog,
	    const struct bpf_iter_attach_opts *opts);
	int (*pin)(struct bpf_link *link, const char *path);
	int (*link_destroy)(struct bpf_link *link);
} lb;

int
pa__bpf_open_skeleton(struct bpf_object_skeleton *s,
    const struct bpf_object_open_opts *opts)
{
	return lb.open_skeleton(s, opts);
}

int
pa__bpf_load_skeleton(struct bpf_object_skeleton *s)
{
	return lb.load_skeleton(s);
}

int
pa__bpf_attach_skeleton(struct bpf_object_skeleton *s)
{
	return lb.attach_skeleton(s);
}

void
pa__bpf_detach_skeleton(struct bpf_object_skeleton *s)
{
	lb.detach_skeleton(s);
}

void
pa__bpf_destroy_skeleton(struct bpf_object_skeleton *s)
{
	lb.destroy_skeleton(s);
}

static int
open_libbpf(struct pa_error *err)
{
	static const char *const names[] = {
		"libbpf_set_print", "bpf_object__open_skeleton",
		"bpf_object__load_skeleton", "bpf_object__attach_skeleton",
		"bpf_object__detach_skeleton", "bpf_object__destroy_skeleton",
		"bpf_program__attach_iter", "bpf_link__pin", "bpf_link__destroy",
	};
	void *h = dlopen("libbpf.so.1", RTLD_NOW | RTLD_LOCAL), *f;
	void **slots = (void **)&lb;
	size_t i;

	if (h == NULL)
		return pa__err(err, PA_ENOTSUP, "cannot load libbpf.so.1 "
		    "(Debian: libbpf1): %s", dlerror());
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((f = dlsym(h, names[i])) == NULL)
			return pa__err(err, PA_ENOTSUP, "libbpf.so.1 has no "
			    "%s", names[i]);
		memcpy(&slots[i], &f, sizeof(f));
	}
	return 0;   /* h stays open: the functions live in it */
}

/* Loads the program through the skeleton and pins an iterator link of it
 * at path. */
static int
load_and_pin(const char *path, struct pa_error *err)
{
	struct sockfd_bpf *skel;
	struct bpf_link *link;
	int rc = 0;

	if ((rc = open_libbpf(err)) != 0)
		return rc;
	bpf_msg[0] = '\0';
	lb.set_print(keep_message);
	if ((skel = sockfd_bpf__open_and_load()) == NULL)
		return bpf_fail(err, errno, "load");
	if ((link = lb.attach_iter(skel->progs.sockfd, NULL)) == NULL)
		rc = bpf_fail(err, errno, "attach");
	else if (lb.pin(link, path) != 0)
		rc = bpf_fail(err, errno, "pin");
	if (link != NULL)
		lb.link_destroy(link);
	sockfd_bpf__destroy(skel);
	return rc;
}

/* Mounts bpffs on /sys/fs/bpf unless it is; one process at a time. */
static int
mount_bpffs(struct pa_error *err)
{
	int fd, rc = 0;

	if (bpffs_mounted())
		return 0;
	if ((fd = open(BPFFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sys_fail(err, errno, "cannot open", BPFFS);
	if (flock(fd, LOCK_EX) == 0 && !bpffs_mounted() &&
	    mount("bpf", BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "mode=0755") != 0)
		rc = sys_fail(err, errno, "cannot mount bpffs on", BPFFS);
	close(fd);
	return rc;
}

/*
 * With a group, its members must be able to reach the pin: systemd mounts
 * bpffs 0700, so it gets search permission (o+x, no listing); every pin in
 * it keeps its own mode.
 */
static int
bpffs_searchable(struct pa_error *err)
{
	struct stat sb;

	if (stat(BPFFS, &sb) != 0)
		return sys_fail(err, errno, "cannot stat", BPFFS);
	if ((sb.st_mode & 0011) == 0011)
		return 0;
	if (chmod(BPFFS, (sb.st_mode & 07777) | 0011) != 0)
		return sys_fail(err, errno, "cannot chmod", BPFFS);
	return 0;
}

/* Root's and group's alone: 0440 root:group, or 0400 root:root. */
static int
set_access(const char *path, gid_t gid, int group, struct pa_error *err)
{
	if (chown(path, 0, gid) != 0)
		return sys_fail(err, errno, "cannot chown", path);
	if (chmod(path, group ? 0440 : 0400) != 0)
		return sys_fail(err, errno, "cannot chmod", path);
	return 0;
}

static int
group_id(const char *group, gid_t *gid, struct pa_error *err)
{
	struct group gr, *g = NULL;
	char buf[4096];

	*gid = 0;
	if (group == NULL || group[0] == '\0')
		return 0;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &g) != 0 || g == NULL)
		return pa__err(err, PA_ECONFIG, "accel_group: no group '%s' "
		    "on this host", group);
	*gid = g->gr_gid;
	return 0;
}

/*
 * The directory of the pins, root's and written by root alone: bpffs is
 * often 1777, where anybody could have made it first and could then
 * remove or rename the pin.
 */
static int
make_dir(const char *dir, struct pa_error *err)
{
	struct stat sb;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return sys_fail(err, errno, "cannot create", dir);
	if (lstat(dir, &sb) != 0)
		return sys_fail(err, errno, "cannot stat", dir);
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & 022))
		return pa__err(err, PA_EPERM, "%s is not a directory of root's "
		    "that only root may write: remove it, then run accel on "
		    "again", dir);
	return 0;
}

/* The pin in place with the right access: kept if good, else made anew. */
static int
make_pin(const char *dir, gid_t gid, int group, struct pa_error *err)
{
	char path[512], tmp[512];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, PA_SOCKFD_PIN);
	if (pin_probe(path) == 1)
		return set_access(path, gid, group, err);
	snprintf(tmp, sizeof(tmp), "%s/%s-tmp-%ld", dir, PA_SOCKFD_PIN,
	    (long)getpid());
	unlink(tmp);
	if ((rc = load_and_pin(tmp, err)) != 0)
		return rc;
	if ((rc = set_access(tmp, gid, group, err)) == 0 &&
	    rename(tmp, path) != 0)
		rc = sys_fail(err, errno, "cannot rename", tmp);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
pa__linux_accel_on(void *ctx, const char *group, struct pa_accel_status *st,
    struct pa_error *err)
{
	char dir[200];
	gid_t gid;
	int rc;

	if (access(BTF_PATH, R_OK) != 0)
		return pa__err(err, PA_ENOTSUP, "%s: %s: the kernel has no "
		    "BTF (CONFIG_DEBUG_INFO_BTF)", BTF_PATH, strerror(errno));
	if (!kernel_new_enough())
		return pa__err(err, PA_ENOTSUP, "this kernel has no task_file "
		    "BPF iterators (Linux 5.8 or later)");
	if ((rc = group_id(group, &gid, err)) != 0 ||
	    (rc = mount_bpffs(err)) != 0 ||
	    (gid != 0 && (rc = bpffs_searchable(err)) != 0))
		return rc;
	pin_dir(dir, sizeof(dir));
	if ((rc = make_dir(dir, err)) != 0)
		return rc;
	if ((rc = remove_entries(dir, 0)) != 0)
		return sys_fail(err, -rc, "cannot remove old pins in", dir);
	if ((rc = make_pin(dir, gid, group != NULL && group[0], err)) != 0)
		return rc;
	return pa__linux_accel_status(ctx, st, err);
}
#endif /* PA_HAVE_BPF */

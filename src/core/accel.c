/*
 * The library side of `portalloc accel`: pa_accel_on / off / status hand
 * the request to the OS's accel ops (Linux: a pinned BPF iterator that who
 * and check read for holders) and return the state as data.  It exists so
 * that the CLI, and harnesses, can manage the pin without knowing the OS;
 * the reading side needs no call here, the sockets op uses the pin itself.
 */
#include <string.h>

#include "core/core.h"

static const char *const why_names[] = {
	"ready",
	"disabled by PORTALLOC_ACCEL=0",
	"not pinned",
	"no permission to read the pin",
	"no BPF file system mounted",
	"the kernel has no BTF",
	"the kernel is too old (task_file iterators need Linux 5.8)",
	"not supported on this OS",
	"this process is in a PID namespace below the host's",
};

const char *
pa_accel_why_name(enum pa_accel_why why)
{
	if ((unsigned)why >= sizeof(why_names) / sizeof(why_names[0]))
		return "unknown";
	return why_names[why];
}

/* Fills st for an OS without the accel ops. */
static int
unsupported(struct pa_accel_status *st, struct pa_error *err, int fail)
{
	if (st != NULL) {
		memset(st, 0, sizeof(*st));
		st->gid = -1;
		st->why = PA_ACCEL_UNSUPPORTED;
	}
	return fail ? pa__err(err, PA_ENOTSUP, "portalloc accel is not "
	    "supported on this OS") : 0;
}

int
pa_accel_status(struct pa_accel_status *st, struct pa_error *err)
{
	const struct pa_os *os = pa__os_native();

	if (os->accel_status == NULL)
		return unsupported(st, err, 0);
	return os->accel_status(os->ctx, st, err);
}

int
pa_accel_on(const struct pa_config *cfg, struct pa_accel_status *st,
    struct pa_error *err)
{
	const struct pa_os *os = pa__os_native();
	struct pa_accel_status tmp;

	if (os->accel_on == NULL)
		return unsupported(st, err, 1);
	return os->accel_on(os->ctx, cfg != NULL ? cfg->accel_group : "",
	    st != NULL ? st : &tmp, err);
}

int
pa_accel_off(struct pa_accel_status *st, struct pa_error *err)
{
	const struct pa_os *os = pa__os_native();
	struct pa_accel_status tmp;

	if (os->accel_off == NULL)
		return unsupported(st, err, 1);
	return os->accel_off(os->ctx, st != NULL ? st : &tmp, err);
}

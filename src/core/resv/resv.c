/*
 * The public reservation calls: pa_reserve, pa_unreserve, pa_reservations,
 * and the check pa_get makes before it leases from a block with reserve =.
 * The OS offers its reservations in one of two shapes (a list, ranges);
 * the strategy for it is chosen once, at pa_open (pa__resv_choose), and
 * kept in struct pa.  What both shapes share lives here: which blocks a
 * reserve covers, and the hints that say what would mend a refusal (the
 * library states what is needed; the caller words it).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Where the OS has no reservations at all. */
static int
none(struct pa_error *err)
{
	return pa__err(err, PA_ENOTSUP, "this system has no OS port "
	    "reservations");
}

/* The strategy where there is none: every call is refused. */
static int
none_reserve(struct pa *pa, const struct pa_block *const *blocks, size_t n,
    struct pa_resv_report **out, struct pa_error *err)
{
	(void)pa;
	(void)blocks;
	(void)n;
	*out = NULL;
	return none(err);
}

static int
none_unreserve(struct pa *pa, const char *block, struct pa_resv_report **out,
    struct pa_error *err)
{
	(void)pa;
	(void)block;
	*out = NULL;
	return none(err);
}

static int
none_report(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	(void)pa;
	*out = NULL;
	return none(err);
}

static int
none_ensure(struct pa *pa, const struct pa_block *b, struct pa_error *err)
{
	(void)pa;
	(void)b;
	return none(err);
}

static const struct pa__resv_strategy resv_none = {
	(enum pa_resv_shape)0, none_reserve, none_unreserve, none_report,
	none_ensure, none_ensure,
};

const struct pa__resv_strategy *
pa__resv_choose(const struct pa_os *os)
{
	if (os->resv_list != NULL)
		return &pa__resv_list;
	if (os->resv_range != NULL)
		return &pa__resv_range;
	return &resv_none;
}

/* A refusal for want of privilege says so as data. */
static int
privilege(struct pa_error *err, int rc, const char *block)
{
	if (rc != PA_EPERM)
		return rc;
	return pa__hint(err, rc, PA_HINT_PRIVILEGE, block);
}

/* A reserve that covers no block: the report, unchanged. */
static int
nothing_to_reserve(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	int rc;

	if ((rc = pa->resv->report(pa, out, err)) != 0)
		return rc;
	if (((*out)->before = strdup((*out)->now)) == NULL) {
		pa_resv_report_free(*out);
		*out = NULL;
		return pa__err_nomem(err);
	}
	return 0;
}

int
pa_reserve(struct pa *pa, const char *block, struct pa_resv_report **out,
    struct pa_error *err)
{
	const struct pa_block **blocks;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = pa__config_may_change_system(pa->cfg, pa->os, err)) != 0)
		return rc;
	if ((rc = pa__resv_pick_blocks(pa->cfg, block, &blocks, &n,
	    err)) != 0)
		return rc;
	if (n > 0)
		rc = pa->resv->reserve(pa, blocks, n, out, err);
	else
		rc = nothing_to_reserve(pa, out, err);
	free(blocks);
	return privilege(err, rc, block);
}

int
pa_unreserve(struct pa *pa, const char *block, struct pa_resv_report **out,
    struct pa_error *err)
{
	int rc;

	*out = NULL;
	if ((rc = pa__config_may_change_system(pa->cfg, pa->os, err)) != 0)
		return rc;
	return privilege(err, pa->resv->unreserve(pa, block, out, err),
	    block);
}

int
pa_reservations(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	*out = NULL;
	return pa->resv->report(pa, out, err);
}

int
pa__reserve_ensure(struct pa *pa, const struct pa_block *b,
    struct pa_error *err)
{
	char msg[sizeof(err->msg)];
	int rc;

	if (b->reserve == PA_RESERVE_NO)
		return 0;
	if ((rc = pa->resv->covered(pa, b, err)) != 0)
		return rc < 0 ? rc : 0;
	/* Reserving as root takes its blocks only from a file root alone
	 * can write. */
	if ((rc = pa__config_may_change_system(pa->cfg, pa->os, err)) != 0)
		return rc;
	if ((rc = pa->resv->ensure(pa, b, err)) != PA_EPERM)
		return rc;
	if (err != NULL) {
		pa__strlcpy(msg, err->msg, sizeof(msg));
		pa__err(err, rc, "block '%s' (%u-%u) has reserve = %s, but "
		    "the OS does not reserve it, and this user may not (%s); "
		    "once it is reserved, any user can lease from it",
		    b->name, b->first, b->last, b->reserve ==
		    PA_RESERVE_PERSISTENT ? "persistent" : "runtime", msg);
	}
	return pa__hint(err, rc, PA_HINT_RESERVE, b->name);
}

/* Error codes and messages (base layer): the one place that formats a
 * struct pa_error. */
#include <stdio.h>
#include <string.h>

#include "base/base.h"

const char *
pa_strerror(int code)
{
	switch (code) {
	case PA_OK:
		return "success";
#define PA__ERRNO_CASE(name, value, text) \
	case PA_##name:                   \
		return text;
		PA_ERRNO_MAP(PA__ERRNO_CASE)
#undef PA__ERRNO_CASE
	}
	return "unknown error";
}

static int
verr(struct pa_error *err, int code, const char *file, int line,
    const char *fmt, va_list ap)
{
	char text[sizeof(err->msg)];

	if (err == NULL)
		return code;
	vsnprintf(text, sizeof(text), fmt, ap);
	err->code = code;
	err->line = line;
	err->hint = PA_HINT_NONE;
	err->hint_block[0] = '\0';
	pa__strlcpy(err->file, file ? file : "", sizeof(err->file));
	if (file && line > 0)
		snprintf(err->msg, sizeof(err->msg), "%s:%d: %s", file, line,
		    text);
	else if (file)
		snprintf(err->msg, sizeof(err->msg), "%s: %s", file, text);
	else
		pa__strlcpy(err->msg, text, sizeof(err->msg));
	return code;
}

int
pa__err(struct pa_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, code, NULL, 0, fmt, ap);
	va_end(ap);
	return code;
}

int
pa__err_at(struct pa_error *err, int code, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, code, file, line, fmt, ap);
	va_end(ap);
	return code;
}

int
pa__err_nomem(struct pa_error *err)
{
	return pa__err(err, PA_ENOMEM, "out of memory");
}

int
pa__hint(struct pa_error *err, int code, enum pa_hint hint,
    const char *block)
{
	if (err == NULL)
		return code;
	err->hint = hint;
	pa__strlcpy(err->hint_block, block ? block : "", sizeof(err->hint_block));
	return code;
}

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_trunc(char *dst, size_t len, const char *src)
{
        size_t n = strlen(src);

        if (n >= len)
                n = len - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

int cerr_set(struct cerr *err, int errnum, const char *stage, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return -1;
        err->errnum = errnum;
        copy_trunc(err->stage, sizeof err->stage, stage ? stage : "");
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        return -1;
}

int cerr_wrap(struct cerr *err, const char *fmt, ...)
{
        char prefix[CERR_MSG_MAX];
        char old[CERR_MSG_MAX];
        va_list ap;

        if (!err)
                return -1;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        if (old[0])
                snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
        else
                copy_trunc(err->msg, sizeof err->msg, prefix);
        return -1;
}

const char *cerr_str(const struct cerr *err, char *buf, size_t len)
{
        /* A parse error explains itself; "Invalid argument" after it would only be noise. */
        if (err->errnum && strcmp(err->stage, "parse") != 0)
                snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
        else
                snprintf(buf, len, "%s", err->msg);
        return buf;
}

void cerr_clear(struct cerr *err)
{
        memset(err, 0, sizeof *err);
}

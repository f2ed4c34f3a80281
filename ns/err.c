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

const char *cerr_stage_name(enum cerr_stage s)
{
        static const char *const names[CERR_STAGE_COUNT] = {
            [CERR_NONE] = "none",         [CERR_USAGE] = "usage",
            [CERR_PARSE] = "parse",       [CERR_ALLOC] = "alloc",
            [CERR_SETUP] = "setup",       [CERR_SIGNALS] = "signals",
            [CERR_HOST] = "host",         [CERR_DELEGATE] = "delegate",
            [CERR_PATH] = "path",         [CERR_OPEN] = "open",
            [CERR_READ] = "read",         [CERR_WRITE] = "write",
            [CERR_MKDIR] = "mkdir",       [CERR_RMDIR] = "rmdir",
            [CERR_TAG] = "tag",           [CERR_ADOPT] = "adopt",
            [CERR_KILL] = "kill",         [CERR_WAIT] = "wait",
            [CERR_EPOLL] = "epoll",       [CERR_MOUNT] = "mount",
            [CERR_CLONE] = "clone",       [CERR_CLONE3] = "clone3",
            [CERR_FDPLAN] = "fdplan",     [CERR_CREDENTIALS] = "credentials",
            [CERR_SECCOMP] = "seccomp",   [CERR_ZYGOTE] = "zygote",
            [CERR_SPAWN] = "spawn",       [CERR_STDIO] = "stdio",
            [CERR_REGISTRY] = "registry", [CERR_GC] = "gc",
            [CERR_FORMAT] = "format",     [CERR_HOST_CHECK] = "host-check",
            [CERR_BENCH] = "bench",
        };

        return (unsigned)s < CERR_STAGE_COUNT && names[s] ? names[s] : "unknown";
}

int cerr_set(struct cerr *err, int errnum, enum cerr_stage stage, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return -1;
        err->errnum = errnum;
        err->stage = stage;
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
        /* A parse error explains itself; "Invalid argument" after it would only be noise (and
         * "No such file or directory" after "no such user on this host"). */
        if (err->errnum && err->stage != CERR_PARSE && err->stage != CERR_HOST_CHECK)
                snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
        else
                snprintf(buf, len, "%s", err->msg);
        return buf;
}

void cerr_clear(struct cerr *err)
{
        memset(err, 0, sizeof *err);
}

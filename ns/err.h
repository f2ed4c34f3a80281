/* One error type for the whole project.
 *
 * Every fallible function is `int f(..., struct cerr *err)` and returns a negative value with
 * `err` filled in (crun's convention). The buffer is fixed-size so that code running after
 * clone3() can fill one without allocating. Context is added as the error travels up with
 * cerr_wrap(). */
#ifndef CORRAL_NS_ERR_H
#define CORRAL_NS_ERR_H

#include <stddef.h>

#define CERR_MSG_MAX 480

/* The step that failed. Callers decide by it (a parse error is the input's fault and reads
 * without strerror; tools/ maps stages to exit statuses), never by comparing strings. */
enum cerr_stage {
        CERR_NONE,
        CERR_USAGE, /* a command line or request that does not make sense */
        CERR_PARSE, /* a policy file or value: the input is wrong, the message says how */
        /* a policy value this host cannot honour (a User= it has no such user for): the
         * input's fault here, and the message says how, as for CERR_PARSE */
        CERR_HOST_CHECK,
        CERR_ALLOC,
        CERR_SETUP, /* the supervisor's own setup: epoll, timers, fd limits */
        CERR_SIGNALS,
        CERR_HOST, /* discovering the host's cgroups */
        CERR_DELEGATE,
        CERR_PATH,
        CERR_OPEN,
        CERR_READ,
        CERR_WRITE,
        CERR_MKDIR,
        CERR_RMDIR,
        CERR_TAG,
        CERR_ADOPT,
        CERR_KILL,
        CERR_WAIT,
        CERR_EPOLL,
        CERR_MOUNT,
        CERR_CLONE,
        CERR_CLONE3,
        CERR_FDPLAN,
        CERR_CREDENTIALS,
        CERR_SECCOMP,
        CERR_ZYGOTE,
        CERR_SPAWN,
        CERR_STDIO,
        CERR_REGISTRY,
        CERR_GC,
        CERR_FORMAT,
        CERR_BENCH,
        CERR_STAGE_COUNT
};

struct cerr {
        int errnum;             /* errno value, 0 when the failure is not an OS error */
        enum cerr_stage stage;  /* the step that failed */
        char msg[CERR_MSG_MAX]; /* what was being done, most general context first */
};

/* "mkdir", "clone3", "parse" ... */
const char *cerr_stage_name(enum cerr_stage s);

/* Fill err and return -1. errnum may be 0. */
int cerr_set(struct cerr *err, int errnum, enum cerr_stage stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix the message with more context ("creating tree x: <old message>"); returns -1. */
int cerr_wrap(struct cerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "msg: strerror(errnum)" into buf (just "msg" for stages "parse" and "host-check"); returns
 * buf. */
const char *cerr_str(const struct cerr *err, char *buf, size_t len);

void cerr_clear(struct cerr *err);

#endif

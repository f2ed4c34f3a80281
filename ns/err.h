/* One error type for the whole project.
 *
 * Every fallible function is `int f(..., struct cerr *err)` and returns a negative value with
 * `err` filled in (crun's convention). The buffer is fixed-size so that code running after
 * clone3() can fill one without allocating. Context is added as the error travels up with
 * cerr_wrap(). */
#ifndef CORRAL_NS_ERR_H
#define CORRAL_NS_ERR_H

#include <stddef.h>

#define CERR_STAGE_MAX 32
#define CERR_MSG_MAX   480

struct cerr {
        int errnum;                 /* errno value, 0 when the failure is not an OS error */
        char stage[CERR_STAGE_MAX]; /* the step that failed: "mkdir", "clone3", "parse" ... */
        char msg[CERR_MSG_MAX];     /* what was being done, most general context first */
};

/* Fill err and return -1. errnum may be 0. */
int cerr_set(struct cerr *err, int errnum, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix the message with more context ("creating tree x: <old message>"); returns -1. */
int cerr_wrap(struct cerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "msg: strerror(errnum)" into buf (just "msg" for stage "parse"); returns buf. */
const char *cerr_str(const struct cerr *err, char *buf, size_t len);

void cerr_clear(struct cerr *err);

#endif

/* Shared by the privileged suites on `corral run`'s output and signals (test_output,
 * test_signals): growable byte buffers, scratch files, the child's signal and stdin setup, and
 * running corral with everything it writes kept (more than th_proc's 64 KiB), ended and cleaned
 * up when a check fails. */
#ifndef CORRAL_TESTS_OUTPUT_SUPPORT_H
#define CORRAL_TESTS_OUTPUT_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* ---- growable byte buffers ---- */

struct ot_buf {
        char *data; /* NUL-terminated (not counted in len) */
        size_t len, cap;
};

/* Room for `more` bytes (and the NUL) past len. */
void ot_buf_reserve(struct ot_buf *b, size_t more);
void ot_buf_add(struct ot_buf *b, const void *s, size_t n);
void ot_buf_free(struct ot_buf *b);
/* The text ("" when there is none yet). */
const char *ot_buf_str(const struct ot_buf *b);
/* Reads what a non-blocking fd holds now. Returns false at EOF (or on an error). */
bool ot_buf_read(struct ot_buf *b, int fd);
/* The last bytes of a text buffer (for failure messages). */
const char *ot_buf_tail(const struct ot_buf *b, size_t n);

void ot_sleep_ms(int ms);

/* An unnamed file below /tmp (removed at once: nothing is left even when a test fails),
 * holding data, positioned at its start. */
int ot_tmp_file(const void *data, size_t n);
/* The whole of a file (read from its start, whatever its offset) into b. */
void ot_file_contents(int fd, struct ot_buf *b);

/* ---- running corral ---- */

/* The child's setup before exec: stdin (a file of ours, or /dev/null), the signals these
 * suites send at their default, nothing blocked (the test process may have inherited
 * otherwise), and optionally one signal ignored, as `trap '' SIG` would. ot_prep_child() is
 * the prep callback of th_corral_start(), with a struct ot_prep (or NULL) as its ctx. */
struct ot_prep {
        int stdin_fd; /* -1: /dev/null */
        int ignore;   /* 0: none */
};

void ot_prep_child(void *ctx);

/* `corral ARGS...` with its stdout a pipe of ours (or a given fd) and everything it writes
 * kept, however much (th_proc's buffers hold 64 KiB). */
struct ot_run {
        struct th_proc p;
        const char *name;  /* the tree's name (the caller's buffer), removed after a failure */
        int out_r, out_w;  /* our pipe for corral's stdout (-1: none) */
        bool read_out;     /* read out_r now (a slow reader starts late, a stuck one never) */
        bool out_nonblock; /* the write end we kept had O_NONBLOCK when corral had exited */
        struct ot_buf out, err;
};

/* Starts `corral ARGS...` for tree `name`: stdout_fd -1 for a pipe of ours, else that fd. */
void ot_run_start(struct ot_run *r, const char *name, const char *const *args, int stdout_fd,
                  struct ot_prep *pr);
bool ot_run_exited(const struct ot_run *r);
/* Reads corral's stderr (and stdout, when we read it) for up to ms. */
void ot_run_pump(struct ot_run *r, int ms);
/* Reads for ms, or until corral exits. */
void ot_run_pump_for(struct ot_run *r, int ms);
/* Reads fd to its end (all its writers are gone), for at most ms. */
void ot_read_to_eof(struct ot_buf *b, int fd, int ms);
/* Waits for corral to exit (reading meanwhile) and returns its exit status (128+N for a
 * signal). When it is still running after ms, it gets another SIGTERM (then SIGKILL), what
 * it left is removed, and the test fails saying so. */
int ot_run_wait(struct ot_run *r, int ms, const char *what);
void ot_run_free(struct ot_run *r);
/* A check that failed while corral may still run: end it (three SIGTERMs: straight to the
 * kill), remove what is left, then fail with the message. */
void ot_run_fail(struct ot_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- reading what corral wrote ---- */

/* Lines of buf that hold every one of the (up to three) needles given (NULL: any line). */
int ot_count_lines(const char *buf, const char *a, const char *b, const char *c);
/* The value of "key" in the JSON event line that starts at line (up to its newline; "" when
 * absent), into out. */
const char *ot_json_field(const char *line, const char *key, char *out, size_t len);
/* A policy file for this test (/tmp/corral-test-WHAT-PID.ini) holding text; its path in path. */
void ot_write_policy(char *path, size_t len, const char *what, const char *text);
/* The sum of "bytes" over every output-dropped event (*events gets their number). */
long long ot_dropped_bytes(const char *buf, int *events);
/* args = head... then prog... (NULL-terminated; at most cap entries with the NULL) */
void ot_join_args(const char **args, size_t cap, const char *const *head, const char *const *prog);

#endif

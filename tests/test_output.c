/* Privileged end-to-end tests of what `corral run` does with the program's output: the `log`
 * records (reassembled byte for byte, with a slow reader, and written to a reader that comes
 * after the tree ended), the caller's own stdout by default (byte-exact into a pipe or a
 * file), a reader that goes away (SIGPIPE, status 141), and backpressure instead of dropping
 * (output dropped only once a cascade runs, or with LogOverflow=drop). test_signals.c has the
 * events and signals; output_support.h the helpers both use. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "harness.h"
#include "output_support.h"

static char name[64];
static char actor[PATH_MAX]; /* th_actor(), kept: the harness reuses its buffer */

#define MIB (1024LL * 1024)

static const char *const cat_prog[] = {"/bin/cat", NULL};
/* `corral run` with the program's stdout as `log` records (then PROG...) */
static const char *const log_head[] = {"run",   "--name",     name, "--events", "json",
                                       "--set", "Stdout=log", "--", NULL};

/* ---- the inputs: seq 1 2000000, 20 MB of random bytes, a 1 MB line without a newline ---- */

#define SEQ_N    2000000
#define RAND_LEN (20 * 1000 * 1000)
#define LINE_LEN (1024 * 1024)

/* writes what want_seq() gives */
static const char *const seq_prog[] = {"/usr/bin/seq", "1", "2000000", NULL};

static void want_seq(struct ot_buf *b)
{
        ot_buf_reserve(b, 15 * 1000 * 1000);
        for (int i = 1; i <= SEQ_N; i++) {
                char num[16];
                int n = snprintf(num, sizeof num, "%d\n", i);

                ot_buf_add(b, num, (size_t)n);
        }
}

static void want_random(struct ot_buf *b)
{
        ot_buf_reserve(b, RAND_LEN);
        while (b->len < RAND_LEN) {
                ssize_t r = getrandom(b->data + b->len, RAND_LEN - b->len, 0);

                ck_assert_int_gt(r, 0);
                b->len += (size_t)r;
        }
        b->data[b->len] = '\0';
}

static void want_long_line(struct ot_buf *b)
{
        ot_buf_reserve(b, LINE_LEN);
        for (size_t i = 0; i < LINE_LEN; i++)
                b->data[i] = (char)('a' + (int)(i % 26));
        b->len = LINE_LEN;
        b->data[b->len] = '\0';
}

/* `printf abc`: nothing added, no newline */
static void want_abc(struct ot_buf *b)
{
        ot_buf_add(b, "abc", 3);
}

/* A check of what PROG writes (stdin: in_fd, or /dev/null) against want. */
typedef void check_fn(const char *what, const char *const *prog, int in_fd,
                      const struct ot_buf *want);

/* check() of the bytes fill() gives: with prog NULL, /bin/cat reads them from a scratch file;
 * else prog writes them by itself. */
static void check_input(check_fn *check, const char *what, void (*fill)(struct ot_buf *),
                        const char *const *prog)
{
        struct ot_buf want = {0};
        int fd = -1;

        fill(&want);
        if (!prog) {
                fd = ot_tmp_file(want.data, want.len);
                prog = cat_prog;
        }
        check(what, prog, fd, &want);
        if (fd >= 0)
                close(fd);
        ot_buf_free(&want);
}

/* ---- log records ---- */

#define RECORD_MAX 4096
static const char no_newline[] = "\\ no newline at end of output";

/* Turns the `log` records of actor `who` in s back into the program's bytes (got). Returns
 * false with why set when s holds anything but well-formed records of that actor. */
static bool reassemble(const char *s, size_t n, const char *who, struct ot_buf *got, char *why,
                       size_t wlen)
{
        char pre[96];
        size_t pl = (size_t)snprintf(pre, sizeof pre, "[%s]", who);
        size_t prev_text = 0; /* the previous record's text length */
        bool have_prev = false, ended = false;

        got->len = 0;
        ot_buf_reserve(got, n);
        for (size_t i = 0; i < n;) {
                const char *rec = s + i, *nl = memchr(rec, '\n', n - i), *m, *text;
                size_t rl, ml, tl;

                if (!nl) {
                        snprintf(why, wlen, "the record at byte %zu has no newline", i);
                        return false;
                }
                rl = (size_t)(nl - rec);
                if (ended) {
                        snprintf(why, wlen, "a record at byte %zu after '%s'", i, no_newline);
                        return false;
                }
                if (rl < pl || memcmp(rec, pre, pl) != 0) {
                        snprintf(why, wlen, "the record at byte %zu does not start with %s: '%.*s'",
                                 i, pre, (int)(rl < 120 ? rl : 120), rec);
                        return false;
                }
                m = rec + pl;
                ml = rl - pl;
                if (ml == strlen(no_newline) && memcmp(m, no_newline, ml) == 0) {
                        /* the newline before it was not the program's */
                        if (!have_prev) {
                                snprintf(why, wlen, "'%s' with no record before it", no_newline);
                                return false;
                        }
                        got->data[--got->len] = '\0';
                        ended = true;
                        i += rl + 1;
                        continue;
                }
                if (ml >= 2 && m[0] == '+' && m[1] == ' ') {
                        /* the line goes on: only past a full record */
                        if (!have_prev || prev_text != RECORD_MAX) {
                                snprintf(why, wlen,
                                         "a '+' record at byte %zu follows a record of %zu bytes "
                                         "(not %d)",
                                         i, prev_text, RECORD_MAX);
                                return false;
                        }
                        got->len--;
                        text = m + 2;
                        tl = ml - 2;
                } else if (ml >= 1 && m[0] == ' ') {
                        text = m + 1;
                        tl = ml - 1;
                } else {
                        snprintf(why, wlen, "unknown mark in the record at byte %zu: '%.*s'", i,
                                 (int)(ml < 40 ? ml : 40), m);
                        return false;
                }
                if (tl > RECORD_MAX) {
                        snprintf(why, wlen, "the record at byte %zu holds %zu bytes (> %d)", i, tl,
                                 RECORD_MAX);
                        return false;
                }
                ot_buf_add(got, text, tl);
                ot_buf_add(got, "\n", 1);
                prev_text = tl;
                have_prev = true;
                i += rl + 1;
        }
        return true;
}

static void assert_same(const struct ot_buf *got, const struct ot_buf *want, const char *what,
                        int run)
{
        size_t n = got->len < want->len ? got->len : want->len, at = 0;

        if (got->len == want->len && memcmp(got->data, want->data, n) == 0)
                return;
        while (at < n && got->data[at] == want->data[at])
                at++;
        ck_abort_msg("%s (run %d): got %zu bytes, want %zu; first difference at byte %zu", what,
                     run, got->len, want->len, at);
}

/* Starts `corral HEAD... PROG...` for a fresh tree of `what` (in name), its stdout stdout_fd
 * (-1: a pipe of ours). */
static void start_prog(struct ot_run *r, const char *what, const char *const *head,
                       const char *const *prog, int stdout_fd, struct ot_prep *pr)
{
        const char *args[32];

        snprintf(name, sizeof name, "%s", th_tree_name(what));
        ot_join_args(args, 32, head, prog);
        ot_run_start(r, name, args, stdout_fd, pr);
}

/* ---- 1. log records come back byte for byte, with a slow reader ---- */

#define LOG_RUNS 10

/* LOG_RUNS runs of `corral run --set Stdout=log -- PROG` (stdin: in_fd, or /dev/null) with a
 * reader that starts 1 s late: the records reassemble into want, nothing is dropped. */
static void log_roundtrip(const char *what, const char *const *prog, int in_fd,
                          const struct ot_buf *want)
{
        static struct ot_run r;
        struct ot_buf got = {0};
        struct ot_prep pr = {.stdin_fd = in_fd};
        char why[256];

        for (int i = 0; i < LOG_RUNS; i++) {
                int status, drops;

                if (in_fd >= 0)
                        ck_assert_int_eq(lseek(in_fd, 0, SEEK_SET), 0);
                start_prog(&r, what, log_head, prog, -1, &pr);
                ot_sleep_ms(1000); /* a slow reader: the program waits for it meanwhile */
                r.read_out = true;
                status = ot_run_wait(&r, 30000, what);
                ck_assert_msg(status == 0, "%s (run %d): exit %d; stderr:\n%s", what, i, status,
                              ot_buf_tail(&r.err, 3000));
                ck_assert_msg(reassemble(r.out.data, r.out.len, name, &got, why, sizeof why),
                              "%s (run %d): %s", what, i, why);
                assert_same(&got, want, what, i);
                ck_assert_msg(ot_dropped_bytes(ot_buf_str(&r.err), &drops) == 0 && drops == 0,
                              "%s (run %d): output was dropped:\n%s", what, i,
                              ot_buf_tail(&r.err, 3000));
                ck_assert_int_eq(
                    ot_count_lines(ot_buf_str(&r.err), "\"event\":\"exited\"", NULL, NULL), 1);
                ot_run_free(&r);
                th_assert_tree_gone(name);
        }
        ot_buf_free(&got);
}

START_TEST(log_records_seq_slow_reader)
{
        check_input(log_roundtrip, "logseq", want_seq, seq_prog);
}
END_TEST

START_TEST(log_records_binary_slow_reader)
{
        check_input(log_roundtrip, "logbin", want_random, NULL);
}
END_TEST

START_TEST(log_records_long_line_no_newline_slow_reader)
{
        check_input(log_roundtrip, "logline", want_long_line, NULL);
}
END_TEST

/* Records of short lines, a long one cut into full records, and an unterminated end, checked
 * record by record (the reassembler above accepts only this shape). */
START_TEST(log_records_shape)
{
        static struct ot_run r;
        struct ot_buf in = {0}, want = {0}, got = {0};
        char why[256], line[RECORD_MAX + 1000];
        struct ot_prep pr;
        int fd;

        /* "a\n", "\n", a line of 4096 + 10 bytes, then "tail" with no newline */
        memset(line, 'L', sizeof line);
        ot_buf_add(&in, "a\n\n", 3);
        ot_buf_add(&in, line, RECORD_MAX + 10);
        ot_buf_add(&in, "\ntail", 5);
        fd = ot_tmp_file(in.data, in.len);
        pr.stdin_fd = fd;
        pr.ignore = 0;
        start_prog(&r, "shape", log_head, cat_prog, -1, &pr);
        r.read_out = true;
        ck_assert_int_eq(ot_run_wait(&r, 30000, "shape"), 0);
        /* what the records must be, exactly */
        ot_buf_add(&want, "[", 1);
        ot_buf_add(&want, name, strlen(name));
        ot_buf_add(&want, "] a\n[", 5);
        ot_buf_add(&want, name, strlen(name));
        ot_buf_add(&want, "] \n[", 4);
        ot_buf_add(&want, name, strlen(name));
        ot_buf_add(&want, "] ", 2);
        ot_buf_add(&want, line, RECORD_MAX);
        ot_buf_add(&want, "\n[", 2);
        ot_buf_add(&want, name, strlen(name));
        ot_buf_add(&want, "]+ ", 3);
        ot_buf_add(&want, line, 10);
        ot_buf_add(&want, "\n[", 2);
        ot_buf_add(&want, name, strlen(name));
        ot_buf_add(&want, "] tail\n[", 8);
        ot_buf_add(&want, name, strlen(name));
        ot_buf_add(&want, "]\\ no newline at end of output\n", 31);
        ck_assert_msg(r.out.len == want.len && memcmp(r.out.data, want.data, want.len) == 0,
                      "records:\n%s\nwant:\n%s", ot_buf_str(&r.out), ot_buf_str(&want));
        ck_assert(reassemble(r.out.data, r.out.len, name, &got, why, sizeof why));
        assert_same(&got, &in, "shape", 0);
        close(fd);
        ot_run_free(&r);
        ot_buf_free(&in);
        ot_buf_free(&want);
        ot_buf_free(&got);
        th_assert_tree_gone(name);
}
END_TEST

/* corral's CPU time so far, in clock ticks (utime + stime from /proc/PID/stat). */
static long long cpu_ticks(pid_t pid)
{
        char path[64], buf[1024];
        unsigned long long ut = 0, st = 0;
        const char *p;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
        fclose(f);
        /* after "(comm) ": state is field 3, utime 14, stime 15 */
        p = strrchr(buf, ')');
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st), 2);
        return (long long)(ut + st);
}

/* The program is done and its tree removed while records still wait for a reader that has not
 * read yet: corral waits for it, idle, and then writes them all. */
START_TEST(log_late_reader_after_the_tree_ended)
{
        static struct ot_run r;
        struct ot_buf in = {0}, got = {0};
        char line[1000], why[256];
        long long t0, ticks;
        struct ot_prep pr;
        int status;

        /* 200 lines of 1000 bytes: more than the pipe holds, less than the queue */
        memset(line, 'x', sizeof line);
        line[sizeof line - 1] = '\n';
        for (int i = 0; i < 200; i++)
                ot_buf_add(&in, line, sizeof line);
        pr.stdin_fd = ot_tmp_file(in.data, in.len);
        pr.ignore = 0;
        start_prog(&r, "latelog", log_head, cat_prog, -1, &pr);
        r.read_out = false;
        while (!strstr(ot_buf_str(&r.err), "\"event\":\"removed\"") && !ot_run_exited(&r))
                ot_run_pump(&r, 20);
        if (ot_run_exited(&r))
                ot_run_fail(&r, "corral ended before its records were read; stderr:\n%s",
                            ot_buf_tail(&r.err, 3000));
        /* waiting for the reader is waiting, not spinning */
        t0 = cpu_ticks(r.p.pid);
        ot_sleep_ms(1000);
        ticks = cpu_ticks(r.p.pid) - t0;
        if (ticks * 1000 >= 300LL * sysconf(_SC_CLK_TCK))
                ot_run_fail(
                    &r,
                    "the tree ended with records queued for a reader that has not read yet; "
                    "corral then used %lld ms of CPU in 1 s of waiting for it",
                    ticks * 1000 / sysconf(_SC_CLK_TCK));
        if (ot_run_exited(&r))
                ot_run_fail(&r, "corral ended before its records were read");
        r.read_out = true;
        status = ot_run_wait(&r, 10000, "the records of a finished tree, to a late reader");
        ck_assert_int_eq(status, 0);
        ck_assert_msg(reassemble(r.out.data, r.out.len, name, &got, why, sizeof why), "%s", why);
        assert_same(&got, &in, "latelog", 0);
        close(pr.stdin_fd);
        ot_run_free(&r);
        ot_buf_free(&in);
        ot_buf_free(&got);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- 2. by default the program has corral's own stdout: byte-exact ---- */

/* `corral run -- PROG` with stdout a pipe, then a regular file: exactly want. */
static void default_exact(const char *what, const char *const *prog, int in_fd,
                          const struct ot_buf *want)
{
        static struct ot_run r;
        struct ot_prep pr = {.stdin_fd = in_fd};
        const char *head[] = {"run", "--name", name, "--events", "json", "--", NULL};
        struct ot_buf got = {0};
        int status, out;

        /* into a pipe */
        if (in_fd >= 0)
                ck_assert_int_eq(lseek(in_fd, 0, SEEK_SET), 0);
        start_prog(&r, what, head, prog, -1, &pr);
        r.read_out = true;
        status = ot_run_wait(&r, 60000, what);
        ck_assert_msg(status == 0, "%s into a pipe: exit %d; stderr:\n%s", what, status,
                      ot_buf_tail(&r.err, 3000));
        assert_same(&r.out, want, what, 0);
        ck_assert_msg(!r.out_nonblock, "%s: the caller's pipe got O_NONBLOCK", what);
        ot_run_free(&r);
        th_assert_tree_gone(name);

        /* into a regular file */
        if (in_fd >= 0)
                ck_assert_int_eq(lseek(in_fd, 0, SEEK_SET), 0);
        out = ot_tmp_file("", 0);
        start_prog(&r, what, head, prog, out, &pr);
        status = ot_run_wait(&r, 60000, what);
        ck_assert_msg(status == 0, "%s into a file: exit %d; stderr:\n%s", what, status,
                      ot_buf_tail(&r.err, 3000));
        ot_file_contents(out, &got);
        assert_same(&got, want, what, 1);
        close(out);
        ot_run_free(&r);
        ot_buf_free(&got);
        th_assert_tree_gone(name);
}

START_TEST(default_stdout_byte_exact)
{
        check_input(default_exact, "defseq", want_seq, seq_prog);
        check_input(default_exact, "defbin", want_random, NULL);
        check_input(default_exact, "defline", want_long_line, NULL);
        check_input(default_exact, "defabc", want_abc, NULL);
}
END_TEST

/* ---- 3. a reader that goes away: the program's SIGPIPE, status 141 ---- */

static void yes_reader_gone(bool log)
{
        const char *plain[] = {"run",  "--name", name,           "--events",
                               "json", "--",     "/usr/bin/yes", NULL};
        const char *logged[] = {"run",   "--name",     name, "--events",     "json",
                                "--set", "Stdout=log", "--", "/usr/bin/yes", NULL};
        const char *const *args = log ? logged : plain;
        struct ot_prep pr = {.stdin_fd = -1};
        struct th_proc p;
        char want[160], got[8192], status[64];
        size_t n = 0;
        int fds[2], lines = 0, st;
        int64_t end, t;

        snprintf(name, sizeof name, "%s", th_tree_name(log ? "yeslog" : "yes"));
        ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
        th_corral_start(&p, args, fds[1], ot_prep_child, &pr);
        /* read two lines, then go away */
        end = mono_ms() + th_ms(10000);
        while (lines < 2 && n < sizeof got - 1 && mono_ms() < end) {
                struct pollfd pf = {.fd = fds[0], .events = POLLIN};
                ssize_t r;

                if (poll(&pf, 1, 100) != 1)
                        continue;
                r = read(fds[0], got + n, sizeof got - 1 - n);
                ck_assert_int_gt(r, 0);
                for (ssize_t i = 0; i < r; i++)
                        lines += got[n + (size_t)i] == '\n';
                n += (size_t)r;
        }
        got[n] = '\0';
        close(fds[0]);
        t = mono_ms();
        ck_assert_msg(lines >= 2, "read %zu bytes in 10 s: '%s'", n, got);
        if (log)
                snprintf(want, sizeof want, "[%s] y\n[%s] y\n", name, name);
        else
                snprintf(want, sizeof want, "y\ny\n");
        ck_assert_msg(strncmp(got, want, strlen(want)) == 0, "read '%.200s', want '%s'", got, want);
        st = th_corral_wait(&p, 5000);
        t = mono_ms() - t;
        ck_assert_msg(st == 128 + SIGPIPE, "exit %d after the reader went away; events:\n%s", st,
                      p.errbuf);
        th_event(&p, "exited", "status", status, sizeof status);
        ck_assert_str_eq(status, "signaled SIGPIPE");
        ck_assert_msg(t < th_ms(5000), "corral took %lld ms to end", (long long)t);
        /* the caller's pipe never got O_NONBLOCK */
        ck_assert_int_eq(fcntl(fds[1], F_GETFL) & O_NONBLOCK, 0);
        close(fds[1]);
        th_assert_tree_gone(name);
}

START_TEST(reader_gone_default_sigpipe_141)
{
        yes_reader_gone(false);
}
END_TEST

START_TEST(reader_gone_log_sigpipe_141)
{
        yes_reader_gone(true);
}
END_TEST

/* ---- 4. backpressure, and dropping only once a cascade runs (or when asked to) ---- */

/* After a flood has ended: more than `least` bytes dropped (output-dropped events say how
 * many), the caller's pipe never got O_NONBLOCK, and the tree is gone. */
static void assert_dropped_then_gone(struct ot_run *r, long long least)
{
        int drops;
        long long dropped = ot_dropped_bytes(ot_buf_str(&r->err), &drops);

        ck_assert_msg(drops >= 1 && dropped > least,
                      "%d output-dropped events, %lld bytes; end of stderr:\n%s", drops, dropped,
                      ot_buf_tail(&r->err, 3000));
        ck_assert_msg(!r->out_nonblock, "the caller's pipe got O_NONBLOCK");
        ot_run_free(r);
        th_assert_tree_gone(name);
}

START_TEST(log_backpressure_then_cascade_drops)
{
        static struct ot_run r;
        const char *args[] = {"run",        "--name", name,
                              "--events",   "json",   "--set",
                              "Stdout=log", "--set",  "TimeoutInterruptSec=2s",
                              "--",         actor,    "flood",
                              "104857600",  "INT",    NULL};
        struct ot_prep pr = {.stdin_fd = -1};
        int drops;

        snprintf(name, sizeof name, "%s", th_tree_name("backpressure"));
        snprintf(actor, sizeof actor, "%s", th_actor());
        /* a pipe nobody reads: we keep its read end open and never touch it */
        ot_run_start(&r, name, args, -1, &pr);
        r.read_out = false;
        ot_run_pump_for(&r, 2000);
        if (ot_run_exited(&r))
                ot_run_fail(&r, "corral ended with its stdout full; stderr:\n%s",
                            ot_buf_tail(&r.err, 3000));
        if (strstr(ot_buf_str(&r.err), "flood: wrote"))
                ot_run_fail(&r, "the flood was not held back:\n%s", ot_buf_tail(&r.err, 3000));
        if (ot_dropped_bytes(ot_buf_str(&r.err), &drops) != 0 || drops != 0)
                ot_run_fail(&r, "output dropped before any cascade:\n%s",
                            ot_buf_tail(&r.err, 3000));
        /* the cascade (the flood ignores SIGINT): its output is now read on and dropped */
        kill(r.p.pid, SIGTERM);
        ot_run_wait(&r, 60000, "the flood after SIGTERM");
        ck_assert_int_ge(ot_count_lines(ot_buf_str(&r.err), "\"event\":\"cascade\"",
                                        "\"stage\":\"interrupt\"", NULL),
                         1);
        assert_dropped_then_gone(&r, 90 * MIB);
}
END_TEST

START_TEST(log_overflow_drop_never_waits)
{
        static struct ot_run r;
        const char *args[] = {
            "run",   "--name",           name, "--events", "json",  "--set",    "Stdout=log",
            "--set", "LogOverflow=drop", "--", actor,      "flood", "20000000", NULL};
        struct ot_prep pr = {.stdin_fd = -1};
        int status;

        snprintf(name, sizeof name, "%s", th_tree_name("overflowdrop"));
        snprintf(actor, sizeof actor, "%s", th_actor());
        ot_run_start(&r, name, args, -1, &pr);
        r.read_out = false; /* nobody reads */
        status = ot_run_wait(&r, 15000, "LogOverflow=drop into a pipe nobody reads");
        ck_assert_msg(status == 0, "exit %d; stderr:\n%s", status, ot_buf_tail(&r.err, 3000));
        ck_assert_msg(strstr(ot_buf_str(&r.err), "flood: wrote 20000000 bytes"), "stderr:\n%s",
                      ot_buf_tail(&r.err, 3000));
        assert_dropped_then_gone(&r, 15 * 1000 * 1000);
}
END_TEST

static Suite *output_suite(void)
{
        Suite *s = suite_create("corral-output-privileged");
        TCase *tc = tcase_create("output");

        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, log_records_shape);
        tcase_add_test(tc, log_late_reader_after_the_tree_ended);
        tcase_add_test(tc, log_records_seq_slow_reader);
        tcase_add_test(tc, log_records_binary_slow_reader);
        tcase_add_test(tc, log_records_long_line_no_newline_slow_reader);
        tcase_add_test(tc, default_stdout_byte_exact);
        tcase_add_test(tc, reader_gone_default_sigpipe_141);
        tcase_add_test(tc, reader_gone_log_sigpipe_141);
        tcase_add_test(tc, log_backpressure_then_cascade_drops);
        tcase_add_test(tc, log_overflow_drop_never_waits);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {output_suite};

        return th_run("test_output", TH_PRIVILEGED, suites, 1);
}
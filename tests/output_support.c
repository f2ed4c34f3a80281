/* Helpers of the privileged output and signal suites; output_support.h documents each. */
#include "output_support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ns/timeutil.h"

/* ---- growable byte buffers ---- */

void ot_buf_reserve(struct ot_buf *b, size_t more)
{
        size_t cap = b->cap ? b->cap : 65536;

        if (b->len + more + 1 <= b->cap)
                return;
        while (cap < b->len + more + 1)
                cap *= 2;
        b->data = realloc(b->data, cap);
        ck_assert_ptr_nonnull(b->data);
        b->cap = cap;
}

void ot_buf_add(struct ot_buf *b, const void *s, size_t n)
{
        ot_buf_reserve(b, n);
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void ot_buf_free(struct ot_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

const char *ot_buf_str(const struct ot_buf *b)
{
        return b->data ? b->data : "";
}

bool ot_buf_read(struct ot_buf *b, int fd)
{
        for (;;) {
                ssize_t r;

                ot_buf_reserve(b, 65536);
                r = read(fd, b->data + b->len, 65536);
                if (r > 0) {
                        b->len += (size_t)r;
                        b->data[b->len] = '\0';
                        continue;
                }
                if (r < 0 && errno == EINTR)
                        continue;
                return r < 0 && errno == EAGAIN;
        }
}

const char *ot_buf_tail(const struct ot_buf *b, size_t n)
{
        return b->len > n ? b->data + b->len - n : ot_buf_str(b);
}

void ot_sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int ot_tmp_file(const void *data, size_t n)
{
        char path[] = "/tmp/corral-test-output-XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC);
        size_t done = 0;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(unlink(path), 0);
        while (done < n) {
                ssize_t w = write(fd, (const char *)data + done, n - done);

                ck_assert_int_gt(w, 0);
                done += (size_t)w;
        }
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

void ot_file_contents(int fd, struct ot_buf *b)
{
        off_t off = 0;

        b->len = 0;
        for (;;) {
                ssize_t r;

                ot_buf_reserve(b, 1 << 20);
                r = pread(fd, b->data + b->len, 1 << 20, off);
                ck_assert_int_ge(r, 0);
                if (r == 0)
                        break;
                b->len += (size_t)r;
                off += r;
                b->data[b->len] = '\0';
        }
}

/* ---- running corral ---- */

void ot_prep_child(void *ctx)
{
        static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1,
                                   SIGUSR2, SIGPIPE, SIGTERM, SIGWINCH};
        const struct ot_prep *pr = ctx;
        int fd = pr && pr->stdin_fd >= 0 ? pr->stdin_fd : open("/dev/null", O_RDONLY);
        sigset_t none;

        if (fd < 0 || dup2(fd, 0) < 0)
                _exit(120);
        if (!(pr && pr->stdin_fd >= 0) && fd != 0)
                close(fd);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
                signal(sigs[i], SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (pr && pr->ignore)
                signal(pr->ignore, SIG_IGN);
}

void ot_run_start(struct ot_run *r, const char *name, const char *const *args, int stdout_fd,
                  struct ot_prep *pr)
{
        memset(r, 0, sizeof *r);
        r->name = name;
        r->out_r = r->out_w = -1;
        if (stdout_fd < 0) {
                int fds[2];

                ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
                r->out_r = fds[0];
                r->out_w = fds[1];
                /* (the read end is a description of its own: the write end stays as it is) */
                fcntl(r->out_r, F_SETFL, O_NONBLOCK);
                stdout_fd = r->out_w;
        }
        th_corral_start(&r->p, args, stdout_fd, ot_prep_child, pr);
}

bool ot_run_exited(const struct ot_run *r)
{
        struct pollfd pf = {.fd = r->p.pidfd, .events = POLLIN};

        return poll(&pf, 1, 0) == 1;
}

void ot_run_pump(struct ot_run *r, int ms)
{
        struct pollfd fds[2] = {{.fd = r->p.err, .events = POLLIN},
                                {.fd = r->read_out ? r->out_r : -1, .events = POLLIN}};

        poll(fds, 2, ms);
        if (r->p.err >= 0)
                ot_buf_read(&r->err, r->p.err);
        if (r->read_out && r->out_r >= 0)
                ot_buf_read(&r->out, r->out_r);
}

void ot_run_pump_for(struct ot_run *r, int ms)
{
        int64_t end = mono_ms() + th_ms(ms);

        while (!ot_run_exited(r) && mono_ms() < end)
                ot_run_pump(r, 20);
        ot_run_pump(r, 0);
}

void ot_read_to_eof(struct ot_buf *b, int fd, int ms)
{
        int64_t end = mono_ms() + th_ms(ms);

        while (ot_buf_read(b, fd) && mono_ms() < end)
                poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 50);
}

int ot_run_wait(struct ot_run *r, int ms, const char *what)
{
        int64_t end = mono_ms() + th_ms(ms);
        bool late = false;
        int status;

        while (!ot_run_exited(r)) {
                if (mono_ms() >= end) {
                        late = true;
                        kill(r->p.pid, SIGTERM);
                        end = mono_ms() + th_ms(10000);
                        while (!ot_run_exited(r) && mono_ms() < end)
                                ot_run_pump(r, 20);
                        if (!ot_run_exited(r))
                                kill(r->p.pid, SIGKILL);
                        break;
                }
                ot_run_pump(r, 20);
        }
        ck_assert_int_eq(waitpid(r->p.pid, &status, 0), r->p.pid);
        if (r->out_w >= 0) {
                r->out_nonblock = (fcntl(r->out_w, F_GETFL) & O_NONBLOCK) != 0;
                close(r->out_w);
                r->out_w = -1;
        }
        ot_read_to_eof(&r->err, r->p.err, 5000);
        if (r->read_out && r->out_r >= 0)
                ot_read_to_eof(&r->out, r->out_r, 5000);
        close(r->p.pidfd);
        close(r->p.err);
        if (r->out_r >= 0)
                close(r->out_r);
        r->p.pidfd = r->p.err = r->out_r = -1;
        /* th_event() and friends read p.errbuf */
        r->p.errlen = r->err.len < sizeof r->p.errbuf - 1 ? r->err.len : sizeof r->p.errbuf - 1;
        memcpy(r->p.errbuf, ot_buf_str(&r->err), r->p.errlen);
        r->p.errbuf[r->p.errlen] = '\0';
        if (late) {
                bool left = th_clean_tree(r->name);

                ck_abort_msg("%s: corral was still running %d ms later (it took another SIGTERM%s "
                             "to end it; the tree %s); the end of its stderr:\n%s",
                             what, th_ms(ms), WIFSIGNALED(status) ? " and a SIGKILL" : "",
                             left ? "had to be cleaned up" : "was gone already",
                             ot_buf_tail(&r->err, 3000));
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ot_run_free(struct ot_run *r)
{
        if (r->out_w >= 0)
                close(r->out_w);
        ot_buf_free(&r->out);
        ot_buf_free(&r->err);
}

void ot_run_fail(struct ot_run *r, const char *fmt, ...)
{
        char msg[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (r->p.pidfd >= 0) {
                int64_t end = mono_ms() + th_ms(10000);

                for (int i = 0; i < 3 && !ot_run_exited(r); i++) {
                        kill(r->p.pid, SIGTERM);
                        ot_run_pump(r, 100);
                }
                while (!ot_run_exited(r) && mono_ms() < end)
                        ot_run_pump(r, 20);
                if (!ot_run_exited(r))
                        kill(r->p.pid, SIGKILL);
                waitpid(r->p.pid, NULL, 0);
                close(r->p.pidfd);
                close(r->p.err);
                if (r->out_r >= 0)
                        close(r->out_r);
                r->p.pidfd = r->p.err = r->out_r = -1;
        }
        th_clean_tree(r->name);
        ck_abort_msg("%s", msg);
}

/* ---- reading what corral wrote ---- */

int ot_count_lines(const char *buf, const char *a, const char *b, const char *c)
{
        const char *needles[] = {a, b, c};
        int n = 0;

        for (const char *line = buf; *line;) {
                const char *eol = strchr(line, '\n');
                size_t len = eol ? (size_t)(eol - line) : strlen(line);
                bool all = true;

                for (size_t i = 0; i < 3 && all; i++) {
                        const char *hit = needles[i] ? strstr(line, needles[i]) : line;

                        all = hit && (size_t)(hit - line) < len;
                }
                n += all;
                line += len + (eol ? 1 : 0);
        }
        return n;
}

long long ot_dropped_bytes(const char *buf, int *events)
{
        const char *pat = "\"event\":\"output-dropped\"";
        long long sum = 0;

        *events = 0;
        for (const char *line = strstr(buf, pat); line; line = strstr(line + 1, pat)) {
                const char *eol = strchr(line, '\n');
                const char *v = strstr(line, "\"bytes\":");

                ck_assert_msg(v && (!eol || v < eol), "output-dropped without bytes: %.300s", line);
                sum += strtoll(v + strlen("\"bytes\":"), NULL, 10);
                (*events)++;
        }
        return sum;
}

void ot_join_args(const char **args, size_t cap, const char *const *head, const char *const *prog)
{
        size_t n = 0;

        for (; *head && n + 1 < cap; head++)
                args[n++] = *head;
        for (; *prog && n + 1 < cap; prog++)
                args[n++] = *prog;
        args[n] = NULL;
}

const char *ot_json_field(const char *line, const char *key, char *out, size_t len)
{
        const char *eol = strchr(line, '\n');
        char pat[64];
        const char *p;
        size_t n;

        snprintf(pat, sizeof pat, "\"%s\":", key);
        out[0] = '\0';
        p = strstr(line, pat);
        if (!p || (eol && p > eol))
                return out;
        p += strlen(pat);
        if (*p == '"')
                p++;
        n = strcspn(p, "\",}\n");
        snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
        return out;
}

void ot_write_policy(char *path, size_t len, const char *what, const char *text)
{
        FILE *f;

        snprintf(path, len, "/tmp/corral-test-%s-%d.ini", what, (int)getpid());
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

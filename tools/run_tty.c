/* corral run -t: relaying the caller's terminal to the program's pty (run_tty.h). */
#include "run_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ESCAPE_BYTE 0x1d /* Ctrl-] */
#define ESCAPE_MS   1000

/* The session whose modes a crash of corral must put back (one per process: corral run). */
static struct run_tty *restore_on_crash;

static void crash_handler(int sig)
{
        if (restore_on_crash)
                run_tty_restore(restore_on_crash);
        signal(sig, SIG_DFL);
        raise(sig);
}

static void restore_at_exit(void)
{
        if (restore_on_crash)
                run_tty_restore(restore_on_crash);
}

void run_tty_init(struct run_tty *t, int in_fd, int out_fd)
{
        memset(t, 0, sizeof *t);
        t->in_fd = in_fd;
        t->out_fd = out_fd;
        t->master = -1;
        t->term = isatty(in_fd) && tcgetattr(in_fd, &t->saved) == 0;
        if (ioctl(t->term ? in_fd : out_fd, TIOCGWINSZ, &t->size) < 0)
                memset(&t->size, 0, sizeof t->size);
}

void run_tty_attach(struct run_tty *t, int master)
{
        static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        struct termios raw;

        t->master = master;
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK); /* (ours alone) */
        if (!t->term || t->raw)
                return;
        restore_on_crash = t;
        atexit(restore_at_exit);
        for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
                struct sigaction sa = {.sa_handler = crash_handler, .sa_flags = SA_RESETHAND};

                sigaction(crash_signals[i], &sa, NULL);
        }
        raw = t->saved;
        cfmakeraw(&raw);
        if (tcsetattr(t->in_fd, TCSANOW, &raw) == 0)
                t->raw = true;
}

int run_tty_pollfds(const struct run_tty *t, struct pollfd *p)
{
        int n = 0;

        if (t->master >= 0 && !t->in_eof && t->in_len == 0)
                p[n++] = (struct pollfd){.fd = t->in_fd, .events = POLLIN};
        if (t->master >= 0 && ((!t->master_eof && t->out_len == 0) || t->in_len))
                p[n++] = (struct pollfd){
                    .fd = t->master,
                    .events = (short)((!t->master_eof && t->out_len == 0 ? POLLIN : 0) |
                                      (t->in_len ? POLLOUT : 0))};
        if (t->out_len > t->out_off)
                p[n++] = (struct pollfd){.fd = t->out_fd, .events = POLLOUT};
        return n;
}

/* Ctrl-] three times within a second, counted over what the caller typed. */
static bool escaped(struct run_tty *t, const char *buf, size_t n, int64_t now_ms)
{
        bool hit = false;

        for (size_t i = 0; i < n; i++) {
                if (buf[i] != ESCAPE_BYTE) {
                        t->escapes = 0;
                        continue;
                }
                if (t->escapes == 0 || now_ms - t->escape_ms > ESCAPE_MS) {
                        t->escapes = 1;
                        t->escape_ms = now_ms;
                } else if (++t->escapes >= 3) {
                        t->escapes = 0;
                        hit = true;
                }
        }
        return hit;
}

static void from_caller(struct run_tty *t, bool *escape, int64_t now_ms)
{
        ssize_t n = read(t->in_fd, t->in, sizeof t->in);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                /* no more input: the pty's end-of-file character, as a typed ^D would be */
                t->in_eof = true;
                if (!t->term && t->master >= 0) {
                        struct termios m;
                        cc_t eof = tcgetattr(t->master, &m) == 0 ? m.c_cc[VEOF] : 4;

                        memcpy(t->in, &eof, 1);
                        t->in_len = 1;
                }
                return;
        }
        t->in_len = (size_t)n;
        if (t->term && escaped(t, t->in, t->in_len, now_ms))
                *escape = true;
}

static void master_io(struct run_tty *t, short revents)
{
        if (revents & POLLOUT && t->in_len) {
                ssize_t w = write(t->master, t->in, t->in_len);

                if (w > 0) {
                        memmove(t->in, t->in + w, t->in_len - (size_t)w);
                        t->in_len -= (size_t)w;
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                        t->in_len = 0; /* the program's side is gone */
                }
        }
        if (revents & (POLLIN | POLLHUP | POLLERR) && t->out_len == 0 && !t->master_eof) {
                ssize_t n = read(t->master, t->out, sizeof t->out);

                if (n > 0) {
                        t->out_len = (size_t)n;
                        t->out_off = 0;
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        t->master_eof = true; /* EIO: every slave fd is closed */
                }
        }
}

static void to_caller(struct run_tty *t)
{
        size_t len = t->out_len - t->out_off;
        ssize_t w = write(t->out_fd, t->out + t->out_off, len > 4096 ? 4096 : len);

        if (w > 0)
                t->out_off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
                t->out_off = t->out_len; /* nobody reads it any more */
        if (t->out_off == t->out_len)
                t->out_len = t->out_off = 0;
}

bool run_tty_step(struct run_tty *t, const struct pollfd *p, int n, int64_t now_ms)
{
        bool escape = false;

        for (int i = 0; i < n; i++) {
                if (!p[i].revents)
                        continue;
                if (p[i].fd == t->in_fd && !t->in_eof && t->in_len == 0)
                        from_caller(t, &escape, now_ms);
                else if (p[i].fd == t->master && t->master >= 0)
                        master_io(t, p[i].revents);
                else if (p[i].fd == t->out_fd && t->out_len > t->out_off)
                        to_caller(t);
        }
        return escape;
}

void run_tty_resize(struct run_tty *t)
{
        struct winsize ws;

        if (t->master >= 0 && ioctl(t->term ? t->in_fd : t->out_fd, TIOCGWINSZ, &ws) == 0) {
                t->size = ws;
                ioctl(t->master, TIOCSWINSZ, &ws);
        }
}

void run_tty_hangup(struct run_tty *t)
{
        if (t->master >= 0)
                close(t->master);
        t->master = -1;
        t->master_eof = true;
        t->in_len = 0;
}

static void write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, buf, len);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                buf += w;
                len -= (size_t)w;
        }
}

void run_tty_finish(struct run_tty *t)
{
        write_all(t->out_fd, t->out + t->out_off, t->out_len - t->out_off);
        t->out_len = t->out_off = 0;
        /* every process is gone: what the master holds, then EIO */
        while (t->master >= 0 && !t->master_eof) {
                ssize_t n = read(t->master, t->out, sizeof t->out);

                if (n <= 0)
                        break;
                write_all(t->out_fd, t->out, (size_t)n);
        }
        run_tty_restore(t);
        if (t->master >= 0)
                close(t->master);
        t->master = -1;
}

void run_tty_suspend(struct run_tty *t)
{
        t->suspended = t->raw;
        run_tty_restore(t);
}

void run_tty_resume(struct run_tty *t)
{
        struct termios raw;

        if (!t->suspended)
                return;
        t->suspended = false;
        /* the caller may have changed its modes meanwhile (stty in the shell): keep those */
        if (tcgetattr(t->in_fd, &t->saved) < 0)
                return;
        raw = t->saved;
        cfmakeraw(&raw);
        if (tcsetattr(t->in_fd, TCSANOW, &raw) == 0)
                t->raw = true;
        run_tty_resize(t);
}

void run_tty_restore(struct run_tty *t)
{
        if (!t->raw)
                return;
        tcsetattr(t->in_fd, TCSADRAIN, &t->saved);
        t->raw = false;
}

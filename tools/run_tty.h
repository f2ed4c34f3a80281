/* corral run -t: the caller's terminal and the program's pty (DESIGN §10). The program gets a
 * pty of its actor's own devpts as stdio and controlling terminal (the shim makes it); here,
 * corral relays between the caller's side (stdin, stdout) and the master, the way script(1)
 * and `systemd-run --pty` do:
 * - the caller's terminal goes raw for the session (Ctrl-C, Ctrl-Z, Ctrl-\ become bytes the
 *   pty's line discipline turns into signals for the program's foreground job), and is put
 *   back as it was on every way out, a crash of corral's included;
 * - its window size follows the caller's: SIGWINCH becomes TIOCSWINSZ on the master, so the
 *   program hears of it once, from its terminal;
 * - Ctrl-] three times within a second (systemd-run's escape) starts the tree's cascade;
 * - the caller's terminal going away (SIGHUP) hangs the pty up.
 * Without a terminal on the caller's side the program still gets its pty; what comes on
 * stdin is relayed, and its end becomes the pty's end-of-file character.
 *
 * No O_NONBLOCK on the caller's fds (they are shared with its shell): each is written or read
 * only after poll says it can take or give at least a pipe's atomic size. */
#ifndef CORRAL_TOOLS_RUN_TTY_H
#define CORRAL_TOOLS_RUN_TTY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>

#define RUN_TTY_BUF 4096

struct run_tty {
        int in_fd, out_fd; /* the caller's side: 0 and 1 */
        int master;        /* -1 until the program has started, and after hangup */
        bool term;         /* the caller's stdin is a terminal: raw while we relay */
        bool raw;          /* it is raw now */
        bool suspended;    /* raw until corral stopped: raw again when continued */
        bool in_eof, master_eof;
        struct termios saved; /* the caller's modes, to put back (and the slave's) */
        struct winsize size;  /* the caller's window (0 rows: none) */
        char in[RUN_TTY_BUF]; /* stdin -> master, not yet written */
        size_t in_len;
        char out[RUN_TTY_BUF]; /* master -> stdout, not yet written */
        size_t out_len, out_off;
        int escapes; /* Ctrl-] in a row, the first at escape_ms */
        int64_t escape_ms;
};

/* Before the spawn: what the caller's terminal is (modes and size for the slave). */
void run_tty_init(struct run_tty *t, int in_fd, int out_fd);

/* The program has started: relay from its master (ours now) and make the caller's terminal
 * raw. */
void run_tty_attach(struct run_tty *t, int master);

/* The fds to poll (at most 3 entries), and what they gave: returns true when the escape
 * (Ctrl-] three times) was typed. */
int run_tty_pollfds(const struct run_tty *t, struct pollfd *p);
bool run_tty_step(struct run_tty *t, const struct pollfd *p, int n, int64_t now_ms);

/* SIGWINCH: the caller's new size to the pty. SIGHUP: hang the pty up. */
void run_tty_resize(struct run_tty *t);
void run_tty_hangup(struct run_tty *t);

/* The tree is gone: what the master still holds goes to stdout; then the caller's modes are
 * put back and the master closed. */
void run_tty_finish(struct run_tty *t);

/* corral stops (job control): the caller's modes back meanwhile; raw again once continued. */
void run_tty_suspend(struct run_tty *t);
void run_tty_resume(struct run_tty *t);

/* Put the caller's modes back (async-signal-safe; idempotent). */
void run_tty_restore(struct run_tty *t);

#endif

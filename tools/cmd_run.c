/* corral run: spawn CMD as the root actor of a tree and supervise it in the foreground. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../policy/profile.h"
#include "../ns/signals.h"
#include "../ns/timeutil.h"
#include "../spawner/supervisor.h"
#include "cli.h"
#include "cmd_run.h"
#include "run_tty.h"
#include "events_fmt.h"

#define EXIT_CANNOT_RUN 125
#define EXIT_TIMED_OUT  124 /* as timeout(1): RuntimeMaxSec= (--timeout) expired */

static bool env_flag(const char *name)
{
        const char *v = getenv(name);

        return v && strcmp(v, "1") == 0;
}

static void default_tree_name(char *out, size_t len, const char *prog)
{
        char tmp[PATH_MAX];
        const char *base;
        char clean[48] = "";
        size_t n = 0;
        uint32_t rnd = 0;

        snprintf(tmp, sizeof tmp, "%s", prog);
        base = basename(tmp);
        for (const char *p = base; *p && n < sizeof clean - 1; p++) {
                char c = *p;

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || (c == '.' && n > 0))
                        clean[n++] = c;
        }
        clean[n] = '\0';
        if (!n || !sup_name_valid(clean))
                snprintf(clean, sizeof clean, "tree");
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                rnd = (uint32_t)getpid() ^ (uint32_t)time(NULL);
        snprintf(out, len, "%s-%08x", clean, rnd);
}

/* SIGINT and SIGTERM start or escalate the tree's cascade; SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2
 * and SIGWINCH are passed on to the root actor's program. All are read from a signalfd. A
 * signal the caller ignores (`nohup`, `trap '' HUP`, a shell's background job) asked us not to
 * react to it: it is neither acted on nor passed on (the kernel discards it), and a `signal`
 * event says so once. Our programs get every signal back at its default regardless. */
static const int cascade_signals[] = {SIGINT, SIGTERM};
static const int passed_signals[] = {SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
static const int job_signals[] = {SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT};

#define NSIGNALS                                                                                   \
        (sizeof cascade_signals / sizeof cascade_signals[0] +                                      \
         sizeof passed_signals / sizeof passed_signals[0])

static int signal_at(size_t i)
{
        const size_t nc = sizeof cascade_signals / sizeof cascade_signals[0];

        return i < nc ? cascade_signals[i] : passed_signals[i - nc];
}

static bool is_cascade_signal(int sig)
{
        return sig == SIGINT || sig == SIGTERM;
}

/* Returns the signalfd; *ignored gets the signals the caller ignored (bit = signo). */
static int run_signals(uint64_t *ignored, struct cerr *err)
{
        sigset_t set;
        int fd;

        *ignored = 0;
        sigemptyset(&set);
        for (size_t i = 0; i < NSIGNALS; i++) {
                struct sigaction sa;

                if (sigaction(signal_at(i), NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
                        *ignored |= 1ull << signal_at(i);
                        continue;
                }
                sigaddset(&set, signal_at(i));
        }
        /* job control: a stop freezes the tree too, SIGCONT thaws it (one ignored by the caller
         * stays ignored, without a word: a shell without job control ignores them all) */
        for (size_t i = 0; i < sizeof job_signals / sizeof job_signals[0]; i++) {
                struct sigaction sa;

                if (job_signals[i] == SIGCONT ||
                    (sigaction(job_signals[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN))
                        sigaddset(&set, job_signals[i]);
        }
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return cerr_set(err, errno, CERR_SIGNALS, "sigprocmask");
        fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return cerr_set(err, errno, CERR_SIGNALS, "signalfd");
        return fd;
}

struct run {
        enum run_events events;
        uint32_t root;
        int signals; /* cascade signals to corral so far: the 2nd skips a stage, the 3rd kills */
        struct run_tty *tty; /* -t */
};

static void on_event(struct corral_sup *s, const struct corral_event *e, void *ctx)
{
        const struct run *r = ctx;
        char line[EVENT_LINE_MAX];
        size_t n;

        if (r->events == RUN_EVENTS_NONE)
                return;
        if (r->events == RUN_EVENTS_PROBLEMS) {
                /* the root's failed spawn is said once, by run_tree's last line */
                if (!event_is_problem(e) ||
                    (e->type == CORRAL_EV_SPAWN_FAILED && e->parent_id == 0))
                        return;
        }
        n = event_format(e, r->events == RUN_EVENTS_JSON, line, sizeof line - 1);
        /* a raw terminal makes no carriage return of a newline: the line ends in both */
        if (r->tty && r->tty->raw && n > 0 && line[n - 1] == '\n') {
                line[n - 1] = '\r';
                line[n++] = '\n';
        }
        corral_sup_write_events(s, line, n);
}

static void say_ignored(struct corral_sup *s, uint64_t ignored)
{
        for (size_t i = 0; i < NSIGNALS; i++) {
                struct corral_event e = {.type = CORRAL_EV_SIGNAL};

                if (!(ignored & (1ull << signal_at(i))))
                        continue;
                e.u.signal.signo = signal_at(i);
                e.u.signal.action = "ignored";
                e.u.signal.why = is_cascade_signal(signal_at(i))
                                     ? "ignored by corral's caller: it does not start teardown"
                                     : "ignored by corral's caller: not passed on";
                corral_sup_emit(s, &e);
        }
}

static void flush_briefly(struct corral_sup *s)
{
        int64_t until = mono_ms() + 200;
        struct cerr err = {0};

        while (corral_sup_output_pending(s) > 0 && mono_ms() < until) {
                struct pollfd p = {.fd = corral_sup_fd(s), .events = POLLIN};

                if (poll(&p, 1, 50) > 0 && corral_sup_dispatch(s, 0, &err) < 0)
                        break;
        }
}

/* Job control (SIGTSTP from a shell's Ctrl-Z, SIGTTIN, SIGTTOU): the whole tree is frozen and
 * corral stops, as a stopped program would; once continued (the shell's fg or bg sends
 * SIGCONT), the tree is thawed. A terminal corral made raw is the caller's meanwhile. */
static void stop_tree(struct corral_sup *s, struct run *r, int sig)
{
        char why[48];

        snprintf(why, sizeof why, "%s to corral", sig_name(sig));
        if (corral_sup_freeze(s, true, why) < 0)
                return;   /* not frozen: then not stopped either */
        flush_briefly(s); /* the event says so before corral stops */
        if (r->tty)
                run_tty_suspend(r->tty);
        kill(getpid(), SIGSTOP);
        /* continued */
        if (r->tty)
                run_tty_resume(r->tty);
        corral_sup_freeze(s, false, "SIGCONT to corral");
}

static void on_signals(struct corral_sup *s, struct run *r, int sfd)
{
        struct signalfd_siginfo si;

        while (read(sfd, &si, sizeof si) == sizeof si) {
                char why[64];

                if (si.ssi_signo == SIGTSTP || si.ssi_signo == SIGTTIN || si.ssi_signo == SIGTTOU) {
                        stop_tree(s, r, (int)si.ssi_signo);
                        continue;
                }
                if (si.ssi_signo == SIGCONT)
                        continue; /* (a stop of ours is undone where it was made) */

                /* -t: the pty tells the program of a new size, and hangs up for the caller */
                if (r->tty && si.ssi_signo == SIGWINCH) {
                        run_tty_resize(r->tty);
                        continue;
                }
                if (r->tty && si.ssi_signo == SIGHUP) {
                        run_tty_hangup(r->tty);
                        continue;
                }
                if (!is_cascade_signal((int)si.ssi_signo)) {
                        /* (an actor that has ended has nothing to pass it to) */
                        corral_sup_signal(s, r->root, (int)si.ssi_signo);
                        continue;
                }
                r->signals++;
                snprintf(why, sizeof why, "%s to corral (%d)", sig_name((int)si.ssi_signo),
                         r->signals);
                corral_sup_cancel(s, 0, r->signals >= 3 ? CM_KILL : CM_ESCALATE, why);
        }
}

/* The tree is gone; what it wrote and what happened still reach their readers, for as long
 * as they read (a pipeline's writer waits for its reader too), or until SIGINT/SIGTERM. Once
 * the user has asked corral to stop (a cascade signal), or the profile chose dropping
 * (LogOverflow=drop), the wait is bounded (CORRAL_FLUSH_MS), and what is still queued then
 * is said in an error event (written, like the rest, as far as stderr takes it). */
static void drain_queues(struct corral_sup *s, int sfd, bool bounded)
{
        int64_t deadline = mono_ms() + CORRAL_FLUSH_MS;
        struct cerr err = {0};
        size_t left;

        while (corral_sup_output_pending(s) > 0) {
                struct pollfd p[2] = {{.fd = corral_sup_fd(s), .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                struct signalfd_siginfo si;
                int wait_ms = bounded ? (int)(deadline - mono_ms()) : -1;

                if (bounded && wait_ms <= 0)
                        break;
                if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
                        break;
                while (p[1].revents && read(sfd, &si, sizeof si) == sizeof si) {
                        if (is_cascade_signal((int)si.ssi_signo)) {
                                bounded = true; /* asked to stop: what is queued now goes */
                                deadline = mono_ms();
                        }
                }
                if (p[0].revents && corral_sup_dispatch(s, 0, &err) < 0)
                        break;
        }
        left = corral_sup_output_pending(s);
        if (left > 0) {
                struct corral_event e = {.type = CORRAL_EV_ERROR};
                char msg[160];

                snprintf(msg, sizeof msg,
                         "%zu bytes of output and events were not written: their reader did "
                         "not take them",
                         left);
                e.u.error.message = msg;
                corral_sup_emit(s, &e);
        }
}

/* The tree: open, spawn the root (the tree ends when it does), a loop over the engine until
 * the tree is gone, close. Returns the exit status (DESIGN §10). */
static int run_tree(const struct run_opts *o, const struct profile *prof,
                    const struct profile *profiles, size_t nprofiles)
{
        struct run r = {.events = o->events};
        struct corral_sup_options so = {
            .profiles = profiles,
            .nprofiles = nprofiles,
            .out_fd = o->out_fd,
            .err_fd = o->err_fd,
            .sweep_orphans = true,
            .on_event = on_event,
            .event_ctx = &r,
            /* the root is cloned by corral itself, small as it is then, and a tree that never
             * spawns a child never forks a spawn server (tests: the eager one, as the API's
             * default) */
            .zygote_on_demand = !env_flag("CORRAL_TEST_EAGER_ZYGOTE"),
            /* the orphan sweep and the admin socket while the root's shim does its mounts */
            .late_housekeeping = true,
            .force_clone_fallback = env_flag("CORRAL_TEST_FORCE_CLONE_FALLBACK"),
            .force_fd_walk = env_flag("CORRAL_TEST_FORCE_FD_WALK"),
        };
        struct corral_spawn sp = {
            .argv = o->argv, .pass = o->pass, .npass = o->npass, .flags = CORRAL_SPAWN_ENDS_TREE};
        struct run_tty tty = {.master = -1};
        struct corral_actor_info info;
        struct corral_tree_info ti;
        struct corral_sup *s = NULL;
        struct cerr err = {0};
        char tree[PROFILE_NAME_MAX + 1], buf[CERR_MSG_MAX + 64];
        const char *ifindex = getenv("CORRAL_TEST_LOOPBACK_IFINDEX");
        uint64_t ignored = 0;
        bool started = false;
        int sfd, code = EXIT_CANNOT_RUN;

        if (!o->argv || !o->argv[0])
                return EXIT_CANNOT_RUN; /* (run_parse_args never lets that through) */
        if (ifindex)
                so.loopback_ifindex = atoi(ifindex);
        if (o->tree_name) {
                snprintf(tree, sizeof tree, "%s", o->tree_name);
                if (!sup_name_valid(o->tree_name)) {
                        cerr_set(&err, EINVAL, CERR_USAGE,
                                 "invalid tree name '%s': use 1-64 of [A-Za-z0-9_.-], not "
                                 "starting with '.' or a cgroup controller prefix such as "
                                 "'memory.'",
                                 o->tree_name);
                        fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                        return EXIT_CANNOT_RUN;
                }
        } else {
                default_tree_name(tree, sizeof tree, o->argv[0]);
        }
        so.tree_name = tree;
        sp.name = tree; /* the root actor is named after its tree */
        if (o->pty) {
                run_tty_init(&tty, 0, o->out_fd);
                r.tty = &tty;
                sp.flags |= CORRAL_SPAWN_PTY;
                sp.pty_mode = tty.term ? &tty.saved : NULL;
                sp.pty_size = tty.size.ws_row ? &tty.size : NULL;
        }
        sfd = run_signals(&ignored, &err);
        if (sfd >= 0 && corral_sup_open(&s, &so, &err) == 0) {
                say_ignored(s, ignored);
                started = corral_sup_spawn(s, &sp, &r.root, &err) == 0;
        }
        if (!started) {
                fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                corral_sup_close(s);
                if (sfd >= 0)
                        close(sfd);
                return EXIT_CANNOT_RUN;
        }
        while (!corral_sup_done(s)) {
                struct pollfd p[5] = {{.fd = corral_sup_fd(s), .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                int n = 2;

                if (r.tty && tty.master < 0 && !tty.master_eof) {
                        int m = corral_sup_take_pty(s, r.root);

                        if (m >= 0)
                                run_tty_attach(&tty, m);
                }
                if (r.tty)
                        n += run_tty_pollfds(&tty, p + 2);
                if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
                        break;
                if (r.tty && run_tty_step(&tty, p + 2, n - 2, mono_ms()))
                        corral_sup_cancel(s, 0, CM_ESCALATE, "Ctrl-] three times");
                if (p[1].revents)
                        on_signals(s, &r, sfd);
                if (p[0].revents && corral_sup_dispatch(s, 0, &err) < 0)
                        break;
        }
        if (r.tty)
                run_tty_finish(&tty);
        if (corral_sup_done(s))
                drain_queues(s, sfd, r.signals > 0 || prof->log_overflow == LOG_OVERFLOW_DROP);
        corral_sup_tree(s, &ti);
        corral_sup_actor(s, r.root, &info);
        if (!corral_sup_done(s))
                fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
        else if (ti.force_killed)
                code = EXIT_CANNOT_RUN; /* said below, in one line */
        else
                code = ti.stuck         ? EXIT_CANNOT_RUN
                       : info.timed_out ? EXIT_TIMED_OUT
                                        : info.exit_code;
        corral_sup_close(s);
        close(sfd);
        if (info.state == CORRAL_ACTOR_SPAWN_FAILED)
                fprintf(stderr, "corral: %s\n", info.spawn_error);
        if (ti.force_killed)
                fprintf(stderr,
                        "corral: tree %s was killed from outside (corral kill --force): "
                        "its actors and nodes are gone\n",
                        tree);
        if (ti.stuck)
                fprintf(stderr, "corral: teardown stuck: processes remain in the tree (see the "
                                "'stuck' event); its nodes were left in place\n");
        return code;
}

/* The root's profile first (with its --set overrides), then every other profile of the
 * policy file: what the tree's actors may ask for in SPAWN (SpawnProfiles= decides which). */
static int run_with_profiles(const struct run_args *a, const struct profile *root)
{
        struct policy pol = {0};
        struct cerr err = {0};
        struct profile *all;
        size_t n = 1;
        int rc;

        if (a->policy_file && policy_load_file(a->policy_file, &pol, &err) < 0)
                pol.n = 0; /* (it loaded a moment ago: the root's profile alone, then) */
        all = calloc(pol.n + 1, sizeof *all);
        if (!all) {
                policy_free(&pol);
                fprintf(stderr, "corral: out of memory\n");
                return EXIT_CANNOT_RUN;
        }
        all[0] = *root; /* (shallow: the engine copies what it keeps) */
        for (size_t i = 0; i < pol.n; i++) {
                if (strcmp(pol.profiles[i].name, root->name) != 0)
                        all[n++] = pol.profiles[i];
        }
        rc = run_tree(&a->o, root, all, n);
        free(all);
        policy_free(&pol);
        return rc;
}

int cmd_run(int argc, char **argv)
{
        struct run_args a;
        struct profile prof;
        struct cerr err = {0};
        int rc;

        rc = run_parse_args(argc, argv, &a, &err);
        if (rc == RUN_ARGS_HELP) {
                run_usage(stdout);
                return EXIT_OK;
        }
        if (rc < 0) {
                if (err.msg[0])
                        cli_error("run", "%s", err.msg);
                return a.show_usage ? cli_usage("run", RUN_SYNOPSIS, EXIT_CANNOT_RUN)
                                    : EXIT_CANNOT_RUN;
        }
        if (run_resolve_profile(&prof, &a) < 0)
                return EXIT_CANNOT_RUN;
        rc = run_with_profiles(&a, &prof);
        profile_free(&prof);
        return rc;
}

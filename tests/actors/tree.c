/* The test actor's modes that talk to the supervisor through the client API (corral.h):
 *
 *   tree LEVEL                 a recursive spawner: HELLO, then two children: spawners
 *                              `tree LEVEL-1` while LEVEL >= 0, else two leaves (one fails at
 *                              once, before HELLO, one after 0.2 s); so `tree D` starts 2
 *                              spawners of level D and 2^(D+3)-2 actors in all. Prints
 *                              "spawned NAME ID" and
 *                              "child ID REASON CODE" for what it is told, and exits 1 when a
 *                              child failed, else 0 (bounded: 60 s)
 *   tree LEVEL coop            the same with cooperative spawners: a child that fails, or
 *                              CANCEL, makes a spawner cancel its other children itself
 *                              (each once it said HELLO), wait for them, and exit 1 when one
 *                              failed (the nested-error shape of the seeds' runtime)
 *   leaf now|later             exit 3 at once; or say HELLO, wait 0.2 s, exit 3 (exit 0 at
 *                              once on CANCEL meanwhile)
 *   fail-first SECS            as actor c0: exit 3 after 0.3 s; any other: sleep SECS
 *   parent N ready|now PROFILE ARGV...  N children (c0, c1 ...) running ARGV with PROFILE
 *                              ("-": its own) under a cooperative nursery; on
 *                              CANCEL or SIGINT it cancels them (each once READY, or at once)
 *                              and waits; prints what it is told; exit 0 (1: a child failed)
 *   wait SECS                  HELLO, then wait for CANCEL (exit 0), at most SECS
 *   stubborn SECS              HELLO, then a synchronous sleep: CANCEL goes unheard
 *   hold SECS                  HELLO; on CANCEL it sends HOLD, prints "held", sleeps SECS
 *   ctl-fd                     print the control channel's fd and its variables, then
 *                              "opened" once corral_open() took it (CORRAL_CTL_FD gone)
 *   hostile COUNT FDS          HELLO, then FDS unannounced fds (4 with each STAT of a child
 *                              it does not have), then COUNT random, truncated and oversized
 *                              datagrams; prints "hostile fds F sent N errors E"
 *   stat-probe MS              a child that sleeps, then STATs of it for MS ms (at most
 *                              200000), each timed; prints "stat p99 P us max M us over N"
 *   siblings                   a hostile child and a stat-probe child at once
 *   pass-ctl                   a SPAWN that passes its own control channel on
 *   coop [now]                 a cooperative runtime: two children that sleep; on SIGINT or
 *                              CANCEL (or at once: now) it cancels them itself (CANCEL_CHILD),
 *                              waits for both ends, prints "cancelled N", exits 0 when N is 2
 *   spawn PROFILE COUNT PROG [ARGS]  spawn COUNT children running PROG with PROFILE
 *                              ("-": our own), at most 32 unanswered at a time and none after
 *                              the first ERROR; print each answer (spawned NAME ID / error
 *                              ERRNO TEXT), each child's end, then "sent S spawned N errors E
 *                              ended X"; exit 0
 *   spawn-hold PROFILE COUNT PROG [ARGS]  the same, but once every SPAWN is answered (all
 *                              children alive at once) it cancels them all (force)
 *   spawn-each P1,P2... PROG [ARGS]  one child per profile, named after it, each SPAWN
 *                              answered before the next (an ERROR does not stop the rest);
 *                              prints as spawn does, then "sent S spawned N errors E ended X" */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../spawner/corral.h"
#include "modes.h"

static struct corral_ctl *open_hello(void)
{
        struct corral_ctl *c;
        struct corral_msg m;

        if (corral_open(&c) < 0) {
                printf("open errno %s\n", strerrorname_np(errno));
                exit(2);
        }
        if (corral_hello(c) < 0 || corral_next(c, &m, 10000) != 1 || m.type != CORRAL_MSG_WELCOME) {
                printf("no welcome\n");
                exit(2);
        }
        return c;
}

static int64_t ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One answer to a SPAWN, or a child's end, read and printed. */
struct tally {
        int answered, ended, failed, errors;
        uint32_t ids[1024]; /* the children SPAWNED, in order */
};

/* Returns corral_next's: 1 (a message taken), 0 (none in time), -1 (the channel failed). */
static int take(struct corral_ctl *c, struct tally *t, int timeout_ms)
{
        struct corral_msg m;
        int r = corral_next(c, &m, timeout_ms);

        if (r != 1)
                return r;
        if (m.type == CORRAL_MSG_SPAWNED) {
                printf("spawned %s %u\n", m.name ? m.name : "?", m.child_id);
                if (t->answered - t->errors < 1024)
                        t->ids[t->answered - t->errors] = m.child_id;
                t->answered++;
        } else if (m.type == CORRAL_MSG_ERROR) {
                printf("error %s %s\n", strerrorname_np((int)m.errnum), m.text ? m.text : "");
                t->answered++, t->errors++;
        } else if (m.type == CORRAL_MSG_CHILD_EXITED) {
                printf("child %u %s %u\n", m.child_id, m.reason ? m.reason : "?", m.exit_code);
                t->ended++;
                t->failed += m.exit_code != 0;
        }
        fflush(stdout);
        return 1;
}

/* Read answers until `want` children have ended or failed to spawn (or a deadline): 1 when
 * one failed. */
static int collect(struct corral_ctl *c, int want)
{
        int64_t deadline = ms_now() + 60000;
        struct tally t = {0};

        while (t.ended + t.errors < want && ms_now() < deadline &&
               take(c, &t, (int)(deadline - ms_now())) >= 0)
                ;
        if (t.ended + t.errors < want)
                printf("only %d of %d children ended\n", t.ended + t.errors, want);
        return t.failed || t.errors || t.ended + t.errors < want;
}

static int run_nursery(struct corral_ctl *c, int want, bool wait_ready, bool one_cancels_all);

static int mode_tree(const char *self, int level, bool coop)
{
        struct corral_ctl *c = open_hello();
        char lvl[16], name[32];

        snprintf(lvl, sizeof lvl, "%d", level - 1);
        for (int i = 0; i < 2; i++) {
                const char *spawner[] = {self, "tree", lvl, coop ? "coop" : NULL, NULL};
                const char *leaf[] = {self, "leaf", i == 0 ? "now" : "later", NULL};
                struct corral_spawn_req r = {.name = name, .argv = level >= 0 ? spawner : leaf};
                uint32_t req;

                if (level >= 0)
                        snprintf(name, sizeof name, "s%d-%d", level, i);
                else
                        snprintf(name, sizeof name, "leaf-%d", i);
                if (corral_spawn(c, &r, &req) < 0) {
                        printf("spawn errno %s\n", strerrorname_np(errno));
                        return 2;
                }
        }
        return coop ? run_nursery(c, 2, true, true) : collect(c, 2);
}

static int mode_leaf(const char *how)
{
        if (strcmp(how, "later") == 0) {
                struct corral_ctl *c = open_hello();
                int64_t end = ms_now() + 200;
                struct corral_msg m;

                /* a CANCEL meanwhile: it stops cleanly, as a cancelled task does */
                while (ms_now() < end) {
                        if (corral_next(c, &m, (int)(end - ms_now())) == 1 &&
                            m.type == CORRAL_MSG_CANCEL)
                                return 0;
                }
                corral_close(c);
        }
        return 3;
}

static int mode_ctl_fd(void)
{
        const char *vars[] = {"CORRAL_CTL_FD", "CORRAL_ACTOR_ID", "CORRAL_ACTOR_NAME",
                              "CORRAL_TREE"};
        struct corral_ctl *c;

        for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
                printf("%s=%s\n", vars[i], getenv(vars[i]) ? getenv(vars[i]) : "");
        if (corral_open(&c) < 0) {
                printf("open errno %s\n", strerrorname_np(errno));
                return 1;
        }
        printf("opened fd %d, CORRAL_CTL_FD %s\n", corral_fd(c),
               getenv("CORRAL_CTL_FD") ? "still set" : "gone");
        corral_close(c);
        return 0;
}

/* COUNT children, at most 32 requests unanswered at a time (a runtime's pacing), and no
 * more after the first ERROR; with `hold`, all of them alive at once, then cancelled (force)
 * together; then every child's end. */
static int mode_spawn(const char *profile, int count, char **prog, bool hold)
{
        struct corral_ctl *c = open_hello();
        static struct tally t;
        int64_t deadline = ms_now() + 120000;
        int sent = 0;

        while (sent < count && !t.errors && ms_now() < deadline) {
                char name[32];
                struct corral_spawn_req r = {.name = name,
                                             .profile = strcmp(profile, "-") ? profile : NULL,
                                             .argv = (const char *const *)prog};
                uint32_t req;

                if (sent - t.answered >= 32) {
                        if (take(c, &t, 1000) < 0)
                                break;
                        continue;
                }
                snprintf(name, sizeof name, "c%d", sent);
                if (corral_spawn(c, &r, &req) < 0)
                        break;
                sent++;
        }
        while (t.answered < sent && ms_now() < deadline && take(c, &t, 1000) >= 0)
                ;
        if (hold) {
                printf("holding %d\n", t.answered - t.errors);
                fflush(stdout);
                for (int i = 0; i < t.answered - t.errors && i < 1024; i++)
                        corral_cancel_child(c, t.ids[i], true);
        }
        while (t.ended < t.answered - t.errors && ms_now() < deadline && take(c, &t, 1000) >= 0)
                ;
        printf("sent %d spawned %d errors %d ended %d\n", sent, t.answered - t.errors, t.errors,
               t.ended);
        corral_close(c);
        return 0;
}

static int mode_spawn_each(char *profiles, char **prog)
{
        struct corral_ctl *c = open_hello();
        static struct tally t;
        int64_t deadline = ms_now() + 60000;
        char *save = NULL;
        int sent = 0;

        for (char *p = strtok_r(profiles, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                struct corral_spawn_req r = {
                    .name = p, .profile = p, .argv = (const char *const *)prog};
                uint32_t req;

                if (corral_spawn(c, &r, &req) < 0)
                        break;
                sent++;
                while (t.answered < sent && ms_now() < deadline && take(c, &t, 1000) >= 0)
                        ;
        }
        while (t.ended < t.answered - t.errors && ms_now() < deadline && take(c, &t, 1000) >= 0)
                ;
        printf("sent %d spawned %d errors %d ended %d\n", sent, t.answered - t.errors, t.errors,
               t.ended);
        corral_close(c);
        return 0;
}

/* Random, truncated and oversized datagrams (some carrying fds nobody announced) on the raw
 * channel, never a HELLO: the supervisor must answer with ERRORs, close the channel after
 * its strike limit, and stay well. Prints how many it sent and ERRORs it read. */
static char reply_drain[4096];

static int mode_hostile(int count, int nfds)
{
        static char buf[CORRAL_MSG_MAX + 4096];
        const char *v = getenv("CORRAL_CTL_FD");
        int fd = v ? atoi(v) : -1, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int sent = 0, errors = 0, fds_sent = 0;
        unsigned seed = 12345;

        struct corral_ctl *c;
        struct corral_msg m;

        if (fd < 3 || null < 0 || corral_open_fd(&c, fd) < 0 || corral_hello(c) < 0 ||
            corral_next(c, &m, 10000) != 1)
                return 2;
        printf("welcomed\n"); /* (a test counts the supervisor's fds now) */
        fflush(stdout);
        usleep(500000);
        /* first the fds: STAT of a child it does not have (ENOENT, no strike), 4 fds each */
        for (; fds_sent < nfds; fds_sent += 4) {
                struct {
                        struct nlmsghdr h;
                        struct nlattr a;
                        uint32_t child;
                } stat = {{sizeof stat, CORRAL_MSG_STAT, 0, 1, 0}, {8, CORRAL_A_CHILD_ID}, 999};
                struct iovec iov = {.iov_base = &stat, .iov_len = sizeof stat};
                union {
                        char b[CMSG_SPACE(sizeof(int) * 4)];
                        struct cmsghdr align;
                } u;
                struct msghdr msg = {.msg_iov = &iov,
                                     .msg_iovlen = 1,
                                     .msg_control = u.b,
                                     .msg_controllen = sizeof u.b};
                struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
                int four[4] = {null, null, null, null};

                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof four);
                memcpy(CMSG_DATA(cm), four, sizeof four);
                if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
                        break;
                if (corral_next(c, &m, 5000) == 1 && m.type == CORRAL_MSG_ERROR)
                        errors++;
        }
        /* then garbage, until the supervisor closes the channel */
        for (int i = 0; i < count; i++) {
                size_t len = rand_r(&seed) % 3 == 0 ? (size_t)rand_r(&seed) % sizeof buf
                                                    : (size_t)rand_r(&seed) % 256;
                struct iovec iov = {.iov_base = buf, .iov_len = len ? len : 1};
                struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
                char reply[4096];

                for (size_t k = 0; k < len; k++)
                        buf[k] = (char)rand_r(&seed);
                if (len >= 16 && i % 2) { /* a plausible header over garbage */
                        uint32_t l = (uint32_t)len;
                        uint16_t t = (uint16_t)(0x10 + rand_r(&seed) % 14);

                        memcpy(buf, &l, 4);
                        memcpy(buf + 4, &t, 2);
                }
                if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) {
                        if (errno == EAGAIN || errno == ENOBUFS) {
                                usleep(1000);
                                continue;
                        }
                        break; /* EPIPE: the supervisor closed the channel */
                }
                sent++;
                while (recv(fd, reply, sizeof reply, MSG_DONTWAIT) > 0)
                        errors++;
        }
        usleep(100000);
        while (recv(fd, reply_drain, sizeof reply_drain, MSG_DONTWAIT) > 0)
                errors++;
        printf("hostile fds %d sent %d errors %d\n", fds_sent, sent, errors);
        fflush(stdout);
        corral_close(c);
        usleep(1000000); /* (and again now, while it still runs) */
        return 0;
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return (x > y) - (x < y);
}

static int64_t us_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A child that sleeps, then STATs of it for MS milliseconds (at most 200000), each timed from
 * send to its STATS. */
static int mode_stat_probe(const char *self, int ms)
{
        const int count = 200000;
        int64_t until;
        static int64_t lat[200000];
        const char *argv[] = {self, "sleep", "30", NULL};
        struct corral_spawn_req r = {.name = "probed", .argv = argv};
        struct corral_ctl *c = open_hello();
        struct corral_msg m;
        uint32_t req, child = 0;
        int n = 0;

        if (corral_spawn(c, &r, &req) < 0)
                return 2;
        while (!child && corral_next(c, &m, 10000) == 1) {
                if (m.type == CORRAL_MSG_SPAWNED)
                        child = m.child_id;
                else if (m.type == CORRAL_MSG_ERROR)
                        return 2;
        }
        printf("probing\n");
        fflush(stdout);
        until = us_now() + (int64_t)ms * 1000;
        for (; n < count && us_now() < until; n++) {
                int64_t t0 = us_now();

                if (corral_stat(c, child, &req) < 0)
                        return 2;
                do {
                        if (corral_next(c, &m, 5000) != 1)
                                return 2;
                } while (m.type != CORRAL_MSG_STATS || m.seq != req);
                lat[n] = us_now() - t0;
        }
        qsort(lat, (size_t)n, sizeof lat[0], cmp_i64);
        printf("stat p99 %lld us max %lld us over %d\n", (long long)lat[n * 99 / 100],
               (long long)lat[n - 1], n);
        fflush(stdout);
        corral_cancel_child(c, child, true);
        while (corral_next(c, &m, 10000) == 1 && m.type != CORRAL_MSG_CHILD_EXITED)
                ;
        corral_close(c);
        return 0;
}

/* Two children at once: a hostile one and a STAT prober (its sibling). */
static int mode_siblings(const char *self)
{
        const char *hostile[] = {self, "hostile", "10000", "1000", NULL};
        const char *probe[] = {self, "stat-probe", "1500", NULL};
        struct corral_spawn_req h = {.name = "hostile", .argv = hostile};
        struct corral_spawn_req p = {.name = "prober", .argv = probe};
        struct corral_ctl *c = open_hello();
        uint32_t req;

        if (corral_spawn(c, &p, &req) < 0 || corral_spawn(c, &h, &req) < 0)
                return 2;
        return collect(c, 2);
}

/* A SPAWN that passes the actor's own control channel on: refused (EPERM), nothing spawned. */
static int mode_pass_ctl(const char *self)
{
        const char *argv[] = {self, "exit", "0", NULL};
        const char *names[] = {"ctl"};
        struct corral_ctl *c = open_hello();
        int fd;
        struct corral_spawn_req r = {.name = "thief", .argv = argv, .fd_names = names, .nfds = 1};
        uint32_t req;

        fd = corral_fd(c);
        r.fds = &fd;
        if (corral_spawn(c, &r, &req) < 0)
                return 2;
        collect(c, 1);
        corral_close(c);
        return 0;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
        (void)sig;
        interrupted = 1;
}

/* A cooperative runtime: two children that sleep; when it is cancelled (SIGINT, or CANCEL
 * from the graceful cascade), or at once with `now`, it cancels them itself (CANCEL_CHILD),
 * waits for both ends and exits 0, printing "cancelled N". */
static int mode_coop(const char *self, bool now)
{
        const char *argv[] = {self, "sleep", "30", NULL};
        struct sigaction sa = {.sa_handler = on_sigint};
        struct corral_ctl *c = open_hello();
        uint32_t ids[2] = {0, 0}, req;
        int spawned = 0, ended = 0;
        int64_t deadline = ms_now() + 60000;

        sigaction(SIGINT, &sa, NULL);
        for (int i = 0; i < 2; i++) {
                char name[16];
                struct corral_spawn_req r = {.name = name, .argv = argv};

                snprintf(name, sizeof name, "w%d", i);
                if (corral_spawn(c, &r, &req) < 0)
                        return 2;
        }
        while (ended < 2 && ms_now() < deadline) {
                struct corral_msg m;
                int rc = corral_next(c, &m, 100);

                if (rc == 1 && m.type == CORRAL_MSG_CANCEL)
                        interrupted = interrupted ? interrupted : 1;
                if (interrupted == 1) {
                        interrupted = 2;
                        for (int i = 0; i < spawned; i++)
                                corral_cancel_child(c, ids[i], false);
                        printf("cancelling %d\n", spawned);
                        fflush(stdout);
                }
                if (rc != 1)
                        continue;
                if (m.type == CORRAL_MSG_SPAWNED && spawned < 2) {
                        ids[spawned++] = m.child_id;
                        if (spawned == 2) {
                                printf("ready\n");
                                fflush(stdout);
                                if (now)
                                        interrupted = 1;
                        }
                } else if (m.type == CORRAL_MSG_CHILD_EXITED) {
                        ended++;
                }
        }
        printf("cancelled %d\n", ended);
        corral_close(c);
        return ended == 2 ? 0 : 1;
}

/* A cooperative runtime's nursery over `want` children already asked for: it reads what the
 * supervisor says, and once it is cancelling (CANCEL, SIGINT, or with one_cancels_all a child
 * that failed) it cancels each child itself (CANCEL_CHILD), each once it is READY when
 * wait_ready (a child that talks to corral is cancelled once it can hear it), and waits for
 * every end. Prints "spawned NAME ID", "ready ID", "cancel TIME_LEFT_MS", "child ID REASON
 * CODE"; returns 1 when a child failed (exit code not 0 when it was not cancelled, or its
 * spawn refused), else 0. */
static int run_nursery(struct corral_ctl *c, int want, bool wait_ready, bool one_cancels_all)
{
        struct {
                uint32_t id;
                bool ready, gone, asked;
        } ch[64] = {{0}};
        int n = 0, ended = 0, errors = 0, failed = 0;
        bool cancelling = false;
        int64_t deadline = ms_now() + 60000;
        struct sigaction sa = {.sa_handler = on_sigint};

        sigaction(SIGINT, &sa, NULL);
        while (ended + errors < want && ms_now() < deadline) {
                struct corral_msg m;
                int rc = corral_next(c, &m, 50);

                if (rc < 0 && errno != EINTR)
                        break;
                if (interrupted)
                        cancelling = true;
                if (rc == 1 && m.type == CORRAL_MSG_SPAWNED && n < 64) {
                        ch[n++].id = m.child_id;
                        printf("spawned %s %u\n", m.name ? m.name : "?", m.child_id);
                } else if (rc == 1 && m.type == CORRAL_MSG_ERROR) {
                        printf("error %s %s\n", strerrorname_np((int)m.errnum),
                               m.text ? m.text : "");
                        errors++;
                        failed++;
                } else if (rc == 1 && m.type == CORRAL_MSG_CANCEL) {
                        printf("cancel %llu\n", (unsigned long long)(m.time_left_us / 1000));
                        cancelling = true;
                }
                for (int i = 0; rc == 1 && i < n; i++) {
                        if (m.type == CORRAL_MSG_CHILD_READY && ch[i].id == m.child_id) {
                                ch[i].ready = true;
                                printf("ready %u\n", m.child_id);
                        }
                        if (m.type == CORRAL_MSG_CHILD_EXITED && ch[i].id == m.child_id) {
                                ch[i].gone = true;
                                ended++;
                                /* one it cancelled ended as asked: no failure */
                                failed += m.exit_code != 0 && !ch[i].asked;
                                cancelling |= one_cancels_all && m.exit_code != 0;
                                printf("child %u %s %u\n", m.child_id, m.reason ? m.reason : "?",
                                       m.exit_code);
                        }
                }
                for (int i = 0; cancelling && i < n; i++) {
                        if (!ch[i].gone && !ch[i].asked && (ch[i].ready || !wait_ready)) {
                                ch[i].asked = true;
                                corral_cancel_child(c, ch[i].id, false);
                        }
                }
                fflush(stdout);
        }
        if (ended + errors < want)
                printf("only %d of %d children ended\n", ended + errors, want);
        corral_close(c);
        return failed || ended + errors < want;
}

/* N children running ARGV under a cooperative nursery (`ready`: cancel each once it said
 * HELLO; `now`: at once); exits 0 once all ended (1 when one failed). */
static int mode_parent(int n, const char *ready, const char *profile, char **argv)
{
        struct corral_ctl *c = open_hello();
        uint32_t req;

        for (int i = 0; i < n && i < 64; i++) {
                char name[16];
                struct corral_spawn_req r = {.name = name,
                                             .profile = strcmp(profile, "-") ? profile : NULL,
                                             .argv = (const char *const *)argv};

                snprintf(name, sizeof name, "c%d", i);
                if (corral_spawn(c, &r, &req) < 0)
                        return 2;
        }
        return run_nursery(c, n, strcmp(ready, "ready") == 0, false) ? 1 : 0;
}

static int mode_fail_first(int secs)
{
        const char *me = getenv("CORRAL_ACTOR_NAME");

        if (me && strcmp(me, "c0") == 0) {
                usleep(300000);
                return 3;
        }
        sleep((unsigned)secs);
        return 0;
}

/* HELLO, then wait for CANCEL, at most SECS; then exit 0 at once, as a cancelled task does,
 * or with `hold` send HOLD (a debugger attached), print "held" and sleep on without RELEASE. */
static int mode_wait(int secs, bool hold)
{
        struct corral_ctl *c = open_hello();
        int64_t end = ms_now() + (int64_t)secs * 1000;
        struct corral_msg m;

        while (ms_now() < end) {
                if (corral_next(c, &m, (int)(end - ms_now())) == 1 && m.type == CORRAL_MSG_CANCEL)
                        break;
        }
        if (hold && ms_now() < end) {
                if (corral_hold(c) < 0)
                        return 2;
                printf("held\n");
                fflush(stdout);
                sleep((unsigned)secs);
        }
        corral_close(c);
        return 0;
}

/* HELLO, then a synchronous sleep: it never reads its channel, so CANCEL goes unheard. */
static int mode_stubborn(int secs)
{
        struct corral_ctl *c = open_hello();

        printf("stubborn\n");
        fflush(stdout);
        sleep((unsigned)secs);
        corral_close(c);
        return 0;
}

int actor_tree_mode(int argc, char **argv)
{
        if (strcmp(argv[1], "parent") == 0 && argc >= 6)
                return mode_parent(atoi(argv[2]), argv[3], argv[4], argv + 5);
        if (strcmp(argv[1], "fail-first") == 0 && argc == 3)
                return mode_fail_first(atoi(argv[2]));
        if (strcmp(argv[1], "wait") == 0 && argc == 3)
                return mode_wait(atoi(argv[2]), false);
        if (strcmp(argv[1], "stubborn") == 0 && argc == 3)
                return mode_stubborn(atoi(argv[2]));
        if (strcmp(argv[1], "hold") == 0 && argc == 3)
                return mode_wait(atoi(argv[2]), true);
        if (strcmp(argv[1], "coop") == 0)
                return mode_coop(argv[0], argc == 3 && strcmp(argv[2], "now") == 0);
        if (strcmp(argv[1], "pass-ctl") == 0)
                return mode_pass_ctl(argv[0]);
        if (strcmp(argv[1], "stat-probe") == 0 && argc == 3)
                return mode_stat_probe(argv[0], atoi(argv[2]));
        if (strcmp(argv[1], "siblings") == 0)
                return mode_siblings(argv[0]);
        if (strcmp(argv[1], "hostile") == 0 && argc == 4)
                return mode_hostile(atoi(argv[2]), atoi(argv[3]));
        if (strcmp(argv[1], "tree") == 0 && (argc == 3 || argc == 4))
                return mode_tree(argv[0], atoi(argv[2]), argc == 4 && strcmp(argv[3], "coop") == 0);
        if (strcmp(argv[1], "leaf") == 0 && argc == 3)
                return mode_leaf(argv[2]);
        if (strcmp(argv[1], "ctl-fd") == 0)
                return mode_ctl_fd();
        if (strcmp(argv[1], "spawn") == 0 && argc >= 5)
                return mode_spawn(argv[2], atoi(argv[3]), argv + 4, false);
        if (strcmp(argv[1], "spawn-hold") == 0 && argc >= 5)
                return mode_spawn(argv[2], atoi(argv[3]), argv + 4, true);
        if (strcmp(argv[1], "spawn-each") == 0 && argc >= 4)
                return mode_spawn_each(argv[2], argv + 3);
        return -1;
}

/* The test actor's modes for what nesting must keep (DESIGN §9): seccomp filters that stack
 * down a chain of actors, and the tree's one network namespace.
 *
 *   chain N PROFILE OP         say HELLO, do OP (`mount`: mount(2) of a tmpfs on /tmp, printed
 *                              as "level N mount ok" or "level N mount errno NAME"; `sysinfo`:
 *                              sysinfo(2), the same way; `none`),
 *                              print "level N ran"; then, while N > 1, spawn one child "lN-1"
 *                              running `chain N-1 PROFILE OP` with PROFILE ("-": our own; a
 *                              name ending in '+': that prefix and N-1, so "l+" gives l19 at
 *                              N 20), print what it is told ("spawned NAME ID", "error ERRNO
 *                              TEXT", "child ID REASON CODE") and wait for its end; exit 1 when
 *                              it failed (bounded: 60 s)
 *   tcp-listen PORT N WAIT HOLD  listen on 127.0.0.1:PORT, print "listening PORT", accept up to
 *                              N connections within WAIT s (printing "accepted K" after each),
 *                              then sleep HOLD s; exit 0 when all N came
 *   tcp-connect HOLD PORT[:WAIT]...  connect to 127.0.0.1:PORT for each (retrying a refused
 *                              connection for up to WAIT s), printing "connect PORT ok" or
 *                              "connect PORT errno NAME"; then sleep HOLD s; exit 0
 *   net-tree PORT HOSTPORT HOLD [OWN]  say HELLO, then spawn with our profile: "listener"
 *                              (tcp-listen PORT 2 30 HOLD), "sibling" (tcp-connect HOLD PORT:30
 *                              HOSTPORT) and "middle" (spawn - 1 of that same tcp-connect: a
 *                              grandchild named c0); and with profile OWN, "own" (tcp-connect
 *                              HOLD PORT HOSTPORT); print what it is told; exit 1 when a child
 *                              failed
 *   listen-both PATH HOLD      listen on 127.0.0.1 at a port the kernel picks and on a Unix
 *                              stream socket bound at PATH, print "listening PORT PATH", sleep
 *                              HOLD s (`corral sockets` must name both) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../spawner/corral.h"
#include "modes.h"

static int64_t ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
        int64_t end = ms_now() + ms;

        while (ms_now() < end)
                usleep((useconds_t)((end - ms_now()) * 1000));
}

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);

        return n ? n : "?";
}

static struct corral_ctl *hello(void)
{
        struct corral_ctl *c;
        struct corral_msg m;

        if (corral_open(&c) < 0 || corral_hello(c) < 0 || corral_next(c, &m, 10000) != 1 ||
            m.type != CORRAL_MSG_WELCOME) {
                printf("no welcome\n");
                exit(2);
        }
        return c;
}

/* Print what the supervisor says until `want` children ended or were refused (60 s at
 * most); 1 when one failed. */
static int children(struct corral_ctl *c, int want)
{
        int64_t deadline = ms_now() + 60000;
        int done = 0, failed = 0;

        while (done < want && ms_now() < deadline) {
                struct corral_msg m;
                int rc = corral_next(c, &m, (int)(deadline - ms_now()));

                if (rc < 0)
                        break;
                if (rc != 1)
                        continue;
                if (m.type == CORRAL_MSG_SPAWNED) {
                        printf("spawned %s %u\n", m.name ? m.name : "?", m.child_id);
                } else if (m.type == CORRAL_MSG_ERROR) {
                        printf("error %s %s\n", ename((int)m.errnum), m.text ? m.text : "");
                        done++, failed++;
                } else if (m.type == CORRAL_MSG_CHILD_EXITED) {
                        printf("child %u %s %u\n", m.child_id, m.reason ? m.reason : "?",
                               m.exit_code);
                        done++;
                        failed += m.exit_code != 0;
                }
                fflush(stdout);
        }
        if (done < want)
                printf("only %d of %d children ended\n", done, want);
        fflush(stdout);
        return failed || done < want;
}

static int mode_chain(const char *self, int n, const char *profile, const char *op)
{
        struct corral_ctl *c = hello();
        char lvl[16], name[16], prof[80];
        const char *argv[] = {self, "chain", lvl, profile, op, NULL};
        struct corral_spawn_req r = {.name = name, .argv = argv};
        size_t len = strlen(profile);
        uint32_t req;

        if (strcmp(op, "mount") == 0 || strcmp(op, "sysinfo") == 0) {
                struct sysinfo si;
                int rc = op[0] == 'm' ? mount("none", "/tmp", "tmpfs", 0, "size=1m") : sysinfo(&si);

                if (rc == 0)
                        printf("level %d %s ok\n", n, op);
                else
                        printf("level %d %s errno %s\n", n, op, ename(errno));
        }
        printf("level %d ran\n", n);
        fflush(stdout);
        if (n <= 1) {
                corral_close(c);
                return 0;
        }
        snprintf(lvl, sizeof lvl, "%d", n - 1);
        snprintf(name, sizeof name, "l%d", n - 1);
        if (len && profile[len - 1] == '+') {
                snprintf(prof, sizeof prof, "%.*s%d", (int)(len - 1), profile, n - 1);
                r.profile = prof;
        } else if (strcmp(profile, "-") != 0) {
                r.profile = profile;
        }
        if (corral_spawn(c, &r, &req) < 0) {
                printf("spawn errno %s\n", ename(errno));
                return 2;
        }
        n = children(c, 1);
        corral_close(c);
        return n;
}

static int loopback(int port, struct sockaddr_in *a)
{
        *a = (struct sockaddr_in){.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int mode_tcp_listen(int port, int n, double wait, double hold)
{
        struct sockaddr_in a;
        int ls = loopback(port, &a), got = 0, one = 1;
        int64_t deadline = ms_now() + (int64_t)(wait * 1000);

        setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 16) < 0) {
                printf("listen errno %s\n", ename(errno));
                return 1;
        }
        printf("listening %d\n", port);
        fflush(stdout);
        /* SO_RCVTIMEO on a listening socket bounds accept(2) */
        while (got < n && ms_now() < deadline) {
                struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
                int s;

                setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                s = accept(ls, NULL, NULL);
                if (s < 0)
                        continue;
                close(s);
                printf("accepted %d\n", ++got);
                fflush(stdout);
        }
        close(ls);
        sleep_ms((int64_t)(hold * 1000));
        return got == n ? 0 : 1;
}

static int mode_tcp_connect(double hold, int argc, char **argv)
{
        for (int i = 0; i < argc; i++) {
                int port = atoi(argv[i]);
                const char *colon = strchr(argv[i], ':');
                int64_t deadline = ms_now() + (colon ? (int64_t)(atof(colon + 1) * 1000) : 0);
                int rc, e;

                for (;;) {
                        struct sockaddr_in a;
                        int s = loopback(port, &a);

                        rc = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, sizeof a);
                        e = errno;
                        if (s >= 0)
                                close(s);
                        if (rc == 0 || e != ECONNREFUSED || ms_now() >= deadline)
                                break;
                        sleep_ms(20);
                }
                if (rc == 0)
                        printf("connect %d ok\n", port);
                else
                        printf("connect %d errno %s\n", port, ename(e));
                fflush(stdout);
        }
        sleep_ms((int64_t)(hold * 1000));
        return 0;
}

static int mode_net_tree(const char *self, const char *port, const char *hostport, const char *hold,
                         const char *own)
{
        struct corral_ctl *c = hello();
        char at[32];
        const char *listen[] = {self, "tcp-listen", port, "2", "30", hold, NULL};
        const char *conn[] = {self, "tcp-connect", hold, at, hostport, NULL};
        const char *mid[] = {self,          "spawn", "-", "1",      self,
                             "tcp-connect", hold,    at,  hostport, NULL};
        const char *alone[] = {self, "tcp-connect", hold, port, hostport, NULL};
        struct corral_spawn_req rs[] = {{.name = "listener", .argv = listen},
                                        {.name = "sibling", .argv = conn},
                                        {.name = "middle", .argv = mid},
                                        {.name = "own", .argv = alone, .profile = own}};
        int n = own ? 4 : 3, rc;
        uint32_t req;

        snprintf(at, sizeof at, "%s:30", port);
        for (int i = 0; i < n; i++) {
                if (corral_spawn(c, &rs[i], &req) < 0) {
                        printf("spawn errno %s\n", ename(errno));
                        return 2;
                }
        }
        rc = children(c, n);
        corral_close(c);
        return rc;
}

static int mode_listen_both(const char *path, double hold)
{
        struct sockaddr_in a;
        struct sockaddr_un u = {.sun_family = AF_UNIX};
        socklen_t l = sizeof a;
        int ls = loopback(0, &a), us = socket(AF_UNIX, SOCK_STREAM, 0);

        snprintf(u.sun_path, sizeof u.sun_path, "%s", path);
        unlink(path);
        if (ls < 0 || us < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 ||
            listen(ls, 16) < 0 || getsockname(ls, (struct sockaddr *)&a, &l) < 0 ||
            bind(us, (struct sockaddr *)&u, sizeof u) < 0 || listen(us, 16) < 0) {
                printf("listen errno %s\n", ename(errno));
                return 1;
        }
        printf("listening %d %s\n", ntohs(a.sin_port), path);
        fflush(stdout);
        sleep_ms((int64_t)(hold * 1000));
        return 0;
}

int actor_nest_mode(int argc, char **argv)
{
        if (strcmp(argv[1], "listen-both") == 0 && argc == 4)
                return mode_listen_both(argv[2], atof(argv[3]));
        if (strcmp(argv[1], "chain") == 0 && argc == 5)
                return mode_chain(argv[0], atoi(argv[2]), argv[3], argv[4]);
        if (strcmp(argv[1], "tcp-listen") == 0 && argc == 6)
                return mode_tcp_listen(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), atof(argv[5]));
        if (strcmp(argv[1], "tcp-connect") == 0 && argc >= 4)
                return mode_tcp_connect(atof(argv[2]), argc - 3, argv + 3);
        if (strcmp(argv[1], "net-tree") == 0 && (argc == 5 || argc == 6))
                return mode_net_tree(argv[0], argv[2], argv[3], argv[4],
                                     argc == 6 ? argv[5] : NULL);
        return -1;
}

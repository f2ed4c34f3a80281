/* corral-test-actor: every program the tests run inside corral, as one static multi-call
 * binary. Each mode is bounded by itself (loops have deadlines, forks and allocations have
 * caps), so a broken limit fails a test instead of taking the machine down.
 *
 *   sleep SECS                 sleep, then exit 0
 *   exit N                     exit with status N
 *   crash                      die of SIGSEGV
 *   ignore SIG[,SIG...] SECS   ignore those signals, sleep SECS
 *   info [SECS]                print pid, ppid, hostname, number of pids in /proc, and
 *                              SigIgn/SigBlk/SigCgt from /proc/self/status; then sleep SECS
 *   fds [SECS]                 print the open fds (from /proc/self/fd), one per line, and the
 *                              LISTEN_* variables and CORRAL_CTL_FD; then sleep SECS
 *   daemonize SECS [PORT [SELF]] setsid + double fork; the grandchild (optionally listening on
 *                              127.0.0.1:PORT) sleeps SECS; prints the grandchild's pid, then the
 *                              actor itself sleeps SELF (default SECS) and exits
 *   flood BYTES [SIG,...]      write BYTES to stdout as fast as possible (ignoring those
 *                              signals), report to stderr
 *   spin SECS                  busy loop for SECS
 *   cputime SECS               busy loop for SECS of wall time, print "cpu SECONDS wall SECONDS"
 *   hog MB [SECS]              allocate and touch MB MiB (capped at 1024), print "hogged MB",
 *                              hold it SECS (default 0), exit 0
 *   forkloop N                 fork up to N (capped at 512) children that wait; print
 *                              "forked K errno NAME" (NAME is "0" when all N succeeded)
 *   mount                      try mount(2) of a tmpfs on /tmp; print "mount ok" or
 *                              "mount errno NAME"
 *   tree, leaf, ctl-fd, spawn  talk to the supervisor over the control channel (tree.c)
 *   chain, tcp-listen, tcp-connect, net-tree  nesting: stacked filters, the tree's network;
 * listen-both: corral sockets (nest.c) denylist, int80, ns, threads, keyring-put|get|clear,
 * devices, fill  probe the kernel surface the default profile takes away (surface.c) try OP [ARGS]
 * one escape attempt, printed as "OP ok" or "OP errno NAME": umount PATH | setns FD | write PATH
 * TEXT | kill PID | ptrace PID | touch PATH | init-module | connect PATH | admin PATH (one LIST to
 * a tree's admin socket) | loopback-tcp |
 * interfaces | id | keyring DESC (prints the session keyring's id, then "keyring ok PAYLOAD" when a
 * user key DESC is found in it and readable)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <linux/keyctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "../../spawner/corral.h"
#include "modes.h"

static int usage(void)
{
        fprintf(stderr, "usage: corral-test-actor MODE [ARGS] (see the source for modes)\n");
        return 2;
}

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep up to secs, surviving signals that are ignored or handled. */
static void sleep_for(double secs)
{
        double end = now() + secs;

        while (now() < end) {
                double left = end - now();
                struct timespec ts = {.tv_sec = (time_t)left,
                                      .tv_nsec = (long)((left - (double)(time_t)left) * 1e9)};

                nanosleep(&ts, NULL);
        }
}

static int listen_on(int port)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        int one = 1;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0) {
                fprintf(stderr, "actor: listen on %d: %s\n", port, strerror(errno));
                return -1;
        }
        return fd;
}

static void print_status_line(const char *key)
{
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");

        if (!f)
                return;
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
                        fputs(line, stdout);
        }
        fclose(f);
}

static int mode_info(void)
{
        char host[256] = "";
        int npids = 0;
        DIR *d = opendir("/proc");
        struct dirent *de;

        gethostname(host, sizeof host);
        while (d && (de = readdir(d))) {
                if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
                        npids++;
        }
        if (d)
                closedir(d);
        printf("pid %d\nppid %d\nhostname %s\nprocs %d\n", (int)getpid(), (int)getppid(), host,
               npids);
        print_status_line("SigIgn");
        print_status_line("SigBlk");
        print_status_line("SigCgt");
        fflush(stdout);
        return 0;
}

static int mode_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int self = d ? dirfd(d) : -1;
        const char *v;

        while (d && (de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == self)
                        continue;
                printf("fd %s\n", de->d_name);
        }
        if (d)
                closedir(d);
        if ((v = getenv("LISTEN_FDS")))
                printf("LISTEN_FDS=%s\n", v);
        if ((v = getenv("LISTEN_PID")))
                printf("LISTEN_PID=%s\n", v);
        if ((v = getenv("CORRAL_CTL_FD")))
                printf("CORRAL_CTL_FD=%s\n", v);
        if ((v = getenv("LISTEN_FDNAMES")))
                printf("LISTEN_FDNAMES=%s\n", v);
        fflush(stdout);
        return 0;
}

static int mode_daemonize(double secs, int port, double self_secs)
{
        int p[2];
        pid_t pid;

        if (pipe(p) < 0)
                return 1;
        pid = fork();
        if (pid == 0) {
                setsid();
                if (fork() == 0) {
                        int lfd = port > 0 ? listen_on(port) : -1;
                        char buf[32];
                        int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());

                        if (port > 0 && lfd < 0)
                                _exit(1);
                        /* report readiness only once the listener exists */
                        if (write(p[1], buf, (size_t)n) < 0)
                                _exit(1);
                        close(p[1]);
                        close(p[0]);
                        sleep_for(secs);
                        _exit(0);
                }
                _exit(0);
        }
        close(p[1]);
        {
                char buf[32] = "";
                ssize_t n = read(p[0], buf, sizeof buf - 1);

                if (n <= 0)
                        return 1;
                printf("grandchild %s", buf);
                fflush(stdout);
        }
        sleep_for(self_secs);
        return 0;
}

/* "INT,TERM,HUP" or numbers: ignored from now on. */
static void ignore_signals(const char *names)
{
        char *list = strdup(names);

        for (char *s = list ? strtok(list, ",") : NULL; s; s = strtok(NULL, ",")) {
                int sig = strcmp(s, "INT") == 0    ? SIGINT
                          : strcmp(s, "TERM") == 0 ? SIGTERM
                          : strcmp(s, "HUP") == 0  ? SIGHUP
                                                   : atoi(s);
                signal(sig, SIG_IGN);
        }
        free(list);
}

static int mode_flood(long long bytes)
{
        static char buf[65536];
        long long done = 0;
        double t0 = now();

        memset(buf, 'x', sizeof buf);
        for (size_t i = 99; i < sizeof buf; i += 100)
                buf[i] = '\n';
        while (done < bytes) {
                size_t n = (size_t)(bytes - done < (long long)sizeof buf ? bytes - done
                                                                         : (long long)sizeof buf);
                ssize_t w = write(1, buf, n);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "flood: write: %s after %lld bytes\n", strerror(errno),
                                done);
                        return 1;
                }
                done += w;
        }
        fprintf(stderr, "flood: wrote %lld bytes in %.3f s\n", done, now() - t0);
        return 0;
}

static const char *errname(int e)
{
        const char *n = e ? strerrorname_np(e) : NULL;

        if (n)
                return n;
        switch (e) {
        case 0:
                return "0";
        case EAGAIN:
                return "EAGAIN";
        case EPERM:
                return "EPERM";
        case ENOMEM:
                return "ENOMEM";
        case EACCES:
                return "EACCES";
        case ENOSYS:
                return "ENOSYS";
        default:
                return "other";
        }
}

static int mode_hog(long mb, double hold)
{
        const size_t chunk = 1 << 20;

        if (mb > 1024)
                mb = 1024;
        for (long i = 0; i < mb; i++) {
                char *p =
                    mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                if (p == MAP_FAILED) {
                        printf("hog: mmap failed after %ld MiB\n", i);
                        return 1;
                }
                memset(p, 0xa5, chunk); /* touch every page: charged to the memory cgroup */
        }
        printf("hogged %ld\n", mb);
        fflush(stdout);
        if (hold > 0)
                sleep_for(hold); /* still holding it */
        return 0;
}

static int mode_forkloop(int n)
{
        int hold[2], k = 0, e = 0;

        if (n > 512)
                n = 512;
        if (pipe(hold) < 0)
                return 1;
        for (; k < n; k++) {
                pid_t p = fork();

                if (p == 0) {
                        char c;

                        close(hold[1]);
                        (void)!read(hold[0], &c, 1);
                        _exit(0);
                }
                if (p < 0) {
                        e = errno;
                        break;
                }
        }
        printf("forked %d errno %s\n", k, errname(e));
        fflush(stdout);
        close(hold[1]);
        while (wait(NULL) > 0)
                ;
        return 0;
}

static int mode_cputime(double secs)
{
        double t0 = now(), end = t0 + secs;
        struct rusage ru;
        volatile unsigned long x = 0;

        while (now() < end)
                x++;
        getrusage(RUSAGE_SELF, &ru);
        printf("cpu %.3f wall %.3f\n",
               (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
               now() - t0);
        fflush(stdout);
        return 0;
}

static int mode_mount(void)
{
        if (mount("none", "/tmp", "tmpfs", 0, "size=1m") == 0)
                printf("mount ok\n");
        else
                printf("mount errno %s\n", errname(errno));
        fflush(stdout);
        return 0;
}

static int report(const char *op, int rc)
{
        if (rc == 0)
                printf("%s ok\n", op);
        else
                printf("%s errno %s\n", op, errname(errno));
        fflush(stdout);
        return 0;
}

static int try_write(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, text, strlen(text));
        close(fd);
        return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int try_loopback_tcp(void)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t l = sizeof a;
        int ls = socket(AF_INET, SOCK_STREAM, 0), c, s2;
        char b = 0;

        if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0 ||
            getsockname(ls, (struct sockaddr *)&a, &l) < 0)
                return -1;
        c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0)
                return -1;
        s2 = accept(ls, NULL, NULL);
        if (s2 < 0 || write(c, "x", 1) != 1 || read(s2, &b, 1) != 1 || b != 'x')
                return -1;
        close(s2);
        close(c);
        close(ls);
        return 0;
}

/* One LIST request to a tree's admin socket at path (PROTOCOL.md "Admin socket"), as a process
 * of a tree would send it: "admin answer TYPE errno N" (N from its CORRAL_A_ERRNO, 0 when it has
 * none), or "admin errno NAME" when the connection itself failed. */
static int try_admin(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        struct nlmsghdr req = {.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = 0x40, .nlmsg_seq = 1};
        char buf[4096] __attribute__((aligned(4)));
        struct timeval tv = {.tv_sec = 5};
        int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0), errnum = 0;
        ssize_t n;

        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
                return report("admin", -1);
        /* a refused peer is sent its ERROR and the connection closed at once: the send may
         * fail (EPIPE), the ERROR is still there to read */
        if ((send(fd, &req, sizeof req, MSG_NOSIGNAL) < 0 && errno != EPIPE) ||
            (n = recv(fd, buf, sizeof buf, 0)) < 0)
                return report("admin", -1);
        if ((size_t)n < NLMSG_HDRLEN) {
                printf("admin answer none\n");
                return 0;
        }
        /* the attributes after the header: CORRAL_A_ERRNO is a u32 (spawner/corral.h) */
        for (size_t off = NLMSG_HDRLEN; off + NLA_HDRLEN <= (size_t)n;) {
                const struct nlattr *at = (const struct nlattr *)(buf + off);

                if (at->nla_len < NLA_HDRLEN || off + at->nla_len > (size_t)n)
                        break;
                if ((at->nla_type & NLA_TYPE_MASK) == CORRAL_A_ERRNO &&
                    at->nla_len >= NLA_HDRLEN + 4)
                        memcpy(&errnum, buf + off + NLA_HDRLEN, 4);
                off += NLA_ALIGN(at->nla_len);
        }
        printf("admin answer 0x%x errno %s\n", ((struct nlmsghdr *)buf)->nlmsg_type,
               errnum ? errname(errnum) : "0");
        fflush(stdout);
        close(fd);
        return 0;
}

static int mode_try(int argc, char **argv)
{
        const char *op = argv[2];

        if (strcmp(op, "umount") == 0 && argc == 4)
                return report(op, umount2(argv[3], MNT_DETACH));
        if (strcmp(op, "setns") == 0 && argc == 4)
                return report(op, setns(atoi(argv[3]), 0));
        if (strcmp(op, "write") == 0 && argc == 5)
                return report(op, try_write(argv[3], argv[4]));
        if (strcmp(op, "kill") == 0 && argc == 4)
                return report(op, kill((pid_t)atoi(argv[3]), SIGCONT));
        if (strcmp(op, "ptrace") == 0 && argc == 4) {
                long rc = ptrace(PTRACE_SEIZE, (pid_t)atoi(argv[3]), NULL, NULL);

                if (rc == 0)
                        ptrace(PTRACE_DETACH, (pid_t)atoi(argv[3]), NULL, NULL);
                return report(op, (int)rc);
        }
        if (strcmp(op, "touch") == 0 && argc == 4) {
                int fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

                if (fd >= 0)
                        close(fd);
                return report(op, fd < 0 ? -1 : 0);
        }
        if (strcmp(op, "init-module") == 0) {
                static const char junk[64] = "not an ELF module image";

                return report(op, (int)syscall(SYS_init_module, junk, sizeof junk, ""));
        }
        if (strcmp(op, "connect") == 0 && argc == 4) {
                struct sockaddr_un a = {.sun_family = AF_UNIX};
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);

                snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[3]);
                return report(op, connect(fd, (struct sockaddr *)&a, sizeof a));
        }
        if (strcmp(op, "admin") == 0 && argc == 4)
                return try_admin(argv[3]);
        if (strcmp(op, "loopback-tcp") == 0)
                return report(op, try_loopback_tcp());
        if (strcmp(op, "interfaces") == 0) {
                struct if_nameindex *ifs = if_nameindex();

                printf("interfaces");
                for (struct if_nameindex *i = ifs; i && i->if_index; i++)
                        printf(" %s", i->if_name);
                printf("\n");
                fflush(stdout);
                if (ifs)
                        if_freenameindex(ifs);
                return 0;
        }
        if (strcmp(op, "capeff") == 0) {
                char line[256];
                FILE *f = fopen("/proc/self/status", "r");
                unsigned long long eff = 1, prm = 1, bnd = 1;

                while (f && fgets(line, sizeof line, f)) {
                        if (strncmp(line, "CapEff:", 7) == 0)
                                eff = strtoull(line + 7, NULL, 16);
                        if (strncmp(line, "CapPrm:", 7) == 0)
                                prm = strtoull(line + 7, NULL, 16);
                        if (strncmp(line, "CapBnd:", 7) == 0)
                                bnd = strtoull(line + 7, NULL, 16);
                }
                if (f)
                        fclose(f);
                printf("uid %d CapEff %llx CapPrm %llx CapBnd %llx\n", (int)getuid(), eff, prm,
                       bnd);
                fflush(stdout);
                return 0;
        }
        /* its network and IPC namespaces, whether lo works; then it stays MS milliseconds (a
         * test holds its namespaces meanwhile: a freed one's number is given out again) */
        if (strcmp(op, "fresh-ns") == 0 && argc == 4) {
                char net[64] = "", ipc[64] = "";
                ssize_t n = readlink("/proc/self/ns/net", net, sizeof net - 1);
                ssize_t m = readlink("/proc/self/ns/ipc", ipc, sizeof ipc - 1);
                int rc = try_loopback_tcp();

                if (n > 0)
                        net[n] = '\0';
                if (m > 0)
                        ipc[m] = '\0';
                printf("fresh-ns %s %s loopback %s\n", net, ipc, rc == 0 ? "ok" : strerror(errno));
                fflush(stdout);
                nanosleep(&(struct timespec){.tv_sec = atoi(argv[3]) / 1000,
                                             .tv_nsec = atoi(argv[3]) % 1000 * 1000000L},
                          NULL);
                return 0;
        }
        if (strcmp(op, "netns") == 0) {
                char l[64] = "";
                ssize_t n = readlink("/proc/self/ns/net", l, sizeof l - 1);

                if (n > 0)
                        l[n] = '\0';
                printf("netns %s\n", l);
                fflush(stdout);
                return 0;
        }
        if (strcmp(op, "id") == 0) {
                printf("uid %d gid %d\n", (int)getuid(), (int)getgid());
                fflush(stdout);
                return 0;
        }
        if (strcmp(op, "keyring") == 0 && argc == 4) {
                /* the session keyring's id, then a search for a user key and a read of it */
                long ring = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
                long key = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
                                   argv[3], 0);
                char payload[128] = "";
                long n = key < 0
                             ? -1
                             : syscall(SYS_keyctl, KEYCTL_READ, key, payload, sizeof payload - 1);
                int e = errno;

                printf("session-keyring %ld\n", ring);
                errno = e;
                if (n >= 0) {
                        payload[n < (long)sizeof payload ? n : (long)sizeof payload - 1] = '\0';
                        printf("keyring ok %s\n", payload);
                        fflush(stdout);
                        return 0;
                }
                return report(op, -1);
        }
        return usage();
}

int main(int argc, char **argv)
{
        const char *mode;

        if (argc < 2)
                return usage();
        mode = argv[1];
        {
                int rc = actor_tree_mode(argc, argv);

                if (rc >= 0)
                        return rc;
                rc = actor_surface_mode(argc, argv);
                if (rc >= 0)
                        return rc;
                rc = actor_nest_mode(argc, argv);
                if (rc >= 0)
                        return rc;
        }
        if (strcmp(mode, "sleep") == 0 && argc == 3) {
                sleep_for(atof(argv[2]));
                return 0;
        }
        if (strcmp(mode, "exit") == 0 && argc == 3)
                return atoi(argv[2]);
        if (strcmp(mode, "crash") == 0) {
                volatile int *p = NULL;

                /* cppcheck-suppress nullPointer */
                return *p; /* NOLINT(clang-analyzer-core.NullDereference): on purpose */
        }
        if (strcmp(mode, "ignore") == 0 && argc == 4) {
                ignore_signals(argv[2]);
                printf("ready\n");
                fflush(stdout);
                sleep_for(atof(argv[3]));
                return 0;
        }
        if (strcmp(mode, "info") == 0 || strcmp(mode, "fds") == 0) {
                int rc = strcmp(mode, "info") == 0 ? mode_info() : mode_fds();

                if (argc == 3)
                        sleep_for(atof(argv[2]));
                return rc;
        }
        if (strcmp(mode, "daemonize") == 0 && argc >= 3 && argc <= 5)
                return mode_daemonize(atof(argv[2]), argc >= 4 ? atoi(argv[3]) : 0,
                                      argc == 5 ? atof(argv[4]) : atof(argv[2]));
        if (strcmp(mode, "flood") == 0 && (argc == 3 || argc == 4)) {
                if (argc == 4)
                        ignore_signals(argv[3]);
                return mode_flood(atoll(argv[2]));
        }
        if (strcmp(mode, "hog") == 0 && (argc == 3 || argc == 4))
                return mode_hog(atol(argv[2]), argc == 4 ? atof(argv[3]) : 0);
        if (strcmp(mode, "forkloop") == 0 && argc == 3)
                return mode_forkloop(atoi(argv[2]));
        if (strcmp(mode, "cputime") == 0 && argc == 3)
                return mode_cputime(atof(argv[2]));
        if (strcmp(mode, "mount") == 0)
                return mode_mount();
        if (strcmp(mode, "try") == 0 && argc >= 3)
                return mode_try(argc, argv);
        if (strcmp(mode, "spin") == 0 && argc == 3) {
                double end = now() + atof(argv[2]);

                while (now() < end)
                        ;
                return 0;
        }
        return usage();
}

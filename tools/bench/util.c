/* The bench's common ground: its configuration, the stop flag, die(), time, small file
 * helpers, CPU time by role, and the notes on what is not installed. Every other file of the
 * bench builds on this one; it calls none of them (die() runs the hook main() set). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../ns/kfile.h"
#include "../../ns/timeutil.h"
#include "bench.h"

struct bench_cfg cfg;
volatile sig_atomic_t stop;
char absent[256];

static void (*on_die)(void);

void bench_on_die(void (*fn)(void))
{
        on_die = fn;
}

void die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "corral-bench: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
        if (on_die)
                on_die();
        exit(1);
}

void vlog(const char *fmt, ...)
{
        va_list ap;

        if (!cfg.verbose)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
}

/* Is name in the comma list (exactly, or as a substring with `sub`)? NULL list: yes. */
bool listed(const char *list, const char *name, bool sub)
{
        const char *p = list;
        size_t n = strlen(name);

        if (!p)
                return true;
        while (*p) {
                size_t l = strcspn(p, ",");

                if (!sub && l == n && strncmp(p, name, n) == 0)
                        return true;
                if (sub && l && memmem(name, n, p, l))
                        return true;
                p += l;
                if (*p == ',')
                        p++;
        }
        return false;
}

int64_t now_us(void)
{
        return mono_us();
}

void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
                ;
}

bool in_path(const char *name, char *out, size_t len)
{
        const char *path = getenv("PATH");

        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        while (*path) {
                size_t l = strcspn(path, ":");

                snprintf(out, len, "%.*s/%s", (int)l, path, name);
                if (l && access(out, X_OK) == 0)
                        return true;
                path += l;
                if (*path == ':')
                        path++;
        }
        return false;
}

int read_small(const char *path, char *buf, size_t len)
{
        if (kfile_read(path, buf, len) < 0)
                return -1;
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* Lines in a cgroup.procs: the processes in one cgroup. */
int count_procs(const char *leaf)
{
        char path[PATH_MAX + 16], buf[8192];
        int fd, n = 0;
        ssize_t r;

        snprintf(path, sizeof path, "%s/cgroup.procs", leaf);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        while ((r = read(fd, buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < r; i++)
                        n += buf[i] == '\n';
        }
        close(fd);
        return n;
}

/* CPU time, in microseconds, of this process, of its reaped children (and theirs: the
 * shim or PID 1, the program), and of a zygote when there is one. Precise (scheduler
 * runtime), unlike wall time not stretched by waiting for a CPU. */
struct cpu cpu_now(int zygote_schedstat_fd)
{
        struct cpu c = {0};
        struct timespec ts;
        struct rusage ch;

        if (zygote_schedstat_fd >= 0) {
                char buf[128];
                ssize_t n = pread(zygote_schedstat_fd, buf, sizeof buf - 1, 0);

                if (n > 0) {
                        buf[n] = '\0';
                        c.zygote = strtod(buf, NULL) / 1e3; /* nanoseconds on a CPU */
                }
        }
        getrusage(RUSAGE_CHILDREN, &ch);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        c.self = (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
        c.kids = (double)(ch.ru_utime.tv_sec + ch.ru_stime.tv_sec) * 1e6 +
                 (double)(ch.ru_utime.tv_usec + ch.ru_stime.tv_usec);
        return c;
}

double cpu_us(int zygote_schedstat_fd)
{
        struct cpu c = cpu_now(zygote_schedstat_fd);

        return c.self + c.zygote + c.kids;
}

int schedstat_open(pid_t pid)
{
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
        return open(path, O_RDONLY | O_CLOEXEC);
}

/* Run PROG ARG without a shell; its exit status, or -1. */
int run_program(const char *prog, const char *arg)
{
        char *const argv[] = {(char *)prog, (char *)arg, NULL};
        pid_t pid;
        int st;

        if (posix_spawnp(&pid, prog, NULL, NULL, argv, environ) != 0)
                return -1;
        if (waitpid(pid, &st, 0) < 0)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void note_absent(const char *what)
{
        snprintf(absent + strlen(absent), sizeof absent - strlen(absent), "%s%s",
                 absent[0] ? ", " : "", what);
}

int64_t bare_cgroup_kill(const char *tree, int64_t *t0)
{
        char file[PATH_MAX + 32];
        int kfd, efd;
        int64_t empty = -1;

        snprintf(file, sizeof file, "%s/cgroup.events", tree);
        efd = open(file, O_RDONLY | O_CLOEXEC);
        snprintf(file, sizeof file, "%s/cgroup.kill", tree);
        kfd = open(file, O_WRONLY | O_CLOEXEC);
        *t0 = now_us();
        if (efd >= 0 && kfd >= 0 && write(kfd, "1", 1) == 1) {
                for (;;) {
                        char buf[256];
                        ssize_t n = pread(efd, buf, sizeof buf - 1, 0);
                        struct pollfd p = {.fd = efd, .events = POLLPRI};

                        if (n <= 0)
                                break;
                        buf[n] = '\0';
                        if (strstr(buf, "populated 0") || poll(&p, 1, 10000) == 0 || stop)
                                break;
                }
                empty = now_us() - *t0;
        }
        if (efd >= 0)
                close(efd);
        if (kfd >= 0)
                close(kfd);
        return empty;
}

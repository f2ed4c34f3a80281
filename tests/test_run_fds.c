/* Privileged fd audit of `corral run` (spawner/, DESIGN §5): a spawned program's fd table holds
 * exactly its allowlist (0, 1, 2 and the --fd ones) under every stdio mode (inherit, null,
 * file:PATH, log), on both ways of closing the rest (close_range and the /proc/self/fd walk),
 * and each of its stdio fds is what the mode says. Read from the host side: /proc/PID/fd of
 * the program, which is the only child of the shim. The supervisor's own table is audited in
 * test_run.c (supervisor_and_zygote_fd_tables). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char name[64];

enum mode { M_INHERIT, M_NULL, M_FILE, M_LOG, M_NMODES };

static const char *const mode_names[] = {"inherit", "null", "file", "log"};
static const char *const stream_keys[] = {"Stdin", "Stdout", "Stderr"};

struct case_ {
        enum mode mode[3]; /* Stdin, Stdout, Stderr */
        bool pass_fd;      /* --fd 3:extra as well */
        bool fd_walk;      /* CORRAL_TEST_FORCE_FD_WALK=1 */
        bool closed_stdin; /* corral itself starts with fd 0 closed */
};

static char files[3][96];  /* file:PATH of each stream */
static char stdin_src[96]; /* what corral's own fd 0 is (when not closed) */
static char extra_src[96]; /* what --fd 3 passes */

struct prep_ctx {
        const struct case_ *c;
};

/* In corral's process before exec: a known stdin (or none), the fd to pass, the fallback. */
static void prep(void *ctx)
{
        const struct case_ *c = ((struct prep_ctx *)ctx)->c;
        int fd;

        if (c->closed_stdin) {
                close(0);
        } else {
                fd = open(stdin_src, O_RDONLY);
                if (fd < 0 || dup2(fd, 0) < 0)
                        _exit(120);
                if (fd != 0)
                        close(fd);
        }
        fd = open(extra_src, O_RDWR | O_CREAT, 0600);
        if (fd < 0 || dup2(fd, 3) < 0)
                _exit(121);
        if (fd != 3)
                close(fd);
        /* everything else the test process holds is CLOEXEC, but make sure nothing else is
         * open in corral: a stray fd here would make the positive control meaningless */
        for (int i = 4; i < 64; i++) {
                int fl = fcntl(i, F_GETFD);

                if (fl >= 0)
                        fcntl(i, F_SETFD, fl | FD_CLOEXEC);
        }
        if (c->fd_walk)
                setenv("CORRAL_TEST_FORCE_FD_WALK", "1", 1);
}

static void same_file(const char *a, const char *b, const char *what)
{
        struct stat sa, sb;

        ck_assert_msg(stat(a, &sa) == 0, "%s: stat %s: %s", what, a, strerror(errno));
        ck_assert_msg(stat(b, &sb) == 0, "%s: stat %s: %s", what, b, strerror(errno));
        ck_assert_msg(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino,
                      "%s: %s and %s are different files", what, a, b);
}

static void link_of(const char *path, char *out, size_t len)
{
        ssize_t n = readlink(path, out, len - 1);

        ck_assert_msg(n > 0, "readlink %s: %s", path, strerror(errno));
        out[n] = '\0';
}

/* "flags:" of /proc/PID/fdinfo/FD, octal. */
static unsigned long fd_flags(pid_t pid, int fd)
{
        char path[64], line[128];
        unsigned long flags = 0;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
        f = fopen(path, "re");
        ck_assert_msg(f, "%s: %s", path, strerror(errno));
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "flags:", 6) == 0)
                        flags = strtoul(line + 6, NULL, 8);
        }
        fclose(f);
        return flags;
}

/* True when one of pid's fds is the same open pipe as `target` (a /proc/.../fd/N path). */
static bool holds_same(pid_t pid, const char *target)
{
        char path[PATH_MAX];
        struct stat want, got;
        struct dirent *de;
        bool found = false;
        DIR *d;

        ck_assert_int_eq(stat(target, &want), 0);
        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while (!found && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)pid, de->d_name);
                found =
                    stat(path, &got) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino;
        }
        closedir(d);
        return found;
}

static void audit(const struct case_ *c)
{
        const char *args[40];
        char sets[3][128], path[PATH_MAX], other[PATH_MAX], link[PATH_MAX], desc[128], buf[32];
        struct prep_ctx ctx = {.c = c};
        struct th_proc p;
        pid_t shim, prog;
        /* 0-2, the --fd, and the control channel after it (DESIGN §5) */
        int n = 0, count = 0, want = c->pass_fd ? 5 : 4;
        DIR *d;
        struct dirent *de;

        snprintf(desc, sizeof desc, "Stdin=%s Stdout=%s Stderr=%s%s%s%s", mode_names[c->mode[0]],
                 mode_names[c->mode[1]], mode_names[c->mode[2]], c->pass_fd ? " --fd 3" : "",
                 c->fd_walk ? " (fd walk)" : "", c->closed_stdin ? " (corral's stdin closed)" : "");
        snprintf(stdin_src, sizeof stdin_src, "/tmp/corral-test-fds-%d.in", (int)getpid());
        snprintf(extra_src, sizeof extra_src, "/tmp/corral-test-fds-%d.extra", (int)getpid());
        close(open(stdin_src, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        snprintf(name, sizeof name, "%s", th_tree_name("fdaudit"));
        args[n++] = "run";
        args[n++] = "--name";
        args[n++] = name;
        args[n++] = "--events";
        args[n++] = "json";
        for (int i = 0; i < 3; i++) {
                snprintf(files[i], sizeof files[i], "/tmp/corral-test-fds-%d.%s", (int)getpid(),
                         stream_keys[i]);
                /* the program's own files (it runs as nobody): corral opens file: stdio with
                 * the program's identity, so it gets only what it could open itself */
                if (c->mode[i] == M_FILE) {
                        close(open(files[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
                        ck_assert_int_eq(chown(files[i], 65534, 65534), 0);
                }
                if (c->mode[i] == M_FILE)
                        snprintf(sets[i], sizeof sets[i], "%s=file:%s", stream_keys[i], files[i]);
                else
                        snprintf(sets[i], sizeof sets[i], "%s=%s", stream_keys[i],
                                 mode_names[c->mode[i]]);
                args[n++] = "--set";
                args[n++] = sets[i];
        }
        if (c->pass_fd) {
                args[n++] = "--fd";
                args[n++] = "3:extra";
        }
        args[n++] = "--";
        args[n++] = th_actor();
        args[n++] = "sleep";
        args[n++] = "30";
        args[n] = NULL;
        th_corral_start(&p, args, -1, prep, &ctx);

        /* "started" comes after the exec pipe reported a successful execve: the program's fd
         * table is final */
        ck_assert_msg(th_wait_for(&p, false, "\"event\":\"started\"", 5000),
                      "%s: no started event; events:\n%s", desc, p.errbuf);
        shim = (pid_t)atoi(th_event(&p, "started", "pid", buf, sizeof buf));
        prog = th_program_pid(shim);
        ck_assert_msg(prog > 0, "%s: no program below shim %d", desc, (int)shim);

        /* exactly the allowlist */
        snprintf(path, sizeof path, "/proc/%d/fd", (int)prog);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)prog, de->d_name);
                {
                        ssize_t l = readlink(path, link, sizeof link - 1);

                        snprintf(link + (l > 0 ? l : 0), sizeof link - (size_t)(l > 0 ? l : 0),
                                 "%s", l > 0 ? "" : "?");
                }
                ck_assert_msg(atoi(de->d_name) < want, "%s: fd %s (%s) leaked into the program",
                              desc, de->d_name, link);
                count++;
        }
        closedir(d);
        ck_assert_msg(count == want, "%s: the program holds %d fds, not %d", desc, count, want);
        /* the last one is its control channel, a socket */
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)prog, want - 1);
        {
                ssize_t l = readlink(path, link, sizeof link - 1);

                link[l > 0 ? l : 0] = '\0';
                ck_assert_msg(strncmp(link, "socket:[", 8) == 0,
                              "%s: fd %d is %s, not the control channel", desc, want - 1, link);
        }

        /* and each one is what its mode says */
        for (int i = 0; i < 3; i++) {
                snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)prog, i);
                link_of(path, link, sizeof link);
                switch (c->mode[i]) {
                case M_NULL:
                        ck_assert_msg(strcmp(link, "/dev/null") == 0, "%s: fd %d is %s", desc, i,
                                      link);
                        break;
                case M_FILE:
                        same_file(path, files[i], desc);
                        /* stdin read-only; output appended, never truncated */
                        if (i == 0)
                                ck_assert_int_eq(fd_flags(prog, i) & O_ACCMODE, O_RDONLY);
                        else
                                ck_assert_msg((fd_flags(prog, i) & (O_ACCMODE | O_APPEND)) ==
                                                  (O_WRONLY | O_APPEND),
                                              "%s: fd %d flags 0%lo", desc, i, fd_flags(prog, i));
                        break;
                case M_INHERIT:
                        if (i == 0 && c->closed_stdin) {
                                /* nothing to inherit: never one of corral's own fds */
                                ck_assert_msg(strcmp(link, "/dev/null") == 0,
                                              "%s: corral had no stdin, the program's is %s", desc,
                                              link);
                                break;
                        }
                        /* the very file corral has as its own fd i */
                        snprintf(other, sizeof other, "/proc/%d/fd/%d", (int)p.pid, i);
                        same_file(path, other, desc);
                        if (i == 0)
                                same_file(path, stdin_src, desc);
                        break;
                case M_LOG:
                        /* a pipe that the supervisor drains: not its own stdout/stderr */
                        ck_assert_msg(strncmp(link, "pipe:", 5) == 0, "%s: fd %d is %s", desc, i,
                                      link);
                        ck_assert_msg(holds_same(p.pid, path),
                                      "%s: the supervisor holds no end of fd %d (%s)", desc, i,
                                      link);
                        snprintf(other, sizeof other, "/proc/%d/fd/%d", (int)p.pid, i);
                        link_of(other, other, sizeof other);
                        ck_assert_msg(strcmp(link, other) != 0, "%s: fd %d is corral's own", desc,
                                      i);
                        break;
                default:
                        break;
                }
        }
        if (c->pass_fd) {
                snprintf(path, sizeof path, "/proc/%d/fd/3", (int)prog);
                same_file(path, extra_src, desc);
        }
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGINT);
        th_assert_tree_gone(name);
        for (int i = 0; i < 3; i++)
                unlink(files[i]);
        unlink(stdin_src);
        unlink(extra_src);
}

/* Every mode on all three streams at once (Stdin has no log mode: null there), once with
 * close_range and once with the /proc/self/fd walk. */
START_TEST(program_fds_are_its_allowlist_in_every_stdio_mode)
{
        for (int walk = 0; walk < 2; walk++) {
                for (int m = 0; m < M_NMODES; m++) {
                        struct case_ c = {.mode = {m == M_LOG ? M_NULL : (enum mode)m, (enum mode)m,
                                                   (enum mode)m},
                                          .fd_walk = walk};

                        audit(&c);
                }
        }
}
END_TEST

/* Mixed modes, with a passed fd that must land at 3 and nothing after it. */
START_TEST(program_fds_mixed_modes_and_passed_fd)
{
        static const struct case_ cases[] = {
            {.mode = {M_FILE, M_LOG, M_NULL}, .pass_fd = true},
            {.mode = {M_INHERIT, M_FILE, M_LOG}, .pass_fd = true},
            {.mode = {M_NULL, M_INHERIT, M_FILE}, .pass_fd = true, .fd_walk = true},
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                audit(&cases[i]);
}
END_TEST

/* A caller may start corral with fd 0 closed (`<&-`, a daemon manager). Then nothing of
 * corral's own may sit on 0 and reach the program as its inherited stdin. */
START_TEST(program_never_inherits_a_supervisor_fd_as_stdio)
{
        const struct case_ c = {.mode = {M_INHERIT, M_LOG, M_LOG}, .closed_stdin = true};

        audit(&c);
}
END_TEST

static Suite *fds_suite(void)
{
        Suite *s = suite_create("corral-run-fds-privileged");
        TCase *tc = tcase_create("fds");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, program_fds_are_its_allowlist_in_every_stdio_mode);
        tcase_add_test(tc, program_fds_mixed_modes_and_passed_fd);
        tcase_add_test(tc, program_never_inherits_a_supervisor_fd_as_stdio);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {fds_suite};

        return th_run("test_run_fds", TH_PRIVILEGED, suites, 1);
}

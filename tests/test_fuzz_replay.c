/* Replays the fuzz targets of tests/fuzz/ without libFuzzer (or clang): every seed of the
 * corpus and every crasher a fuzz run found and kept (tests/fuzz/regressions/<target>/) is fed
 * to the target's entry point, built here with the normal compiler (each renamed to
 * fuzz_<target>_one). A kept crasher thus stays a test after its fix. One child process per
 * input, so a crash names its file. Unit suite. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

int fuzz_policy_one(const uint8_t *data, size_t size);
int fuzz_units_one(const uint8_t *data, size_t size);
int fuzz_seccomp_one(const uint8_t *data, size_t size);
int fuzz_signals_one(const uint8_t *data, size_t size);
int fuzz_ctl_one(const uint8_t *data, size_t size);
int fuzz_admin_one(const uint8_t *data, size_t size);
int fuzz_run_args_one(const uint8_t *data, size_t size);

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* Reads a whole file into an allocation of exactly its size (a read past it is caught). */
static uint8_t *slurp_file(const char *path, size_t *len)
{
        struct stat st;
        uint8_t *buf;
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        ck_assert_int_eq(fstat(fd, &st), 0);
        buf = malloc(st.st_size ? (size_t)st.st_size : 1);
        ck_assert_ptr_nonnull(buf);
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

                ck_assert_msg(n > 0, "%s: short read", path);
                got += (size_t)n;
        }
        close(fd);
        *len = got;
        return buf;
}

static int not_hidden(const struct dirent *d)
{
        return d->d_name[0] != '.';
}

/* Every regular file in dir, each in a child; returns how many were fed. A missing directory
 * feeds nothing (no crasher was ever kept for a target). */
static int replay_dir(fuzz_fn fn, const char *dir)
{
        struct dirent **names;
        int n = scandir(dir, &names, not_hidden, alphasort);
        int fed = 0;

        if (n < 0) {
                ck_assert_msg(errno == ENOENT, "%s: %s", dir, strerror(errno));
                return 0;
        }
        for (int i = 0; i < n; i++) {
                char path[PATH_MAX];
                struct stat st;
                pid_t pid;
                int status;

                snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
                free(names[i]);
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                pid = fork();
                ck_assert_int_ge(pid, 0);
                if (pid == 0) {
                        size_t len;
                        uint8_t *data = slurp_file(path, &len);

                        fn(data, len);
                        free(data);
                        exit(0);
                }
                ck_assert_int_eq(waitpid(pid, &status, 0), pid);
                ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                              "%s: the target failed (%s %d); see its report above", path,
                              WIFEXITED(status) ? "exit" : "signal",
                              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                fed++;
        }
        free(names);
        return fed;
}

static void replay(const char *target, fuzz_fn fn, const char *const *extra)
{
        char dir[PATH_MAX];
        int seeds;

        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", target);
        seeds = replay_dir(fn, dir);
        for (; extra && *extra; extra++)
                seeds += replay_dir(fn, *extra);
        ck_assert_msg(seeds > 0, "%s: no seed corpus in %s", target, dir);
        snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", target);
        replay_dir(fn, dir);
}

START_TEST(replay_policy)
{
        const char *const extra[] = {"tests/data/policy/good", "tests/data/policy/bad", NULL};

        replay("policy", fuzz_policy_one, extra);
}
END_TEST

START_TEST(replay_units)
{
        replay("units", fuzz_units_one, NULL);
}
END_TEST

START_TEST(replay_seccomp)
{
        replay("seccomp", fuzz_seccomp_one, NULL);
}
END_TEST

START_TEST(replay_signals)
{
        replay("signals", fuzz_signals_one, NULL);
}
END_TEST

START_TEST(replay_admin)
{
        replay("admin", fuzz_admin_one, NULL);
}
END_TEST

START_TEST(replay_ctl)
{
        replay("ctl", fuzz_ctl_one, NULL);
}
END_TEST

START_TEST(replay_run_args)
{
        replay("run_args", fuzz_run_args_one, NULL);
}
END_TEST

static Suite *replay_suite(void)
{
        Suite *s = suite_create("fuzz-replay");
        TCase *tc = tcase_create("replay");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, replay_policy);
        tcase_add_test(tc, replay_units);
        tcase_add_test(tc, replay_seccomp);
        tcase_add_test(tc, replay_signals);
        tcase_add_test(tc, replay_run_args);
        tcase_add_test(tc, replay_ctl);
        tcase_add_test(tc, replay_admin);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {replay_suite};

        return th_run("test_fuzz_replay", TH_UNIT, suites, 1);
}

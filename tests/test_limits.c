/* Privileged tests of policies applied by `corral run`: resource limits found in the file
 * `corral check` names and biting, seccomp, and bad policies refused before anything is
 * spawned. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char name[64];

static void run(struct th_proc *p, const char *what, const char *const *extra,
                const char *const *prog)
{
        th_run_actor(p, name, what, extra, prog, NULL, NULL);
}

/* Where `corral check --json` says controller c's limits go, as a directory for this tree's
 * root actor: "<v1 own>/corral/<tree>.<id>/<tree>-1" on a v1 source, the v2 node otherwise. */
static void limit_dir(const char *ctrl, char *out, size_t len)
{
        const char *args[] = {"check", "--json", NULL};
        struct th_proc c;
        char *p, src[16] = "", own[PATH_MAX] = "";

        th_corral_start(&c, args, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&c, 10000), 0);
        snprintf(src, sizeof src, "\"%s\":{", ctrl);
        p = strstr(c.outbuf, src);
        ck_assert_msg(p, "corral check names no %s controller:\n%s", ctrl, c.outbuf);
        if (strncmp(strstr(p, "\"source\":") + 9, "\"v1\"", 4) == 0) {
                char *o = strstr(p, "\"own_dir\":\"") + 11;

                snprintf(own, sizeof own, "%.*s", (int)strcspn(o, "\""), o);
        } else {
                snprintf(own, sizeof own, "%s", th_deleg.own_dir);
        }
        {
                char node[PATH_MAX];

                ck_assert_msg(th_tree_node(own, name, node, sizeof node)[0],
                              "no node of tree %s below %s/corral", name, own);
                snprintf(out, len, "%s/%s-1", node, name);
        }
}

static void read_file(const char *dir, const char *file, char *out, size_t len)
{
        char path[PATH_MAX + 64];
        int fd;
        ssize_t n;

        snprintf(path, sizeof path, "%s/%s", dir, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "cannot open %s", path);
        n = read(fd, out, len - 1);
        close(fd);
        ck_assert_int_ge(n, 0);
        out[n] = '\0';
        out[strcspn(out, "\n")] = '\0';
}

START_TEST(memory_max_oom_kills_and_bigger_profile_finishes)
{
        const char *small[] = {"--set", "MemoryMax=32M", NULL};
        const char *big[] = {"--set", "MemoryMax=256M", NULL};
        const char *hog[] = {"hog", "100", NULL};
        const char *slow[] = {"sleep", "30", NULL};
        struct th_proc p;
        char reason[128], dir[PATH_MAX], v[64];

        /* the limit sits in the file `corral check` names for it */
        run(&p, "memfile", small, slow);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        limit_dir("memory", dir, sizeof dir);
        read_file(dir,
                  th_host.ctrl[CG_MEMORY].src == CG_SRC_V1 ? "memory.limit_in_bytes" : "memory.max",
                  v, sizeof v);
        ck_assert_str_eq(v, "33554432");
        if (th_host.ctrl[CG_MEMORY].src == CG_SRC_V2) {
                char self[PATH_MAX + 8];

                /* memory on v2 never takes the v1 path (the event log says when it does) */
                ck_assert_msg(!strstr(p.errbuf, "through cgroup v1"), "%s", p.errbuf);

                /* v2: an OOM kill takes the actor's whole leaf (shim included), never half */
                snprintf(self, sizeof self, "%s/self", dir);
                read_file(self, "memory.oom.group", v, sizeof v);
                ck_assert_str_eq(v, "1");
        }
        th_assert_layout();
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);

        run(&p, "oom", small, hog);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 128 + SIGKILL);
        th_event(&p, "exited", "reason", reason, sizeof reason);
        ck_assert_msg(strncmp(reason, "oom-killed", 10) == 0, "reason '%s'", reason);
        th_assert_tree_gone(name);

        /* positive control: the same hog under a 256M profile finishes */
        run(&p, "nooom", big, hog);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        ck_assert(th_has_line(p.outbuf, "hogged 100"));
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(tasks_max_forks_fail_inside_only)
{
        const char *lim[] = {"--set", "TasksMax=8", NULL};
        const char *loop[] = {"forkloop", "50", NULL};
        const char *slow[] = {"sleep", "30", NULL};
        struct th_proc p;
        char dir[PATH_MAX], v[64];
        pid_t probe;
        int status;

        run(&p, "tasks", lim, loop);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        ck_assert_msg(th_wait_for(&p, true, "forked", 10000), "%s", p.outbuf);
        /* TasksMax counts the program too (the shim is the +1 of pids.max): 7 children */
        ck_assert_msg(th_has_line(p.outbuf, "forked 7 errno EAGAIN"), "%s", p.outbuf);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        th_assert_tree_gone(name);
        /* the limit sits in the file `corral check` names for it */
        run(&p, "tasksfile", lim, slow);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        limit_dir("pids", dir, sizeof dir);
        read_file(dir, "pids.max", v, sizeof v);
        ck_assert_str_eq(v, "9"); /* TasksMax=8 and the shim */
        th_assert_layout();
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        /* the host is unaffected: we can still fork */
        probe = fork();
        if (probe == 0)
                _exit(0);
        ck_assert_int_gt(probe, 0);
        ck_assert_int_eq(waitpid(probe, &status, 0), probe);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(cpu_quota_holds_near_20_percent)
{
        const char *lim[] = {"--set", "CPUQuota=20%", NULL};
        const char *none[] = {NULL};
        const char *spin[] = {"cputime", "2", NULL};
        const char *slow[] = {"sleep", "30", NULL};
        struct th_proc p;
        char dir[PATH_MAX], v[64];
        double cpu, wall, free_cpu;
        const char *line;

        run(&p, "cpufile", lim, slow);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        limit_dir("cpu", dir, sizeof dir);
        if (th_host.ctrl[CG_CPU].src == CG_SRC_V1) {
                read_file(dir, "cpu.cfs_quota_us", v, sizeof v);
                ck_assert_str_eq(v, "20000");
                read_file(dir, "cpu.cfs_period_us", v, sizeof v);
                ck_assert_str_eq(v, "100000");
        } else {
                read_file(dir, "cpu.max", v, sizeof v);
                ck_assert_str_eq(v, "20000 100000");
        }
        th_assert_layout();
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);

        run(&p, "cpu", lim, spin);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        line = th_line_starting(p.outbuf, "cpu ");
        ck_assert_ptr_nonnull(line);
        ck_assert_int_eq(sscanf(line, "cpu %lf wall %lf", &cpu, &wall), 2);
        /* generous bounds around 20% of one CPU */
        ck_assert_msg(cpu / wall > 0.10 && cpu / wall < 0.32, "cpu %.3f over wall %.3f", cpu, wall);
        th_assert_tree_gone(name);

        /* positive control: unlimited, the same loop takes (nearly) a whole CPU */
        run(&p, "cpufree", none, spin);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        line = th_line_starting(p.outbuf, "cpu ");
        ck_assert_ptr_nonnull(line);
        ck_assert_int_eq(sscanf(line, "cpu %lf wall %lf", &free_cpu, &wall), 2);
        /* (generous: a loaded host shares the CPU with other work) */
        ck_assert_msg(free_cpu / wall > 0.35 && free_cpu > 1.5 * cpu,
                      "unlimited cpu %.3f over wall %.3f (limited: %.3f)", free_cpu, wall, cpu);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(seccomp_errno_and_kill)
{
        /* CAP_SYS_ADMIN granted throughout: what stops mount(2) is the filter alone */
        const char *eperm[] = {"--set", "SystemCallFilter=~@mount",
                               "--set", "SystemCallErrorNumber=EPERM",
                               "--set", "CapabilityBoundingSet=CAP_SYS_ADMIN",
                               NULL};
        const char *killer[] = {"--set", "SystemCallFilter=~@mount", NULL};
        const char *none[] = {"--set", th_as_root(), "--set", "CapabilityBoundingSet=CAP_SYS_ADMIN",
                              NULL};
        const char *mnt[] = {"mount", NULL};
        struct th_proc p;
        char reason[128];

        run(&p, "scmp-eperm", eperm, mnt);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "mount errno EPERM"), "%s", p.outbuf);
        th_assert_tree_gone(name);

        /* positive control: without the filter the same call gets past seccomp (root with
         * CAP_SYS_ADMIN in its own mount namespace may mount a tmpfs) */
        run(&p, "scmp-none", none, mnt);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "mount ok"), "%s", p.outbuf);
        th_assert_tree_gone(name);

        /* systemd's meaning without SystemCallErrorNumber=: the process is killed */
        run(&p, "scmp-kill", killer, mnt);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGSYS);
        th_event(&p, "exited", "reason", reason, sizeof reason);
        ck_assert_msg(strncmp(reason, "seccomp", 7) == 0, "reason '%s'", reason);
        th_assert_tree_gone(name);
}
END_TEST

/* Every broken policy in the corpus: one error naming FILE:LINE, exit 125, nothing spawned. */
START_TEST(bad_policies_refused_before_spawn)
{
        char dir[PATH_MAX];
        DIR *d = opendir(th_repo("tests/data/policy/bad", dir, sizeof dir));
        struct dirent *de;
        int files = 0;

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                char path[PATH_MAX], expect[PATH_MAX], want[512] = "", prefix[PATH_MAX + 16];
                const char *args[] = {"run",      "-p",   path, "--name", NULL,
                                      "--events", "json", "--", "true",   NULL};
                struct th_proc p;
                size_t n = strlen(de->d_name);
                FILE *f;
                char *colon;

                if (n < 5 || strcmp(de->d_name + n - 4, ".ini") != 0)
                        continue;
                snprintf(path, sizeof path, "%.3000s/%s", dir, de->d_name);
                snprintf(expect, sizeof expect, "%.3000s/%.*s.expect", dir, (int)n - 4, de->d_name);
                f = fopen(expect, "re");
                ck_assert_ptr_nonnull(f);
                if (!fgets(want, sizeof want, f))
                        want[0] = '\0';
                fclose(f);
                want[strcspn(want, "\n")] = '\0';
                colon = strchr(want, ':');
                ck_assert_ptr_nonnull(colon);
                *colon = '\0';
                snprintf(name, sizeof name, "%s", th_tree_name("badpol"));
                args[4] = name;
                th_corral_start(&p, args, -1, NULL, NULL);
                ck_assert_msg(th_corral_wait(&p, 10000) == 125, "%s: not refused", path);
                /* "corral: FILE:LINE: ..." with the line the corpus names */
                snprintf(prefix, sizeof prefix, "corral: %s:%s: ", path, want);
                if (strcmp(want, "0") == 0)
                        snprintf(prefix, sizeof prefix, "corral: %s: ", path);
                ck_assert_msg(strstr(p.errbuf, prefix) && strstr(p.errbuf, colon + 1),
                              "%s: wanted '%s...%s', got:\n%s", path, prefix, colon + 1, p.errbuf);
                ck_assert_msg(!strstr(p.errbuf, "\"event\""), "%s: something was spawned:\n%s",
                              path, p.errbuf);
                th_assert_tree_gone(name);
                files++;
        }
        closedir(d);
        ck_assert_int_ge(files, 20);
}
END_TEST

static Suite *limits_suite(void)
{
        Suite *s = suite_create("policy-limits-privileged");
        TCase *tc = tcase_create("limits");

        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, memory_max_oom_kills_and_bigger_profile_finishes);
        tcase_add_test(tc, tasks_max_forks_fail_inside_only);
        tcase_add_test(tc, cpu_quota_holds_near_20_percent);
        tcase_add_test(tc, seccomp_errno_and_kill);
        tcase_add_test(tc, bad_policies_refused_before_spawn);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {limits_suite};

        return th_run("test_limits", TH_PRIVILEGED, suites, 1);
}

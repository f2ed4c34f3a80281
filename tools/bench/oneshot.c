/* Section 4: one-shot `corral run -- prog` against the one-shot floor (build/
 * bench-oneshot-floor: the same kernel work from a static launcher, oneshot_floor.c), a
 * direct exec, unshare(1) and bwrap(1); each a whole process launched from here, interleaved. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../ns/creds.h"
#include "../../policy/seccomp_policy.h"
#include "../../policy/units.h"
#include "bench.h"

/* posix_spawn, stdio on /dev/null, fd (if any) as 3; the wall and CPU time to its exit */
static int run_cmd(char *const *argv, int fd, int64_t *us, double *cpu)
{
        double c0 = cpu_us(-1);
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int rc, status;
        int64_t t0;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, fd, 3);
        t0 = now_us();
        rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0)
                return -rc;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        *us = now_us() - t0;
        *cpu = cpu_us(-1) - c0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* out = pre..., then the program and its arguments */
static void with_prog(char **out, char *const *pre)
{
        int n = 0;

        for (; pre && *pre; pre++)
                out[n++] = *pre;
        for (int i = 0; i < cfg.argc; i++)
                out[n++] = cfg.argv[i];
        out[n] = NULL;
}

/* The profile's filter, compiled here once, for the launcher to read on fd 3; -1: none. */
static int filter_memfd(void)
{
        struct sock_fprog f;
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        int fd, hi;
        size_t len;

        if (seccomp_compile(&prof_def, &f, &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        if (!f.len)
                return -1;
        len = f.len * sizeof f.filter[0];
        fd = memfd_create("bench-filter", MFD_CLOEXEC);
        if (fd < 0 || write(fd, f.filter, len) != (ssize_t)len)
                die("the one-shot floor's filter: %s", strerror(errno));
        seccomp_fprog_free(&f);
        hi = fcntl(fd, F_DUPFD_CLOEXEC, 10); /* never 3 itself: dup2 onto 3 must copy it */
        close(fd);
        return hi;
}

/* The launcher's command line for the profile in use (prof_def: the default or --profile's) */
static int floor_argv(char **out, char (*s)[64], bool filter)
{
        int n = 0;

        out[n++] = cfg.floor1;
        out[n++] = "-g";
        out[n++] = (char *)floor_base_dir();
        snprintf(s[0], sizeof s[0], "%llx", (unsigned long long)profile_ns(&prof_def));
        out[n++] = "-n";
        out[n++] = s[0];
        if (prof_def.private_tmp) {
                const struct limit *z = &prof_def.private_tmp_size;

                /* as the spawner sizes it: unset or infinity is the kernel's default */
                snprintf(s[1], sizeof s[1], "%llu",
                         z->set && z->value != UNITS_INFINITY ? (unsigned long long)z->value : 0);
                out[n++] = "-t";
                out[n++] = s[1];
        } else {
                out[n++] = "-T";
        }
        if (!prof_def.private_devices)
                out[n++] = "-D";
        snprintf(s[2], sizeof s[2], "%d", (int)prof_def.protect_system);
        out[n++] = "-s";
        out[n++] = s[2];
        if (prof_def.keyring_mode == KEYRING_MODE_INHERIT)
                out[n++] = "-K";
        if (!prof_def.protect_control_groups)
                out[n++] = "-R";
        if (profile_ns(&prof_def) & CLONE_NEWNET)
                out[n++] = "-l";
        if (filter) {
                out[n++] = "-f";
                out[n++] = "3";
        }
        snprintf(s[3], sizeof s[3], "%d", creds_cap_last());
        out[n++] = "-c";
        out[n++] = s[3];
        out[n++] = "--";
        out[n] = NULL;
        return n;
}

struct oneshot {
        struct row *row;
        char **argv;
        int fd;
};

static struct row *add(struct oneshot *v, int *nv, const char *key, const char *label,
                       struct row *base, char **argv, const char *missing)
{
        struct row *r = row_new(key, "oneshot", label, "wall_us", NULL, base);

        r->metric[M_C] = "cpu_us";
        v[*nv] = (struct oneshot){.row = r, .argv = argv, .fd = -1};
        (*nv)++;
        if (missing) {
                snprintf(r->na, sizeof r->na, "n/a (%s not installed)", missing);
                note_absent(missing);
        }
        return r;
}

void section_oneshot(void)
{
        char bwrap[PATH_MAX], unshare[PATH_MAX], fl_s[4][64];
        bool have_bwrap = in_path("bwrap", bwrap, sizeof bwrap);
        bool have_unshare = in_path("unshare", unshare, sizeof unshare);
        char *a_direct[16], *a_corral[16], *a_unshare[16], *a_bwrap[16], *a_floor[40];
        char *pre_corral[] = {cfg.corral, "run", "--", NULL, NULL, NULL};
        char *pre_unshare[] = {unshare, "--fork", "--pid", "--mount-proc", NULL};
        char *pre_bwrap[] = {bwrap, "--dev-bind", "/", "/", "--unshare-all", "--share-net", NULL};
        char *pre_floor[24];
        int filter = filter_memfd();
        struct oneshot v[5];
        int nv = 0;
        struct row *direct, *fl, *r;

        if (cfg.profile[0]) { /* corral run -p FILE -- prog */
                pre_corral[2] = "-p";
                pre_corral[3] = cfg.profile;
                pre_corral[4] = "--";
        }
        floor_argv(pre_floor, fl_s, filter >= 0);
        with_prog(a_direct, NULL);
        with_prog(a_corral, pre_corral);
        with_prog(a_unshare, pre_unshare);
        with_prog(a_bwrap, pre_bwrap);
        with_prog(a_floor, pre_floor);
        direct = add(v, &nv, "oneshot_direct", "direct exec of the program", NULL, a_direct, NULL);
        fl = add(v, &nv, "oneshot_floor", "one-shot floor (static, same kernel work)", direct,
                 a_floor, NULL);
        v[nv - 1].fd = filter;
        if (access(cfg.floor1, X_OK) < 0)
                snprintf(fl->na, sizeof fl->na, "failed: %s not built", cfg.floor1);
        r = add(v, &nv, "oneshot_corral_run",
                cfg.profile[0] ? "corral run -p FILE -- prog" : "corral run -- prog", fl, a_corral,
                NULL);
        if (access(cfg.corral, X_OK) < 0)
                snprintf(r->na, sizeof r->na, "n/a (%s not built)", cfg.corral);
        add(v, &nv, "oneshot_bwrap", "bwrap --dev-bind / / --unshare-all --share-net prog", fl,
            a_bwrap, have_bwrap ? NULL : "bwrap");
        add(v, &nv, "oneshot_unshare", "unshare --fork --pid --mount-proc prog", fl, a_unshare,
            have_unshare ? NULL : "unshare");

        fprintf(stderr, "corral-bench: one-shot: %d runs of each command\n", cfg.oneshot_iters);
        for (int it = -cfg.warmup / 2; it < cfg.oneshot_iters && !stop; it++) {
                for (int j = 0; j < nv && !stop; j++) {
                        int k = (j + (it < 0 ? 0 : it)) % nv;
                        int64_t us = 0;
                        double cpu = 0;
                        int rc;

                        if (v[k].row->na[0])
                                continue;
                        rc = run_cmd(v[k].argv, v[k].fd, &us, &cpu);
                        if (rc != 0) {
                                if (++v[k].row->failures >= 3)
                                        snprintf(v[k].row->na, sizeof v[k].row->na,
                                                 "failed: exit status %d", rc);
                                continue;
                        }
                        if (it >= 0) {
                                add_sample(&v[k].row->m[M_A], (double)us);
                                add_sample(&v[k].row->m[M_C], cpu);
                        }
                }
        }
        if (filter >= 0)
                close(filter);
}

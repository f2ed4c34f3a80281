/* Section 4: one-shot `corral run -- prog` against a direct exec, unshare(1) and bwrap(1). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int run_cmd(char *const *argv, int64_t *us, double *cpu)
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

void section_oneshot(void)
{
        char bwrap[PATH_MAX], unshare[PATH_MAX];
        bool have_bwrap = in_path("bwrap", bwrap, sizeof bwrap);
        bool have_unshare = in_path("unshare", unshare, sizeof unshare);
        char *a_direct[16], *a_corral[16], *a_unshare[16], *a_bwrap[16];
        char *pre_corral[] = {cfg.corral, "run", "--", NULL};
        char *pre_unshare[] = {unshare, "--fork", "--pid", "--mount-proc", NULL};
        char *pre_bwrap[] = {bwrap, "--dev-bind", "/", "/", "--unshare-all", "--share-net", NULL};
        struct {
                struct row *row;
                char **argv;
        } v[4];
        int nv = 0;
        struct row *direct, *r;

        with_prog(a_direct, NULL);
        with_prog(a_corral, pre_corral);
        with_prog(a_unshare, pre_unshare);
        with_prog(a_bwrap, pre_bwrap);
        direct = row_new("oneshot_direct", "oneshot", "direct exec of the program", "wall_us", NULL,
                         NULL);
        v[nv].row = direct;
        v[nv++].argv = a_direct;
        r = row_new("oneshot_corral_run", "oneshot", "corral run -- prog", "wall_us", NULL, direct);
        v[nv].row = r;
        v[nv++].argv = a_corral;
        if (access(cfg.corral, X_OK) < 0)
                snprintf(r->na, sizeof r->na, "n/a (%s not built)", cfg.corral);
        r = row_new("oneshot_unshare", "oneshot", "unshare --fork --pid --mount-proc prog",
                    "wall_us", NULL, direct);
        v[nv].row = r;
        v[nv++].argv = a_unshare;
        if (!have_unshare) {
                snprintf(r->na, sizeof r->na, "n/a (unshare not installed)");
                note_absent("unshare");
        }
        r = row_new("oneshot_bwrap", "oneshot",
                    "bwrap --dev-bind / / --unshare-all --share-net prog", "wall_us", NULL, direct);
        v[nv].row = r;
        v[nv++].argv = a_bwrap;
        if (!have_bwrap) {
                snprintf(r->na, sizeof r->na, "n/a (bwrap not installed)");
                note_absent("bwrap");
        }

        for (int j = 0; j < nv; j++)
                v[j].row->metric[M_C] = "cpu_us";
        fprintf(stderr, "corral-bench: one-shot: %d runs of each command\n", cfg.oneshot_iters);
        for (int it = -cfg.warmup / 2; it < cfg.oneshot_iters && !stop; it++) {
                for (int j = 0; j < nv && !stop; j++) {
                        int k = (j + (it < 0 ? 0 : it)) % nv;
                        int64_t us;
                        double cpu;
                        int rc;

                        if (v[k].row->na[0])
                                continue;
                        rc = run_cmd(v[k].argv, &us, &cpu);
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
}

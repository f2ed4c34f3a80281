/* Section 5: teardown of N processes, corral's kill stage against a bare cgroup.kill. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../ns/syscalls.h"
#include "bench.h"
#include "bench_sup.h"

static const int teardown_sizes[3] = {10, 100, 1000};

/* The same tree for both sides: an actor of the default profile whose program forks until
 * its cgroup holds n processes (shim included). */
static struct bench_sup *tree_of(int n, pid_t *shim, char *why, size_t len)
{
        char count[16];
        char *argv[] = {cfg.self, "--helper-forks", count, NULL};
        struct bench_spawn_times t;
        struct cerr err = {0};
        struct bench_sup *b = sup_open(&prof_def);
        int64_t deadline;

        snprintf(count, sizeof count, "%d", n);
        if (bench_sup_spawn(b, argv, false, &t, &err) < 0) {
                cerr_str(&err, why, len);
                sup_close(b);
                return NULL;
        }
        *shim = t.pid;
        deadline = now_us() + 30 * 1000000LL;
        for (;;) {
                int k = count_procs(bench_sup_actor_leaf(b));

                if (k == n)
                        break;
                if (k < 0 || now_us() > deadline || stop) {
                        snprintf(why, len, "the tree did not reach %d processes (%d)", n, k);
                        sup_close(b);
                        return NULL;
                }
                sleep_ms(2);
        }
        /* cgroup.events notifications are rate-limited (one per ~10 ms per file, DESIGN
         * §4b): let the one for "populated 1" age out so both sides start alike */
        sleep_ms(30);
        return b;
}

/* cgroup.kill of the tree, wait for populated 0 (poll POLLPRI, re-read), rmdir bottom-up.
 * Then, outside the measured time, when the namespace's PID 1 (the shim) finished exiting:
 * its exit waits until every process of its namespace has been reaped. */
static int bare_kill(struct bench_sup *b, pid_t shim, int64_t *empty_us, int64_t *done_us,
                     int64_t *pid1_us)
{
        char tree[PATH_MAX], leaf[PATH_MAX], node[PATH_MAX];
        int pidfd = sys_pidfd_open(shim, 0);
        int64_t t0;

        snprintf(tree, sizeof tree, "%s", bench_sup_tree_path(b));
        snprintf(leaf, sizeof leaf, "%s", bench_sup_actor_leaf(b));
        snprintf(node, sizeof node, "%s", leaf);
        *strrchr(node, '/') = '\0';
        *empty_us = bare_cgroup_kill(tree, &t0);
        if (*empty_us < 0) {
                if (pidfd >= 0)
                        close(pidfd);
                return -1;
        }
        {
                const char *dirs[] = {leaf, node, tree};

                for (int i = 0; i < 3; i++) {
                        for (int k = 0; rmdir(dirs[i]) < 0 && errno == EBUSY && k < 10000; k++)
                                sched_yield();
                }
        }
        *done_us = now_us() - t0;
        *pid1_us = -1;
        if (pidfd >= 0) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};

                if (poll(&p, 1, 10000) == 1)
                        *pid1_us = now_us() - t0;
                close(pidfd);
        }
        return access(tree, F_OK) < 0 ? 0 : -1;
}

void section_teardown(void)
{
        static char labels[3][2][64], keys[3][2][40];

        fprintf(stderr, "corral-bench: teardown: trees of %d, %d and %d processes\n",
                teardown_sizes[0], teardown_sizes[1], teardown_sizes[2]);
        for (int s = 0; s < 3 && !stop; s++) {
                int n = teardown_sizes[s];
                struct row *bare, *cor;

                snprintf(keys[s][0], sizeof keys[s][0], "teardown_bare_%d", n);
                snprintf(keys[s][1], sizeof keys[s][1], "teardown_corral_%d", n);
                snprintf(labels[s][0], sizeof labels[s][0], "bare cgroup.kill, %d processes", n);
                snprintf(labels[s][1], sizeof labels[s][1], "corral kill stage, %d processes", n);
                bare = row_new(keys[s][0], "teardown", labels[s][0], "done_us", "empty_us", NULL);
                bare->metric[M_C] = "pid1_exit_us";
                cor = row_new(keys[s][1], "teardown", labels[s][1], "done_us", "empty_us", bare);
                for (int it = 0; it < cfg.teardown_iters[s] && !stop; it++) {
                        for (int side = 0; side < 2 && !stop; side++) {
                                bool corral_side = (side + it) % 2;
                                struct row *r = corral_side ? cor : bare;
                                char why[CERR_MSG_MAX + 64] = "";
                                struct bench_sup *b;
                                pid_t shim = -1;

                                if (r->na[0])
                                        continue;
                                b = tree_of(n, &shim, why, sizeof why);
                                if (!b) {
                                        if (++r->failures >= 3)
                                                snprintf(r->na, sizeof r->na, "failed: %s", why);
                                        fprintf(stderr, "corral-bench: %s: %s\n", r->label, why);
                                        continue;
                                }
                                if (corral_side) {
                                        struct bench_kill_times kt;
                                        struct cerr err = {0};

                                        if (bench_sup_kill(b, &kt, &err) == 0) {
                                                add_sample(&r->m[M_A],
                                                           (double)(kt.t_removed - kt.t_request));
                                                add_sample(&r->m[M_B],
                                                           (double)(kt.t_empty - kt.t_request));
                                        } else {
                                                r->failures++;
                                                cerr_str(&err, why, sizeof why);
                                                fprintf(stderr, "corral-bench: %s: %s\n", r->label,
                                                        why);
                                        }
                                } else {
                                        int64_t e_us, d_us, p_us;

                                        if (bare_kill(b, shim, &e_us, &d_us, &p_us) == 0) {
                                                add_sample(&r->m[M_A], (double)d_us);
                                                add_sample(&r->m[M_B], (double)e_us);
                                                if (p_us >= 0)
                                                        add_sample(&r->m[M_C], (double)p_us);
                                        } else {
                                                r->failures++;
                                        }
                                }
                                sup_close(b);
                        }
                }
        }
}

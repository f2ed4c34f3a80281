/* corral's side: supervisors (bench_sup.h, the engine's API), one spawn timed from the
 * engine's own records, the profiles. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../../policy/policy.h"
#include "bench.h"
#include "bench_sup.h"

const char *const corral_phases[] = {"node_request_us", "zygote_clone3_us", "child_until_exec_us",
                                     "exit_reap_us",    "rmdir_us",         NULL};

struct profile prof_def;

#define MAX_SUPS 16
static struct bench_sup *sups[MAX_SUPS];

struct bench_sup *sup_open(const struct profile *p)
{
        struct bench_sup_options o = {
            .profile = p, .out_fd = -1, .err_fd = cfg.verbose ? 2 : -1, .stop = &stop};
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        struct bench_sup *b;
        int slot = -1;

        for (int i = 0; i < MAX_SUPS && slot < 0; i++) {
                if (!sups[i])
                        slot = i;
        }
        if (slot < 0)
                die("too many supervisors");
        if (bench_sup_open(&b, &o, &err) < 0)
                die("setting up a supervisor: %s", cerr_str(&err, ebuf, sizeof ebuf));
        sups[slot] = b;
        return b;
}

void sup_close(struct bench_sup *b)
{
        for (int i = 0; i < MAX_SUPS; i++) {
                if (sups[i] == b)
                        sups[i] = NULL;
        }
        bench_sup_close(b);
}

void sups_close_all(void)
{
        for (int i = 0; i < MAX_SUPS; i++) {
                if (sups[i]) {
                        bench_sup_close(sups[i]);
                        sups[i] = NULL;
                }
        }
}

int corral_spawn(struct bench_sup *b, char *const *argv, struct floor_times *t, char *why,
                 size_t len)
{
        struct bench_spawn_times bt;
        struct cerr err = {0};

        memset(t, 0, sizeof *t);
        if (bench_sup_spawn(b, argv, true, &bt, &err) < 0) {
                cerr_str(&err, why, len);
                return -1;
        }
        t->t0 = bt.t_request;
        t->t_sent = bt.t_sent;
        t->t_replied = bt.t_replied;
        t->t_started = bt.t_started;
        t->t_reaped = bt.t_reaped;
        t->t_done = bt.t_removed;
        if (!bt.have_status || !WIFEXITED(bt.wstatus) || WEXITSTATUS(bt.wstatus) != 0) {
                snprintf(why, len, "the program did not exit 0 (status 0x%x)", bt.wstatus);
                return -1;
        }
        return 0;
}

void profile_or_die(struct profile *p, const char *name, const char *const *kv)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];

        profile_default(p, name);
        for (; kv && kv[0]; kv += 2) {
                if (profile_set_key(p, kv[0], kv[1], &err) < 0)
                        die("profile %s: %s", name, cerr_str(&err, ebuf, sizeof ebuf));
        }
}

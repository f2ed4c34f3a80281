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
        return sup_open_hooked(p, NULL, NULL, 0);
}

struct bench_sup *sup_open_hooked(const struct profile *p, bench_event_fn fn, void *ctx,
                                  int timeout_ms)
{
        struct bench_sup_options o = {.profile = p,
                                      .out_fd = -1,
                                      .err_fd = cfg.verbose ? 2 : -1,
                                      .stop = &stop,
                                      .timeout_ms = timeout_ms,
                                      .on_actor = fn,
                                      .actor_ctx = ctx};
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

static struct profile prof_base; /* --profile's */
static bool have_base;

void profile_base_load(const char *file)
{
        struct policy pol = {0};
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        const struct profile *src;

        if (!file)
                return;
        /* as `corral run -p FILE` picks it: the file's one profile, or its default */
        if (policy_load_file(file, &pol, &err) < 0)
                die("--profile: %s", cerr_str(&err, ebuf, sizeof ebuf));
        src = pol.n == 1 ? &pol.profiles[0] : policy_find(&pol, "default");
        if (!src)
                die("--profile %s: several profiles and none named default", file);
        if (profile_copy(&prof_base, src, &err) < 0)
                die("--profile: %s", cerr_str(&err, ebuf, sizeof ebuf));
        policy_free(&pol);
        have_base = true;
}

void profile_or_die(struct profile *p, const char *name, const char *const *kv)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];

        if (!have_base)
                profile_default(p, name);
        else if (profile_copy(p, &prof_base, &err) < 0)
                die("profile %s: %s", name, cerr_str(&err, ebuf, sizeof ebuf));
        else
                snprintf(p->name, sizeof p->name, "%s", name);
        for (; kv && kv[0]; kv += 2) {
                if (profile_set_key(p, kv[0], kv[1], &err) < 0)
                        die("profile %s: %s", name, cerr_str(&err, ebuf, sizeof ebuf));
        }
}

uint64_t profile_ns(const struct profile *p)
{
        /* the spawner's own flags; the floors make no user namespace (no id maps) */
        return profile_clone_flags(p) & ~(uint64_t)CLONE_NEWUSER;
}

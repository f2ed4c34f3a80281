/* Section 3: the same spawn with the supervisor holding 10 MiB and 1 GiB of touched memory,
 * against posix_spawn (the control) and the floor from a spawner holding the same. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_sup.h"

static void *touch(size_t bytes)
{
        char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                die("mmap of %zu bytes: %s", bytes, strerror(errno));
        /* small pages, as a long-lived heap of many allocations has: the page tables a fork
         * would copy are the point */
        madvise(p, bytes, MADV_NOHUGEPAGE);
        for (size_t off = 0; off < bytes; off += 4096)
                p[off] = (char)off;
        return p;
}

/* Each side of the comparison is a worker process forked from the bench while it is small:
 * it opens its own supervisor (whose zygote is forked at once), then touches its memory once
 * and keeps it, and runs batches on command. Touching and freeing 1 GiB between batches
 * would measure the VM instead: on this host freed memory goes back to the hypervisor (free
 * page reporting), and the next allocations stall on it for seconds. */
struct heap_cmd {
        int corral, posix, floor; /* spawns of each kind, interleaved; 0,0,0: exit */
};

struct heap_sample {
        int kind; /* V_CORRAL, V_POSIX_SPAWN, V_FLOOR; -1: failed */
        int64_t start, cycle, p[5];
        struct cpu cpu;
};

struct heap_worker {
        pid_t pid;
        int cmd, res; /* our ends */
};

static void heap_send(int fd, const struct variant *v, const struct floor_times *t, bool ok)
{
        struct heap_sample h = {.kind = ok ? (int)v->kind : -1};

        if (ok) {
                h.start = t->t_started - t->t0;
                h.cycle = t->t_done - t->t0;
                h.cpu = t->cpu;
                if (v->kind == V_CORRAL) {
                        h.p[0] = t->t_sent - t->t0;
                        h.p[1] = t->t_replied - t->t_sent;
                        h.p[2] = t->t_started - t->t_replied;
                        h.p[3] = t->t_reaped - t->t_started;
                        h.p[4] = t->t_done - t->t_reaped;
                }
        }
        (void)!write(fd, &h, sizeof h);
}

/* One spawn in the worker, as run_variant() does it, the sample going to the bench. */
static void heap_one(struct variant *v, int res)
{
        struct floor_times t;
        char why[CERR_MSG_MAX + 64] = "";
        struct cpu c0, c1;
        int rc;

        c0 = cpu_now(v->zfd);
        if (v->kind == V_CORRAL)
                rc = corral_spawn(v->sup, cfg.argv, &t, why, sizeof why);
        else if (v->kind == V_POSIX_SPAWN)
                rc = posix_spawn_one(&t);
        else
                rc = floor_spawn(&v->fc, &t);
        c1 = cpu_now(v->zfd);
        t.cpu = (struct cpu){c1.self - c0.self, c1.zygote - c0.zygote, c1.kids - c0.kids};
        if (rc < 0 && why[0])
                fprintf(stderr, "corral-bench: heap worker: %s\n", why);
        heap_send(res, v, &t, rc == 0);
}

static __attribute__((noreturn)) void heap_worker_main(size_t hold, int cmd, int res)
{
        struct bench_sup_options o = {
            .profile = &prof_def, .out_fd = -1, .err_fd = cfg.verbose ? 2 : -1, .stop = &stop};
        struct variant vc = {.kind = V_CORRAL, .zfd = -1};
        struct variant vp = {.kind = V_POSIX_SPAWN, .zfd = -1};
        struct variant vf = {.kind = V_FLOOR,
                             .zfd = -1,
                             .fc = {.ns = profile_ns(&prof_def), .mounts = true, .hostname = true}};
        struct cerr err = {0};
        struct heap_cmd c;
        char ready = 'r';

        /* nothing of the bench's own: its supervisors and cgroups are the bench's to remove
         * (a die() in here must not take the floor's base away from under it) */
        bench_on_die(NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (bench_sup_open(&vc.sup, &o, &err) < 0) {
                char ebuf[CERR_MSG_MAX + 64];

                fprintf(stderr, "corral-bench: heap worker: %s\n",
                        cerr_str(&err, ebuf, sizeof ebuf));
                _exit(1);
        }
        vc.zfd = schedstat_open(bench_sup_zygote_pid(vc.sup));
        touch(hold);
        if (write(res, &ready, 1) != 1)
                ready = 0;
        while (ready && !stop && read(cmd, &c, sizeof c) == (ssize_t)sizeof c &&
               (c.corral || c.posix || c.floor)) {
                for (int k = 0; k < c.corral || k < c.posix; k++) {
                        if (k < c.corral)
                                heap_one(&vc, res);
                        if (k < c.posix)
                                heap_one(&vp, res);
                }
                for (int k = 0; k < c.floor; k++)
                        heap_one(&vf, res);
        }
        bench_sup_close(vc.sup);
        _exit(0);
}

static int heap_worker_start(struct heap_worker *w, size_t hold)
{
        int cp[2], rp[2];
        char ready;

        if (pipe2(cp, O_CLOEXEC) < 0)
                return -1;
        if (pipe2(rp, O_CLOEXEC) < 0) {
                close(cp[0]);
                close(cp[1]);
                return -1;
        }
        fflush(NULL);
        w->pid = fork();
        if (w->pid == 0) {
                close(cp[1]);
                close(rp[0]);
                heap_worker_main(hold, cp[0], rp[1]);
        }
        close(cp[0]);
        close(rp[1]);
        w->cmd = cp[1];
        w->res = rp[0];
        if (w->pid < 0 || read(w->res, &ready, 1) != 1)
                return -1;
        return 0;
}

static void heap_worker_stop(struct heap_worker *w)
{
        struct heap_cmd quit = {0};

        if (w->pid <= 0)
                return;
        (void)!write(w->cmd, &quit, sizeof quit);
        close(w->cmd);
        close(w->res);
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
                kill(w->pid, SIGTERM);
        w->pid = -1;
}

static void heap_record(struct row *r, const struct heap_sample *h)
{
        add_sample(&r->m[M_A], (double)h->start);
        add_sample(&r->m[M_B], (double)h->cycle);
        add_sample(&r->m[M_C], h->cpu.self + h->cpu.zygote + h->cpu.kids);
        add_sample(&r->m[M_CPU_SELF], h->cpu.self);
        add_sample(&r->m[M_CPU_ZYGOTE], h->cpu.zygote);
        add_sample(&r->m[M_CPU_KIDS], h->cpu.kids);
        for (int i = 0; i < 5 && h->kind == V_CORRAL; i++)
                add_sample(&r->m[M_P1 + i], (double)h->p[i]);
}

void section_heap(void)
{
        static char labels[6][80];
        struct row *rows_of[2][3]; /* [small, big][corral, posix, floor] */
        struct heap_worker w[2] = {{.pid = -1}, {.pid = -1}};
        size_t hold[2] = {cfg.heap_small, cfg.heap_big};
        const char *what[3] = {"corral: default, supervisor holds",
                               "control: posix_spawn, spawner holds",
                               "floor (fork-style), spawner holds"};
        const char *keys[2][3] = {
            {"corral_default_heap_small", "control_posix_spawn_heap_small",
             "floor_default_heap_small"},
            {"corral_default_heap_big", "control_posix_spawn_heap_big", "floor_default_heap_big"}};

        for (int side = 0; side < 2; side++) {
                for (int k = 0; k < 3; k++) {
                        char *l = labels[side * 3 + k];
                        struct row *r;

                        snprintf(l, sizeof labels[0], "%s %zu MiB", what[k], hold[side] >> 20);
                        r = row_new(keys[side][k], "heap", l, "start_us", "cycle_us",
                                    side ? rows_of[0][k] : NULL);
                        r->metric[M_C] = "cpu_us";
                        r->metric[M_CPU_SELF] = "cpu_spawner_us";
                        r->metric[M_CPU_KIDS] = "cpu_children_us";
                        if (k == 0) {
                                r->metric[M_CPU_ZYGOTE] = "cpu_zygote_us";
                                for (int i = 0; i < 5; i++)
                                        r->metric[M_P1 + i] = corral_phases[i];
                        }
                        rows_of[side][k] = r;
                }
        }
        fprintf(stderr,
                "corral-bench: heap: two supervisors holding %zu MiB and %zu MiB, %d round(s) of "
                "%d spawns each\n",
                cfg.heap_small >> 20, cfg.heap_big >> 20, cfg.heap_rounds, cfg.heap_batch);
        for (int side = 0; side < 2; side++) {
                if (heap_worker_start(&w[side], hold[side]) < 0) {
                        for (int k = 0; k < 3; k++)
                                snprintf(rows_of[side][k]->na, sizeof rows_of[side][k]->na,
                                         "failed: the worker holding %zu MiB did not start",
                                         hold[side] >> 20);
                        goto out;
                }
        }
        for (int round = -1; round < cfg.heap_rounds && !stop; round++) {
                for (int j = 0; j < 2 && !stop; j++) {
                        int side = (j + (round < 0 ? 0 : round)) % 2;
                        /* round -1 warms both up and is not recorded */
                        struct heap_cmd c = {.corral = round < 0 ? 3 : cfg.heap_batch,
                                             .posix = round < 0 ? 3 : cfg.heap_batch,
                                             .floor = round < 0 ? 0 : cfg.heap_floor_batch};
                        int n = c.corral + c.posix + c.floor;

                        if (write(w[side].cmd, &c, sizeof c) != (ssize_t)sizeof c)
                                break;
                        for (int i = 0; i < n; i++) {
                                struct heap_sample h;
                                ssize_t got = read(w[side].res, &h, sizeof h);

                                if (got != (ssize_t)sizeof h)
                                        break;
                                if (h.kind < 0) {
                                        rows_of[side][0]->failures++;
                                        continue;
                                }
                                if (round >= 0)
                                        heap_record(rows_of[side][h.kind == V_CORRAL        ? 0
                                                                  : h.kind == V_POSIX_SPAWN ? 1
                                                                                            : 2],
                                                    &h);
                        }
                }
        }
out:
        heap_worker_stop(&w[0]);
        heap_worker_stop(&w[1]);
}

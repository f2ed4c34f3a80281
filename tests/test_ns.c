/* Unit tests of ns/: cgroup discovery against recorded hosts, delegation decisions, keyed
 * cgroup files, fd plans (simulated), signal names. No privileges needed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ns/cgroup_delegation.h"
#include "../ns/cgroup_mounts.h"
#include "../ns/fdplan.h"
#include "../ns/rootless.h"
#include "../ns/signals.h"
#include "../ns/cgroup_limits.h"
#include "harness.h"

static FILE *data(const char *host, const char *file)
{
        char path[PATH_MAX];
        const char *dir = getenv("CORRAL_TEST_DATA");
        FILE *f;

        snprintf(path, sizeof path, "%s/hosts/%s/%s", dir ? dir : "tests/data", host, file);
        f = fopen(path, "re");
        ck_assert_msg(f != NULL, "cannot open %s", path);
        return f;
}

static void parse_host(struct cg_mounts *h, const char *host, const char *cgroup_file)
{
        FILE *mi = data(host, "mountinfo");
        FILE *pc = data(host, cgroup_file);
        struct cerr err = {0};

        ck_assert_int_eq(cg_mounts_parse(h, mi, pc, &err), 0);
        fclose(mi);
        fclose(pc);
}

START_TEST(hybrid_vm)
{
        struct cg_mounts h;
        struct cerr err = {0};

        parse_host(&h, "hybrid-vm", "cgroup");
        ck_assert_int_eq(h.mode, CG_MODE_HYBRID);
        ck_assert(h.has_v2);
        ck_assert_str_eq(h.v2.mount, "/sys/fs/cgroup/unified");
        ck_assert_str_eq(h.v2.own, "/");
        ck_assert_str_eq(h.v2.own_dir, "/sys/fs/cgroup/unified");
        ck_assert(h.v2_own_is_root);
        cg_mounts_set_v2_controllers(&h, "hugetlb\n");
        /* memory is not at the hierarchy root here: we nest inside our own (workplace) cgroup */
        ck_assert_int_eq(h.ctrl[CG_MEMORY].src, CG_SRC_V1);
        ck_assert_str_eq(h.ctrl[CG_MEMORY].v1.mount, "/sys/fs/cgroup/memory");
        ck_assert_str_eq(h.ctrl[CG_MEMORY].v1.own, "/session/c0ffee");
        ck_assert_str_eq(h.ctrl[CG_MEMORY].v1.own_dir, "/sys/fs/cgroup/memory/session/c0ffee");
        ck_assert_int_eq(h.ctrl[CG_PIDS].src, CG_SRC_V1);
        ck_assert_str_eq(h.ctrl[CG_PIDS].v1.own_dir, "/sys/fs/cgroup/pids");
        ck_assert_int_eq(h.ctrl[CG_CPU].src, CG_SRC_V1);
        ck_assert_str_eq(h.ctrl[CG_CPU].v1.mount, "/sys/fs/cgroup/cpu");
        ck_assert_int_eq(h.ctrl[CG_IO].src, CG_SRC_V1);
        ck_assert_str_eq(h.ctrl[CG_IO].v1.mount, "/sys/fs/cgroup/blkio");
        ck_assert_int_eq(cg_mounts_usable(&h, &err), 0);
        cg_mounts_free(&h);
}
END_TEST

START_TEST(pure_v2_delegated_unit)
{
        struct cg_mounts h;
        struct cg_delegation d = {0};
        FILE *f;
        char ctrls[256] = "";

        parse_host(&h, "pure-v2-systemd", "cgroup-delegated-unit");
        ck_assert_int_eq(h.mode, CG_MODE_V2);
        ck_assert_str_eq(h.v2.mount, "/sys/fs/cgroup");
        ck_assert_str_eq(h.v2.own, "/system.slice/corral-demo.service");
        ck_assert_str_eq(h.v2.own_dir, "/sys/fs/cgroup/system.slice/corral-demo.service");
        ck_assert(!h.v2_own_is_root);
        f = data("pure-v2-systemd", "root.cgroup.controllers");
        ck_assert_ptr_nonnull(fgets(ctrls, sizeof ctrls, f));
        fclose(f);
        cg_mounts_set_v2_controllers(&h, ctrls);
        for (int c = 0; c < CG_NCTRL; c++)
                ck_assert_msg(h.ctrl[c].src == CG_SRC_V2, "%s should come from v2",
                              cg_ctrl_name(c));

        /* A delegated, otherwise empty cgroup: corral moves into <own>/supervisor first. */
        cg_delegation_decide(&d, h.v2.own_dir, false, true, 0, 0xf);
        ck_assert(d.ok);
        ck_assert(d.needs_leaf);
        cg_mounts_free(&h);
}
END_TEST

START_TEST(pure_v2_login_shell_refused)
{
        struct cg_mounts h;
        struct cg_delegation d = {0};

        parse_host(&h, "pure-v2-systemd", "cgroup-login-shell");
        ck_assert_str_eq(h.v2.own_dir, "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope");
        cg_mounts_set_v2_controllers(&h, "memory pids\n");
        ck_assert_int_eq(h.ctrl[CG_MEMORY].src, CG_SRC_V2);
        ck_assert_int_eq(h.ctrl[CG_CPU].src, CG_SRC_NONE);
        ck_assert_ptr_nonnull(strstr(h.ctrl[CG_CPU].note, "not delegated"));

        /* not writable: refused with the how-to */
        cg_delegation_decide(&d, h.v2.own_dir, false, false, 2, 0x3);
        ck_assert(!d.ok);
        ck_assert_ptr_nonnull(strstr(d.problem, "session-2.scope"));
        ck_assert_ptr_nonnull(strstr(d.fix, "Delegate=yes"));
        /* writable but shared with the shell: still refused (no internal processes) */
        cg_delegation_decide(&d, h.v2.own_dir, false, true, 2, 0x3);
        ck_assert(!d.ok);
        ck_assert_ptr_nonnull(strstr(d.problem, "2 other processes"));
        ck_assert_ptr_nonnull(strstr(d.fix, "systemd-run --scope"));
        cg_mounts_free(&h);
}
END_TEST

/* What an unprivileged user's host must offer, each refusal naming what is missing and the
 * fix (ns/rootless.h); the facts of a user's delegated scope on a systemd host first. */
START_TEST(rootless_decisions)
{
        struct cg_mounts h, hy;
        struct rootless_facts f;
        struct rootless_verdict v;

        parse_host(&h, "pure-v2-systemd", "cgroup-user-scope");
        cg_mounts_set_v2_controllers(&h, "memory pids\n");
        f = (struct rootless_facts){.mode = h.mode,
                                    .memory_v2 = h.ctrl[CG_MEMORY].src == CG_SRC_V2,
                                    .pids_v2 = h.ctrl[CG_PIDS].src == CG_SRC_V2,
                                    .own_v2 = h.v2.own_dir,
                                    .max_userns = 15000,
                                    .unpriv_clone = -1,
                                    .apparmor_restrict = -1,
                                    .runtime_dir = "/run/user/1000",
                                    .uid = 1000};
        rootless_decide(&f, &v);
        ck_assert_msg(v.ok, "%s", v.problem);

        /* a hybrid host: v1 cannot be delegated */
        parse_host(&hy, "hybrid-vm", "cgroup");
        f.mode = hy.mode;
        rootless_decide(&f, &v);
        ck_assert(!v.ok);
        ck_assert_ptr_nonnull(strstr(v.problem, "hybrid"));
        ck_assert_ptr_nonnull(strstr(v.fix, "unified_cgroup_hierarchy=1"));
        f.mode = h.mode;
        cg_mounts_free(&hy);

        /* controllers the parent did not delegate: named, with systemd's fix */
        cg_mounts_set_v2_controllers(&h, "cpu\n");
        f.memory_v2 = h.ctrl[CG_MEMORY].src == CG_SRC_V2;
        f.pids_v2 = h.ctrl[CG_PIDS].src == CG_SRC_V2;
        rootless_decide(&f, &v);
        ck_assert(!v.ok);
        ck_assert_ptr_nonnull(strstr(v.problem, "memory and pids controllers are not enabled"));
        ck_assert_ptr_nonnull(strstr(v.problem, "run-u12.scope"));
        ck_assert_ptr_nonnull(strstr(v.fix, "user@1000.service"));
        f.pids_v2 = true;
        rootless_decide(&f, &v);
        ck_assert_ptr_nonnull(strstr(v.problem, "the memory controller is not enabled"));
        f.memory_v2 = true;

        /* user namespaces off, each of the three ways, each with its own sysctl */
        f.max_userns = 0;
        rootless_decide(&f, &v);
        ck_assert(!v.ok);
        ck_assert_ptr_nonnull(strstr(v.problem, "user.max_user_namespaces is 0"));
        ck_assert_ptr_nonnull(strstr(v.fix, "user.max_user_namespaces="));
        f.max_userns = 15000;
        f.unpriv_clone = 0;
        rootless_decide(&f, &v);
        ck_assert_ptr_nonnull(strstr(v.problem, "kernel.unprivileged_userns_clone is 0"));
        f.unpriv_clone = 1;
        f.apparmor_restrict = 1;
        rootless_decide(&f, &v);
        ck_assert_ptr_nonnull(strstr(v.problem, "AppArmor"));
        ck_assert_ptr_nonnull(strstr(v.fix, "userns,"));
        f.apparmor_restrict = 0;
        rootless_decide(&f, &v);
        ck_assert(v.ok);

        /* the registry's home */
        f.runtime_dir = NULL;
        rootless_decide(&f, &v);
        ck_assert(!v.ok);
        ck_assert_ptr_nonnull(strstr(v.problem, "XDG_RUNTIME_DIR is not set"));
        f.runtime_dir = "run/user/1000";
        rootless_decide(&f, &v);
        ck_assert_ptr_nonnull(strstr(v.problem, "a relative path"));
        f.runtime_dir = "/run/user/1001";
        f.runtime_dir_errno = EACCES;
        rootless_decide(&f, &v);
        ck_assert_ptr_nonnull(strstr(v.problem, "another user owns it"));
        cg_mounts_free(&h);
}
END_TEST

START_TEST(escaped_mount_and_optional_fields)
{
        char line1[] = "71 29 0:45 / /media/usb\\040stick rw,nosuid - vfat /dev/sda1 rw";
        char line2[] =
            "62 29 259:1 / /boot/efi rw,relatime shared:31 master:7 - vfat /dev/nvme0n1p1 "
            "rw,fmask=0077";
        char bad[] = "71 29 0:45 / /x rw,nosuid vfat /dev/sda1 rw";
        struct mountinfo_entry e;

        ck_assert_int_eq(mountinfo_parse_line(line1, &e), 0);
        ck_assert_str_eq(e.mount, "/media/usb stick");
        ck_assert_str_eq(e.fstype, "vfat");
        ck_assert_int_eq(mountinfo_parse_line(line2, &e), 0);
        ck_assert_str_eq(e.mount, "/boot/efi");
        ck_assert_str_eq(e.fstype, "vfat");
        ck_assert_str_eq(e.source, "/dev/nvme0n1p1");
        ck_assert_int_eq(mountinfo_parse_line(bad, &e), -1);
}
END_TEST

START_TEST(legacy_v1_refused)
{
        struct cg_mounts h;
        struct cerr err = {0};

        parse_host(&h, "legacy-v1", "cgroup");
        ck_assert_int_eq(h.mode, CG_MODE_V1);
        ck_assert(!h.has_v2);
        ck_assert_str_eq(h.ctrl[CG_CPU].v1_opts, "cpu,cpuacct");
        ck_assert_str_eq(h.ctrl[CG_CPU].v1.own_dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice");
        ck_assert_str_eq(h.ctrl[CG_MEMORY].v1.own_dir,
                         "/sys/fs/cgroup/memory/user.slice/user-1000.slice");
        ck_assert_int_eq(cg_mounts_usable(&h, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "cgroup v1 only"));
        cg_mounts_free(&h);
}
END_TEST

START_TEST(malformed_mountinfo)
{
        const char *mi_text = "22 27 0:21 / /proc rw - proc proc rw\ngarbage line\n";
        FILE *mi = fmemopen((void *)mi_text, strlen(mi_text), "r");
        FILE *pc = fmemopen((void *)"0::/\n", 5, "r");
        struct cg_mounts h;
        struct cerr err = {0};

        ck_assert_int_eq(cg_mounts_parse(&h, mi, pc, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "line 2"));
        fclose(mi);
        fclose(pc);
        cg_mounts_free(&h);
}
END_TEST

START_TEST(subtree_mount_outside_own)
{
        /* A cgroup2 mount of a sub-tree that does not contain our cgroup cannot reach it. */
        const char *mi_text = "41 31 0:38 /other /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        FILE *mi = fmemopen((void *)mi_text, strlen(mi_text), "r");
        FILE *pc = fmemopen((void *)"0::/mine\n", 9, "r");
        struct cg_mounts h;
        struct cerr err = {0};

        ck_assert_int_eq(cg_mounts_parse(&h, mi, pc, &err), 0);
        ck_assert_str_eq(h.v2.own_dir, "");
        ck_assert_int_eq(cg_mounts_usable(&h, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "not reachable"));
        fclose(mi);
        fclose(pc);
        cg_mounts_free(&h);
}
END_TEST

START_TEST(keyed_files)
{
        long long v = -5;

        ck_assert_int_eq(cg_kv_get("populated 1\nfrozen 0\n", "populated", &v), 0);
        ck_assert_int_eq(v, 1);
        ck_assert_int_eq(cg_kv_get("populated 1\nfrozen 0\n", "frozen", &v), 0);
        ck_assert_int_eq(v, 0);
        ck_assert_int_eq(cg_kv_get("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n", "oom_kill", &v), 0);
        ck_assert_int_eq(v, 2);
        ck_assert_int_eq(cg_kv_get("oom_kill_disable 0\n", "oom_kill", &v), -1);
        ck_assert_int_eq(cg_kv_get("populated x\n", "populated", &v), -1);
        ck_assert(cg_opts_has("rw,cpu,cpuacct", "cpuacct"));
        ck_assert(!cg_opts_has("rw,cpuacct", "cpu"));
        ck_assert(cg_name_valid("worker-12"));
        ck_assert(!cg_name_valid(".hidden"));
        ck_assert(!cg_name_valid("a/b"));
        ck_assert(!cg_name_valid(""));
}
END_TEST

/* ---- fd plans, run against a model fd table ---- */

#define MODEL_FDS (FDPLAN_MAX_TARGET + 64)

struct model {
        int obj[MODEL_FDS]; /* 0: closed, else an object id */
        bool cloexec[MODEL_FDS];
};

static int model_lowest_free(struct model *m, int from)
{
        for (int fd = from; fd < MODEL_FDS; fd++) {
                if (!m->obj[fd])
                        return fd;
        }
        ck_abort_msg("model fd table full");
        return -1;
}

/* Executes the computed ops the way fdplan_apply does, then the CLOEXEC marking and exec. */
static void model_run(struct model *m, const struct fdplan *p)
{
        int temps[FDPLAN_MAX];

        for (int i = 0; i < p->nops; i++) {
                const struct fdplan_op *op = &p->ops[i];
                int s = op->src < 0 ? temps[-op->src - 1] : op->src;

                if (!m->obj[s])
                        ck_abort_msg("op %d reads closed fd %d", i, s);
                switch (op->kind) {
                case FDOP_DUP_TEMP:
                        temps[op->dst] = model_lowest_free(m, p->max_target + 1);
                        m->obj[temps[op->dst]] = m->obj[s];
                        m->cloexec[temps[op->dst]] = true;
                        break;
                case FDOP_DUP2:
                        m->obj[op->dst] = m->obj[s];
                        m->cloexec[op->dst] = false;
                        break;
                case FDOP_CLEAR_CLOEXEC:
                        m->cloexec[s] = false;
                        break;
                }
        }
        for (int fd = 0; fd < MODEL_FDS; fd++) {
                if (fd >= FDPLAN_MAX_TARGET || !p->is_target[fd])
                        m->cloexec[fd] = true;
                if (m->cloexec[fd])
                        m->obj[fd] = 0; /* execve */
        }
}

static void check_plan(const struct fdplan_move *mv, int n, int open_fds)
{
        struct model m;
        struct fdplan *p = calloc(1, sizeof *p);
        struct cerr err = {0};

        memset(&m, 0, sizeof m);
        for (int fd = 0; fd < open_fds; fd++) {
                m.obj[fd] = 1000 + fd;
                m.cloexec[fd] = fd > 2;
        }
        if (fdplan_compute(p, mv, n, &err) < 0)
                ck_abort_msg("fdplan_compute: %s", err.msg);
        model_run(&m, p);
        /* plain ifs: every passing ck_assert writes a checkpoint, too slow in these loops */
        for (int i = 0; i < n; i++) {
                if (m.obj[mv[i].dst] != 1000 + mv[i].src)
                        ck_abort_msg("fd %d holds %d, wanted fd %d", mv[i].dst,
                                     m.obj[mv[i].dst] - 1000, mv[i].src);
        }
        for (int fd = 0; fd < MODEL_FDS; fd++) {
                bool want = false;

                for (int i = 0; i < n; i++)
                        want |= mv[i].dst == fd;
                if (!!m.obj[fd] != want)
                        ck_abort_msg("fd %d is %s after exec", fd, m.obj[fd] ? "open" : "closed");
        }
        free(p);
}

START_TEST(fdplan_identity_and_renumber)
{
        const struct fdplan_move mv[] = {{0, 0}, {1, 1}, {2, 2}, {7, 3}, {9, 4}};

        check_plan(mv, 5, 12);
}
END_TEST

START_TEST(fdplan_swap)
{
        const struct fdplan_move mv[] = {{0, 0}, {1, 1}, {2, 2}, {3, 4}, {4, 3}};
        struct fdplan *p = calloc(1, sizeof *p);
        struct cerr err = {0};

        check_plan(mv, 5, 8);
        /* a swap needs exactly one temporary */
        ck_assert_int_eq(fdplan_compute(p, mv, 5, &err), 0);
        ck_assert_int_eq(p->ntemps, 1);
        free(p);
}
END_TEST

START_TEST(fdplan_chain_and_collision)
{
        /* 3 is both a source (-> 4) and a target (of 7); 4 is a source of 5 */
        const struct fdplan_move mv[] = {{3, 4}, {7, 3}, {4, 5}, {0, 0}, {1, 1}, {2, 2}};
        struct fdplan *p = calloc(1, sizeof *p);
        struct cerr err = {0};

        check_plan(mv, 6, 10);
        ck_assert_int_eq(fdplan_compute(p, mv, 6, &err), 0);
        ck_assert_int_eq(p->ntemps, 0); /* a chain needs no temporary, only order */
        free(p);
}
END_TEST

START_TEST(fdplan_rotation_and_fanout)
{
        /* 3->4->5->3 rotation, plus one source feeding stdout and stderr */
        const struct fdplan_move mv[] = {{3, 4}, {4, 5}, {5, 3}, {6, 1}, {6, 2}, {0, 0}};
        const struct fdplan_move all_stdio[] = {{2, 0}, {0, 1}, {1, 2}};

        check_plan(mv, 6, 8);
        check_plan(all_stdio, 3, 3);
}
END_TEST

START_TEST(fdplan_rejects)
{
        struct fdplan *p = calloc(1, sizeof *p);
        struct cerr err = {0};
        const struct fdplan_move dup_target[] = {{3, 3}, {4, 3}};
        const struct fdplan_move neg[] = {{-1, 3}};
        const struct fdplan_move far[] = {{3, FDPLAN_MAX_TARGET}};

        ck_assert_int_eq(fdplan_compute(p, dup_target, 2, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "target of two moves"));
        ck_assert_int_eq(fdplan_compute(p, neg, 1, &err), -1);
        ck_assert_int_eq(fdplan_compute(p, far, 1, &err), -1);
        ck_assert_int_eq(fdplan_compute(p, neg, FDPLAN_MAX + 1, &err), -1);
        ck_assert_int_eq(err.errnum, E2BIG);
        free(p);
}
END_TEST

START_TEST(fdplan_random_permutations)
{
        /* Random plans over a small range: every permutation-with-fanout must come out right. */
        unsigned seed = 12345;

        for (int round = 0; round < 2000; round++) {
                struct fdplan_move mv[12];
                bool used[12] = {false};
                int n = 1 + (int)(rand_r(&seed) % 12);

                for (int i = 0; i < n; i++) {
                        int dst;

                        do
                                dst = (int)(rand_r(&seed) % 12);
                        while (used[dst]);
                        used[dst] = true;
                        mv[i].dst = dst;
                        mv[i].src = (int)(rand_r(&seed) % 14);
                }
                check_plan(mv, n, 14);
        }
}
END_TEST

START_TEST(signal_names)
{
        ck_assert_str_eq(sig_name(SIGSEGV), "SIGSEGV");
        ck_assert_str_eq(sig_name(SIGRTMIN + 2), "SIGRTMIN+2");
        ck_assert_int_eq(sig_parse("SIGTERM"), SIGTERM);
        ck_assert_int_eq(sig_parse("term"), SIGTERM);
        ck_assert_int_eq(sig_parse("9"), SIGKILL);
        ck_assert_int_eq(sig_parse("RTMIN+1"), SIGRTMIN + 1);
        ck_assert_int_eq(sig_parse("SIGRTMAX-1"), SIGRTMAX - 1);
        ck_assert_int_eq(sig_parse("SIGRTMAX+1"), -1);
        ck_assert_int_eq(sig_parse("NOPE"), -1);
        ck_assert_int_eq(sig_parse("0"), -1);
        ck_assert_int_eq(sig_parse("65"), -1);
        ck_assert_int_eq(sig_parse(""), -1);
        for (int s = 1; s <= SIGRTMAX; s++) {
                if (s == 32 || s == 33)
                        continue; /* glibc-internal real-time signals */
                ck_assert_int_eq(sig_parse(sig_name(s)), s);
        }
}
END_TEST

/* ---- resource limits through either cgroup version (ns/cgroup_limits.c) ---- */

static const struct cg_backend *backend(enum cg_source src)
{
        static struct cg_mounts m;

        memset(&m, 0, sizeof m);
        for (int c = 0; c < CG_NCTRL; c++) {
                m.ctrl[c].src = src;
                m.ctrl[c].v1.own_dir = "/sys/fs/cgroup/x";
        }
        return cg_backend_for(&m, CG_MEMORY);
}

static const char *writes(const struct cg_backend *b, const struct cg_limits *l, enum cg_ctrl c)
{
        static char out[512];
        struct cg_write w[4];
        int n = b->writes(l, c, w, 4);
        size_t o = 0;

        out[0] = '\0';
        for (int i = 0; i < n; i++)
                o += (size_t)snprintf(out + o, sizeof out - o, "%s%s=%s", i ? " " : "", w[i].file,
                                      w[i].value);
        return out;
}

START_TEST(limits_spelled_per_version)
{
        const struct cg_backend *v2 = backend(CG_SRC_V2), *v1 = backend(CG_SRC_V1);
        struct cg_limits l = {
            .memory_max = {true, 64ULL << 20},
            .memory_high = {true, CG_LIMIT_MAX},
            .tasks_max = {true, CG_LIMIT_MAX},
            .cpu_quota = {true, 5000},
            .cpu_weight = {true, 200},
            .io_weight = {true, 5},
        };

        ck_assert_ptr_nonnull(v2);
        ck_assert_ptr_nonnull(v1);
        ck_assert_ptr_null(backend(CG_SRC_NONE));
        ck_assert_str_eq(v2->name, "v2");
        ck_assert_str_eq(v1->name, "v1");
        ck_assert_uint_eq(cg_limits_mask(&l),
                          (1u << CG_MEMORY) | (1u << CG_PIDS) | (1u << CG_CPU) | (1u << CG_IO));
        ck_assert_str_eq(writes(v2, &l, CG_MEMORY), "memory.max=67108864 memory.high=max");
        ck_assert_str_eq(writes(v2, &l, CG_PIDS), "pids.max=max");
        ck_assert_str_eq(writes(v2, &l, CG_CPU), "cpu.max=50000 100000 cpu.weight=200");
        ck_assert_str_eq(writes(v2, &l, CG_IO), "io.weight=5");
        /* v1: no memory.high (a host warning says so), its own spellings and ranges */
        ck_assert_str_eq(writes(v1, &l, CG_MEMORY), "memory.limit_in_bytes=67108864");
        l.memory_max.value = CG_LIMIT_MAX;
        ck_assert_str_eq(writes(v1, &l, CG_MEMORY), "memory.limit_in_bytes=-1");
        ck_assert_str_eq(writes(v1, &l, CG_PIDS), "pids.max=max");
        ck_assert_str_eq(writes(v1, &l, CG_CPU),
                         "cpu.cfs_period_us=100000 cpu.cfs_quota_us=50000 cpu.shares=2048");
        /* io.weight's default 100 is blkio.weight's 500, as systemd maps it (10..1000) */
        ck_assert_str_eq(writes(v1, &l, CG_IO), "blkio.weight=25");
        l.io_weight.value = 100;
        ck_assert_str_eq(writes(v1, &l, CG_IO), "blkio.weight=500");
        l.io_weight.value = 10000;
        ck_assert_str_eq(writes(v1, &l, CG_IO), "blkio.weight=1000");
        l.io_weight.value = 1;
        ck_assert_str_eq(writes(v1, &l, CG_IO), "blkio.weight=10");
        /* the kernel's minimum quota is 1 ms */
        l.cpu_quota.value = 1;
        ck_assert_str_eq(writes(v2, &l, CG_CPU), "cpu.max=1000 100000 cpu.weight=200");
}
END_TEST

static Suite *cgroup_limits_suite(void)
{
        Suite *s = suite_create("ns-cgroup-limits");
        TCase *tc = tcase_create("backends");

        tcase_add_test(tc, limits_spelled_per_version);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *cgroup_mounts_suite(void)
{
        Suite *s = suite_create("ns-cgroup-mounts");
        TCase *tc = tcase_create("discovery");

        tcase_add_test(tc, hybrid_vm);
        tcase_add_test(tc, pure_v2_delegated_unit);
        tcase_add_test(tc, pure_v2_login_shell_refused);
        tcase_add_test(tc, rootless_decisions);
        tcase_add_test(tc, escaped_mount_and_optional_fields);
        tcase_add_test(tc, legacy_v1_refused);
        tcase_add_test(tc, malformed_mountinfo);
        tcase_add_test(tc, subtree_mount_outside_own);
        tcase_add_test(tc, keyed_files);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *fdplan_suite(void)
{
        Suite *s = suite_create("ns-fdplan");
        TCase *tc = tcase_create("compute");

        tcase_add_test(tc, fdplan_identity_and_renumber);
        tcase_add_test(tc, fdplan_swap);
        tcase_add_test(tc, fdplan_chain_and_collision);
        tcase_add_test(tc, fdplan_rotation_and_fanout);
        tcase_add_test(tc, fdplan_rejects);
        tcase_add_test(tc, fdplan_random_permutations);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *signals_suite(void)
{
        Suite *s = suite_create("ns-signals");
        TCase *tc = tcase_create("names");

        tcase_add_test(tc, signal_names);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {cgroup_mounts_suite, cgroup_limits_suite, fdplan_suite,
                                          signals_suite};

        return th_run("test_ns", TH_UNIT, suites, 4);
}

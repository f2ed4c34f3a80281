/* Unit tests of seccomp compilation (policy/seccomp.c, syscall_groups.c), proven in a child
 * that loads the filter the way the spawner will. No root needed; as root nothing is changed
 * either (every probed call targets a path that does not exist). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../policy/seccomp_policy.h"
#include "../policy/units.h"
#include "harness.h"
#include "policy_samples.h"

/* ---- seccomp ---- */

/* valgrind does not implement seccomp(2): libseccomp's probe of the kernel fails under it
 * and a child cannot load a filter. Under valgrind the filters are still compiled (main()
 * tells libseccomp the kernel's API level), but not loaded. */
static bool under_valgrind(void)
{
        const char *preload = getenv("LD_PRELOAD");

        return preload && strstr(preload, "vgpreload") != NULL;
}

#define SKIP_LOAD_UNDER_VALGRIND(prog)                                                             \
        do {                                                                                       \
                if (under_valgrind()) {                                                            \
                        seccomp_fprog_free(prog);                                                  \
                        return;                                                                    \
                }                                                                                  \
        } while (0)

enum probe {
        PROBE_MOUNT,
        PROBE_UMOUNT,
        PROBE_SWAPOFF,
        PROBE_CHROOT,
        PROBE_DELETE_MODULE,
        PROBE_GETPID,
        PROBE_UNAME,
};

/* Every probe targets something that does not exist: harmless as root too. */
static long probe_call(enum probe what)
{
        struct utsname u;

        switch (what) {
        case PROBE_MOUNT:
                return mount("none", "/nonexistent-corral-test", "tmpfs", 0, NULL);
        case PROBE_UMOUNT:
                return umount2("/nonexistent-corral-test", 0);
        case PROBE_SWAPOFF:
                return swapoff("/nonexistent-corral-test");
        case PROBE_CHROOT:
                return chroot("/nonexistent-corral-test");
        case PROBE_DELETE_MODULE:
                return syscall(SYS_delete_module, "corral_no_such_module", O_NONBLOCK);
        case PROBE_GETPID:
                return syscall(SYS_getpid) > 0 ? 0 : -1;
        default:
                return syscall(SYS_uname, &u);
        }
}

#define PROBE_OK      250 /* the call succeeded */
#define PROBE_NO_LOAD 251 /* the filter could not be loaded */

/* Run one call in a child, after loading prog (if any) exactly as the spawner's child will:
 * PR_SET_NO_NEW_PRIVS, then the raw seccomp(2) syscall. Returns the wait status; the exit
 * code is the call's errno, or PROBE_OK. */
static int run_probe(const struct sock_fprog *prog, enum probe what)
{
        int status;
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                long r;

                if (prog && prog->len) {
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
                                _exit(PROBE_NO_LOAD);
                }
                r = probe_call(what);
                /* Not _exit(): under ASan every call of a noreturn function first runs
                 * __asan_handle_no_return, which calls sigaltstack(2), and an allow list
                 * denies that. A plain syscall is no such call. */
                syscall(SYS_exit_group, r >= 0 ? PROBE_OK : (errno & 0xff));
                for (;;)
                        ;
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return status;
}

static int probe_errno(const struct sock_fprog *prog, enum probe what)
{
        int status = run_probe(prog, what);

        ck_assert_msg(WIFEXITED(status), "probe %d died of signal %d", what,
                      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        ck_assert_msg(WEXITSTATUS(status) != PROBE_NO_LOAD, "the filter did not load");
        return WEXITSTATUS(status);
}

static void compile_policy(const char *text, struct sock_fprog *prog)
{
        struct policy pol;
        struct cerr err = {0};

        ck_assert_msg(load_str(text, &pol, &err) == 0, "%s", err.msg);
        ck_assert_msg(seccomp_compile(&pol.profiles[0], prog, &err) == 0, "%s", err.msg);
        ck_assert_uint_gt(prog->len, 0);
        ck_assert_ptr_nonnull(prog->filter);
        policy_free(&pol);
}

START_TEST(groups_table)
{
        size_t n = syscall_group_count();
        static const char *const required[] = {
            "@mount",         "@reboot", "@swap",     "@module",     "@raw-io",    "@clock",
            "@cpu-emulation", "@debug",  "@obsolete", "@privileged", "@resources", "@network-io"};

        for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
                ck_assert_msg(syscall_group_find(required[i]) != NULL, "%s missing", required[i]);
        for (size_t i = 0; i < n; i++) {
                const struct syscall_group *g = syscall_group_at(i);
                int known = 0;

                for (const char *const *m = g->members; *m; m++) {
                        if ((*m)[0] == '@') {
                                if (!syscall_group_find(*m))
                                        ck_abort_msg("%s names unknown group %s", g->name, *m);
                                known++;
                        } else if (syscall_name_valid(*m)) {
                                known++;
                        }
                }
                if (known == 0)
                        ck_abort_msg("%s: libseccomp knows none of its members", g->name);
        }
        ck_assert(syscall_name_valid("socketcall")); /* absent on x86-64, still a name */
        ck_assert(!syscall_name_valid("not_a_syscall"));
}
END_TEST

START_TEST(no_filter)
{
        struct profile p;
        struct sock_fprog prog = {.len = 7};
        struct cerr err = {0};

        profile_default(&p, "t");
        /* (the default profile's deny list and RestrictNamespaces=yes: both off) */
        strlist_clear(&p.syscall_filter.names);
        p.syscall_filter.set = false;
        p.restrict_namespaces = 0;
        ck_assert_int_eq(seccomp_compile(&p, &prog, &err), 0);
        ck_assert_uint_eq(prog.len, 0);
        ck_assert_ptr_null(prog.filter);
        if (!under_valgrind())
                ck_assert_int_eq(probe_errno(&prog, PROBE_GETPID), PROBE_OK);
        profile_free(&p);
}
END_TEST

/* ~@mount with EPERM: mount(2) fails with EPERM. As root the same call without a filter
 * fails with ENOENT (the target does not exist), which shows the EPERM came from the
 * filter; unprivileged, EPERM is what the kernel says anyway, so the EHOSTDOWN tests
 * below carry the proof there. */
START_TEST(deny_mount_eperm)
{
        struct sock_fprog prog;
        int unfiltered = probe_errno(NULL, PROBE_MOUNT);

        compile_policy("[profile m]\nSystemCallFilter = ~@mount\nSystemCallErrorNumber = EPERM\n",
                       &prog);
        SKIP_LOAD_UNDER_VALGRIND(&prog);
        ck_assert_int_eq(probe_errno(&prog, PROBE_MOUNT), EPERM);
        ck_assert_int_eq(probe_errno(&prog, PROBE_UMOUNT), EPERM);
        if (geteuid() == 0)
                ck_assert_int_ne(unfiltered, EPERM);
        ck_assert_int_eq(probe_errno(&prog, PROBE_GETPID), PROBE_OK); /* the rest: allowed */
        seccomp_fprog_free(&prog);
        ck_assert_ptr_null(prog.filter);
}
END_TEST

/* The default profile's filter built into the library (policy/seccomp_builtin.c) is what
 * libseccomp compiles for it now, and only a profile with the same filter keys gets it. */
START_TEST(builtin_filter_is_a_fresh_compile)
{
        struct profile p;
        struct sock_fprog built, fresh, other = {0};
        struct cerr err = {0};

        profile_default(&p, "default");
        ck_assert_int_eq(seccomp_compile(&p, &built, &err), 0);
        seccomp_builtin_disabled = true;
        ck_assert_int_eq(seccomp_compile(&p, &fresh, &err), 0);
        seccomp_builtin_disabled = false;
        ck_assert_uint_gt(fresh.len, 0);
        ck_assert_uint_eq(built.len, fresh.len);
        ck_assert_int_eq(memcmp(built.filter, fresh.filter, fresh.len * sizeof fresh.filter[0]), 0);
        /* (valgrind has no seccomp(2): the builtin's kernel check fails, libseccomp compiles) */
        if (!under_valgrind()) {
                ck_assert_int_eq(seccomp_builtin(&p, &other), 1);
                seccomp_fprog_free(&other);
        }
        p.syscall_filter.error_number = EACCES; /* any other key: compiled */
        ck_assert_int_eq(seccomp_builtin(&p, &other), 0);
        ck_assert_ptr_null(other.filter);
        seccomp_fprog_free(&built);
        seccomp_fprog_free(&fresh);
        profile_free(&p);
}
END_TEST

/* A distinctive errno no kernel path returns for these calls proves the filter answered. */
START_TEST(deny_distinct_errno)
{
        struct sock_fprog prog;
        static const enum probe probes[] = {PROBE_MOUNT, PROBE_UMOUNT, PROBE_SWAPOFF};

        compile_policy("[profile m]\nSystemCallFilter = ~@mount\nSystemCallFilter = ~@swap\n"
                       "SystemCallErrorNumber = EHOSTDOWN\n",
                       &prog);
        SKIP_LOAD_UNDER_VALGRIND(&prog);
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
                int plain = probe_errno(NULL, probes[i]);

                /* positive control: unfiltered, the call reaches the kernel */
                ck_assert_int_ne(plain, EHOSTDOWN);
                ck_assert_int_ne(plain, PROBE_OK);
                ck_assert_int_eq(probe_errno(&prog, probes[i]), EHOSTDOWN);
        }
        ck_assert_int_eq(probe_errno(&prog, PROBE_CHROOT) == EHOSTDOWN, 1); /* chroot: @mount */
        ck_assert_int_eq(probe_errno(&prog, PROBE_UNAME), PROBE_OK);
        seccomp_fprog_free(&prog);
}
END_TEST

/* Without SystemCallErrorNumber= a denied call kills the process: it dies of SIGSYS. */
START_TEST(deny_kills)
{
        struct sock_fprog prog;
        int status;

        compile_policy("[profile k]\nSystemCallFilter = ~@swap\n", &prog);
        SKIP_LOAD_UNDER_VALGRIND(&prog);
        status = run_probe(&prog, PROBE_SWAPOFF);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
                      "expected death by SIGSYS, got status 0x%x", status);
        /* controls: other calls live on; unfiltered, swapoff just fails */
        ck_assert_int_eq(probe_errno(&prog, PROBE_GETPID), PROBE_OK);
        status = run_probe(NULL, PROBE_SWAPOFF);
        ck_assert(WIFEXITED(status));
        seccomp_fprog_free(&prog);
}
END_TEST

/* An allow list: listed calls and @default pass, everything else gets the deny action. */
START_TEST(allow_list)
{
        struct sock_fprog prog;

        compile_policy("[profile a]\nSystemCallFilter = getpid write\n"
                       "SystemCallErrorNumber = EHOSTDOWN\n",
                       &prog);
        SKIP_LOAD_UNDER_VALGRIND(&prog);
        ck_assert_int_eq(probe_errno(&prog, PROBE_GETPID), PROBE_OK);
        ck_assert_int_eq(probe_errno(&prog, PROBE_UNAME), EHOSTDOWN);
        ck_assert_int_eq(probe_errno(NULL, PROBE_UNAME), PROBE_OK); /* control */
        seccomp_fprog_free(&prog);
        /* without an errno, the first call outside the list kills */
        compile_policy("[profile a]\nSystemCallFilter = @basic-io\n", &prog);
        ck_assert_int_eq(probe_errno(&prog, PROBE_GETPID), PROBE_OK); /* @default */
        {
                int status = run_probe(&prog, PROBE_UNAME);

                ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
        }
        seccomp_fprog_free(&prog);
}
END_TEST

/* The 40 names over five lines: the first, a middle one and the last are all denied. */
START_TEST(forty_entries_denied)
{
        char *text = forty_policy();
        struct sock_fprog prog;
        static const enum probe probes[] = {PROBE_SWAPOFF, PROBE_CHROOT, PROBE_DELETE_MODULE};

        ck_assert_str_eq(forty[0], "swapoff");
        ck_assert_str_eq(forty[19], "chroot");
        ck_assert_str_eq(forty[39], "delete_module");
        compile_policy(text, &prog);
        free(text);
        SKIP_LOAD_UNDER_VALGRIND(&prog);
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
                ck_assert_int_ne(probe_errno(NULL, probes[i]), EHOSTDOWN);
                ck_assert_int_eq(probe_errno(&prog, probes[i]), EHOSTDOWN);
        }
        ck_assert_int_eq(probe_errno(&prog, PROBE_GETPID), PROBE_OK);
        seccomp_fprog_free(&prog);
}
END_TEST

/* ---- stacking: the evaluator, checked against the kernel ---- */

static const int probe_nr[] = {[PROBE_MOUNT] = SCMP_SYS(mount),
                               [PROBE_UMOUNT] = SCMP_SYS(umount2),
                               [PROBE_SWAPOFF] = SCMP_SYS(swapoff),
                               [PROBE_CHROOT] = SCMP_SYS(chroot),
                               [PROBE_DELETE_MODULE] = SCMP_SYS(delete_module),
                               [PROBE_GETPID] = SCMP_SYS(getpid),
                               [PROBE_UNAME] = SCMP_SYS(uname)};
#define NPROBES ((int)(sizeof probe_nr / sizeof probe_nr[0]))

/* Load every program of chain in order (as the shim does), then make the call: the wait
 * status, as run_probe(). */
static int run_chain(const struct sock_fprog *const *chain, size_t n, enum probe what)
{
        int status;
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                long r;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(PROBE_NO_LOAD);
                for (size_t i = 0; i < n; i++) {
                        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, chain[i]) < 0)
                                syscall(SYS_exit_group, PROBE_NO_LOAD);
                }
                r = probe_call(what);
                syscall(SYS_exit_group, r >= 0 ? PROBE_OK : (errno & 0xff));
                for (;;)
                        ;
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return status;
}

/* What the kernel should do to a probe by the evaluator's verdict, as run_probe() reports
 * it: the unfiltered outcome when allowed, the errno, or a death by SIGSYS. */
static int predicted(const struct sock_fprog *const *chain, size_t n, enum probe what)
{
        struct seccomp_data d = {.nr = probe_nr[what], .arch = seccomp_arch_native()};
        uint32_t ret;

        ck_assert_int_eq(seccomp_chain_eval(chain, n, &d, &ret), 0);
        switch (ret & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ALLOW:
                return run_probe(NULL, what);
        case SECCOMP_RET_ERRNO:
                return (int)(ret & SECCOMP_RET_DATA) << 8; /* exited with the errno */
        case SECCOMP_RET_KILL_PROCESS:
        case SECCOMP_RET_KILL_THREAD:
                return SIGSYS;
        default:
                ck_abort_msg("probe %d: unexpected action 0x%x", what, ret);
                return -1;
        }
}

static void assert_chain_as_predicted(const struct sock_fprog *const *chain, size_t n,
                                      const char *what)
{
        for (int i = 0; i < NPROBES; i++) {
                int want = predicted(chain, n, (enum probe)i);
                int got = run_chain(chain, n, (enum probe)i);

                ck_assert_msg(WIFEXITED(got) || WIFSIGNALED(got), "%s: probe %d", what, i);
                ck_assert_msg(WIFEXITED(got) ? WEXITSTATUS(got) != PROBE_NO_LOAD : true,
                              "%s: the chain did not load", what);
                if (WIFSIGNALED(got))
                        got = WTERMSIG(got); /* (whether it dumped core is the host's business) */
                if (WIFSIGNALED(want))
                        want = WTERMSIG(want);
                ck_assert_msg(want == got,
                              "%s: probe %d: predicted status 0x%x, the kernel gave 0x%x", what, i,
                              (unsigned)want, (unsigned)got);
        }
}

/* seccomp_eval predicts what the kernel does with each compiled program, for every probe. */
START_TEST(eval_matches_the_kernel)
{
        static const char *const texts[] = {
            "[profile d]\n", /* the default deny list and RestrictNamespaces= */
            "[profile m]\nSystemCallFilter = ~@mount\nSystemCallErrorNumber = EPERM\n",
            "[profile e]\nSystemCallFilter = ~swapoff:EHOSTDOWN chroot:EXDEV\n",
            "[profile k]\nSystemCallFilter = ~@swap\n",
            "[profile a]\nSystemCallFilter = getpid\nSystemCallErrorNumber = EHOSTDOWN\n",
        };

        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
                struct sock_fprog prog;
                const struct sock_fprog *one[] = {&prog};

                compile_policy(texts[i], &prog);
                if (!under_valgrind())
                        assert_chain_as_predicted(one, 1, texts[i]);
                seccomp_fprog_free(&prog);
        }
}
END_TEST

/* Stacked filters: the most restrictive action wins, and of two errnos the filter loaded
 * last decides (kernel/seccomp.c walks from the newest); the evaluator says the same. */
START_TEST(chain_most_restrictive_wins_and_last_loaded_breaks_ties)
{
        struct sock_fprog a, b, k;
        const struct sock_fprog *ab[] = {&a, &b}, *ba[] = {&b, &a}, *ak[] = {&a, &k};
        struct seccomp_data d = {.nr = SCMP_SYS(mount), .arch = seccomp_arch_native()};
        uint32_t ret;

        compile_policy("[profile a]\nSystemCallFilter = ~mount:EXDEV chroot:EXDEV\n", &a);
        compile_policy("[profile b]\nSystemCallFilter = ~mount:EHOSTDOWN swapoff:EHOSTDOWN\n", &b);
        compile_policy("[profile k]\nSystemCallFilter = ~chroot\n", &k);
        ck_assert_int_eq(seccomp_chain_eval(ab, 2, &d, &ret), 0);
        ck_assert_uint_eq(ret, SECCOMP_RET_ERRNO | EHOSTDOWN);
        ck_assert_int_eq(seccomp_chain_eval(ba, 2, &d, &ret), 0);
        ck_assert_uint_eq(ret, SECCOMP_RET_ERRNO | EXDEV);
        d.nr = SCMP_SYS(chroot);
        ck_assert_int_eq(seccomp_chain_eval(ak, 2, &d, &ret), 0);
        ck_assert_uint_eq(ret & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_KILL_PROCESS);
        /* the kernel agrees, call by call (each filter's own calls too: the union applies) */
        if (!under_valgrind()) {
                assert_chain_as_predicted(ab, 2, "a then b");
                assert_chain_as_predicted(ba, 2, "b then a");
                assert_chain_as_predicted(ak, 2, "a then k");
        }
        ck_assert_uint_eq(seccomp_chain_insns(ab, 2),
                          seccomp_kernel_len(&a) + seccomp_kernel_len(&b) + 4u);
        ck_assert_uint_eq(seccomp_chain_insns(ab, 1), seccomp_kernel_len(&a));
        ck_assert_uint_gt(seccomp_kernel_len(&a), a.len); /* converted: longer */
        seccomp_fprog_free(&a);
        seccomp_fprog_free(&b);
        seccomp_fprog_free(&k);
}
END_TEST

/* An allow list without seccomp(2) refuses every later filter: it can only be loaded last,
 * which the evaluator tells (the spawner orders a chain by it). */
START_TEST(allow_list_without_seccomp_only_loads_last)
{
        struct sock_fprog allow, allow_sc, deny;
        const struct sock_fprog *first[] = {&allow, &deny}, *last[] = {&deny, &allow};
        int status;

        compile_policy("[profile a]\nSystemCallFilter = @basic-io getpid uname\n"
                       "SystemCallErrorNumber = EHOSTDOWN\n",
                       &allow);
        compile_policy("[profile s]\nSystemCallFilter = @basic-io getpid uname seccomp\n"
                       "SystemCallErrorNumber = EHOSTDOWN\n",
                       &allow_sc);
        compile_policy("[profile d]\nSystemCallFilter = ~chroot:EXDEV\n", &deny);
        ck_assert(!seccomp_allows_filters(&allow));
        ck_assert(seccomp_allows_filters(&allow_sc));
        ck_assert(seccomp_allows_filters(&deny));
        ck_assert(seccomp_allows_filters(NULL));
        if (!under_valgrind()) {
                status = run_chain(first, 2, PROBE_GETPID);
                ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == PROBE_NO_LOAD,
                              "a second filter loaded under an allow list without seccomp");
                /* control: the other order loads, and both apply */
                assert_chain_as_predicted(last, 2, "deny then allow");
                ck_assert_int_eq(probe_errno(&allow_sc, PROBE_CHROOT), EHOSTDOWN);
        }
        seccomp_fprog_free(&allow);
        seccomp_fprog_free(&allow_sc);
        seccomp_fprog_free(&deny);
}
END_TEST

/* A filter of n classic instructions that allows everything: n-1 loads of a constant and a
 * return, n + 4 once the kernel converted it (3 of prologue, RET K is 2). */
static struct sock_fprog filler(unsigned n)
{
        struct sock_filter *f = calloc(n, sizeof *f);

        ck_assert_ptr_nonnull(f);
        for (unsigned i = 0; i + 1 < n; i++)
                f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, i);
        f[n - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        return (struct sock_fprog){.len = (unsigned short)n, .filter = f};
}

/* Load fillers and then p in a child, so that the chain is exactly `total` instructions as
 * seccomp_chain_insns() counts it: 0 when the kernel took all of it, else its errno. */
static int load_to(const struct sock_fprog *p, uint32_t total)
{
        const struct sock_fprog *chain[16];
        struct sock_fprog fill[16];
        uint32_t left = total - seccomp_kernel_len(p);
        size_t n = 0;
        int status;
        pid_t pid;

        /* (each filler costs its length + 4 for the filter after it, and is 4,100 at most) */
        while (left > 0) {
                uint32_t take = left - 4 > 4100 ? 4100 : left - 4;

                ck_assert_uint_ge(take, 6);
                fill[n] = filler(take - 4);
                ck_assert_uint_eq(seccomp_kernel_len(&fill[n]), take);
                chain[n] = &fill[n];
                n++;
                left -= take + 4;
        }
        chain[n] = p;
        ck_assert_uint_eq(seccomp_chain_insns(chain, n + 1), total);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(255);
                for (size_t i = 0; i <= n; i++) {
                        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, chain[i]) < 0)
                                syscall(SYS_exit_group, errno);
                }
                syscall(SYS_exit_group, 0);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        for (size_t i = 0; i < n; i++)
                free(fill[i].filter);
        ck_assert(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* The kernel's own count, pinned from both sides: a chain that our count puts exactly at the
 * limit loads, one instruction more is refused with ENOMEM. A count off by one either way
 * fails one of the two. */
START_TEST(chain_count_is_the_kernels)
{
        static const char *const texts[] = {
            "[profile d]\n",
            "[profile a]\nSystemCallFilter = @system-service\nSystemCallErrorNumber = EPERM\n",
            "[profile e]\nSystemCallFilter = ~swapoff:EHOSTDOWN chroot:EXDEV @privileged\n",
        };

        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
                struct sock_fprog prog;
                int e;

                compile_policy(texts[i], &prog);
                if (!under_valgrind()) {
                        e = load_to(&prog, SECCOMP_CHAIN_INSNS_MAX);
                        ck_assert_msg(e == 0, "%s: a chain at the limit was refused: %s", texts[i],
                                      strerror(e));
                        e = load_to(&prog, SECCOMP_CHAIN_INSNS_MAX + 1);
                        ck_assert_msg(e == ENOMEM, "%s: one instruction over, the kernel said %s",
                                      texts[i], e ? strerror(e) : "nothing");
                }
                seccomp_fprog_free(&prog);
        }
}
END_TEST

/* Programs the kernel would refuse are refused, never run past their end. */
START_TEST(eval_refuses_what_the_kernel_would)
{
        struct seccomp_data d = {.nr = 1};
        uint32_t ret = 0;
        struct sock_filter ok[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                                   BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
                                   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 5),
                                   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_filter far[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 3, 0),
                                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_filter past[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof d)};
        struct sock_filter no_ret[] = {BPF_STMT(BPF_LD | BPF_IMM, 1)};
        struct sock_fprog p = {.len = 4, .filter = ok};

        ck_assert_int_eq(seccomp_eval(&p, &d, &ret), 0);
        ck_assert_uint_eq(ret, SECCOMP_RET_ERRNO | 5);
        d.nr = 2;
        ck_assert_int_eq(seccomp_eval(&p, &d, &ret), 0);
        ck_assert_uint_eq(ret, SECCOMP_RET_ALLOW);
        p = (struct sock_fprog){.len = 2, .filter = far};
        ck_assert_int_eq(seccomp_eval(&p, &d, &ret), -1);
        p = (struct sock_fprog){.len = 1, .filter = past};
        ck_assert_int_eq(seccomp_eval(&p, &d, &ret), -1);
        p = (struct sock_fprog){.len = 1, .filter = no_ret};
        ck_assert_int_eq(seccomp_eval(&p, &d, &ret), -1);
        /* (one that the evaluator cannot vouch for is not loaded before another) */
        ck_assert(!seccomp_allows_filters(&p));
}
END_TEST

static Suite *seccomp_suite(void)
{
        Suite *s = suite_create("policy-seccomp");
        TCase *tc = tcase_create("seccomp");

        tcase_add_test(tc, groups_table);
        tcase_add_test(tc, no_filter);
        tcase_add_test(tc, deny_mount_eperm);
        tcase_add_test(tc, builtin_filter_is_a_fresh_compile);
        tcase_add_test(tc, deny_distinct_errno);
        tcase_add_test(tc, deny_kills);
        tcase_add_test(tc, allow_list);
        tcase_add_test(tc, forty_entries_denied);
        tcase_add_test(tc, eval_matches_the_kernel);
        tcase_add_test(tc, chain_most_restrictive_wins_and_last_loaded_breaks_ties);
        tcase_add_test(tc, allow_list_without_seccomp_only_loads_last);
        tcase_add_test(tc, eval_refuses_what_the_kernel_would);
        tcase_add_test(tc, chain_count_is_the_kernels);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {seccomp_suite};

        if (under_valgrind()) {
                fprintf(stderr, "test_seccomp: under valgrind: seccomp filters are compiled but "
                                "not loaded (valgrind has no seccomp(2))\n");
                /* 3: SECCOMP_RET_KILL_PROCESS and friends, which the kernel has */
                seccomp_api_set(3);
        }

        return th_run("test_seccomp", TH_UNIT, suites, 1);
}

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

static Suite *seccomp_suite(void)
{
        Suite *s = suite_create("policy-seccomp");
        TCase *tc = tcase_create("seccomp");

        tcase_add_test(tc, groups_table);
        tcase_add_test(tc, no_filter);
        tcase_add_test(tc, deny_mount_eperm);
        tcase_add_test(tc, deny_distinct_errno);
        tcase_add_test(tc, deny_kills);
        tcase_add_test(tc, allow_list);
        tcase_add_test(tc, forty_entries_denied);
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

/* Privileged acceptance tests of the default profile's smaller kernel surface: the default
 * deny list (in every syscall table an x86-64 process reaches), RestrictNamespaces=yes, the
 * user keyring out of reach, PrivateDevices=yes and a bounded PrivateTmpSize=. Each "must
 * fail" has its control in the same test: the same actor with the setting off (and the
 * capability granted) gets past it, so the test proves corral's setting and not the host's
 * refusal. Where the host itself forbids a call, the control says so and is skipped. The
 * actor's modes are in tests/actors/surface.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char name[64];
static char last_events[8192]; /* corral's event log of the last run() */

/* `corral run [extra...] -- actor PROG...`: its exit status, its stdout (any "[name] " prefix
 * stripped) in out. Checks that the tree left nothing. */
static int run(const char *what, const char *const *extra, const char *const *prog, char *out,
               size_t len)
{
        static struct th_proc p;
        char prefix[80];
        const char *src;
        size_t o = 0;
        int code;

        th_run_actor(&p, name, what, extra, prog, NULL, NULL);
        code = th_corral_wait(&p, 20000);
        snprintf(last_events, sizeof last_events, "%s", p.errbuf);
        th_assert_tree_gone(name);
        snprintf(prefix, sizeof prefix, "[%s] ", name);
        for (src = p.outbuf; *src && o < len - 1;) {
                if (strncmp(src, prefix, strlen(prefix)) == 0)
                        src += strlen(prefix);
                while (*src && *src != '\n' && o < len - 2)
                        out[o++] = *src++;
                if (*src == '\n')
                        out[o++] = *src++;
        }
        out[o] = '\0';
        return code;
}

/* What follows "KEY " on the line of out that starts with it ("" when there is none). */
static const char *result_of(const char *out, const char *key, char *buf, size_t len)
{
        char start[64];
        const char *l;

        snprintf(start, sizeof start, "%s ", key);
        l = th_line_starting(out, start);
        buf[0] = '\0';
        if (l) {
                l += strlen(start);
                snprintf(buf, len, "%.*s", (int)strcspn(l, "\n"), l);
        }
        return buf;
}

#define EXPECT(out, text)                                                                          \
        ck_assert_msg(strstr((out), (text)), "wanted '%s' in:\n%s\n(events of the last run:\n%s)", \
                      (text), (out), last_events)

/* The first line of a /proc or /sys file ("" when it cannot be read). */
static const char *read_line(const char *path, char *buf, size_t len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        if (fd >= 0)
                close(fd);
        return buf;
}

/* ---- a. the default deny list ---- */

#define GRANTED "CAP_SYS_MODULE CAP_BPF CAP_SYS_ADMIN CAP_SYS_BOOT CAP_DAC_READ_SEARCH CAP_PERFMON"

static const char *const deny_calls[] = {"add_key",
                                         "keyctl",
                                         "request_key",
                                         "init_module",
                                         "finit_module",
                                         "delete_module",
                                         "bpf",
                                         "perf_event_open",
                                         "userfaultfd",
                                         "io_uring_setup",
                                         "io_uring_enter",
                                         "io_uring_register",
                                         "kexec_load",
                                         "kexec_file_load",
                                         "open_by_handle_at"};
#define N_DENY_CALLS (sizeof deny_calls / sizeof deny_calls[0])

/* Why the host itself refuses `call` to a root caller holding GRANTED (NULL: it does not). */
static const char *host_refuses(const char *call, char *why, size_t len)
{
        char v[128];

        if (strstr(call, "module")) {
                if (access("/proc/modules", F_OK) < 0)
                        return NULL; /* no module support: ENOSYS, which is no EPERM */
                if (atoi(read_line("/proc/sys/kernel/modules_disabled", v, sizeof v)) != 0)
                        return snprintf(why, len,
                                        "modules are disabled "
                                        "(/proc/sys/kernel/modules_disabled is 1)"),
                               why;
                return NULL;
        }
        if (strncmp(call, "kexec", 5) == 0) {
                if (atoi(read_line("/proc/sys/kernel/kexec_load_disabled", v, sizeof v)) != 0)
                        return snprintf(why, len,
                                        "kexec is disabled "
                                        "(/proc/sys/kernel/kexec_load_disabled is 1)"),
                               why;
                if (strstr(read_line("/sys/kernel/security/lockdown", v, sizeof v),
                           "[integrity]") ||
                    strstr(v, "[confidentiality]"))
                        return snprintf(why, len, "the kernel is locked down (%s)", v), why;
                return NULL;
        }
        if (strcmp(call, "perf_event_open") == 0 &&
            atoi(read_line("/proc/sys/kernel/perf_event_paranoid", v, sizeof v)) >= 3)
                return snprintf(why, len,
                                "perf_event_paranoid is %s (Debian's: no perf events "
                                "at all for unprivileged callers)",
                                v),
                       why;
        if (strncmp(call, "io_uring", 8) == 0 &&
            atoi(read_line("/proc/sys/kernel/io_uring_disabled", v, sizeof v)) == 2)
                return snprintf(why, len,
                                "io_uring is disabled "
                                "(/proc/sys/kernel/io_uring_disabled is 2)"),
                       why;
        return NULL;
}

START_TEST(deny_list_returns_eperm_and_control_succeeds)
{
        const char *prog[] = {"denylist", NULL};
        const char *filtered[] = {"--set", "User=root",
                                  "--set", "CapabilityBoundingSet=" GRANTED,
                                  "--set", "AmbientCapabilities=" GRANTED,
                                  NULL};
        const char *control[] = {"--set", "User=root",
                                 "--set", "CapabilityBoundingSet=" GRANTED,
                                 "--set", "AmbientCapabilities=" GRANTED,
                                 "--set", "SystemCallFilter=",
                                 NULL};
        static char out[8192], ctl[8192];
        char got[64], why[160], bad[4096] = "";
        size_t nbad = 0;
        int code;

        /* with the capabilities granted, only the filter answers EPERM */
        code = run("deny", filtered, prog, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        for (size_t i = 0; i < N_DENY_CALLS; i++) {
                if (strcmp(result_of(out, deny_calls[i], got, sizeof got), "errno EPERM") != 0)
                        nbad += (size_t)snprintf(bad + nbad, sizeof bad - nbad,
                                                 "  %s: '%s' under the filter, wanted EPERM\n",
                                                 deny_calls[i], got);
        }
        ck_assert_msg(!bad[0], "the default deny list:\n%sout:\n%s", bad, out);

        /* control: the same actor without the filter gets past it, call by call */
        code = run("deny-ctl", control, prog, ctl, sizeof ctl);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        for (size_t i = 0; i < N_DENY_CALLS; i++) {
                const char *c = deny_calls[i];

                /* (a host that refuses it may still let the capabilities through) */
                if (strcmp(result_of(ctl, c, got, sizeof got), "errno EPERM") == 0 &&
                    host_refuses(c, why, sizeof why)) {
                        fprintf(stderr,
                                "deny_list_returns_eperm_and_control_succeeds: the control of %s "
                                "could not run: %s (without the filter it got '%s'); only its "
                                "refusal under the filter was checked\n",
                                c, why, got);
                        continue;
                }
                if (strcmp(got, "errno ENOSYS") == 0)
                        fprintf(stderr,
                                "deny_list_returns_eperm_and_control_succeeds: this kernel has "
                                "no %s (ENOSYS without the filter): the control shows the "
                                "filter answered first, not what the call would do\n",
                                c);
                if (!got[0] || strcmp(got, "errno EPERM") == 0 ||
                    (strcmp(c, "userfaultfd") == 0 && strcmp(got, "ok") != 0))
                        nbad += (size_t)snprintf(bad + nbad, sizeof bad - nbad,
                                                 "  %s: '%s' without the filter\n", c, got);
        }
        ck_assert_msg(!bad[0],
                      "the controls (wanted anything but EPERM; userfaultfd ok):\n%sout:\n%s", bad,
                      ctl);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- b. the i386 table ---- */

START_TEST(int80_keyctl_is_covered)
{
        const char *prog[] = {"int80", "keyctl", NULL};
        const char *nofilter[] = {"--set", "SystemCallFilter=", "--set", "RestrictNamespaces=no",
                                  NULL};
        char out[512];
        int code;

        /* control first: with no filter at all the i386 keyctl answers */
        code = run("int80-ctl", nofilter, prog, out, sizeof out);
        if (code == 128 + SIGSEGV) {
                fprintf(stderr, "int80_keyctl_is_covered: this kernel runs no i386 code "
                                "(int $0x80 raised SIGSEGV without a filter: IA32 emulation is "
                                "off): nothing to check\n");
                th_assert_tree_gone(name);
                return;
        }
        ck_assert_msg(code == 0, "no filter: exit %d:\n%s", code, last_events);
        EXPECT(out, "int80 keyctl ok ");

        /* the default filter covers the i386 table: EPERM, and the process lives on (a filter
         * for the native table only would kill it with SIGSYS, as a foreign ABI) */
        code = run("int80", NULL, prog, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d (128 + %d is SIGSYS):\n%s", code, SIGSYS, last_events);
        EXPECT(out, "int80 keyctl errno EPERM\n");
        th_assert_tree_gone(name);
}
END_TEST

/* ---- c. RestrictNamespaces= ---- */

static const char *const ns_calls[] = {"unshare-user", "unshare-net", "setns-net", "setns-any",
                                       "clone3"};
#define N_NS_CALLS (sizeof ns_calls / sizeof ns_calls[0])

START_TEST(namespaces_restricted_and_threads_run)
{
        const char *ns[] = {"ns", NULL};
        const char *threads[] = {"threads", "8", NULL};
        const char *admin[] = {"--set", "User=root",
                               "--set", "CapabilityBoundingSet=CAP_SYS_ADMIN",
                               "--set", "AmbientCapabilities=CAP_SYS_ADMIN",
                               NULL};
        const char *open_ns[] = {"--set", "User=root",
                                 "--set", "CapabilityBoundingSet=CAP_SYS_ADMIN",
                                 "--set", "AmbientCapabilities=CAP_SYS_ADMIN",
                                 "--set", "RestrictNamespaces=no",
                                 NULL};
        const char *py[] = {"/usr/bin/python3", "-c",
                            "import threading; t=threading.Thread(target=print, "
                            "args=(\"py-thread ok\",)); t.start(); t.join()",
                            NULL};
        static const char *const restricted[N_NS_CALLS] = {
            "errno EPERM", "errno EPERM", "errno EPERM", "errno EPERM", "errno ENOSYS"};
        static char out[4096];
        char got[64], bad[1024] = "";
        size_t nbad = 0;
        struct th_proc p;
        int code;

        /* the default user; then root with CAP_SYS_ADMIN, which the kernel would let through:
         * the filter refuses both alike */
        for (int k = 0; k < 2; k++) {
                code = run(k ? "ns-admin" : "ns", k ? admin : NULL, ns, out, sizeof out);
                ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
                for (size_t i = 0; i < N_NS_CALLS; i++) {
                        if (strcmp(result_of(out, ns_calls[i], got, sizeof got), restricted[i]) !=
                            0)
                                nbad += (size_t)snprintf(bad + nbad, sizeof bad - nbad,
                                                         "  %s%s: '%s', wanted '%s'\n", ns_calls[i],
                                                         k ? " (root, CAP_SYS_ADMIN)" : "", got,
                                                         restricted[i]);
                }
        }
        ck_assert_msg(!bad[0], "RestrictNamespaces=yes:\n%s", bad);

        /* clone3 ENOSYS: glibc falls back to clone for threads, in C and in Python */
        code = run("threads", NULL, threads, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        EXPECT(out, "threads 8 ok\n");
        th_run_prog(&p, name, "py-threads", NULL, py);
        code = th_corral_wait(&p, 20000);
        ck_assert_msg(code == 0 && th_has_line(p.outbuf, "py-thread ok"),
                      "python3 threads: exit %d, out:\n%s\nevents:\n%s", code, p.outbuf, p.errbuf);
        th_assert_tree_gone(name);

        /* control: RestrictNamespaces=no, with CAP_SYS_ADMIN: every call goes through */
        code = run("ns-open", open_ns, ns, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        for (size_t i = 0; i < N_NS_CALLS; i++) {
                if (strcmp(result_of(out, ns_calls[i], got, sizeof got), "ok") != 0)
                        nbad += (size_t)snprintf(bad + nbad, sizeof bad - nbad,
                                                 "  %s: '%s', wanted 'ok'\n", ns_calls[i], got);
        }
        ck_assert_msg(!bad[0], "RestrictNamespaces=no (root, CAP_SYS_ADMIN):\n%sout:\n%s", bad,
                      out);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- d. the user keyring ---- */

START_TEST(user_keyring_not_shared_between_trees)
{
        const char *open_keys[] = {"--set", "SystemCallFilter=", "--set", "KeyringMode=inherit",
                                   NULL};
        char desc[64], payload[64], want[96];
        const char *put[] = {"keyring-put", desc, payload, NULL};
        const char *get[] = {"keyring-get", desc, NULL};
        const char *clear[] = {"keyring-clear", desc, NULL};
        char dput[256], dget[256], cput[256], cget[256], cclear[256];
        int code[5];

        snprintf(desc, sizeof desc, "corral-surface-%d", (int)getpid());
        snprintf(payload, sizeof payload, "secret-%d", (int)getpid());
        snprintf(want, sizeof want, "keyring-get ok %s\n", payload);
        /* two trees, one after the other, both as the default user (uid 65534) */
        code[0] = run("key-put", NULL, put, dput, sizeof dput);
        code[1] = run("key-get", NULL, get, dget, sizeof dget);
        /* control: without the filter the uid's user keyring carries the key over */
        code[2] = run("key-put-ctl", open_keys, put, cput, sizeof cput);
        code[3] = run("key-get-ctl", open_keys, get, cget, sizeof cget);
        /* the user keyring of uid 65534 outlives its processes: remove the key before any
         * check can end the test */
        code[4] = run("key-clear", open_keys, clear, cclear, sizeof cclear);
        for (int i = 0; i < 5; i++)
                ck_assert_msg(code[i] == 0, "run %d: exit %d", i, code[i]);
        ck_assert_msg(strstr(dput, "keyring-put errno EPERM\n"), "default put:\n%s", dput);
        ck_assert_msg(strstr(dget, "keyring-get errno EPERM\n"), "default get:\n%s", dget);
        ck_assert_msg(strstr(cput, "keyring-put ok "), "control put:\n%s", cput);
        ck_assert_msg(strstr(cget, want), "control get:\n%s", cget);
        ck_assert_msg(strstr(cclear, "keyring-clear ok\n"), "clear:\n%s", cclear);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- e. PrivateDevices= ---- */

/* The "dev NAME" lines of out, space-separated, in their (sorted) order; returns how many. */
static int dev_list(const char *out, char *buf, size_t len)
{
        size_t o = 0;
        int n = 0;

        buf[0] = '\0';
        for (const char *l = out; (l = th_line_starting(l, "dev ")); l++) {
                size_t w = strcspn(l + 4, "\n");

                if (o + w + 2 < len)
                        o += (size_t)snprintf(buf + o, len - o, "%s%.*s", o ? " " : "", (int)w,
                                              l + 4);
                n++;
        }
        return n;
}

START_TEST(private_devices_minimal_dev_and_working_pty)
{
        static const char *const expected[] = {"fd",     "full",   "mqueue",  "null",   "ptmx",
                                               "pts",    "random", "shm",     "stderr", "stdin",
                                               "stdout", "tty",    "urandom", "zero"};
        const char *prog[] = {"devices", NULL};
        const char *nodev[] = {"--set", "PrivateDevices=no", NULL};
        static char out[16384];
        char want[256] = "", list[4096], got[64], host_pts[64];
        struct stat st;
        size_t o = 0;
        int code, n;

        ck_assert_int_eq(stat("/dev/pts", &st), 0);
        snprintf(host_pts, sizeof host_pts, "%llu", (unsigned long long)st.st_dev);
        for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
                char path[32];

                /* the host's nodes are bound in only where the host has them */
                snprintf(path, sizeof path, "/dev/%s", expected[i]);
                if (strstr(" null zero full random urandom tty ", expected[i]) &&
                    access(path, F_OK) < 0) {
                        fprintf(stderr,
                                "private_devices_minimal_dev_and_working_pty: the host "
                                "has no %s: not expected\n",
                                path);
                        continue;
                }
                o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", o ? " " : "", expected[i]);
        }

        code = run("devices", NULL, prog, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        dev_list(out, list, sizeof list);
        ck_assert_msg(strcmp(list, want) == 0, "/dev holds\n  %s\nwanted\n  %s", list, want);
        /* a devpts instance of its own */
        result_of(out, "pts-dev", got, sizeof got);
        ck_assert_msg(got[0] && strcmp(got, host_pts) != 0,
                      "/dev/pts: st_dev '%s', the host's is %s", got, host_pts);
        ck_assert_msg(strstr(out, "pty ok /dev/pts/"), "out:\n%s", out);

        /* control: with PrivateDevices=no, the host's /dev and devpts */
        code = run("devices-host", nodev, prog, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        n = dev_list(out, list, sizeof list);
        ck_assert_msg(n > 14, "PrivateDevices=no: only %d entries in /dev: %s", n, list);
        ck_assert_str_eq(result_of(out, "pts-dev", got, sizeof got), host_pts);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- f. PrivateTmpSize= ---- */

START_TEST(private_tmp_is_bounded)
{
        const char *small[] = {"--set", "PrivateTmpSize=1M", NULL};
        const char *bigger[] = {"--set", "PrivateTmpSize=8M", NULL};
        const char *fill_tmp[] = {"fill", "/tmp/x", "4", NULL};
        const char *fill_var[] = {"fill", "/var/tmp/x", "4", NULL};
        char out[512];
        long long at;
        int code;

        code = run("tmp-1m", small, fill_tmp, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        EXPECT(out, "fill errno ENOSPC at ");
        at = atoll(strstr(out, " at ") + 4);
        ck_assert_msg(at <= 1 << 20, "wrote %lld bytes into a 1M /tmp", at);
        if (access("/var/tmp", F_OK) == 0) {
                code = run("vartmp-1m", small, fill_var, out, sizeof out);
                ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
                EXPECT(out, "fill errno ENOSPC at ");
        }
        /* control: the same 4 MiB fit in 8M */
        code = run("tmp-8m", bigger, fill_tmp, out, sizeof out);
        ck_assert_msg(code == 0, "exit %d:\n%s", code, last_events);
        EXPECT(out, "fill ok\n");
        th_assert_tree_gone(name);
}
END_TEST

static Suite *surface_suite(void)
{
        Suite *s = suite_create("surface-privileged");
        TCase *tc = tcase_create("surface");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, deny_list_returns_eperm_and_control_succeeds);
        tcase_add_test(tc, int80_keyctl_is_covered);
        tcase_add_test(tc, namespaces_restricted_and_threads_run);
        tcase_add_test(tc, user_keyring_not_shared_between_trees);
        tcase_add_test(tc, private_devices_minimal_dev_and_working_pty);
        tcase_add_test(tc, private_tmp_is_bounded);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {surface_suite};

        return th_run("test_surface", TH_PRIVILEGED, suites, 1);
}

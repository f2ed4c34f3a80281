/* Unit tests of policy/: value parsers, the key table, policy files (good ones, and a corpus
 * of broken ones under tests/data/policy/), and seccomp compilation proven in a child that
 * loads the filter the way the spawner will. No root needed; as root nothing is changed
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

static uint64_t dur(const char *s)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_duration(s, false, &v, &err) == 0, "'%s' rejected: %s", s,
                      err.msg);
        return v;
}

static void dur_bad(const char *s, const char *why)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_duration(s, false, &v, &err) == -1, "'%s' accepted", s);
        ck_assert_msg(strstr(err.msg, why) != NULL, "'%s': message '%s' lacks '%s'", s, err.msg,
                      why);
}

START_TEST(durations)
{
        ck_assert_uint_eq(dur("5s"), 5000000);
        ck_assert_uint_eq(dur("5"), 5000000);
        ck_assert_uint_eq(dur("500ms"), 500000);
        ck_assert_uint_eq(dur("250us"), 250);
        ck_assert_uint_eq(dur("1min 30s"), 90000000);
        ck_assert_uint_eq(dur("1min30s"), 90000000);
        ck_assert_uint_eq(dur("2.5s"), 2500000);
        ck_assert_uint_eq(dur("0.001s"), 1000);
        ck_assert_uint_eq(dur("1h"), 3600000000ULL);
        ck_assert_uint_eq(dur("2 min"), 120000000);
        ck_assert_uint_eq(dur("1d 1h"), 90000000000ULL);
        ck_assert_uint_eq(dur("0"), 0);
        ck_assert_uint_eq(dur(" 3s "), 3000000);
}
END_TEST

START_TEST(duration_errors)
{
        struct cerr err = {0};
        uint64_t v;

        dur_bad("-5s", "negative");
        dur_bad("5 parsecs", "unknown unit");
        dur_bad("5x", "unknown unit");
        dur_bad("", "empty");
        dur_bad("s", "expected a duration");
        dur_bad("1min 30", "every part needs a unit");
        dur_bad("1.s", "expected a duration");
        dur_bad("99999999999999999999s", "too large");
        dur_bad("300000000w", "too large");
        dur_bad("infinity", "not allowed");
        ck_assert_int_eq(units_parse_duration("infinity", true, &v, &err), 0);
        ck_assert_uint_eq(v, UNITS_INFINITY);
}
END_TEST

static uint64_t size(const char *s)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_size(s, false, &v, &err) == 0, "'%s' rejected: %s", s, err.msg);
        return v;
}

static void size_bad(const char *s, const char *why)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_size(s, false, &v, &err) == -1, "'%s' accepted", s);
        ck_assert_msg(strstr(err.msg, why) != NULL, "'%s': message '%s' lacks '%s'", s, err.msg,
                      why);
}

START_TEST(sizes)
{
        struct cerr err = {0};
        uint64_t v;
        char buf[32];

        ck_assert_uint_eq(size("4096"), 4096);
        ck_assert_uint_eq(size("512K"), 512 * 1024);
        ck_assert_uint_eq(size("256M"), 256ULL << 20);
        ck_assert_uint_eq(size("1G"), 1ULL << 30);
        ck_assert_uint_eq(size("1.5G"), 3ULL << 29);
        ck_assert_uint_eq(size("2T"), 2ULL << 40);
        ck_assert_uint_eq(size("0"), 0);
        ck_assert_int_eq(units_parse_size("infinity", true, &v, &err), 0);
        ck_assert_uint_eq(v, UNITS_INFINITY);
        ck_assert_str_eq(units_format_size(256ULL << 20, buf, sizeof buf), "256M");
        ck_assert_str_eq(units_format_size(1000, buf, sizeof buf), "1000");
}
END_TEST

START_TEST(size_errors)
{
        size_bad("-1M", "negative");
        size_bad("12Q", "unknown suffix");
        size_bad("12MB", "unknown suffix");
        size_bad("1.5", "fraction");
        size_bad("M", "expected a size");
        size_bad("", "expected a size");
        size_bad("99999999999E", "too large");
        size_bad("infinity", "not allowed");
}
END_TEST

START_TEST(percentages)
{
        struct cerr err = {0};
        uint64_t v;

        ck_assert_int_eq(units_parse_percent("20%", &v, &err), 0);
        ck_assert_uint_eq(v, 2000);
        ck_assert_int_eq(units_parse_percent("150%", &v, &err), 0);
        ck_assert_uint_eq(v, 15000);
        ck_assert_int_eq(units_parse_percent("12.5%", &v, &err), 0);
        ck_assert_uint_eq(v, 1250);
        ck_assert_int_eq(units_parse_percent("0.25%", &v, &err), 0);
        ck_assert_uint_eq(v, 25);
        ck_assert_int_eq(units_parse_percent("20", &v, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "percentage"));
        ck_assert_int_eq(units_parse_percent("-5%", &v, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "negative"));
        ck_assert_int_eq(units_parse_percent("1.125%", &v, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "two decimals"));
        ck_assert_int_eq(units_parse_percent("%", &v, &err), -1);
        ck_assert_int_eq(units_parse_percent("20%%", &v, &err), -1);
}
END_TEST

START_TEST(counts_and_bools)
{
        struct cerr err = {0};
        uint64_t v;
        bool b;
        char buf[64];

        ck_assert_int_eq(units_parse_count("64", false, &v, &err), 0);
        ck_assert_uint_eq(v, 64);
        ck_assert_int_eq(units_parse_count("infinity", true, &v, &err), 0);
        ck_assert_uint_eq(v, UNITS_INFINITY);
        ck_assert_int_eq(units_parse_count("infinity", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_count("6x", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_count("-6", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_count("184467440737095516150", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_bool("yes", &b, &err), 0);
        ck_assert(b);
        ck_assert_int_eq(units_parse_bool("off", &b, &err), 0);
        ck_assert(!b);
        ck_assert_int_eq(units_parse_bool("maybe", &b, &err), -1);
        ck_assert_str_eq(units_format_duration(90000000, buf, sizeof buf), "1min 30s");
        ck_assert_str_eq(units_format_duration(500000, buf, sizeof buf), "500ms");
}
END_TEST

static Suite *units_suite(void)
{
        Suite *s = suite_create("policy-units");
        TCase *tc = tcase_create("parsers");

        tcase_add_test(tc, durations);
        tcase_add_test(tc, duration_errors);
        tcase_add_test(tc, sizes);
        tcase_add_test(tc, size_errors);
        tcase_add_test(tc, percentages);
        tcase_add_test(tc, counts_and_bools);
        suite_add_tcase(s, tc);
        return s;
}

/* ---- the key table ---- */

static void set_ok(struct profile *p, const char *key, const char *value)
{
        struct cerr err = {0};

        if (profile_set_key(p, key, value, &err) < 0)
                ck_abort_msg("%s = %s rejected: %s", key, value, err.msg);
}

/* The value is rejected, the message starts with the key and contains `why`. */
static void set_bad(const char *key, const char *value, const char *why)
{
        struct profile p;
        struct cerr err = {0};

        profile_default(&p, "t");
        if (profile_set_key(&p, key, value, &err) == 0)
                ck_abort_msg("%s = %s accepted", key, value);
        if (strncmp(err.msg, key, strlen(key)) != 0 || !strstr(err.msg, why))
                ck_abort_msg("%s = %s: message '%s' lacks the key or '%s'", key, value, err.msg,
                             why);
        profile_free(&p);
}

/* The effective value of key, formatted, all lines joined by '|'. */
static const char *fmt(const struct profile *p, const char *key, char *buf, size_t len)
{
        struct strlist out = {0};
        struct cerr err = {0};
        size_t off = 0;

        ck_assert_msg(profile_format_key(p, key, &out, &err) == 0, "%s: %s", key, err.msg);
        buf[0] = '\0';
        for (size_t i = 0; i < out.n; i++)
                off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "|" : "", out.v[i]);
        strlist_clear(&out);
        return buf;
}

START_TEST(keys_accept)
{
        struct profile p;
        char b[512];

        profile_default(&p, "t");
        set_ok(&p, "Namespaces", "uts");
        ck_assert_uint_eq(p.namespaces, PROFILE_NS_UTS);
        set_ok(&p, "Namespaces", "");
        ck_assert_uint_eq(p.namespaces, 0);
        set_ok(&p, "Namespaces", "cgroup ipc");
        ck_assert_str_eq(fmt(&p, "Namespaces", b, sizeof b), "ipc cgroup");
        set_ok(&p, "PrivateNetwork", "actor");
        ck_assert_int_eq(p.private_network, PRIVATE_NETWORK_ACTOR);
        set_ok(&p, "PrivateTmp", "no");
        ck_assert(!p.private_tmp);
        set_ok(&p, "PrivateTmp", "");
        ck_assert(p.private_tmp); /* empty: back to the default */
        set_ok(&p, "PrivateUsers", "true");
        ck_assert(p.private_users);
        set_ok(&p, "ProtectSystem", "strict");
        ck_assert_int_eq(p.protect_system, PROTECT_SYSTEM_STRICT);
        set_ok(&p, "ProtectSystem", "off");
        ck_assert_int_eq(p.protect_system, PROTECT_SYSTEM_NO);
        set_ok(&p, "ProtectSystem", "true");
        ck_assert_int_eq(p.protect_system, PROTECT_SYSTEM_YES);
        set_ok(&p, "ProtectControlGroups", "no");
        ck_assert(!p.protect_control_groups);
        set_ok(&p, "User", "nobody");
        ck_assert_str_eq(p.user, "nobody");
        set_ok(&p, "User", "65534");
        ck_assert_str_eq(p.user, "65534");
        set_ok(&p, "User", "");
        ck_assert_ptr_null(p.user);
        set_ok(&p, "Group", "nogroup");
        ck_assert_str_eq(p.group, "nogroup");
        set_ok(&p, "CapabilityBoundingSet", "CAP_NET_BIND_SERVICE cap_kill");
        ck_assert_uint_eq(p.capability_bounding_set, (1ULL << 10) | (1ULL << 5));
        set_ok(&p, "AmbientCapabilities", "~CAP_SYS_ADMIN");
        ck_assert_uint_eq(p.ambient_capabilities, ((1ULL << 41) - 1) & ~(1ULL << 21));
        set_ok(&p, "MemoryMax", "256M");
        ck_assert(p.memory_max.set);
        ck_assert_uint_eq(p.memory_max.value, 256ULL << 20);
        set_ok(&p, "MemoryHigh", "infinity");
        ck_assert_uint_eq(p.memory_high.value, UNITS_INFINITY);
        set_ok(&p, "MemorySwapMax", "0");
        ck_assert(p.memory_swap_max.set);
        ck_assert_uint_eq(p.memory_swap_max.value, 0);
        set_ok(&p, "MemoryMax", "");
        ck_assert(!p.memory_max.set);
        set_ok(&p, "TasksMax", "64");
        ck_assert_uint_eq(p.tasks_max.value, 64);
        set_ok(&p, "TasksMax", "infinity");
        ck_assert_uint_eq(p.tasks_max.value, UNITS_INFINITY);
        set_ok(&p, "CPUQuota", "12.5%");
        ck_assert_uint_eq(p.cpu_quota.value, 1250);
        ck_assert_str_eq(fmt(&p, "CPUQuota", b, sizeof b), "12.50%");
        set_ok(&p, "CPUWeight", "1");
        set_ok(&p, "IOWeight", "10000");
        ck_assert_uint_eq(p.io_weight.value, 10000);
        set_ok(&p, "SystemCallErrorNumber", "EPERM");
        ck_assert_int_eq(p.syscall_filter.error_number, EPERM);
        set_ok(&p, "SystemCallErrorNumber", "38");
        ck_assert_int_eq(p.syscall_filter.error_number, 38);
        ck_assert_str_eq(fmt(&p, "SystemCallErrorNumber", b, sizeof b), "ENOSYS");
        set_ok(&p, "SystemCallErrorNumber", "kill");
        ck_assert_int_eq(p.syscall_filter.error_number, 0);
        set_ok(&p, "Hostname", "actor-1.example");
        ck_assert_str_eq(p.hostname, "actor-1.example");
        set_ok(&p, "Stdin", "file:/dev/zero");
        ck_assert_int_eq(p.std_in.mode, STDIO_FILE);
        ck_assert_str_eq(p.std_in.path, "/dev/zero");
        set_ok(&p, "Stdin", "inherit");
        ck_assert_ptr_null(p.std_in.path);
        set_ok(&p, "Stdout", "null");
        ck_assert_int_eq(p.std_out.mode, STDIO_NULL);
        set_ok(&p, "Stderr", "file:/tmp/err.log");
        ck_assert_str_eq(fmt(&p, "Stderr", b, sizeof b), "file:/tmp/err.log");
        set_ok(&p, "Stderr", "");
        ck_assert_int_eq(p.std_err.mode, STDIO_LOG);
        set_ok(&p, "WorkingDirectory", "/srv/work dir");
        ck_assert_str_eq(p.working_directory, "/srv/work dir");
        set_ok(&p, "TimeoutCancelSec", "250ms");
        ck_assert_uint_eq(p.timeout_cancel, 250000);
        set_ok(&p, "TimeoutInterruptSec", "1min 30s");
        ck_assert_uint_eq(p.timeout_interrupt, 90000000);
        set_ok(&p, "TimeoutTerminateSec", "2");
        ck_assert_uint_eq(p.timeout_terminate, 2000000);
        set_ok(&p, "TimeoutKillSec", "");
        ck_assert_uint_eq(p.timeout_kill, 10000000);
        set_ok(&p, "TimeoutHoldSec", "1h");
        ck_assert_uint_eq(p.timeout_hold, 3600000000ULL);
        set_ok(&p, "MaxChildren", "1");
        set_ok(&p, "MaxDepth", "2");
        set_ok(&p, "MaxActors", "3");
        ck_assert_uint_eq(p.max_children + p.max_depth + p.max_actors, 6);
        set_ok(&p, "OnChildFailure", "cancel-siblings");
        ck_assert_int_eq(p.on_child_failure, ON_CHILD_FAILURE_CANCEL_SIBLINGS);
        profile_free(&p);
}
END_TEST

START_TEST(keys_reject)
{
        static const struct {
                const char *key, *value, *why;
        } bad[] = {
            {"Namespaces", "ipc net", "subset of ipc uts cgroup"},
            {"PrivateNetwork", "host", "expected no, tree or actor"},
            {"PrivateNetwork", "yes", "expected no, tree or actor"},
            {"PrivateTmp", "maybe", "expected yes or no"},
            {"PrivateUsers", "2", "expected yes or no"},
            {"ProtectSystem", "paranoid", "expected no, yes, full or strict"},
            {"ReadWritePaths", "var/lib", "expected an absolute path"},
            {"ReadWritePaths", "/srv/../etc", "without '..'"},
            {"ProtectControlGroups", "sometimes", "expected yes or no"},
            {"User", "no body", "expected a user or group name"},
            {"User", "4294967295", "out of range"},
            {"Group", "-wheel", "expected a user or group name"},
            {"SupplementaryGroups", "adm 9bad!", "expected a user or group name"},
            {"CapabilityBoundingSet", "CAP_FLY", "unknown capability"},
            {"AmbientCapabilities", "NET_ADMIN", "unknown capability"},
            {"MemoryMax", "12Q", "unknown suffix 'Q'; expected a size such as 256M"},
            {"MemoryHigh", "-1G", "negative"},
            {"MemorySwapMax", "lots", "expected a size"},
            {"TasksMax", "0", "at least 1"},
            {"TasksMax", "10%", "expected a whole number"},
            {"CPUQuota", "0%", "above 0"},
            {"CPUQuota", "50", "expected a percentage"},
            {"CPUWeight", "0", "from 1 to 10000"},
            {"IOWeight", "10001", "from 1 to 10000"},
            {"SystemCallFilter", "~ptrace not_a_syscall", "'not_a_syscall': unknown system call"},
            {"SystemCallFilter", "@nope", "unknown syscall group"},
            {"SystemCallFilter", "~mount:EPERM", "NAME:ERRNO"},
            {"SystemCallErrorNumber", "EWHATEVER", "unknown errno name"},
            {"SystemCallErrorNumber", "4096", "from 1 to 4095"},
            {"SystemCallErrorNumber", "0", "from 1 to 4095"},
            {"Hostname", "-bad", "expected a host name"},
            {"Hostname", "a..b", "expected a host name"},
            {"Hostname", "under_score", "expected a host name"},
            {"Hostname", "a23456789012345678901234567890123456789012345678901234567890123456789",
             "characters long"},
            {"Stdin", "log", "expected inherit, null or file:PATH"},
            {"Stdout", "journal", "expected inherit, null, log or file:PATH"},
            {"Stderr", "file:relative", "expected an absolute path"},
            {"Environment", "1X=y", "expected KEY=VALUE"},
            {"Environment", "NOVALUE", "expected KEY=VALUE"},
            {"Environment", "A=\"open", "unterminated double quote"},
            {"Environment", "A=\\q", "unknown escape"},
            {"WorkingDirectory", "relative", "expected an absolute path"},
            {"LimitNOFILE", "2048:1024", "soft limit is above the hard limit"},
            {"LimitNOFILE", "many", "expected a whole number"},
            {"LimitAS", "1X", "unknown suffix"},
            {"LimitCPU", "-1", "negative"},
            {"LimitNICE", "-21", "nice level from -20 to +19"},
            {"LimitNICE", "41", "raw limit from 0 to 40"},
            {"LimitRTTIME", "5 fortnights", "unknown unit"},
            {"TimeoutCancelSec", "0", "above 0"},
            {"TimeoutInterruptSec", "-1s", "negative"},
            {"TimeoutTerminateSec", "infinity", "infinity is not allowed"},
            {"TimeoutKillSec", "soon", "expected a duration"},
            {"TimeoutHoldSec", "1 parsec", "unknown unit"},
            {"MaxChildren", "0", "at least 1"},
            {"MaxDepth", "infinity", "expected a whole number"},
            {"MaxActors", "-1", "expected a whole number"},
            {"SpawnProfiles", "ok bad/name", "expected a profile name"},
            {"OnChildFailure", "panic", "expected notify, cancel-siblings or cancel-parent"},
        };
        struct profile p;
        struct cerr err = {0};

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                set_bad(bad[i].key, bad[i].value, bad[i].why);
        profile_default(&p, "t");
        ck_assert_int_eq(profile_set_key(&p, "Frobnicate", "yes", &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "unknown key 'Frobnicate'"));
        ck_assert_int_eq(profile_set_key(&p, "memorymax", "1G", &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "did you mean MemoryMax"));
        /* a deny list cannot be turned into an allow list line by line */
        set_ok(&p, "SystemCallFilter", "~@mount");
        ck_assert_int_eq(profile_set_key(&p, "SystemCallFilter", "read write", &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "subtracting from a filter is not supported"));
        ck_assert_uint_eq(p.syscall_filter.names.n, 1);
        profile_free(&p);
}
END_TEST

START_TEST(rlimits)
{
        struct profile p;
        char b[128];

        profile_default(&p, "t");
        set_ok(&p, "LimitNOFILE", "1024:4096");
        ck_assert(p.rlimits[RLIMIT_NOFILE].set);
        ck_assert_uint_eq(p.rlimits[RLIMIT_NOFILE].soft, 1024);
        ck_assert_uint_eq(p.rlimits[RLIMIT_NOFILE].hard, 4096);
        ck_assert_str_eq(fmt(&p, "LimitNOFILE", b, sizeof b), "1024:4096");
        set_ok(&p, "LimitNOFILE", "512");
        ck_assert_uint_eq(p.rlimits[RLIMIT_NOFILE].soft, 512);
        ck_assert_uint_eq(p.rlimits[RLIMIT_NOFILE].hard, 512);
        set_ok(&p, "LimitCORE", "0:infinity");
        ck_assert_uint_eq(p.rlimits[RLIMIT_CORE].hard, RLIM_INFINITY);
        ck_assert_str_eq(fmt(&p, "LimitCORE", b, sizeof b), "0:infinity");
        set_ok(&p, "LimitAS", "1G");
        ck_assert_uint_eq(p.rlimits[RLIMIT_AS].soft, 1ULL << 30);
        ck_assert_str_eq(fmt(&p, "LimitAS", b, sizeof b), "1G");
        /* seconds; a duration rounds up, as systemd does */
        set_ok(&p, "LimitCPU", "90");
        ck_assert_uint_eq(p.rlimits[RLIMIT_CPU].soft, 90);
        set_ok(&p, "LimitCPU", "1min 500ms");
        ck_assert_uint_eq(p.rlimits[RLIMIT_CPU].soft, 61);
        /* microseconds: a bare number is already microseconds */
        set_ok(&p, "LimitRTTIME", "500");
        ck_assert_uint_eq(p.rlimits[RLIMIT_RTTIME].soft, 500);
        set_ok(&p, "LimitRTTIME", "2ms:1s");
        ck_assert_uint_eq(p.rlimits[RLIMIT_RTTIME].soft, 2000);
        ck_assert_uint_eq(p.rlimits[RLIMIT_RTTIME].hard, 1000000);
        /* a nice level maps to the raw 0..40 value (20 - nice) */
        set_ok(&p, "LimitNICE", "-5");
        ck_assert_uint_eq(p.rlimits[RLIMIT_NICE].soft, 25);
        set_ok(&p, "LimitNICE", "+19");
        ck_assert_uint_eq(p.rlimits[RLIMIT_NICE].soft, 1);
        set_ok(&p, "LimitNICE", "");
        ck_assert(!p.rlimits[RLIMIT_NICE].set);
        static const char *const all[] = {
            "LimitCPU",      "LimitFSIZE",   "LimitDATA",   "LimitSTACK",
            "LimitCORE",     "LimitRSS",     "LimitNOFILE", "LimitAS",
            "LimitNPROC",    "LimitMEMLOCK", "LimitLOCKS",  "LimitSIGPENDING",
            "LimitMSGQUEUE", "LimitNICE",    "LimitRTPRIO", "LimitRTTIME"};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
                set_ok(&p, all[i], "infinity");
                set_ok(&p, all[i], "1:2");
                set_ok(&p, all[i], "");
        }
        profile_free(&p);
}
END_TEST

START_TEST(lists_accumulate_and_reset)
{
        struct profile p;
        char b[512];

        profile_default(&p, "t");
        set_ok(&p, "ReadWritePaths", "/srv/a /srv/b");
        set_ok(&p, "ReadWritePaths", "\"/srv/with space\" /srv/a");
        ck_assert_uint_eq(p.read_write_paths.n, 3); /* /srv/a once */
        ck_assert_str_eq(p.read_write_paths.v[2], "/srv/with space");
        ck_assert_str_eq(fmt(&p, "ReadWritePaths", b, sizeof b),
                         "/srv/a /srv/b \"/srv/with space\"");
        set_ok(&p, "ReadWritePaths", "");
        ck_assert_uint_eq(p.read_write_paths.n, 0);
        set_ok(&p, "ReadWritePaths", "/again");
        ck_assert_uint_eq(p.read_write_paths.n, 1);

        set_ok(&p, "SupplementaryGroups", "adm");
        set_ok(&p, "SupplementaryGroups", "audio video");
        ck_assert_uint_eq(p.supplementary_groups.n, 3);

        set_ok(&p, "SpawnProfiles", "a");
        set_ok(&p, "SpawnProfiles", "b");
        set_ok(&p, "SpawnProfiles", "");
        set_ok(&p, "SpawnProfiles", "c");
        ck_assert_uint_eq(p.spawn_profiles.n, 1);
        ck_assert_str_eq(p.spawn_profiles.v[0], "c");

        /* capabilities accumulate; empty resets to none */
        set_ok(&p, "CapabilityBoundingSet", "CAP_CHOWN");
        set_ok(&p, "CapabilityBoundingSet", "CAP_KILL");
        ck_assert_uint_eq(p.capability_bounding_set, (1ULL << 0) | (1ULL << 5));
        ck_assert_str_eq(fmt(&p, "CapabilityBoundingSet", b, sizeof b), "CAP_CHOWN CAP_KILL");
        set_ok(&p, "CapabilityBoundingSet", "");
        ck_assert_uint_eq(p.capability_bounding_set, 0);

        /* Environment: quotes, escapes, a later assignment of a variable wins */
        set_ok(&p, "Environment", "A=1 B=\"two words\" C='single \"quoted\"'");
        set_ok(&p, "Environment", "A=3 D=x\\x3by E=");
        ck_assert_uint_eq(p.environment.n, 5);
        ck_assert_str_eq(p.environment.v[0], "A=3");
        ck_assert_str_eq(p.environment.v[1], "B=two words");
        ck_assert_str_eq(p.environment.v[2], "C=single \"quoted\"");
        ck_assert_str_eq(p.environment.v[3], "D=x;y");
        ck_assert_str_eq(p.environment.v[4], "E=");
        set_ok(&p, "Environment", "");
        ck_assert_uint_eq(p.environment.n, 0);

        /* SystemCallFilter: the first line sets the kind, later lines of that kind add */
        set_ok(&p, "SystemCallFilter", "~@mount ptrace");
        set_ok(&p, "SystemCallFilter", "~@swap ptrace");
        ck_assert(p.syscall_filter.set);
        ck_assert(p.syscall_filter.deny_list);
        ck_assert_uint_eq(p.syscall_filter.names.n, 3);
        ck_assert_str_eq(fmt(&p, "SystemCallFilter", b, sizeof b), "~@mount ptrace @swap");
        set_ok(&p, "SystemCallFilter", "");
        ck_assert(!p.syscall_filter.set);
        ck_assert_uint_eq(p.syscall_filter.names.n, 0);
        set_ok(&p, "SystemCallFilter", "read write");
        ck_assert(!p.syscall_filter.deny_list);
        ck_assert_str_eq(fmt(&p, "SystemCallFilter", b, sizeof b), "read write");
        profile_free(&p);
}
END_TEST

START_TEST(key_table)
{
        static const char *const trees[] = {"TimeoutCancelSec", "TimeoutHoldSec", "MaxChildren",
                                            "MaxDepth",         "MaxActors",      "SpawnProfiles",
                                            "OnChildFailure"};
        static const char *const applied[] = {
            "Namespaces", "MemoryMax", "TasksMax", "CPUQuota", "SystemCallFilter", "Hostname",
            "Stdout", "Environment", "TimeoutInterruptSec", "TimeoutKillSec", "LimitNOFILE",
            "IOWeight",
            /* the confinement of DESIGN §4a */
            "PrivateTmp", "ProtectSystem", "ReadWritePaths", "ProtectControlGroups", "User",
            "Group", "SupplementaryGroups", "PrivateUsers", "CapabilityBoundingSet",
            "AmbientCapabilities"};
        struct profile p;

        ck_assert_uint_eq(policy_key_count(), 53);
        for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++) {
                const char *n = policy_key_pending(trees[i]);

                if (!n || !strstr(n, "trees"))
                        ck_abort_msg("%s is not pending on actor trees", trees[i]);
        }
        for (size_t i = 0; i < sizeof applied / sizeof applied[0]; i++) {
                if (policy_key_pending(applied[i]))
                        ck_abort_msg("%s is marked pending", applied[i]);
        }
        ck_assert_ptr_null(policy_key_pending("NoSuchKey"));
        /* PrivateNetwork: only tree is pending (sharing with child actors) */
        profile_default(&p, "t");
        ck_assert_ptr_nonnull(policy_key_pending("PrivateNetwork"));
        ck_assert_ptr_null(profile_key_pending(&p, "PrivateNetwork"));
        set_ok(&p, "PrivateNetwork", "tree");
        ck_assert_ptr_nonnull(profile_key_pending(&p, "PrivateNetwork"));
        set_ok(&p, "PrivateNetwork", "actor");
        ck_assert_ptr_null(profile_key_pending(&p, "PrivateNetwork"));
        ck_assert(policy_key_is_list("Environment"));
        ck_assert(!policy_key_is_list("MemoryMax"));
        /* every key takes an empty assignment and formats */
        for (size_t i = 0; i < policy_key_count(); i++) {
                char b[512];

                set_ok(&p, policy_key_name(i), "");
                fmt(&p, policy_key_name(i), b, sizeof b);
        }
        profile_free(&p);
        ck_assert(policy_profile_name_valid("worker-1.a_b"));
        ck_assert(!policy_profile_name_valid(""));
        ck_assert(!policy_profile_name_valid("a b"));
        ck_assert(!policy_profile_name_valid(
            "x2345678901234567890123456789012345678901234567890123456789012345"));
}
END_TEST

/* A profile written out key by key and read back is the same profile. */
START_TEST(format_round_trip)
{
        struct profile p;
        struct policy pol = {0};
        struct cerr err = {0};
        char *text = NULL, *text2 = NULL;
        size_t len = 0, len2 = 0;
        FILE *f;

        profile_default(&p, "rt");
        set_ok(&p, "Namespaces", "uts");
        set_ok(&p, "PrivateNetwork", "tree");
        set_ok(&p, "ReadWritePaths", "/srv/a \"/srv/b c\" /srv/semi;colon");
        set_ok(&p, "CapabilityBoundingSet", "~CAP_SYS_ADMIN CAP_SYS_MODULE");
        set_ok(&p, "MemoryMax", "1.5G");
        set_ok(&p, "CPUQuota", "12.5%");
        set_ok(&p, "SystemCallFilter",
               "~@mount @swap @reboot @module @raw-io @clock @debug "
               "@obsolete @cpu-emulation @privileged @resources");
        set_ok(&p, "SystemCallFilter", "~@network-io ptrace kexec_load init_module");
        set_ok(&p, "SystemCallErrorNumber", "EHOSTDOWN");
        set_ok(&p, "Environment", "A=\"x y\" B=tab\\tend C=q\\\"uote D=; E=a\\\\b F=\"it's\"");
        set_ok(&p, "ReadWritePaths",
               "/long/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        set_ok(&p, "LimitNOFILE", "1024:2048");
        set_ok(&p, "LimitCPU", "1min");
        set_ok(&p, "LimitNICE", "-3");
        set_ok(&p, "TimeoutCancelSec", "1min 30s 5ms");
        set_ok(&p, "Stdout", "file:/var/log/out put.log");
        for (int pass = 0; pass < 2; pass++) {
                const struct profile *src = pass == 0 ? &p : &pol.profiles[0];

                f = open_memstream(pass == 0 ? &text : &text2, pass == 0 ? &len : &len2);
                fprintf(f, "[profile %s]\n", src->name);
                for (size_t i = 0; i < policy_key_count(); i++) {
                        struct strlist out = {0};

                        ck_assert_int_eq(profile_format_key(src, policy_key_name(i), &out, &err),
                                         0);
                        for (size_t v = 0; v < out.n; v++)
                                fprintf(f, "%s = %s\n", policy_key_name(i), out.v[v]);
                        strlist_clear(&out);
                }
                fclose(f);
                if (pass == 0) {
                        ck_assert_msg(policy_load_mem("rt.ini", text, len, &pol, &err) == 0,
                                      "%s\n%s", err.msg, text);
                }
        }
        ck_assert_str_eq(text, text2);
        ck_assert_str_eq(pol.profiles[0].environment.v[1], "B=tab\tend");
        ck_assert_str_eq(pol.profiles[0].environment.v[3], "D=;");
        ck_assert_str_eq(pol.profiles[0].environment.v[5], "F=it's");
        ck_assert_str_eq(pol.profiles[0].read_write_paths.v[3], p.read_write_paths.v[3]);
        ck_assert_uint_gt(strlen(p.read_write_paths.v[3]), 120); /* a line of its own */
        ck_assert_str_eq(pol.profiles[0].read_write_paths.v[2], "/srv/semi;colon");
        ck_assert_uint_eq(pol.profiles[0].capability_bounding_set, p.capability_bounding_set);
        policy_free(&pol);
        profile_free(&p);
        free(text);
        free(text2);
}
END_TEST

static Suite *keys_suite(void)
{
        Suite *s = suite_create("policy-keys");
        TCase *tc = tcase_create("keys");

        tcase_add_test(tc, keys_accept);
        tcase_add_test(tc, keys_reject);
        tcase_add_test(tc, rlimits);
        tcase_add_test(tc, lists_accumulate_and_reset);
        tcase_add_test(tc, key_table);
        tcase_add_test(tc, format_round_trip);
        suite_add_tcase(s, tc);
        return s;
}

/* ---- policy files ---- */

static int load_str(const char *text, struct policy *pol, struct cerr *err)
{
        return policy_load_mem("mem.ini", text, strlen(text), pol, err);
}

static void load_bad_str(const char *text, const char *where, const char *why)
{
        struct policy pol;
        struct cerr err = {0};

        if (load_str(text, &pol, &err) == 0)
                ck_abort_msg("accepted:\n%s", text);
        if (strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, why))
                ck_abort_msg("message '%s' does not start with '%s' or lacks '%s'", err.msg, where,
                             why);
        ck_assert_uint_eq(pol.n, 0);
}

START_TEST(design_example)
{
        struct policy pol;
        struct cerr err = {0};
        const struct profile *w;

        ck_assert_msg(policy_load_file("tests/data/policy/good/design.ini", &pol, &err) == 0, "%s",
                      err.msg);
        ck_assert_uint_eq(pol.n, 1);
        w = policy_find(&pol, "worker");
        ck_assert_ptr_nonnull(w);
        ck_assert_ptr_null(policy_find(&pol, "nope"));
        ck_assert_uint_eq(w->namespaces, PROFILE_NS_IPC | PROFILE_NS_UTS | PROFILE_NS_CGROUP);
        ck_assert_int_eq(w->private_network, PRIVATE_NETWORK_TREE);
        ck_assert_str_eq(w->user, "nobody");
        ck_assert_uint_eq(w->memory_max.value, 256ULL << 20);
        ck_assert_uint_eq(w->tasks_max.value, 64);
        ck_assert_uint_eq(w->cpu_quota.value, 5000);
        ck_assert(w->syscall_filter.deny_list);
        ck_assert_uint_eq(w->syscall_filter.names.n, 6);
        ck_assert_int_eq(w->syscall_filter.error_number, EPERM);
        ck_assert_uint_eq(w->timeout_cancel, 2000000);
        ck_assert_uint_eq(w->timeout_kill, 5000000);
        ck_assert_uint_eq(w->timeout_hold, 60000000);
        ck_assert_uint_eq(w->max_actors, 256);
        ck_assert_str_eq(w->spawn_profiles.v[0], "worker");
        /* keys the file did not name keep the defaults */
        ck_assert(w->protect_control_groups);
        ck_assert_int_eq(w->std_in.mode, STDIO_NULL);
        /* pending keys the file set are noted with their line */
        ck_assert_uint_gt(pol.notes.n, 0);
        ck_assert_ptr_nonnull(strstr(pol.notes.v[0], "design.ini:4: [profile worker] "
                                                     "PrivateNetwork:"));
        policy_free(&pol);
}
END_TEST

START_TEST(good_corpus)
{
        const char *dir = "tests/data/policy/good";
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        ck_assert_msg(d != NULL, "%s: %s (tests run from the repository root)", dir,
                      strerror(errno));
        while ((e = readdir(d))) {
                char path[512];
                struct policy pol;
                struct cerr err = {0};
                size_t l = strlen(e->d_name);

                if (l < 5 || strcmp(e->d_name + l - 4, ".ini") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                if (policy_load_file(path, &pol, &err) < 0)
                        ck_abort_msg("%s rejected: %s", path, err.msg);
                if (pol.n == 0)
                        ck_abort_msg("%s: no profiles", path);
                policy_free(&pol);
                n++;
        }
        closedir(d);
        ck_assert_int_ge(n, 4);
}
END_TEST

static char *read_all(const char *path, size_t *len)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t cap = 0;

        if (!f)
                return NULL;
        *len = 0;
        for (;;) {
                if (*len + 4096 > cap) {
                        char *nb = realloc(buf, *len + 4096 + 1);

                        ck_assert_ptr_nonnull(nb);
                        buf = nb;
                        cap = *len + 4096;
                }
                size_t n = fread(buf + *len, 1, 4096, f);

                *len += n;
                if (n == 0)
                        break;
        }
        fclose(f);
        buf[*len] = '\0';
        return buf;
}

/* Every file in bad/ fails with one error naming FILE:LINE and the fragment its .expect
 * file holds ("LINE:FRAGMENT"). */
START_TEST(bad_corpus)
{
        const char *dir = "tests/data/policy/bad";
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        ck_assert_msg(d != NULL, "%s: %s (tests run from the repository root)", dir,
                      strerror(errno));
        while ((e = readdir(d))) {
                char path[512], expect_path[512], prefix[600];
                struct policy pol;
                struct cerr err = {0};
                size_t l = strlen(e->d_name), elen;
                char *expect, *colon;

                if (l < 5 || strcmp(e->d_name + l - 4, ".ini") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                snprintf(expect_path, sizeof expect_path, "%s/%.*s.expect", dir, (int)(l - 4),
                         e->d_name);
                expect = read_all(expect_path, &elen);
                if (!expect)
                        ck_abort_msg("%s: no %s", path, expect_path);
                while (elen > 0 && expect[elen - 1] == '\n')
                        expect[--elen] = '\0';
                colon = strchr(expect, ':');
                if (!colon)
                        ck_abort_msg("%s: expected LINE:FRAGMENT", expect_path);
                *colon = '\0';
                snprintf(prefix, sizeof prefix, "%s:%s: ", path, expect);
                if (policy_load_file(path, &pol, &err) == 0)
                        ck_abort_msg("%s was accepted", path);
                if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
                        ck_abort_msg("%s: message '%s' does not start with '%s'", path, err.msg,
                                     prefix);
                if (!strstr(err.msg, colon + 1))
                        ck_abort_msg("%s: message '%s' lacks '%s'", path, err.msg, colon + 1);
                if (strchr(err.msg, '\n'))
                        ck_abort_msg("%s: message spans lines: '%s'", path, err.msg);
                if (pol.n != 0 || pol.profiles || pol.name)
                        ck_abort_msg("%s: the failed policy was not emptied", path);
                free(expect);
                n++;
        }
        closedir(d);
        ck_assert_int_ge(n, 20);
}
END_TEST

START_TEST(line_length)
{
        size_t max = policy_max_line();
        struct policy pol;
        struct cerr err = {0};
        char line[400], text[1200], *path;
        int k;

        /* Debian's libinih: INI_MAX_LINE 200, so 199 bytes and the NUL */
        ck_assert_uint_eq(max, 199);
        ck_assert_uint_eq(max, INI_MAX_LINE - 1);
        for (size_t len = max - 1; len <= max + 1; len++) {
                k = snprintf(line, sizeof line, "ReadWritePaths = /");
                while ((size_t)k < len)
                        line[k++] = 'a';
                line[k] = '\0';
                snprintf(text, sizeof text, "# comment\n[profile x]\n%s\nMemoryMax = 1G\n", line);
                if (len <= max) {
                        ck_assert_msg(load_str(text, &pol, &err) == 0, "%zu: %s", len, err.msg);
                        path = pol.profiles[0].read_write_paths.v[0];
                        /* intact: not split into a path and a stray line */
                        ck_assert_uint_eq(strlen(path), len - strlen("ReadWritePaths = "));
                        ck_assert_uint_eq(pol.profiles[0].read_write_paths.n, 1);
                        ck_assert(pol.profiles[0].memory_max.set);
                        policy_free(&pol);
                } else {
                        char want[80];

                        snprintf(want, sizeof want,
                                 "mem.ini:3: line too long (%zu bytes; at most %zu)", len, max);
                        load_bad_str(text, want, "line too long");
                }
        }
        /* the 250-character line of the issue: rejected with its line number, never split */
        k = snprintf(line, sizeof line, "ReadWritePaths = /srv");
        while (k < 250)
                k += snprintf(line + k, sizeof line - (size_t)k, "/dir%02d", k % 100);
        line[250] = '\0';
        snprintf(text, sizeof text, "[profile x]\nPrivateTmp = yes\n\n%s\n", line);
        load_bad_str(text, "mem.ini:4: line too long (250 bytes; at most 199)", "");
        /* a CRLF terminator does not count, a comment line does */
        snprintf(text, sizeof text, "[profile x]\r\n# %0300d\r\n", 0);
        load_bad_str(text, "mem.ini:2: line too long (302 bytes", "");
}
END_TEST

/* 40 names spread over repeated lines all end up in the filter. */
static const char *const forty[] = {
    "swapoff",       "swapon",         "mount",           "umount2",
    "pivot_root",    "ptrace",         "kexec_load",      "kexec_file_load",
    "reboot",        "init_module",    "finit_module",    "acct",
    "bpf",           "settimeofday",   "clock_settime",   "adjtimex",
    "ioperm",        "iopl",           "perf_event_open", "chroot",
    "add_key",       "keyctl",         "request_key",     "fsopen",
    "fsmount",       "fspick",         "move_mount",      "open_tree",
    "mount_setattr", "setdomainname",  "sethostname",     "vhangup",
    "quotactl",      "lookup_dcookie", "modify_ldt",      "personality",
    "userfaultfd",   "syslog",         "uselib",          "delete_module"};

static char *forty_policy(void)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        fprintf(f, "[profile many]\nSystemCallErrorNumber = EHOSTDOWN\n");
        for (size_t i = 0; i < 40; i++)
                fprintf(f, "%s%s%s", i % 8 == 0 ? "SystemCallFilter = ~" : " ", forty[i],
                        i % 8 == 7 ? "\n" : "");
        fclose(f);
        return text;
}

START_TEST(forty_entries)
{
        char *text = forty_policy();
        struct policy pol;
        struct cerr err = {0};
        const struct syscall_filter *f;

        ck_assert_msg(load_str(text, &pol, &err) == 0, "%s", err.msg);
        f = &pol.profiles[0].syscall_filter;
        ck_assert(f->set && f->deny_list);
        ck_assert_uint_eq(f->names.n, 40);
        for (size_t i = 0; i < 40; i++) {
                if (strcmp(f->names.v[i], forty[i]) != 0)
                        ck_abort_msg("entry %zu is '%s', expected '%s'", i, f->names.v[i],
                                     forty[i]);
        }
        policy_free(&pol);
        free(text);
}
END_TEST

START_TEST(file_forms)
{
        struct policy pol;
        struct cerr err = {0};

        /* BOM, CRLF, indentation, both comment styles, inline ';' comments */
        ck_assert_msg(load_str("\xef\xbb\xbf[profile a]\r\n"
                               "  MemoryMax = 1G ; one gig\r\n"
                               "\t# a comment\r\n"
                               "; another\r\n"
                               "[ profile   b ]\n"
                               "    TasksMax=8\n",
                               &pol, &err) == 0,
                      "%s", err.msg);
        ck_assert_uint_eq(pol.n, 2);
        ck_assert_uint_eq(pol.profiles[0].memory_max.value, 1ULL << 30);
        ck_assert_str_eq(pol.profiles[1].name, "b");
        ck_assert_uint_eq(pol.profiles[1].tasks_max.value, 8);
        policy_free(&pol);
        /* a 64-character profile name survives (inih alone would cut section names at 49) */
        ck_assert_msg(load_str("[profile "
                               "n234567890123456789012345678901234567890123456789012345678901234]"
                               "\nTasksMax = 1\n",
                               &pol, &err) == 0,
                      "%s", err.msg);
        ck_assert_uint_eq(strlen(pol.profiles[0].name), 64);
        policy_free(&pol);
        /* an indented line is a key of its own, not a continuation of the previous value */
        ck_assert_int_eq(
            load_str("[profile a]\nReadWritePaths = /a\n  ReadWritePaths = /b\n", &pol, &err), 0);
        ck_assert_uint_eq(pol.profiles[0].read_write_paths.n, 2);
        policy_free(&pol);
}
END_TEST

START_TEST(file_errors)
{
        struct policy pol;
        struct cerr err = {0};
        static const char nul[] = "[profile a]\nMemoryMax = 1G\0junk\n";

        load_bad_str("", "mem.ini: no [profile NAME] section", "");
        load_bad_str("# only a comment\n\n", "mem.ini: no [profile NAME] section", "");
        load_bad_str("MemoryMax = 1G\n[profile a]\n", "mem.ini:1: MemoryMax: key outside a section",
                     "");
        load_bad_str("[profile a]\n[profile b]\n[profile a]\n",
                     "mem.ini:3: duplicate profile 'a' (first defined at line 1)", "");
        load_bad_str("[profile a]\nTasksMax = 1\n[profile b]\nTasksMax = 0\n",
                     "mem.ini:4: TasksMax: '0'", "at least 1");
        load_bad_str("[profile a]\nSpawnProfiles = a\nSpawnProfiles = ghost\n[profile b]\n",
                     "mem.ini:3: SpawnProfiles: 'ghost': no [profile ghost]", "");
        /* a reset forgets the earlier reference */
        ck_assert_int_eq(load_str("[profile a]\nSpawnProfiles = ghost\nSpawnProfiles =\n"
                                  "SpawnProfiles = b\n[profile b]\n",
                                  &pol, &err),
                         0);
        policy_free(&pol);
        ck_assert_int_eq(policy_load_mem("nul.ini", nul, sizeof nul - 1, &pol, &err), -1);
        ck_assert_str_eq(err.msg, "nul.ini:2: NUL byte at column 15; a policy file is text");
        ck_assert_int_eq(policy_load_file("tests/data/policy/does-not-exist.ini", &pol, &err), -1);
        ck_assert_int_eq(err.errnum, ENOENT);
        ck_assert_int_eq(policy_load_file("tests/data/policy", &pol, &err), -1);
        ck_assert_int_eq(err.errnum, EISDIR);
}
END_TEST

START_TEST(host_warnings)
{
        struct profile p;
        struct cghost h;
        struct strlist w = {0};
        struct cerr err = {0};
        bool swap;

        memset(&h, 0, sizeof h);
        for (int c = 0; c < CG_NCTRL; c++)
                h.ctrl[c].src = CG_SRC_V2;
        h.ctrl[CG_IO].src = CG_SRC_NONE;
        profile_default(&p, "t");
        ck_assert_int_eq(policy_host_warnings(&p, &h, false, &w, &err), 0);
        ck_assert_uint_eq(w.n, 0); /* no limits: nothing to warn about */
        set_ok(&p, "IOWeight", "50");
        set_ok(&p, "MemorySwapMax", "0");
        set_ok(&p, "MemoryMax", "1G");
        ck_assert_int_eq(policy_host_warnings(&p, &h, false, &w, &err), 0);
        ck_assert_uint_eq(w.n, 2);
        ck_assert_str_eq(w.v[0], "IOWeight: no io controller on this host: not applied");
        ck_assert_ptr_nonnull(strstr(w.v[1], "MemorySwapMax: no swap on this host"));
        strlist_clear(&w);
        ck_assert_int_eq(policy_host_warnings(&p, &h, true, &w, &err), 0);
        ck_assert_uint_eq(w.n, 1);
        strlist_clear(&w);
        h.ctrl[CG_MEMORY].src = CG_SRC_NONE;
        ck_assert_int_eq(policy_host_warnings(&p, &h, true, &w, &err), 0);
        ck_assert_uint_eq(w.n, 3);
        ck_assert_str_eq(w.v[0], "MemoryMax: no memory controller on this host: not applied");
        strlist_clear(&w);
        profile_free(&p);
        ck_assert_int_eq(policy_host_has_swap(&swap, &err), 0);
}
END_TEST

static Suite *files_suite(void)
{
        Suite *s = suite_create("policy-files");
        TCase *tc = tcase_create("files");

        tcase_add_test(tc, design_example);
        tcase_add_test(tc, good_corpus);
        tcase_add_test(tc, bad_corpus);
        tcase_add_test(tc, line_length);
        tcase_add_test(tc, forty_entries);
        tcase_add_test(tc, file_forms);
        tcase_add_test(tc, file_errors);
        tcase_add_test(tc, host_warnings);
        suite_add_tcase(s, tc);
        return s;
}

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
        Suite *(*const suites[])(void) = {units_suite, keys_suite, files_suite, seccomp_suite};

        if (under_valgrind()) {
                fprintf(stderr, "test_policy: under valgrind: seccomp filters are compiled but "
                                "not loaded (valgrind has no seccomp(2))\n");
                /* 3: SECCOMP_RET_KILL_PROCESS and friends, which the kernel has */
                seccomp_api_set(3);
        }

        return th_run("test_policy", TH_UNIT, suites, 4);
}

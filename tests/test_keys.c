/* Unit tests of the key table (policy/keys.c, key_values.c, words.c): every key accepts and
 * rejects what it should, lists accumulate and reset, and every value written back reads
 * back the same. */
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

/* ---- the key table ---- */

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
        set_ok(&p, "Stderr", "log");
        ck_assert_int_eq(p.std_err.mode, STDIO_LOG);
        set_ok(&p, "Stderr", "");
        ck_assert_int_eq(p.std_err.mode, STDIO_AUTO);
        set_ok(&p, "Stdout", "auto");
        ck_assert_str_eq(fmt(&p, "Stdout", b, sizeof b), "auto");
        set_ok(&p, "LogOverflow", "drop");
        ck_assert_int_eq(p.log_overflow, LOG_OVERFLOW_DROP);
        set_ok(&p, "LogOverflow", "");
        ck_assert_int_eq(p.log_overflow, LOG_OVERFLOW_BLOCK);
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
            {"MemoryMax", "0", "a size above 0"},
            {"MemoryMax", "150%", "at most 100%"},
            {"PrivateTmpSize", "10%", "unknown suffix"},
            {"PassEnvironment", "1BAD", "expected variable names"},
            {"BindPaths", "relative:/mnt", "expected [-]SOURCE[:DESTINATION]"},
            {"BindReadOnlyPaths", "/a:b", "expected [-]SOURCE[:DESTINATION]"},
            {"UnsetEnvironment", "=x", "expected NAME"},
            {"PrivateTmpSize", "0", "a size above 0"},
            {"RuntimeMaxSec", "0", "above 0"},
            {"RuntimeMaxSec", "soon", "RuntimeMaxSec"},
            {"CPUQuota", "0%", "above 0"},
            {"CPUQuota", "50", "expected a percentage"},
            {"CPUWeight", "0", "from 1 to 10000"},
            {"IOWeight", "10001", "from 1 to 10000"},
            {"SystemCallFilter", "~ptrace not_a_syscall", "'not_a_syscall': unknown system call"},
            {"SystemCallFilter", "@nope", "unknown syscall group"},
            {"SystemCallFilter", "mount:EPERM", "NAME:ERRNO belongs in a deny list"},
            {"SystemCallFilter", "~mount:EWHATEVER", "expected NAME:ERRNO"},
            {"RestrictNamespaces", "net bogus", "expected yes, no, or namespace types"},
            {"SystemCallErrorNumber", "EWHATEVER", "unknown errno name"},
            {"SystemCallErrorNumber", "4096", "from 1 to 4095"},
            {"SystemCallErrorNumber", "0", "from 1 to 4095"},
            {"Hostname", "-bad", "expected a host name"},
            {"Hostname", "a..b", "expected a host name"},
            {"Hostname", "under_score", "expected a host name"},
            {"Hostname", "a23456789012345678901234567890123456789012345678901234567890123456789",
             "characters long"},
            {"Stdin", "log", "expected auto, inherit, null or file:PATH"},
            {"Stdout", "journal", "expected auto, inherit, null, log or file:PATH"},
            {"LogOverflow", "discard", "expected block or drop"},
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
        /* a misspelling: the key at most two edits away */
        ck_assert_int_eq(profile_set_key(&p, "MemoryMaxx", "1G", &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "(did you mean MemoryMax?)"));
        ck_assert_int_eq(profile_set_key(&p, "TimeoutKilSec", "1s", &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "(did you mean TimeoutKillSec?)"));
        ck_assert_int_eq(profile_set_key(&p, "Frobnicate", "1", &err), -1);
        ck_assert_ptr_null(strstr(err.msg, "did you mean"));
        /* a deny list cannot be turned into an allow list line by line */
        set_ok(&p, "SystemCallFilter", "");
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

        /* SystemCallFilter: the default deny list, and a deny list adds to it */
        ck_assert(p.syscall_filter.set && p.syscall_filter.deny_list);
        ck_assert_str_eq(p.syscall_filter.names.v[0], "@keyring:EPERM");
        set_ok(&p, "SystemCallFilter", "~ptrace");
        ck_assert_str_eq(p.syscall_filter.names.v[p.syscall_filter.names.n - 1], "ptrace");
        /* an allow list replaces it */
        profile_free(&p);
        profile_default(&p, "t");
        set_ok(&p, "SystemCallFilter", "read write");
        ck_assert(!p.syscall_filter.deny_list);
        ck_assert_str_eq(fmt(&p, "SystemCallFilter", b, sizeof b), "read write");
        set_ok(&p, "SystemCallFilter", "");
        ck_assert(!p.syscall_filter.set);
        /* after a reset: the first line sets the kind, later lines of that kind add */
        set_ok(&p, "SystemCallFilter", "~@mount ptrace:EPERM");
        set_ok(&p, "SystemCallFilter", "~@swap ptrace:EPERM");
        ck_assert(p.syscall_filter.set);
        ck_assert(p.syscall_filter.deny_list);
        ck_assert_uint_eq(p.syscall_filter.names.n, 3);
        /* printed with its reset line first ("|": between lines), or read back onto a fresh
         * profile it would add to the default deny list */
        ck_assert_str_eq(fmt(&p, "SystemCallFilter", b, sizeof b), "|~@mount ptrace:EPERM @swap");
        /* the default list with lines added prints without one */
        profile_free(&p);
        profile_default(&p, "t");
        set_ok(&p, "SystemCallFilter", "~ptrace");
        ck_assert_msg(fmt(&p, "SystemCallFilter", b, sizeof b)[0] == '~', "%s", b);
        /* MemoryMax=N%: a share of MemTotal, as systemd reads it */
        set_ok(&p, "MemoryMax", "50%");
        ck_assert(p.memory_max.set && p.memory_max.value > (64ULL << 20));
        {
                unsigned long long kb = 0;
                char line[256];
                FILE *f = fopen("/proc/meminfo", "re");

                while (f && fgets(line, sizeof line, f) &&
                       sscanf(line, "MemTotal: %llu kB", &kb) != 1)
                        ;
                if (f)
                        fclose(f);
                ck_assert_uint_eq(p.memory_max.value, kb * 1024 / 2);
        }
        /* PassEnvironment=: every variable by default (*), a list of names, or none */
        ck_assert_str_eq(fmt(&p, "PassEnvironment", b, sizeof b), "*");
        set_ok(&p, "PassEnvironment", "PATH LANG");
        set_ok(&p, "PassEnvironment", "TERM");
        ck_assert_str_eq(fmt(&p, "PassEnvironment", b, sizeof b), "PATH LANG TERM");
        set_ok(&p, "PassEnvironment", "");
        ck_assert(!p.pass_environment_all && p.pass_environment.n == 0);
        set_ok(&p, "PassEnvironment", "*");
        ck_assert(p.pass_environment_all);
        set_ok(&p, "UnsetEnvironment", "FOO BAR=1");
        ck_assert_str_eq(fmt(&p, "UnsetEnvironment", b, sizeof b), "FOO BAR=1");
        /* RestrictNamespaces=: yes, no, the types allowed, or ~ the types forbidden */
        ck_assert_str_eq(fmt(&p, "RestrictNamespaces", b, sizeof b), "yes");
        set_ok(&p, "RestrictNamespaces", "net user");
        ck_assert_str_eq(fmt(&p, "RestrictNamespaces", b, sizeof b), "net user");
        set_ok(&p, "RestrictNamespaces", "~user");
        ck_assert_uint_eq(p.restrict_namespaces, RESTRICT_NS_USER);
        set_ok(&p, "RestrictNamespaces", "no");
        ck_assert_str_eq(fmt(&p, "RestrictNamespaces", b, sizeof b), "no");
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
        static const char *const applied[] = {
            "TimeoutCancelSec", "TimeoutHoldSec", "OnChildFailure", "Namespaces", "MemoryMax",
            "TasksMax", "CPUQuota", "SystemCallFilter", "Hostname", "Stdout", "Environment",
            "TimeoutInterruptSec", "TimeoutKillSec", "LimitNOFILE", "IOWeight", "MaxChildren",
            "MaxDepth", "MaxActors", "SpawnProfiles",
            /* the confinement of DESIGN §4a */
            "PrivateTmp", "ProtectSystem", "ReadWritePaths", "ProtectControlGroups", "User",
            "Group", "SupplementaryGroups", "PrivateUsers", "CapabilityBoundingSet",
            "AmbientCapabilities", "BindPaths", "BindReadOnlyPaths", "TemporaryFileSystem",
            "InaccessiblePaths", "ProtectHome",
            /* actor trees 3: tree shares one namespace (DESIGN §9) */
            "PrivateNetwork"};
        struct profile p;

        ck_assert_uint_eq(policy_key_count(), 66);
        for (size_t i = 0; i < sizeof applied / sizeof applied[0]; i++) {
                if (policy_key_pending(applied[i]))
                        ck_abort_msg("%s is marked pending", applied[i]);
        }
        ck_assert_ptr_null(policy_key_pending("NoSuchKey"));
        /* PrivateNetwork: no value is pending any more */
        profile_default(&p, "t");
        for (size_t i = 0; i < 3; i++) {
                static const char *const v[] = {"no", "tree", "actor"};

                set_ok(&p, "PrivateNetwork", v[i]);
                ck_assert_ptr_null(profile_key_pending(&p, "PrivateNetwork"));
        }
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

int main(void)
{
        Suite *(*const suites[])(void) = {keys_suite};

        return th_run("test_keys", TH_UNIT, suites, 1);
}

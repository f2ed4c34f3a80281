/* Unit tests of policy/nesting.c: every key of the key table is classified (a new key without
 * a row fails here), a profile nests in itself, and each rule refuses a looser child with a
 * message naming the key and both values, paired with the child that passes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/nesting.h"
#include "../policy/policy.h"
#include "harness.h"

/* Parent and child from policy-file text ("Key = value" lines), compared. Returns the result;
 * the message in msg. */
static int compare(const char *parent, const char *child, unsigned flags, char *msg, size_t len)
{
        char text[4096];
        struct policy pol;
        struct cerr err = {0};
        int rc;

        snprintf(text, sizeof text, "[profile p]\n%s\n[profile c]\n%s\n", parent, child);
        ck_assert_msg(policy_load_mem("t.ini", text, strlen(text), &pol, &err) == 0, "%s\n%s",
                      err.msg, text);
        ck_assert_uint_eq(pol.n, 2);
        rc = profile_nests(&pol.profiles[0], &pol.profiles[1], flags, &err);
        snprintf(msg, len, "%s", rc < 0 ? err.msg : "");
        if (rc < 0) {
                ck_assert_int_eq(err.errnum, EPERM);
                ck_assert_int_eq(err.stage, CERR_PARSE);
        }
        policy_free(&pol);
        return rc;
}

static void nests(const char *parent, const char *child)
{
        char msg[CERR_MSG_MAX];

        ck_assert_msg(compare(parent, child, 0, msg, sizeof msg) == 0,
                      "parent:\n%s\nchild:\n%s\nrefused: %s", parent, child, msg);
}

/* Refused, the message naming the profiles and containing each of want[] (the key and both
 * values). */
static void refused(const char *parent, const char *child, const char *want1, const char *want2)
{
        char msg[CERR_MSG_MAX];
        const char *opening = "profile 'c' is looser than its parent's profile 'p': ";

        ck_assert_msg(compare(parent, child, 0, msg, sizeof msg) < 0,
                      "parent:\n%s\nchild:\n%s\naccepted", parent, child);
        ck_assert_msg(strncmp(msg, opening, strlen(opening)) == 0, "%s", msg);
        ck_assert_msg(strstr(msg, want1), "'%s' not in: %s", want1, msg);
        ck_assert_msg(!want2 || strstr(msg, want2), "'%s' not in: %s", want2, msg);
}

/* Every key has a row (compared how, or free and why), and every row is a key: a key added
 * to keys.c without one fails here. */
START_TEST(every_key_is_classified)
{
        for (size_t i = 0; i < policy_key_count(); i++) {
                const char *k = policy_key_name(i), *rule = nesting_rule(k);

                ck_assert_msg(rule,
                              "%s: no row in policy/nesting.c's table (compared how, or "
                              "free and why?)",
                              k);
                ck_assert_msg(strncmp(rule, "compared: ", 10) == 0 ||
                                  strncmp(rule, "free: ", 6) == 0,
                              "%s: '%s'", k, rule);
        }
        /* (with every key found, as many rows as keys: no row names a key that is gone, and
         * none is there twice) */
        ck_assert_uint_eq(nesting_row_count(), policy_key_count());
        ck_assert_ptr_null(nesting_rule("NoSuchKey"));
        ck_assert_ptr_nonnull(strstr(nesting_rule("SystemCallFilter"), "stack"));
}
END_TEST

START_TEST(a_profile_nests_in_itself)
{
        static const char *const profiles[] = {
            "",
            ("MemoryMax = 64M\nCapabilityBoundingSet = CAP_NET_RAW CAP_SETUID\n"
             "AmbientCapabilities = CAP_NET_RAW\nPrivateNetwork = actor\nProtectSystem = strict\n"
             "ProtectHome = tmpfs\nPrivateUsers = yes\nTimeoutKillSec = 1s\nLimitNOFILE = 64:128\n"
             "ReadWritePaths = /srv -/var/x\nBindPaths = /data:/srv/data\n"
             "BindReadOnlyPaths = /etc/ssl:/ssl\nTemporaryFileSystem = /opt:ro\n"
             "InaccessiblePaths = /srv/secret\nUser = nobody\nGroup = nogroup\n"
             "SupplementaryGroups = a b\nStdout = file:/var/log/x.log\nStdin = inherit\n"
             "Namespaces = uts\nRestrictNamespaces = ~user\nKeyringMode = inherit\n"
             "MaxDepth = 2\nPrivateTmp = no\nPrivateDevices = no\nProtectControlGroups = no\n"),
            ("PrivateNetwork = tree\nProtectSystem = no\nProtectHome = read-only\n"
             "RestrictNamespaces = no\nNamespaces =\n"),
        };

        for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
                nests(profiles[i], profiles[i]);
}
END_TEST

START_TEST(cgroup_limits_when_set)
{
        refused("MemoryMax = 64M", "MemoryMax = 128M", "MemoryMax=128M", "MemoryMax=64M");
        nests("MemoryMax = 64M", "MemoryMax = 64M");
        nests("MemoryMax = 64M", "MemoryMax = 32M");
        /* unset: its node nests inside the parent's, which bounds it */
        nests("MemoryMax = 64M", "");
        nests("", "MemoryMax = 128M");
        refused("MemoryMax = 64M", "MemoryMax = infinity", "MemoryMax=infinity", "MemoryMax=64M");
        refused("TasksMax = 10", "TasksMax = 11", "TasksMax=11", "TasksMax=10");
        refused("CPUQuota = 50%", "CPUQuota = 50.5%", "CPUQuota=50.50%", "CPUQuota=50%");
        nests("CPUQuota = 50%", "CPUQuota = 20%");
        refused("MemoryHigh = 1G", "MemoryHigh = 2G", "MemoryHigh=2G", "MemoryHigh=1G");
        refused("MemorySwapMax = 0", "MemorySwapMax = 1M", "MemorySwapMax=1M", "MemorySwapMax=0");
}
END_TEST

START_TEST(rlimits_hard_and_never_unset_under_a_parents)
{
        refused("LimitNOFILE = 1024", "LimitNOFILE = 2048", "LimitNOFILE=2048", "LimitNOFILE=1024");
        nests("LimitNOFILE = 1024", "LimitNOFILE = 512:1024");
        /* (the soft limit may be raised to the hard one by the process itself) */
        nests("LimitNOFILE = 256:1024", "LimitNOFILE = 1024");
        refused("LimitNOFILE = 1024", "", "LimitNOFILE= is unset", "LimitNOFILE=1024");
        nests("", "LimitNOFILE = 1024");
        refused("LimitNICE = 0", "LimitNICE = -5", "LimitNICE=", "LimitNICE=0");
        nests("LimitCORE = 1M", "LimitCORE = 0");
}
END_TEST

START_TEST(timeouts_and_depth_no_longer)
{
        static const char *const keys[] = {"TimeoutCancelSec", "TimeoutInterruptSec",
                                           "TimeoutTerminateSec", "TimeoutKillSec",
                                           "TimeoutHoldSec"};

        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                char p[64], c[64], w1[64], w2[64];

                snprintf(p, sizeof p, "%s = 2s", keys[i]);
                snprintf(c, sizeof c, "%s = 3s", keys[i]);
                snprintf(w1, sizeof w1, "%s=3s", keys[i]);
                snprintf(w2, sizeof w2, "%s=2s", keys[i]);
                refused(p, c, w1, w2);
                snprintf(c, sizeof c, "%s = 1s", keys[i]);
                nests(p, c);
        }
        /* the defaults count as set: the child's own (10s) is longer */
        refused("TimeoutKillSec = 2s", "", "TimeoutKillSec=10s", "TimeoutKillSec=2s");
        refused("MaxDepth = 2", "", "MaxDepth=8", "MaxDepth=2");
        nests("MaxDepth = 2", "MaxDepth = 2");
}
END_TEST

START_TEST(modes_no_weaker)
{
        refused("PrivateNetwork = actor", "PrivateNetwork = no", "PrivateNetwork=no",
                "PrivateNetwork=actor");
        refused("PrivateNetwork = actor", "PrivateNetwork = tree", "no < tree < actor",
                "PrivateNetwork=actor");
        refused("PrivateNetwork = tree", "PrivateNetwork = no", "PrivateNetwork=no",
                "PrivateNetwork=tree");
        nests("PrivateNetwork = tree", "PrivateNetwork = actor");
        nests("PrivateNetwork = no", "PrivateNetwork = tree");
        refused("ProtectSystem = strict", "ProtectSystem = full", "ProtectSystem=full",
                "ProtectSystem=strict");
        refused("ProtectSystem = full", "ProtectSystem = yes", "ProtectSystem=yes",
                "ProtectSystem=full");
        nests("ProtectSystem = yes", "ProtectSystem = strict");
        refused("ProtectHome = yes", "ProtectHome = read-only", "ProtectHome=read-only",
                "ProtectHome=yes");
        refused("ProtectHome = read-only", "ProtectHome = no", "ProtectHome=no",
                "ProtectHome=read-only");
        nests("ProtectHome = yes", "ProtectHome = tmpfs");
        nests("ProtectHome = tmpfs", "ProtectHome = yes");
        nests("ProtectHome = read-only", "ProtectHome = tmpfs");
        refused("", "KeyringMode = inherit", "KeyringMode=inherit", "KeyringMode=private");
        nests("KeyringMode = inherit", "KeyringMode = private");
        refused("", "PrivateTmp = no", "PrivateTmp=no", "PrivateTmp=yes");
        refused("", "PrivateDevices = no", "PrivateDevices=no", "PrivateDevices=yes");
        refused("", "ProtectControlGroups = no", "ProtectControlGroups=no",
                "ProtectControlGroups=yes");
        nests("PrivateTmp = no\nPrivateDevices = no\nProtectControlGroups = no", "");
}
END_TEST

START_TEST(namespace_sets_hold_the_parents)
{
        refused("", "Namespaces = ipc", "Namespaces=ipc", "Namespaces=ipc uts cgroup");
        nests("Namespaces = ipc", "Namespaces = ipc uts");
        refused("", "RestrictNamespaces = no", "RestrictNamespaces=no", "RestrictNamespaces=yes");
        refused("RestrictNamespaces = ~user", "RestrictNamespaces = ~net",
                "RestrictNamespaces=", "RestrictNamespaces=");
        nests("RestrictNamespaces = ~user", "RestrictNamespaces = ~user net");
        nests("RestrictNamespaces = no", "");
}
END_TEST

START_TEST(privileges_within_the_parents)
{
        refused("", "CapabilityBoundingSet = CAP_NET_RAW CAP_CHOWN", "holds CAP_CHOWN CAP_NET_RAW",
                "CapabilityBoundingSet= (empty)");
        nests("CapabilityBoundingSet = CAP_NET_RAW CAP_CHOWN",
              "CapabilityBoundingSet = CAP_NET_RAW");
        refused("CapabilityBoundingSet = CAP_CHOWN", "AmbientCapabilities = CAP_NET_RAW",
                "AmbientCapabilities=CAP_NET_RAW", "CapabilityBoundingSet=CAP_CHOWN");
        nests("CapabilityBoundingSet = CAP_NET_RAW", "AmbientCapabilities = CAP_NET_RAW");
        /* capabilities inside a user namespace are not the host's */
        refused("PrivateUsers = yes\nCapabilityBoundingSet = CAP_SYS_ADMIN",
                "AmbientCapabilities = CAP_SYS_ADMIN", "AmbientCapabilities=CAP_SYS_ADMIN",
                "its CapabilityBoundingSet=CAP_SYS_ADMIN is its own user namespace's");
        nests("PrivateUsers = yes\nCapabilityBoundingSet = CAP_SYS_ADMIN",
              "PrivateUsers = yes\nCapabilityBoundingSet = CAP_SYS_ADMIN");
        refused("PrivateUsers = yes\nCapabilityBoundingSet = CAP_SETUID CAP_SETGID",
                "User = nobody", "User=nobody", "lacks CAP_SETUID or CAP_SETGID over the host's");
        /* a user namespace only under a parent with one */
        refused("", "PrivateUsers = yes", "PrivateUsers=yes", "(it has no)");
        nests("PrivateUsers = yes", "PrivateUsers = yes");
        nests("PrivateUsers = yes", "");
        /* another identity only with CAP_SETUID/CAP_SETGID */
        refused("", "User = nobody", "User=nobody", "User= (empty)");
        refused("CapabilityBoundingSet = CAP_SETUID", "User = nobody", "User=nobody", "CAP_SETGID");
        nests("CapabilityBoundingSet = CAP_SETUID CAP_SETGID", "User = nobody");
        nests("User = nobody", "User = nobody");
        refused("User = nobody", "User = root", "User=root", "User=nobody");
        refused("", "Group = nogroup", "Group=nogroup", "Group= (empty)");
        nests("CapabilityBoundingSet = CAP_SETGID", "Group = nogroup");
        refused("SupplementaryGroups = a b", "SupplementaryGroups = b c", "SupplementaryGroups=b c",
                "SupplementaryGroups=a b");
        nests("SupplementaryGroups = a b", "SupplementaryGroups = b");
        nests("CapabilityBoundingSet = CAP_SETGID", "SupplementaryGroups = c");
}
END_TEST

/* What the child may write on the host, the parent can write; what it may read, the parent
 * can read; what the parent hides, the child hides. */
START_TEST(writable_paths_within_the_parents)
{
        /* ProtectSystem=strict: only its ReadWritePaths= are writable */
        nests("ProtectSystem = strict\nReadWritePaths = /srv",
              "ProtectSystem = strict\nReadWritePaths = //srv/./a/");
        refused("ProtectSystem = strict\nReadWritePaths = /srv",
                "ProtectSystem = strict\nReadWritePaths = -/var/x", "ReadWritePaths=-/var/x",
                "ProtectSystem=strict");
        nests("ProtectSystem = strict\nReadWritePaths = /srv /var",
              "ProtectSystem = strict\nReadWritePaths = -/var/x");
        /* (a sibling that shares a prefix is not within) */
        refused("ProtectSystem = strict\nReadWritePaths = /srv",
                "ProtectSystem = strict\nReadWritePaths = /srv2", "ReadWritePaths=/srv2",
                "cannot write /srv2");
        /* full (the default) leaves /var writable, /etc not */
        nests("", "ReadWritePaths = /var/lib/x");
        refused("", "ReadWritePaths = /etc/x", "ReadWritePaths=/etc/x", "ProtectSystem=full");
        refused("", "BindPaths = /etc/x:/mnt", "BindPaths=/etc/x:/mnt", "ProtectSystem=full");
        nests("", "BindReadOnlyPaths = /etc/x:/mnt");
        nests("ProtectSystem = no", "ReadWritePaths = /etc/x");
        /* a parent's bind source is a host path it reaches */
        nests("ProtectSystem = strict\nBindPaths = /data:/srv/data",
              "ProtectSystem = strict\nBindPaths = /data/a:/a");
        refused("ProtectSystem = strict\nBindReadOnlyPaths = /data:/srv/data",
                "ProtectSystem = strict\nBindPaths = /data/a:/a", "BindPaths=/data/a:/a",
                "cannot write /data/a");
        nests("ProtectSystem = strict\nBindReadOnlyPaths = /data:/srv/data",
              "ProtectSystem = strict\nBindReadOnlyPaths = /data/a:/a");
        /* its own /tmp: the host's is out of the parent's reach */
        refused("", "BindPaths = /tmp/x:/x", "BindPaths=/tmp/x:/x", "PrivateTmp=yes");
        nests("PrivateTmp = no", "PrivateTmp = no\nBindPaths = /tmp/x:/x");
        /* ProtectHome=read-only: ReadWritePaths= inside are writable again */
        refused("ProtectHome = read-only", "ProtectHome = read-only\nReadWritePaths = /home/u",
                "ReadWritePaths=/home/u", "ProtectHome=read-only");
        nests("ProtectHome = read-only\nReadWritePaths = /home/u",
              "ProtectHome = read-only\nReadWritePaths = /home/u/a");
        refused("ProtectHome = yes", "ProtectHome = yes\nBindReadOnlyPaths = /home/u:/u",
                "BindReadOnlyPaths=/home/u:/u", "ProtectHome=yes hides it");
}
END_TEST

START_TEST(hidden_paths_stay_hidden)
{
        refused("InaccessiblePaths = /srv/secret", "", "InaccessiblePaths=/srv/secret",
                "InaccessiblePaths= (empty)");
        nests("InaccessiblePaths = /srv/secret", "InaccessiblePaths = /srv");
        nests("InaccessiblePaths = -/srv/secret/", "TemporaryFileSystem = /srv");
        refused("InaccessiblePaths = /srv/secret", "InaccessiblePaths = /srv/secret/a",
                "InaccessiblePaths=/srv/secret", "/srv/secret/a");
        /* ... and nothing of it comes back through a bind, unless the parent has it too */
        refused("InaccessiblePaths = /srv/secret",
                "InaccessiblePaths = /srv/secret\nBindReadOnlyPaths = /srv/secret/k:/k",
                "BindReadOnlyPaths=/srv/secret/k:/k", "InaccessiblePaths=/srv/secret hides it");
        nests("InaccessiblePaths = /srv/secret\nBindReadOnlyPaths = /srv/secret/k:/k",
              "InaccessiblePaths = /srv/secret\nBindReadOnlyPaths = /srv/secret/k:/k");
        refused("TemporaryFileSystem = /srv", "", "TemporaryFileSystem=/srv", NULL);
        nests("TemporaryFileSystem = /srv:ro", "TemporaryFileSystem = /srv");
        refused("TemporaryFileSystem = /srv", "TemporaryFileSystem = /srv\nReadWritePaths = /srv/x",
                "ReadWritePaths=/srv/x", "TemporaryFileSystem=/srv has a tmpfs of its own");
        nests("TemporaryFileSystem = /srv\nReadWritePaths = /srv/x",
              "TemporaryFileSystem = /srv\nReadWritePaths = /srv/x");
        /* the child's own tmpfs and hidden paths are free */
        nests("", "TemporaryFileSystem = /opt\nInaccessiblePaths = /var");
}
END_TEST

START_TEST(a_path_with_dotdot_lies_within_nothing)
{
        struct profile p, c;
        struct cerr err = {0};

        profile_default(&p, "p");
        profile_default(&c, "c");
        ck_assert_int_eq(profile_set_key(&p, "ProtectSystem", "strict", &err), 0);
        ck_assert_int_eq(profile_set_key(&p, "ReadWritePaths", "/srv", &err), 0);
        /* (the parser refuses '..'; a profile built in code may hold anything) */
        ck_assert_int_eq(strlist_add(&c.read_write_paths, "/srv/../etc", &err), 0);
        c.protect_system = PROTECT_SYSTEM_STRICT;
        ck_assert_int_eq(profile_nests(&p, &c, 0, &err), -1);
        ck_assert_msg(strstr(err.msg, "'..'"), "%s", err.msg);
        profile_free(&p);
        profile_free(&c);
}
END_TEST

START_TEST(stdio_files_and_the_callers_fds)
{
        char msg[CERR_MSG_MAX];

        refused("ProtectSystem = strict", "ProtectSystem = strict\nStdout = file:/var/log/x.log",
                "Stdout=file:/var/log/x.log", "ProtectSystem=strict");
        nests("ProtectSystem = strict\nReadWritePaths = /var/log",
              "ProtectSystem = strict\nStdout = file:/var/log/x.log");
        nests("ProtectSystem = strict\nStderr = file:/var/log/x.log",
              "ProtectSystem = strict\nStderr = file:/var/log/x.log");
        nests("ProtectSystem = strict", "ProtectSystem = strict\nStdin = file:/etc/hostname");
        refused("InaccessiblePaths = /etc/secret",
                "InaccessiblePaths = /etc/secret\nStdin = file:/etc/secret",
                "Stdin=file:/etc/secret", "cannot read /etc/secret");
        /* inherit: the caller's own fd, which the parent must hold */
        refused("Stdin = null", "Stdin = inherit", "Stdin=inherit", "Stdin=null");
        nests("Stdin = inherit", "Stdin = inherit");
        nests("Stdout = log", "Stdout = null");
        /* auto is the caller's own for the tree's root only */
        ck_assert_int_eq(compare("", "Stdin = inherit", NEST_PARENT_IS_ROOT, msg, sizeof msg), 0);
        ck_assert_int_eq(compare("", "Stdin = inherit", 0, msg, sizeof msg), -1);
        ck_assert_msg(strstr(msg, "below the root"), "%s", msg);
}
END_TEST

/* The keys classified free: a child may differ in each, either way. */
START_TEST(free_keys_are_not_compared)
{
        nests("CPUWeight = 10\nIOWeight = 10\nPrivateTmpSize = 1M\nHostname = a\n"
              "SystemCallFilter = ~@mount\nSystemCallErrorNumber = EPERM\nLogOverflow = drop\n"
              "Environment = A=1\nPassEnvironment = HOME\nUnsetEnvironment = B\n"
              "WorkingDirectory = /srv\nRuntimeMaxSec = 1s\nMaxChildren = 1\nMaxActors = 2\n"
              "SpawnProfiles = p\nOnChildFailure = cancel-parent",
              "CPUWeight = 10000\nIOWeight = 10000\nPrivateTmpSize = 1G\nHostname = b\n"
              "SystemCallFilter = read write\nSystemCallErrorNumber = EACCES\n"
              "LogOverflow = block\nEnvironment = A=2\nWorkingDirectory = /\n"
              "RuntimeMaxSec = infinity\nMaxChildren = 1000\nMaxActors = 5000\n"
              "SpawnProfiles = c\nOnChildFailure = notify");
}
END_TEST

static const struct profile *find_in(const void *ctx, const char *name)
{
        return policy_find(ctx, name);
}

/* `corral policy check` and run: a SpawnProfiles= entry that could never be spawned. */
START_TEST(warnings_for_spawn_profiles_that_never_nest)
{
        const char *text = "[profile p]\nMemoryMax = 64M\nSpawnProfiles = big small p\n\n"
                           "[profile big]\nMemoryMax = 128M\n\n[profile small]\nMemoryMax = 1M\n";
        struct policy pol;
        struct strlist out = {0};
        struct cerr err = {0};

        ck_assert_int_eq(policy_load_mem("t.ini", text, strlen(text), &pol, &err), 0);
        ck_assert_int_eq(nesting_warnings(&pol.profiles[0], find_in, &pol, &out, &err), 0);
        ck_assert_uint_eq(out.n, 1);
        ck_assert_str_eq(out.v[0], "SpawnProfiles=big: every SPAWN of it is refused: "
                                   "MemoryMax=128M is above the parent's MemoryMax=64M");
        strlist_clear(&out);
        /* (the others list nothing) */
        ck_assert_int_eq(nesting_warnings(&pol.profiles[1], find_in, &pol, &out, &err), 0);
        ck_assert_uint_eq(out.n, 0);
        policy_free(&pol);
}
END_TEST

static Suite *nesting_suite(void)
{
        Suite *s = suite_create("policy-nesting");
        TCase *tc = tcase_create("nesting");

        tcase_add_test(tc, every_key_is_classified);
        tcase_add_test(tc, a_profile_nests_in_itself);
        tcase_add_test(tc, cgroup_limits_when_set);
        tcase_add_test(tc, rlimits_hard_and_never_unset_under_a_parents);
        tcase_add_test(tc, timeouts_and_depth_no_longer);
        tcase_add_test(tc, modes_no_weaker);
        tcase_add_test(tc, namespace_sets_hold_the_parents);
        tcase_add_test(tc, privileges_within_the_parents);
        tcase_add_test(tc, writable_paths_within_the_parents);
        tcase_add_test(tc, hidden_paths_stay_hidden);
        tcase_add_test(tc, a_path_with_dotdot_lies_within_nothing);
        tcase_add_test(tc, stdio_files_and_the_callers_fds);
        tcase_add_test(tc, free_keys_are_not_compared);
        tcase_add_test(tc, warnings_for_spawn_profiles_that_never_nest);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {nesting_suite};

        return th_run("test_nesting", TH_UNIT, suites, 1);
}

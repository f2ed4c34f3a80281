/* The key table: every policy key, the profile field it sets, the setter and formatter of
 * its kind of value (key_values.c), and whether its behaviour is still to come.
 *
 * To add a key: one row in `keys[]` below (a shared setter/formatter pair usually does),
 * plus the field in profile.h. To mark a key applied: drop its PENDING_* note. List keys
 * accumulate over repeated lines, and an empty assignment resets (systemd's rule). */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "seccomp_policy.h"
#include "key_values.h"
#include "units.h"
#include "words.h"

/* ---- the table ---- */

static const struct enum_name private_network_names[] = {{"no", PRIVATE_NETWORK_NO},
                                                         {"tree", PRIVATE_NETWORK_TREE},
                                                         {"actor", PRIVATE_NETWORK_ACTOR},
                                                         {NULL, 0}};
/* "no" and "yes" first: set_enum maps systemd's booleans onto entries 0 and 1. */
static const struct enum_name protect_system_names[] = {{"no", PROTECT_SYSTEM_NO},
                                                        {"yes", PROTECT_SYSTEM_YES},
                                                        {"full", PROTECT_SYSTEM_FULL},
                                                        {"strict", PROTECT_SYSTEM_STRICT},
                                                        {NULL, 0}};
static const struct enum_name protect_home_names[] = {{"no", PROTECT_HOME_NO},
                                                      {"yes", PROTECT_HOME_YES},
                                                      {"read-only", PROTECT_HOME_READ_ONLY},
                                                      {"tmpfs", PROTECT_HOME_TMPFS},
                                                      {NULL, 0}};
static const struct enum_name on_child_failure_names[] = {
    {"notify", ON_CHILD_FAILURE_NOTIFY},
    {"cancel-siblings", ON_CHILD_FAILURE_CANCEL_SIBLINGS},
    {"cancel-parent", ON_CHILD_FAILURE_CANCEL_PARENT},
    {NULL, 0}};

static const struct enum_name keyring_mode_names[] = {
    {"private", KEYRING_MODE_PRIVATE},
    {"inherit", KEYRING_MODE_INHERIT},
    {NULL, 0},
};

static const struct enum_name log_overflow_names[] = {
    {"block", LOG_OVERFLOW_BLOCK}, {"drop", LOG_OVERFLOW_DROP}, {NULL, 0}};

#define OFF(field) offsetof(struct profile, field)
#define BOOL(name, field, pend)                                                                    \
        {                                                                                          \
                name, set_bool, fmt_bool, OFF(field), 0, NULL, NULL, false, pend, NULL             \
        }
#define ENUM(name, field, table, bools, pend)                                                      \
        {                                                                                          \
                name, set_enum, fmt_enum, OFF(field), bools, table, NULL, false, pend, NULL        \
        }
#define LIMIT(name, field, kind)                                                                   \
        {                                                                                          \
                name, set_limit, fmt_limit, OFF(field), kind, NULL, NULL, false, NULL, NULL        \
        }
#define TIMEOUT(name, field, pend)                                                                 \
        {                                                                                          \
                name, set_timeout, fmt_duration, OFF(field), 0, NULL, NULL, false, pend, NULL      \
        }
#define COUNT(name, field, pend)                                                                   \
        {                                                                                          \
                name, set_count_min1, fmt_count, OFF(field), 0, NULL, NULL, false, pend, NULL      \
        }
#define STRING(name, field, check, pend)                                                           \
        {                                                                                          \
                name, set_string, fmt_string, OFF(field), 0, NULL, check, false, pend, NULL        \
        }
#define LIST(name, field, check, pend)                                                             \
        {                                                                                          \
                name, set_list, fmt_list, OFF(field), 0, NULL, check, true, pend, NULL             \
        }
#define CAPS(name, field, pend)                                                                    \
        {                                                                                          \
                name, set_caps, fmt_caps, OFF(field), 0, NULL, NULL, true, pend, NULL              \
        }
#define STDIO(name, field, log)                                                                    \
        {                                                                                          \
                name, set_stdio, fmt_stdio, OFF(field), log, NULL, NULL, false, NULL, NULL         \
        }
#define RLIMIT(i)                                                                                  \
        {                                                                                          \
                NULL, set_rlimit, fmt_rlimit, 0, i, NULL, NULL, false, NULL, NULL                  \
        }

static const struct key keys[] = {
    /* namespaces and mounts (§4a) */
    {"Namespaces", set_namespaces, fmt_namespaces, OFF(namespaces), 0, NULL, NULL, false, NULL,
     NULL},
    ENUM("PrivateNetwork", private_network, private_network_names, 0, NULL),
    BOOL("PrivateUsers", private_users, NULL),
    BOOL("PrivateTmp", private_tmp, NULL),
    LIMIT("PrivateTmpSize", private_tmp_size, LIM_SIZE),
    BOOL("PrivateDevices", private_devices, NULL),
    ENUM("KeyringMode", keyring_mode, keyring_mode_names, 0, NULL),
    ENUM("ProtectSystem", protect_system, protect_system_names, 1, NULL),
    ENUM("ProtectHome", protect_home, protect_home_names, 1, NULL),
    LIST("ReadWritePaths", read_write_paths, check_opt_path, NULL),
    LIST("BindPaths", bind_paths, check_bind, NULL),
    LIST("BindReadOnlyPaths", bind_ro_paths, check_bind, NULL),
    LIST("TemporaryFileSystem", temporary_fs, check_tmpfs, NULL),
    LIST("InaccessiblePaths", inaccessible_paths, check_opt_path, NULL),
    BOOL("ProtectControlGroups", protect_control_groups, NULL),
    /* credentials */
    STRING("User", user, check_user_name, NULL),
    STRING("Group", group, check_user_name, NULL),
    LIST("SupplementaryGroups", supplementary_groups, check_user_name, NULL),
    CAPS("CapabilityBoundingSet", capability_bounding_set, NULL),
    CAPS("AmbientCapabilities", ambient_capabilities, NULL),
    /* resources (§7) */
    LIMIT("MemoryMax", memory_max, LIM_SIZE),
    LIMIT("MemoryHigh", memory_high, LIM_SIZE),
    LIMIT("MemorySwapMax", memory_swap_max, LIM_SIZE),
    LIMIT("TasksMax", tasks_max, LIM_TASKS),
    LIMIT("CPUQuota", cpu_quota, LIM_PERCENT),
    LIMIT("CPUWeight", cpu_weight, LIM_WEIGHT),
    LIMIT("IOWeight", io_weight, LIM_WEIGHT),
    /* seccomp */
    {"SystemCallFilter", set_syscall_filter, fmt_syscall_filter, OFF(syscall_filter), 0, NULL, NULL,
     true, NULL, NULL},
    {"SystemCallErrorNumber", set_errno, fmt_errno, OFF(syscall_filter), 0, NULL, NULL, false, NULL,
     NULL},
    {"RestrictNamespaces", set_restrict_ns, fmt_restrict_ns, OFF(restrict_namespaces), 0, NULL,
     NULL, false, NULL, NULL},
    /* the program's environment */
    STRING("Hostname", hostname, check_hostname, NULL),
    STDIO("Stdin", std_in, 0),
    STDIO("Stdout", std_out, 1),
    STDIO("Stderr", std_err, 1),
    ENUM("LogOverflow", log_overflow, log_overflow_names, 0, NULL),
    {"Environment", set_env, fmt_list, OFF(environment), 0, NULL, NULL, true, NULL, NULL},
    {"PassEnvironment", set_pass_env, fmt_pass_env, OFF(pass_environment), 0, NULL, NULL, true,
     NULL, NULL},
    {"UnsetEnvironment", set_unset_env, fmt_list, OFF(unset_environment), 0, NULL, NULL, true, NULL,
     NULL},
    STRING("WorkingDirectory", working_directory, check_abs_path, NULL),
    RLIMIT(0),
    RLIMIT(1),
    RLIMIT(2),
    RLIMIT(3),
    RLIMIT(4),
    RLIMIT(5),
    RLIMIT(6),
    RLIMIT(7),
    RLIMIT(8),
    RLIMIT(9),
    RLIMIT(10),
    RLIMIT(11),
    RLIMIT(12),
    RLIMIT(13),
    RLIMIT(14),
    RLIMIT(15),
    /* the cascade (§6) */
    TIMEOUT("TimeoutCancelSec", timeout_cancel, NULL),
    TIMEOUT("TimeoutInterruptSec", timeout_interrupt, NULL),
    TIMEOUT("TimeoutTerminateSec", timeout_terminate, NULL),
    TIMEOUT("TimeoutKillSec", timeout_kill, NULL),
    TIMEOUT("TimeoutHoldSec", timeout_hold, NULL),
    /* (arg 1: `infinity` is allowed, and stored as 0) */
    {"RuntimeMaxSec", set_timeout, fmt_duration, OFF(runtime_max), 1, NULL, NULL, false, NULL,
     NULL},
    /* trees */
    COUNT("MaxChildren", max_children, NULL),
    COUNT("MaxDepth", max_depth, NULL),
    COUNT("MaxActors", max_actors, NULL),
    LIST("SpawnProfiles", spawn_profiles, check_profile_name, NULL),
    ENUM("OnChildFailure", on_child_failure, on_child_failure_names, 0, NULL),
};

#define NKEYS (sizeof keys / sizeof keys[0])

_Static_assert(sizeof rlimit_keys / sizeof rlimit_keys[0] == 16, "one row per Limit* key");

static const struct key *key_find(const char *name)
{
        for (size_t i = 0; i < NKEYS; i++) {
                const char *n = keys[i].name ? keys[i].name : rlimit_keys[keys[i].arg].key;

                if (strcmp(n, name) == 0)
                        return &keys[i];
        }
        return NULL;
}

static const char *key_name(const struct key *k)
{
        return k->name ? k->name : rlimit_keys[k->arg].key;
}

/* Levenshtein distance, capped: a-b beyond `cap` is reported as cap + 1. */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
        size_t la = strlen(a), lb = strlen(b), row[64], prev;

        if (la >= sizeof row / sizeof row[0] || lb >= sizeof row / sizeof row[0])
                return cap + 1;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t best;

                prev = row[0];
                row[0] = i;
                best = row[0];
                for (size_t j = 1; j <= lb; j++) {
                        size_t cur = row[j], sub = prev + (a[i - 1] != b[j - 1]);
                        size_t del = row[j] + 1, ins = row[j - 1] + 1;

                        row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                        prev = cur;
                        if (row[j] < best)
                                best = row[j];
                }
                if (best > cap)
                        return cap + 1;
        }
        return row[lb];
}

/* The key a misspelling most likely meant (at most 2 edits away, and a unique best), or NULL. */
static const struct key *nearest_key(const char *key)
{
        const struct key *best = NULL;
        size_t best_d = 3;
        bool tie = false;

        for (size_t i = 0; i < NKEYS; i++) {
                size_t d = edit_distance(key, key_name(&keys[i]), 2);

                if (d < best_d) {
                        best = &keys[i];
                        best_d = d;
                        tie = false;
                } else if (d == best_d) {
                        tie = true;
                }
        }
        return best && !tie ? best : NULL;
}

int profile_set_key(struct profile *p, const char *key, const char *value, struct cerr *err)
{
        const struct key *k = key_find(key);

        if (!k) {
                for (size_t i = 0; i < NKEYS; i++) {
                        if (strcasecmp(key_name(&keys[i]), key) == 0)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "unknown key '%s' (keys are case-sensitive: did "
                                                "you mean %s?)",
                                                key, key_name(&keys[i]));
                }
                {
                        const struct key *near = nearest_key(key);

                        if (near)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "unknown key '%s' (did you mean %s?)", key,
                                                key_name(near));
                }
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "unknown key '%s'; `corral policy default` lists every key", key);
        }
        if (k->set(p, k, value, err) < 0)
                return cerr_wrap(err, "%s", key);
        return 0;
}

const char *policy_key_pending(const char *key)
{
        const struct key *k = key_find(key);

        return k ? k->pending : NULL;
}

const char *profile_key_pending(const struct profile *p, const char *key)
{
        const struct key *k = key_find(key);

        if (!k || !k->pending || (k->pending_if && !k->pending_if(p)))
                return NULL;
        return k->pending;
}

size_t policy_key_count(void)
{
        return NKEYS;
}

const char *policy_key_name(size_t i)
{
        return i < NKEYS ? key_name(&keys[i]) : NULL;
}

bool policy_key_is_list(const char *key)
{
        const struct key *k = key_find(key);

        return k && k->list;
}

bool policy_key_is_words(const char *key)
{
        const struct key *k = key_find(key);

        return k && (k->list || k->set == set_namespaces || k->set == set_restrict_ns);
}

int profile_format_key(const struct profile *p, const char *key, struct strlist *out,
                       struct cerr *err)
{
        const struct key *k = key_find(key);

        if (!k)
                return cerr_set(err, EINVAL, CERR_FORMAT, "unknown key '%s'", key);
        if (k->format(p, k, out, err) < 0)
                return cerr_wrap(err, "%s", key);
        return 0;
}

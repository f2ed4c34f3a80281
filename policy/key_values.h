/* The policy keys' values (key_values.c: the shared kinds; special_keys.c: the keys with a
 * syntax of their own): how each kind of value is parsed into a profile field, checked, and
 * written back in policy-file syntax. The key table (keys.c) names, for each key, its field
 * and the setter and formatter of its kind. Internal to policy/. */
#ifndef CORRAL_POLICY_KEY_VALUES_H
#define CORRAL_POLICY_KEY_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "../ns/err.h"
#include "profile.h"

struct key;
typedef int (*key_set_fn)(struct profile *p, const struct key *k, const char *v, struct cerr *err);
typedef int (*key_format_fn)(const struct profile *p, const struct key *k, struct strlist *out,
                             struct cerr *err);

struct enum_name {
        const char *name;
        int value;
};

struct key {
        const char *name;
        key_set_fn set;
        key_format_fn format;
        size_t off;                    /* the profile field the shared setters work on */
        long arg;                      /* per key: rlimit row, value kind, "log" allowed ... */
        const struct enum_name *names; /* enum keys */
        int (*check)(const char *w, struct cerr *err); /* list entries, strings */
        bool list;                                     /* repeated lines accumulate */
        const char *pending;
        bool (*pending_if)(const struct profile *p); /* NULL: pending whatever the value */
};

#define FIELD(p, k, type)  ((type *)((char *)(p) + (k)->off))
#define CFIELD(p, k, type) ((const type *)((const char *)(p) + (k)->off))

/* kinds of resource limits (LIMIT rows) */
enum { LIM_SIZE, LIM_TASKS, LIM_PERCENT, LIM_WEIGHT };

/* kinds of Limit*= values, and the row of each Limit* key (RLIMIT rows name theirs) */
enum { RL_SIZE, RL_COUNT, RL_CPU_SEC, RL_RTTIME_USEC, RL_NICE };

struct rlimit_key {
        const char *key;
        int resource;
        int kind;
};

extern const struct rlimit_key rlimit_keys[16];

/* A capability's name ("CAP_NET_RAW") by number; NULL past the last one known. */
const char *policy_cap_name(unsigned c);

int check_bind(const char *w, struct cerr *err);
int check_abs_path(const char *w, struct cerr *err);
int check_opt_path(const char *w, struct cerr *err);
int check_tmpfs(const char *w, struct cerr *err);
int check_hostname(const char *w, struct cerr *err);
int check_profile_name(const char *w, struct cerr *err);
int check_user_name(const char *w, struct cerr *err);
int fmt_bool(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_caps(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_count(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_duration(const struct profile *p, const struct key *k, struct strlist *out,
                 struct cerr *err);
int fmt_enum(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_errno(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_limit(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_list(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_namespaces(const struct profile *p, const struct key *k, struct strlist *out,
                   struct cerr *err);
int fmt_restrict_ns(const struct profile *p, const struct key *k, struct strlist *out,
                    struct cerr *err);
int fmt_pass_env(const struct profile *p, const struct key *k, struct strlist *out,
                 struct cerr *err);
int fmt_rlimit(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_stdio(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_string(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err);
int fmt_syscall_filter(const struct profile *p, const struct key *k, struct strlist *out,
                       struct cerr *err);
int set_bool(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_caps(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_count_min1(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_enum(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_env(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_errno(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_limit(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_list(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_namespaces(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_restrict_ns(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_pass_env(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_unset_env(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_rlimit(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_stdio(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_string(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_syscall_filter(struct profile *p, const struct key *k, const char *v, struct cerr *err);
int set_timeout(struct profile *p, const struct key *k, const char *v, struct cerr *err);

#endif

/* The policy keys whose values have a syntax of their own (key_values.h): Namespaces=, the
 * capability sets, SystemCallFilter= and SystemCallErrorNumber=, Stdin=/Stdout=/Stderr=,
 * Environment= and the Limit*= resource limits. The shared kinds are in key_values.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "key_values.h"
#include "policy.h"
#include "seccomp_policy.h"
#include "units.h"
#include "words.h"

/* ---- Namespaces= ---- */

static const struct enum_name ns_names[] = {
    {"ipc", PROFILE_NS_IPC}, {"uts", PROFILE_NS_UTS}, {"cgroup", PROFILE_NS_CGROUP}, {NULL, 0}};

/* Space-separated names of a table, OR'ed into *mask; -1 (with `expected` in the error) at the
 * first word that is none of them. */
static int names_mask(const char *v, const struct enum_name *table, const char *expected,
                      unsigned *mask, struct cerr *err)
{
        struct strlist words;

        *mask = 0;
        if (words_split(v, NULL, &words, err) < 0)
                return -1;
        for (size_t i = 0; i < words.n; i++) {
                const struct enum_name *e = table;

                while (e->name && strcmp(e->name, words.v[i]) != 0)
                        e++;
                if (!e->name) {
                        cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected %s", words.v[i],
                                 expected);
                        strlist_clear(&words);
                        return -1;
                }
                *mask |= (unsigned)e->value;
        }
        strlist_clear(&words);
        return 0;
}

int set_namespaces(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        unsigned mask;

        (void)k;
        if (names_mask(v, ns_names,
                       "a space-separated subset of ipc uts cgroup (pid and mount are always new, "
                       "user is PrivateUsers=, net is PrivateNetwork=)",
                       &mask, err) < 0)
                return -1;
        p->namespaces = mask;
        return 0;
}

int fmt_namespaces(const struct profile *p, const struct key *k, struct strlist *out,
                   struct cerr *err)
{
        char buf[32] = "";

        (void)k;
        for (const struct enum_name *e = ns_names; e->name; e++) {
                if (p->namespaces & (unsigned)e->value) {
                        if (buf[0])
                                strcat(buf, " ");
                        strcat(buf, e->name);
                }
        }
        return strlist_add(out, buf, err);
}

/* ---- RestrictNamespaces= (systemd's) ---- */

static const struct enum_name restrict_ns_names[] = {
    {"cgroup", RESTRICT_NS_CGROUP}, {"ipc", RESTRICT_NS_IPC},   {"net", RESTRICT_NS_NET},
    {"mnt", RESTRICT_NS_MNT},       {"pid", RESTRICT_NS_PID},   {"user", RESTRICT_NS_USER},
    {"uts", RESTRICT_NS_UTS},       {"time", RESTRICT_NS_TIME}, {NULL, 0}};

/* yes (none may be created), no (any), a list of the types that may be, or `~` and the types
 * that may not be. */
int set_restrict_ns(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        bool invert = v[0] == '~';
        unsigned listed;

        (void)k;
        if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
                p->restrict_namespaces = RESTRICT_NS_ALL;
                return 0;
        }
        if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || !*v) {
                p->restrict_namespaces = 0;
                return 0;
        }
        if (names_mask(v + invert, restrict_ns_names,
                       "yes, no, or namespace types (cgroup ipc net mnt pid user uts time), '~' "
                       "first to name the forbidden ones",
                       &listed, err) < 0)
                return -1;
        p->restrict_namespaces = invert ? listed : RESTRICT_NS_ALL & ~listed;
        return 0;
}

int fmt_restrict_ns(const struct profile *p, const struct key *k, struct strlist *out,
                    struct cerr *err)
{
        char buf[64] = "";

        (void)k;
        if (p->restrict_namespaces == RESTRICT_NS_ALL)
                return strlist_add(out, "yes", err);
        if (p->restrict_namespaces == 0)
                return strlist_add(out, "no", err);
        /* the types that may be created, as systemd prints them */
        for (const struct enum_name *e = restrict_ns_names; e->name; e++) {
                if (!(p->restrict_namespaces & (unsigned)e->value)) {
                        if (buf[0])
                                strcat(buf, " ");
                        strcat(buf, e->name);
                }
        }
        return strlist_add(out, buf, err);
}

/* ---- capabilities ---- */

/* linux/capability.h, by number. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

#define NCAPS    (sizeof cap_names / sizeof cap_names[0])
#define CAPS_ALL ((NCAPS >= 64) ? UINT64_MAX : ((1ULL << NCAPS) - 1))

const char *policy_cap_name(unsigned c)
{
        return c < NCAPS ? cap_names[c] : NULL;
}

/* systemd's rule: each line adds its capabilities ("~" adds all but those listed); an empty
 * line resets to none. Names are matched case-insensitively, as systemd does. */
int set_caps(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t *mask = FIELD(p, k, uint64_t), add = 0;
        bool invert = v[0] == '~';
        struct strlist words;

        if (!*v) {
                *mask = 0;
                return 0;
        }
        if (words_split(v + invert, NULL, &words, err) < 0)
                return -1;
        for (size_t i = 0; i < words.n; i++) {
                size_t c = 0;

                while (c < NCAPS && strcasecmp(cap_names[c], words.v[i]) != 0)
                        c++;
                if (c == NCAPS) {
                        cerr_set(err, EINVAL, CERR_PARSE,
                                 "'%s': unknown capability; expected names such as "
                                 "CAP_NET_BIND_SERVICE or CAP_SYS_PTRACE (capabilities(7)), "
                                 "optionally after '~' to mean all but those",
                                 words.v[i]);
                        strlist_clear(&words);
                        return -1;
                }
                add |= 1ULL << c;
        }
        strlist_clear(&words);
        *mask |= invert ? (CAPS_ALL & ~add) : add;
        return 0;
}

int fmt_caps(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        uint64_t mask = *CFIELD(p, k, uint64_t);
        const char *names[NCAPS];
        size_t n = 0;

        for (size_t c = 0; c < NCAPS; c++) {
                if (mask & (1ULL << c))
                        names[n++] = cap_names[c];
        }
        if (n == 0)
                return strlist_add(out, "", err);
        return words_format(names, n, "", out, err);
}

/* ---- SystemCallFilter= and SystemCallErrorNumber= ---- */

static int check_syscall_entry(const char *w, struct cerr *err)
{
        return syscall_filter_entry_check(w, err);
}

/* The first line decides allow list or deny list ("~"). systemd lets a later line of the
 * other kind subtract from the first; that needs the resolved call set to stay exact, so it
 * is refused here and the message says how to write it instead. */
int set_syscall_filter(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct syscall_filter *f = &p->syscall_filter;
        bool invert = v[0] == '~';
        struct strlist words;

        (void)k;
        if (!*v) {
                strlist_clear(&f->names);
                f->set = false;
                f->deny_list = false;
                f->is_default = false;
                return 0;
        }
        if (f->is_default) {
                /* the first line of a profile's own: an allow list replaces the default deny
                 * list (it allows none of its calls anyway); a deny list adds to it */
                f->is_default = false;
                if (!invert) {
                        strlist_clear(&f->names);
                        f->set = false;
                }
        }
        if (f->set && f->deny_list != invert)
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': this profile's filter is %s, so a line %s cannot be "
                                "added (subtracting from a filter is not supported); reset it "
                                "with an empty 'SystemCallFilter =' line first",
                                v, f->deny_list ? "a deny list (~)" : "an allow list",
                                invert ? "starting with '~'" : "without '~'");
        if (words_split(v + invert, check_syscall_entry, &words, err) < 0)
                return -1;
        for (size_t i = 0; !invert && i < words.n; i++) {
                if (strchr(words.v[i], ':')) {
                        cerr_set(err, EINVAL, CERR_PARSE,
                                 "'%s': NAME:ERRNO belongs in a deny list ('~'); an allow list's "
                                 "other calls get SystemCallErrorNumber=",
                                 words.v[i]);
                        strlist_clear(&words);
                        return -1;
                }
        }
        if (!invert && words.n == 0)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected syscall names or @groups",
                                v);
        f->set = true;
        f->deny_list = invert;
        return words_append(&f->names, &words, err);
}

int fmt_syscall_filter(const struct profile *p, const struct key *k, struct strlist *out,
                       struct cerr *err)
{
        const struct syscall_filter *f = &p->syscall_filter;

        (void)k;
        if (!f->set)
                return strlist_add(out, "", err);
        /* a deny list that does not extend the default one was reset by an empty line, and
         * prints one first: read back onto a fresh profile, its '~' lines would otherwise add
         * to the default list (found by fuzz_policy's round trip) */
        if (f->deny_list && !profile_filter_keeps_default(f) && strlist_add(out, "", err) < 0)
                return -1;
        return words_format_list(&f->names, f->deny_list ? "~" : "", out, err);
}

int set_errno(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t n;

        (void)k;
        if (!*v || strcmp(v, "kill") == 0) {
                p->syscall_filter.error_number = 0;
                return 0;
        }
        n = (uint64_t)syscall_errno_parse(v);
        if ((int64_t)n > 0) {
                p->syscall_filter.error_number = (int)n;
                return 0;
        }
        return cerr_set(err, EINVAL, CERR_PARSE,
                        "'%s': unknown errno name, or a number outside 1 to 4095; expected a "
                        "name such as EPERM or EACCES, a number from 1 to 4095, or kill",
                        v);
}

int fmt_errno(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        int e = p->syscall_filter.error_number;
        const char *name = e > 0 ? strerrorname_np(e) : NULL;

        (void)k;
        if (e <= 0)
                return strlist_add(out, "kill", err);
        if (name)
                return strlist_add(out, name, err);
        return strlist_addf(out, err, "%d", e);
}

/* ---- Stdin=, Stdout=, Stderr= ---- */

int set_stdio(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct stdio_spec *s = FIELD(p, k, struct stdio_spec);
        enum stdio_mode mode;
        char *path = NULL;

        if (!*v) {
                struct profile d;

                profile_default(&d, NULL);
                mode = ((struct stdio_spec *)((char *)&d + k->off))->mode;
                profile_free(&d);
        } else if (strcmp(v, "auto") == 0) {
                mode = STDIO_AUTO;
        } else if (strcmp(v, "inherit") == 0) {
                mode = STDIO_INHERIT;
        } else if (strcmp(v, "null") == 0) {
                mode = STDIO_NULL;
        } else if (k->arg && strcmp(v, "log") == 0) {
                mode = STDIO_LOG;
        } else if (strncmp(v, "file:", 5) == 0) {
                if (check_abs_path(v + 5, err) < 0)
                        return -1;
                mode = STDIO_FILE;
                path = strdup(v + 5);
                if (!path)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "copying a path");
        } else {
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': expected auto, inherit, null%s or file:PATH", v,
                                k->arg ? ", log" : "");
        }
        free(s->path);
        s->mode = mode;
        s->path = path;
        return 0;
}

int fmt_stdio(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        const struct stdio_spec *s = CFIELD(p, k, struct stdio_spec);

        switch (s->mode) {
        case STDIO_AUTO:
                return strlist_add(out, "auto", err);
        case STDIO_INHERIT:
                return strlist_add(out, "inherit", err);
        case STDIO_NULL:
                return strlist_add(out, "null", err);
        case STDIO_LOG:
                return strlist_add(out, "log", err);
        default:
                return strlist_addf(out, err, "file:%s", s->path ? s->path : "");
        }
}

/* ---- Environment= ---- */

static int check_env(const char *w, struct cerr *err)
{
        const char *eq = strchr(w, '=');

        if (!eq || eq == w || !(isalpha((unsigned char)w[0]) || w[0] == '_'))
                goto bad;
        for (const char *c = w; c < eq; c++) {
                if (!isalnum((unsigned char)*c) && *c != '_')
                        goto bad;
        }
        return 0;
bad:
        return cerr_set(err, EINVAL, CERR_PARSE,
                        "'%s': expected KEY=VALUE words with KEY made of letters, digits and "
                        "'_' (not starting with a digit); quote a value with spaces: "
                        "KEY=\"a b\"",
                        w);
}

/* A later assignment of the same variable wins, as in systemd. */
/* A variable's name: letters, digits and '_', not starting with a digit (n: its length). */
static bool env_name_ok(const char *w, size_t n)
{
        if (!n || !(isalpha((unsigned char)w[0]) || w[0] == '_'))
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!isalnum((unsigned char)w[i]) && w[i] != '_')
                        return false;
        }
        return true;
}

static int check_env_name(const char *w, struct cerr *err)
{
        if (env_name_ok(w, strlen(w)))
                return 0;
        return cerr_set(err, EINVAL, CERR_PARSE,
                        "'%s': expected variable names (letters, digits and '_', not starting "
                        "with a digit)",
                        w);
}

static int check_env_unset(const char *w, struct cerr *err)
{
        const char *eq = strchr(w, '=');

        if (env_name_ok(w, eq ? (size_t)(eq - w) : strlen(w)))
                return 0;
        return cerr_set(err, EINVAL, CERR_PARSE,
                        "'%s': expected NAME (unset it) or NAME=VALUE (unset that assignment)", w);
}

/* PassEnvironment= (systemd's name; corral's default is every variable of the caller's, which
 * `*` restores): the names of the caller's variables the program gets; empty: none. */
int set_pass_env(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist words;

        (void)k;
        if (!*v || strcmp(v, "*") == 0) {
                strlist_clear(&p->pass_environment);
                p->pass_environment_all = *v != '\0';
                return 0;
        }
        if (words_split(v, check_env_name, &words, err) < 0)
                return -1;
        if (p->pass_environment_all)
                strlist_clear(&p->pass_environment);
        p->pass_environment_all = false;
        return words_append(&p->pass_environment, &words, err);
}

int fmt_pass_env(const struct profile *p, const struct key *k, struct strlist *out,
                 struct cerr *err)
{
        (void)k;
        if (p->pass_environment_all)
                return strlist_add(out, "*", err);
        return words_format_list(&p->pass_environment, "", out, err);
}

int set_unset_env(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist words;

        (void)k;
        if (!*v) {
                strlist_clear(&p->unset_environment);
                return 0;
        }
        if (words_split(v, check_env_unset, &words, err) < 0)
                return -1;
        return words_append(&p->unset_environment, &words, err);
}

int set_env(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist *env = &p->environment;
        struct strlist words;
        int rc = 0;

        (void)k;
        if (!*v) {
                strlist_clear(env);
                return 0;
        }
        if (words_split(v, check_env, &words, err) < 0)
                return -1;
        for (size_t i = 0; i < words.n && rc == 0; i++) {
                size_t klen = (size_t)(strchr(words.v[i], '=') - words.v[i]) + 1;
                size_t j = 0;

                while (j < env->n && strncmp(env->v[j], words.v[i], klen) != 0)
                        j++;
                if (j < env->n) {
                        free(env->v[j]);
                        env->v[j] = words.v[i];
                        words.v[i] = NULL;
                        /* keep the order of first assignment, as the environment reads */
                        continue;
                }
                rc = strlist_add(env, words.v[i], err);
        }
        for (size_t i = 0; i < words.n; i++)
                free(words.v[i]);
        free(words.v);
        return rc;
}

/* ---- Limit* ---- */

const struct rlimit_key rlimit_keys[] = {
    {"LimitCPU", RLIMIT_CPU, RL_CPU_SEC},        {"LimitFSIZE", RLIMIT_FSIZE, RL_SIZE},
    {"LimitDATA", RLIMIT_DATA, RL_SIZE},         {"LimitSTACK", RLIMIT_STACK, RL_SIZE},
    {"LimitCORE", RLIMIT_CORE, RL_SIZE},         {"LimitRSS", RLIMIT_RSS, RL_SIZE},
    {"LimitNOFILE", RLIMIT_NOFILE, RL_COUNT},    {"LimitAS", RLIMIT_AS, RL_SIZE},
    {"LimitNPROC", RLIMIT_NPROC, RL_COUNT},      {"LimitMEMLOCK", RLIMIT_MEMLOCK, RL_SIZE},
    {"LimitLOCKS", RLIMIT_LOCKS, RL_COUNT},      {"LimitSIGPENDING", RLIMIT_SIGPENDING, RL_COUNT},
    {"LimitMSGQUEUE", RLIMIT_MSGQUEUE, RL_SIZE}, {"LimitNICE", RLIMIT_NICE, RL_NICE},
    {"LimitRTPRIO", RLIMIT_RTPRIO, RL_COUNT},    {"LimitRTTIME", RLIMIT_RTTIME, RL_RTTIME_USEC},
};

/* One side of a limit, in the unit setrlimit(2) takes. systemd's conventions: LimitCPU= is
 * seconds (a bare number, or a duration rounded up), LimitRTTIME= microseconds (a bare
 * number, or a duration), LimitNICE= a raw 0..40 value or a signed nice level. */
static int parse_rlimit_value(const char *s, int kind, uint64_t *v, struct cerr *err)
{
        uint64_t usec;

        if (strcmp(s, "infinity") == 0) {
                *v = UNITS_INFINITY;
                return 0;
        }
        switch (kind) {
        case RL_SIZE:
                return units_parse_size(s, true, v, err);
        case RL_COUNT:
                return units_parse_count(s, true, v, err);
        case RL_CPU_SEC:
                if (units_parse_duration(s, false, &usec, err) < 0)
                        return -1;
                *v = usec / 1000000 + (usec % 1000000 != 0);
                return 0;
        case RL_RTTIME_USEC:
                if (strspn(s, "0123456789") == strlen(s))
                        return units_parse_count(s, false, v, err);
                return units_parse_duration(s, false, v, err);
        default: /* RL_NICE */
                if (s[0] == '+' || s[0] == '-') {
                        uint64_t n;

                        if (units_parse_count(s + 1, false, &n, err) < 0 ||
                            (s[0] == '-' && n > 20) || (s[0] == '+' && n > 19))
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': expected a nice level from -20 to +19 or "
                                                "a raw limit from 0 to 40",
                                                s);
                        *v = s[0] == '-' ? 20 + n : 20 - n;
                        return 0;
                }
                if (units_parse_count(s, false, v, err) < 0 || *v > 40)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected a nice level from -20 to +19 or a raw "
                                        "limit from 0 to 40",
                                        s);
                return 0;
        }
}

int set_rlimit(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct rlimit_setting *r = &p->rlimits[rlimit_keys[k->arg].resource];
        int kind = rlimit_keys[k->arg].kind;
        const char *colon = strchr(v, ':');
        uint64_t soft = 0, hard = 0; /* set on every success path: see .clang-tidy */

        if (!*v) {
                memset(r, 0, sizeof *r);
                return 0;
        }
        if (colon) {
                char *s = strndup(v, (size_t)(colon - v));
                int rc;

                if (!s)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "splitting a limit");
                rc = parse_rlimit_value(s, kind, &soft, err);
                free(s);
                if (rc < 0 || parse_rlimit_value(colon + 1, kind, &hard, err) < 0)
                        return cerr_wrap(err, "in '%s' (SOFT:HARD)", v);
                if (soft > hard)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': the soft limit is above the hard limit; expected "
                                        "SOFT:HARD with SOFT <= HARD",
                                        v);
        } else {
                if (parse_rlimit_value(v, kind, &soft, err) < 0)
                        return -1;
                hard = soft;
        }
        r->set = true;
        r->soft = soft;
        r->hard = hard;
        return 0;
}

static const char *rlimit_value_str(uint64_t v, int kind, char *buf, size_t len)
{
        if (v == UNITS_INFINITY)
                snprintf(buf, len, "infinity");
        else if (kind == RL_SIZE)
                units_format_size(v, buf, len);
        else
                snprintf(buf, len, "%llu", (unsigned long long)v);
        return buf;
}

int fmt_rlimit(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        const struct rlimit_setting *r = &p->rlimits[rlimit_keys[k->arg].resource];
        int kind = rlimit_keys[k->arg].kind;
        char a[64], b[64];

        if (!r->set)
                return strlist_add(out, "", err);
        if (r->soft == r->hard)
                return strlist_add(out, rlimit_value_str(r->soft, kind, a, sizeof a), err);
        return strlist_addf(out, err, "%s:%s", rlimit_value_str(r->soft, kind, a, sizeof a),
                            rlimit_value_str(r->hard, kind, b, sizeof b));
}

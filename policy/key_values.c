/* The policy keys' values: parsing into profile fields, checks, and the way back to text
 * (key_values.h). Values follow systemd's syntax (words.h). */
#include "key_values.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "seccomp_policy.h"
#include "units.h"
#include "words.h"

/* ---- small helpers ---- */

/* An empty scalar assignment restores the built-in default, as in systemd. */
static void reset_field(struct profile *p, size_t off, size_t size)
{
        struct profile d;

        profile_default(&d, NULL);
        memcpy((char *)p + off, (const char *)&d + off, size);
}

static int out_add(struct strlist *out, const char *s, struct cerr *err)
{
        return strlist_add(out, s, err);
}

static int out_addf(struct strlist *out, struct cerr *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int out_addf(struct strlist *out, struct cerr *err, const char *fmt, ...)
{
        char *buf;
        va_list ap;
        int rc;

        va_start(ap, fmt);
        rc = vasprintf(&buf, fmt, ap);
        va_end(ap);
        if (rc < 0)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "formatting a value");
        rc = strlist_add(out, buf, err);
        free(buf);
        return rc;
}

int check_abs_path(const char *w, struct cerr *err)
{
        const char *c;

        if (w[0] != '/')
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected an absolute path", w);
        if (strlen(w) >= 4096)
                return cerr_set(err, ENAMETOOLONG, CERR_PARSE, "'%.40s...': path too long", w);
        for (c = w; (c = strstr(c, "/..")) != NULL; c += 3) {
                if (c[3] == '/' || c[3] == '\0')
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected an absolute path without '..'", w);
        }
        return 0;
}

/* User and group names as useradd accepts them, or a numeric id. */
int check_user_name(const char *w, struct cerr *err)
{
        static const char expect[] =
            "expected a user or group name ([A-Za-z_][A-Za-z0-9_.-]*, at most 32 characters) "
            "or a numeric id";
        size_t n = strlen(w);

        if (n && strspn(w, "0123456789") == n) {
                uint64_t id;

                if (units_parse_count(w, false, &id, err) < 0 || id >= 4294967295ULL)
                        return cerr_set(err, ERANGE, CERR_PARSE, "'%s': id out of range; %s", w,
                                        expect);
                return 0;
        }
        if (n == 0 || n > 32 || !(isalpha((unsigned char)w[0]) || w[0] == '_'))
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", w, expect);
        for (const char *c = w; *c; c++) {
                if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
                        return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", w, expect);
        }
        return 0;
}

int check_profile_name(const char *w, struct cerr *err)
{
        if (!policy_profile_name_valid(w))
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': expected a profile name ([A-Za-z0-9_.-], 1 to %d "
                                "characters)",
                                w, PROFILE_NAME_MAX);
        return 0;
}

/* RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
int check_hostname(const char *w, struct cerr *err)
{
        static const char expect[] = "expected a host name: letters, digits, '-' and '.', labels "
                                     "of 1 to 63 characters, at most 64 in all";
        size_t label = 0, n = strlen(w);

        if (n > 64)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s' is %zu characters long; %s", w, n,
                                expect);
        for (size_t i = 0; i <= n; i++) {
                char c = w[i];

                if (c == '.' || c == '\0') {
                        if (label == 0 || label > 63 || w[i - 1] == '-')
                                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", w, expect);
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char)c) && !(c == '-' && label > 0))
                        return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", w, expect);
                label++;
        }
        return 0;
}

static int check_syscall_entry(const char *w, struct cerr *err)
{
        return syscall_filter_entry_check(w, err);
}

/* ---- shared setters and formatters ---- */

int set_bool(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        if (!*v) {
                reset_field(p, k->off, sizeof(bool));
                return 0;
        }
        return units_parse_bool(v, FIELD(p, k, bool), err);
}

int fmt_bool(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        return out_add(out, *CFIELD(p, k, bool) ? "yes" : "no", err);
}

/* Enum keys; arg != 0 also takes systemd's booleans (ProtectSystem=true means yes). */
int set_enum(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        const struct enum_name *e = k->names;
        char expect[160];
        size_t len = 0;
        bool b;

        if (!*v) {
                reset_field(p, k->off, sizeof(int));
                return 0;
        }
        for (const struct enum_name *i = e; i->name; i++) {
                if (strcmp(v, i->name) == 0) {
                        *FIELD(p, k, int) = i->value;
                        return 0;
                }
        }
        if (k->arg && units_parse_bool(v, &b, err) == 0) {
                *FIELD(p, k, int) = b ? e[1].value : e[0].value;
                return 0;
        }
        expect[0] = '\0';
        for (const struct enum_name *i = e; i->name; i++)
                len += (size_t)snprintf(expect + len, sizeof expect - len, "%s%s",
                                        i == e ? "" : (i[1].name ? ", " : " or "), i->name);
        return cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected %s", v, expect);
}

int fmt_enum(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        for (const struct enum_name *i = k->names; i->name; i++) {
                if (*CFIELD(p, k, int) == i->value)
                        return out_add(out, i->name, err);
        }
        return cerr_set(err, EINVAL, CERR_FORMAT, "%s: value %d has no name", k->name,
                        *CFIELD(p, k, int));
}

/* Cascade stages: every stage has a deadline, so neither infinity nor 0 (which systemd
 * reads as "no timeout"). */
int set_timeout(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t usec;

        if (!*v) {
                reset_field(p, k->off, sizeof(uint64_t));
                return 0;
        }
        if (units_parse_duration(v, false, &usec, err) < 0)
                return -1;
        if (usec == 0)
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': expected a duration above 0 such as 5s or 500ms (every "
                                "stage of the cascade has a deadline)",
                                v);
        *FIELD(p, k, uint64_t) = usec;
        return 0;
}

int fmt_duration(const struct profile *p, const struct key *k, struct strlist *out,
                 struct cerr *err)
{
        char buf[64];

        return out_add(out, units_format_duration(*CFIELD(p, k, uint64_t), buf, sizeof buf), err);
}

int set_count_min1(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t n;

        if (!*v) {
                reset_field(p, k->off, sizeof(uint64_t));
                return 0;
        }
        if (units_parse_count(v, false, &n, err) < 0)
                return -1;
        if (n < 1)
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': expected a whole number of at least 1", v);
        *FIELD(p, k, uint64_t) = n;
        return 0;
}

int fmt_count(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        return out_addf(out, err, "%llu", (unsigned long long)*CFIELD(p, k, uint64_t));
}

/* struct limit keys. The value kind is in arg. */

int set_limit(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct limit *l = FIELD(p, k, struct limit);
        uint64_t n;

        if (!*v) {
                l->set = false;
                l->value = 0;
                return 0;
        }
        switch (k->arg) {
        case LIM_SIZE:
                if (units_parse_size(v, true, &n, err) < 0)
                        return -1;
                break;
        case LIM_TASKS:
                if (units_parse_count(v, true, &n, err) < 0)
                        return -1;
                /* the actor itself is a task: pids.max 0 refuses its own clone */
                if (n == 0)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected a whole number of at least 1 or infinity",
                                        v);
                break;
        case LIM_PERCENT:
                if (units_parse_percent(v, &n, err) < 0)
                        return -1;
                if (n == 0)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected a percentage above 0 such as 50%% (100%% "
                                        "is one whole CPU)",
                                        v);
                break;
        default: /* LIM_WEIGHT */
                if (units_parse_count(v, false, &n, err) < 0 || n < 1 || n > 10000)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected a weight from 1 to 10000 (default 100)", v);
                break;
        }
        l->set = true;
        l->value = n;
        return 0;
}

int fmt_limit(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        const struct limit *l = CFIELD(p, k, struct limit);
        char buf[64];

        if (!l->set)
                return out_add(out, "", err);
        switch (k->arg) {
        case LIM_SIZE:
                return out_add(out, units_format_size(l->value, buf, sizeof buf), err);
        case LIM_PERCENT:
                if (l->value % 100)
                        return out_addf(out, err, "%llu.%02llu%%",
                                        (unsigned long long)(l->value / 100),
                                        (unsigned long long)(l->value % 100));
                return out_addf(out, err, "%llu%%", (unsigned long long)(l->value / 100));
        default:
                if (l->value == UNITS_INFINITY)
                        return out_add(out, "infinity", err);
                return out_addf(out, err, "%llu", (unsigned long long)l->value);
        }
}

/* Optional strings (User=, Hostname= ...): empty means "not set" (the documented fallback). */
int set_string(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        char **field = FIELD(p, k, char *);
        char *copy = NULL;

        if (*v) {
                if (k->check(v, err) < 0)
                        return -1;
                copy = strdup(v);
                if (!copy)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "copying a value");
        }
        free(*field);
        *field = copy;
        return 0;
}

int fmt_string(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        const char *s = *CFIELD(p, k, char *);

        return out_add(out, s ? s : "", err);
}

/* Lists of words, each checked by data. */
int set_list(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist *l = FIELD(p, k, struct strlist);
        struct strlist words;

        if (!*v) {
                strlist_clear(l);
                return 0;
        }
        if (words_split(v, k->check, &words, err) < 0)
                return -1;
        if (words.n == 0)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': no entries", v);
        return words_append(l, &words, err);
}

int fmt_list(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        return words_format_list(CFIELD(p, k, struct strlist), "", out, err);
}

/* ---- Namespaces= ---- */

static const struct enum_name ns_names[] = {
    {"ipc", PROFILE_NS_IPC}, {"uts", PROFILE_NS_UTS}, {"cgroup", PROFILE_NS_CGROUP}, {NULL, 0}};

int set_namespaces(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist words;
        unsigned mask = 0;

        (void)k;
        if (words_split(v, NULL, &words, err) < 0)
                return -1;
        for (size_t i = 0; i < words.n; i++) {
                const struct enum_name *e = ns_names;

                while (e->name && strcmp(e->name, words.v[i]) != 0)
                        e++;
                if (!e->name) {
                        cerr_set(err, EINVAL, CERR_PARSE,
                                 "'%s': expected a space-separated subset of ipc uts cgroup "
                                 "(pid and mount are always new, user is PrivateUsers=, net is "
                                 "PrivateNetwork=)",
                                 words.v[i]);
                        strlist_clear(&words);
                        return -1;
                }
                mask |= (unsigned)e->value;
        }
        strlist_clear(&words);
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
        return out_add(out, buf, err);
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
                return out_add(out, "", err);
        return words_format(names, n, "", out, err);
}

/* ---- SystemCallFilter= and SystemCallErrorNumber= ---- */

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
                return 0;
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
                return out_add(out, "", err);
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
        if (isdigit((unsigned char)v[0])) {
                if (units_parse_count(v, false, &n, err) < 0 || n < 1 || n > 4095)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected an errno name such as EPERM, a number "
                                        "from 1 to 4095, or kill",
                                        v);
                p->syscall_filter.error_number = (int)n;
                return 0;
        }
        for (int e = 1; e < 4096; e++) {
                const char *name = strerrorname_np(e);

                if (name && strcmp(name, v) == 0) {
                        p->syscall_filter.error_number = e;
                        return 0;
                }
        }
        return cerr_set(err, EINVAL, CERR_PARSE,
                        "'%s': unknown errno name; expected a name such as EPERM or EACCES, a "
                        "number from 1 to 4095, or kill",
                        v);
}

int fmt_errno(const struct profile *p, const struct key *k, struct strlist *out, struct cerr *err)
{
        int e = p->syscall_filter.error_number;
        const char *name = e > 0 ? strerrorname_np(e) : NULL;

        (void)k;
        if (e <= 0)
                return out_add(out, "kill", err);
        if (name)
                return out_add(out, name, err);
        return out_addf(out, err, "%d", e);
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
                                "'%s': expected inherit, null%s or file:PATH", v,
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
        case STDIO_INHERIT:
                return out_add(out, "inherit", err);
        case STDIO_NULL:
                return out_add(out, "null", err);
        case STDIO_LOG:
                return out_add(out, "log", err);
        default:
                return out_addf(out, err, "file:%s", s->path ? s->path : "");
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
                return out_add(out, "", err);
        if (r->soft == r->hard)
                return out_add(out, rlimit_value_str(r->soft, kind, a, sizeof a), err);
        return out_addf(out, err, "%s:%s", rlimit_value_str(r->soft, kind, a, sizeof a),
                        rlimit_value_str(r->hard, kind, b, sizeof b));
}

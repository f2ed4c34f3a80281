/* The key table: every policy key, how its value is parsed into a profile, how the effective
 * value is written back, and whether its behaviour is still to come.
 *
 * To add a key: one row in `keys[]` below (a shared setter/formatter pair usually does),
 * plus the field in profile.h. To mark a key applied: drop its PENDING_* note.
 *
 * Values follow systemd's syntax: lists are whitespace-separated words ("..." and '...'
 * quote, a backslash escapes in and out of double quotes: \\ \" \' \n \t \r \xHH and
 * "\ "), list keys accumulate over repeated lines, and an empty assignment resets. */
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
#include "units.h"

#define PENDING_TREES "validated; not applied yet: comes with the actor-trees issue (DESIGN §6, §9)"

/* A formatted list line stays well below the line limit of libinih (policy_max_line()). */
#define LIST_LINE_MAX 120

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
                return cerr_set(err, ENOMEM, "alloc", "formatting a value");
        rc = strlist_add(out, buf, err);
        free(buf);
        return rc;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* The next word of a list value into buf (at least strlen(value) + 1 bytes). Returns 1 for a
 * word, 0 at the end, -1 on a quoting error. */
static int word_next(const char **sp, char *buf, struct cerr *err)
{
        const char *s = *sp;
        size_t n = 0;
        char quote = 0;

        while (*s == ' ' || *s == '\t')
                s++;
        if (!*s) {
                *sp = s;
                return 0;
        }
        for (; *s; s++) {
                char c = *s;

                if (quote == '\'') {
                        if (c == '\'')
                                quote = 0;
                        else
                                buf[n++] = c;
                        continue;
                }
                if (!quote && (c == ' ' || c == '\t'))
                        break;
                if (c == '"') {
                        quote = quote ? 0 : '"';
                        continue;
                }
                if (c == '\'' && !quote) {
                        quote = '\'';
                        continue;
                }
                if (c == '\\') {
                        int hi, lo;

                        s++;
                        switch (*s) {
                        case '\\':
                        case '"':
                        case '\'':
                        case ' ':
                                buf[n++] = *s;
                                break;
                        case 'n':
                                buf[n++] = '\n';
                                break;
                        case 't':
                                buf[n++] = '\t';
                                break;
                        case 'r':
                                buf[n++] = '\r';
                                break;
                        case 'x':
                                hi = s[1] ? hexval(s[1]) : -1;
                                lo = hi >= 0 && s[2] ? hexval(s[2]) : -1;
                                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                        return cerr_set(err, EINVAL, "parse",
                                                        "bad escape in '%s': \\x needs two hex "
                                                        "digits other than 00",
                                                        *sp);
                                buf[n++] = (char)(hi * 16 + lo);
                                s += 2;
                                break;
                        case '\0':
                                return cerr_set(err, EINVAL, "parse",
                                                "'%s' ends in a lone backslash", *sp);
                        default:
                                return cerr_set(err, EINVAL, "parse",
                                                "unknown escape '\\%c' in '%s'; expected \\\\ "
                                                "\\\" \\' \\n \\t \\r \\xHH or a backslash-space",
                                                *s, *sp);
                        }
                        continue;
                }
                buf[n++] = c;
        }
        if (quote)
                return cerr_set(err, EINVAL, "parse", "unterminated %s quote in '%s'",
                                quote == '"' ? "double" : "single", *sp);
        buf[n] = '\0';
        *sp = s;
        return 1;
}

/* Split a list value into words, checking each; on error nothing is returned. */
static int split_words(const char *value, int (*check)(const char *w, struct cerr *err),
                       struct strlist *words, struct cerr *err)
{
        char *buf = calloc(1, strlen(value) + 1); /* zeroed: see .clang-tidy */
        const char *s = value;
        int rc;

        memset(words, 0, sizeof *words);
        if (!buf)
                return cerr_set(err, ENOMEM, "alloc", "splitting a list");
        while ((rc = word_next(&s, buf, err)) > 0) {
                if ((check && check(buf, err) < 0) || strlist_add(words, buf, err) < 0) {
                        rc = -1;
                        break;
                }
        }
        free(buf);
        if (rc < 0)
                strlist_clear(words);
        return rc;
}

static bool strlist_has(const struct strlist *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++) {
                if (strcmp(l->v[i], s) == 0)
                        return true;
        }
        return false;
}

/* Move words onto the end of l, skipping entries l already holds. */
static int append_words(struct strlist *l, struct strlist *words, struct cerr *err)
{
        int rc = 0;

        for (size_t i = 0; i < words->n && rc == 0; i++) {
                if (!strlist_has(l, words->v[i]))
                        rc = strlist_add(l, words->v[i], err);
        }
        strlist_clear(words);
        return rc;
}

/* A \xHH escape may have made a byte that is not UTF-8; a policy file is UTF-8 text, so such
 * a byte is written back as its escape. The length of the valid sequence at c, or 0. */
static size_t utf8_seq(const unsigned char *c)
{
        return policy_utf8_len(c, strnlen((const char *)c, 4));
}

static bool word_needs_quotes(const char *w)
{
        if (!*w)
                return true;
        for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
                /* ';' after whitespace starts an inline comment for libinih */
                if (*c <= ' ' || *c == 0x7f || *c == '"' || *c == '\'' || *c == '\\' || *c == ';')
                        return true;
                if (*c >= 0x80) {
                        size_t l = utf8_seq(c);

                        if (l == 0)
                                return true;
                        c += l - 1;
                }
        }
        return false;
}

/* A word as it must be written so word_next() gives it back. */
static char *word_quote(const char *w)
{
        char *q, *o;

        if (!word_needs_quotes(w))
                return strdup(w);
        q = malloc(strlen(w) * 4 + 3);
        if (!q)
                return NULL;
        o = q;
        *o++ = '"';
        for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
                if (*c == '"' || *c == '\\') {
                        *o++ = '\\';
                        *o++ = (char)*c;
                } else if (*c == '\n') {
                        o += sprintf(o, "\\n");
                } else if (*c == '\t') {
                        o += sprintf(o, "\\t");
                } else if (*c < ' ' || *c == 0x7f || *c == ';' ||
                           (*c >= 0x80 && utf8_seq(c) == 0)) {
                        o += sprintf(o, "\\x%02x", *c);
                } else if (*c >= 0x80) {
                        for (size_t l = utf8_seq(c); l > 1; l--)
                                *o++ = (char)*c++;
                        *o++ = (char)*c;
                } else {
                        *o++ = (char)*c;
                }
        }
        *o++ = '"';
        *o = '\0';
        return q;
}

/* Words joined into as few lines as LIST_LINE_MAX allows, each line starting with
 * `prefix` ("~" for inverted lists). */
static int format_words(const char *const *w, size_t n, const char *prefix, struct strlist *out,
                        struct cerr *err)
{
        char *line = NULL;
        size_t len = 0;
        int rc = 0;

        for (size_t i = 0; i < n && rc == 0; i++) {
                char *q = word_quote(w[i]), *nl;
                size_t ql;

                if (!q) {
                        free(line);
                        return cerr_set(err, ENOMEM, "alloc", "formatting a list");
                }
                ql = strlen(q);
                if (line && len + 1 + ql > LIST_LINE_MAX) {
                        rc = out_add(out, line, err);
                        free(line);
                        line = NULL;
                }
                if (rc == 0) {
                        /* a word longer than LIST_LINE_MAX gets a line of its own */
                        nl = realloc(line, (line ? len + 1 : strlen(prefix)) + ql + 1);
                        if (!nl) {
                                rc = cerr_set(err, ENOMEM, "alloc", "formatting a list");
                        } else {
                                len = line ? len + (size_t)sprintf(nl + len, " %s", q)
                                           : (size_t)sprintf(nl, "%s%s", prefix, q);
                                line = nl;
                        }
                }
                free(q);
        }
        if (rc == 0 && line)
                rc = out_add(out, line, err);
        free(line);
        return rc;
}

static int format_list(const struct strlist *l, const char *prefix, struct strlist *out,
                       struct cerr *err)
{
        size_t before = out->n;

        if (format_words((const char *const *)l->v, l->n, prefix, out, err) < 0)
                return -1;
        if (out->n == before)
                return out_add(out, prefix, err);
        return 0;
}

/* ---- value checks ---- */

static int check_abs_path(const char *w, struct cerr *err)
{
        const char *c;

        if (w[0] != '/')
                return cerr_set(err, EINVAL, "parse", "'%s': expected an absolute path", w);
        if (strlen(w) >= 4096)
                return cerr_set(err, ENAMETOOLONG, "parse", "'%.40s...': path too long", w);
        for (c = w; (c = strstr(c, "/..")) != NULL; c += 3) {
                if (c[3] == '/' || c[3] == '\0')
                        return cerr_set(err, EINVAL, "parse",
                                        "'%s': expected an absolute path without '..'", w);
        }
        return 0;
}

/* User and group names as useradd accepts them, or a numeric id. */
static int check_user_name(const char *w, struct cerr *err)
{
        static const char expect[] =
            "expected a user or group name ([A-Za-z_][A-Za-z0-9_.-]*, at most 32 characters) "
            "or a numeric id";
        size_t n = strlen(w);

        if (n && strspn(w, "0123456789") == n) {
                uint64_t id;

                if (units_parse_count(w, false, &id, err) < 0 || id >= 4294967295ULL)
                        return cerr_set(err, ERANGE, "parse", "'%s': id out of range; %s", w,
                                        expect);
                return 0;
        }
        if (n == 0 || n > 32 || !(isalpha((unsigned char)w[0]) || w[0] == '_'))
                return cerr_set(err, EINVAL, "parse", "'%s': %s", w, expect);
        for (const char *c = w; *c; c++) {
                if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
                        return cerr_set(err, EINVAL, "parse", "'%s': %s", w, expect);
        }
        return 0;
}

bool policy_profile_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > PROFILE_NAME_MAX)
                return false;
        for (const char *c = name; *c; c++) {
                if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
                        return false;
        }
        return true;
}

static int check_profile_name(const char *w, struct cerr *err)
{
        if (!policy_profile_name_valid(w))
                return cerr_set(err, EINVAL, "parse",
                                "'%s': expected a profile name ([A-Za-z0-9_.-], 1 to %d "
                                "characters)",
                                w, PROFILE_NAME_MAX);
        return 0;
}

/* RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
static int check_hostname(const char *w, struct cerr *err)
{
        static const char expect[] = "expected a host name: letters, digits, '-' and '.', labels "
                                     "of 1 to 63 characters, at most 64 in all";
        size_t label = 0, n = strlen(w);

        if (n > 64)
                return cerr_set(err, EINVAL, "parse", "'%s' is %zu characters long; %s", w, n,
                                expect);
        for (size_t i = 0; i <= n; i++) {
                char c = w[i];

                if (c == '.' || c == '\0') {
                        if (label == 0 || label > 63 || w[i - 1] == '-')
                                return cerr_set(err, EINVAL, "parse", "'%s': %s", w, expect);
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char)c) && !(c == '-' && label > 0))
                        return cerr_set(err, EINVAL, "parse", "'%s': %s", w, expect);
                label++;
        }
        return 0;
}

static int check_syscall_entry(const char *w, struct cerr *err)
{
        return syscall_filter_entry_check(w, err);
}

/* ---- shared setters and formatters ---- */

static int set_bool(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        if (!*v) {
                reset_field(p, k->off, sizeof(bool));
                return 0;
        }
        return units_parse_bool(v, FIELD(p, k, bool), err);
}

static int fmt_bool(const struct profile *p, const struct key *k, struct strlist *out,
                    struct cerr *err)
{
        return out_add(out, *CFIELD(p, k, bool) ? "yes" : "no", err);
}

/* Enum keys; arg != 0 also takes systemd's booleans (ProtectSystem=true means yes). */
static int set_enum(struct profile *p, const struct key *k, const char *v, struct cerr *err)
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
        return cerr_set(err, EINVAL, "parse", "'%s': expected %s", v, expect);
}

static int fmt_enum(const struct profile *p, const struct key *k, struct strlist *out,
                    struct cerr *err)
{
        for (const struct enum_name *i = k->names; i->name; i++) {
                if (*CFIELD(p, k, int) == i->value)
                        return out_add(out, i->name, err);
        }
        return cerr_set(err, EINVAL, "format", "%s: value %d has no name", k->name,
                        *CFIELD(p, k, int));
}

/* Cascade stages: every stage has a deadline, so neither infinity nor 0 (which systemd
 * reads as "no timeout"). */
static int set_timeout(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t usec;

        if (!*v) {
                reset_field(p, k->off, sizeof(uint64_t));
                return 0;
        }
        if (units_parse_duration(v, false, &usec, err) < 0)
                return -1;
        if (usec == 0)
                return cerr_set(err, EINVAL, "parse",
                                "'%s': expected a duration above 0 such as 5s or 500ms (every "
                                "stage of the cascade has a deadline)",
                                v);
        *FIELD(p, k, uint64_t) = usec;
        return 0;
}

static int fmt_duration(const struct profile *p, const struct key *k, struct strlist *out,
                        struct cerr *err)
{
        char buf[64];

        return out_add(out, units_format_duration(*CFIELD(p, k, uint64_t), buf, sizeof buf), err);
}

static int set_count_min1(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t n;

        if (!*v) {
                reset_field(p, k->off, sizeof(uint64_t));
                return 0;
        }
        if (units_parse_count(v, false, &n, err) < 0)
                return -1;
        if (n < 1)
                return cerr_set(err, EINVAL, "parse", "'%s': expected a whole number of at least 1",
                                v);
        *FIELD(p, k, uint64_t) = n;
        return 0;
}

static int fmt_count(const struct profile *p, const struct key *k, struct strlist *out,
                     struct cerr *err)
{
        return out_addf(out, err, "%llu", (unsigned long long)*CFIELD(p, k, uint64_t));
}

/* struct limit keys. The value kind is in arg. */
enum { LIM_SIZE, LIM_TASKS, LIM_PERCENT, LIM_WEIGHT };

static int set_limit(struct profile *p, const struct key *k, const char *v, struct cerr *err)
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
                        return cerr_set(err, EINVAL, "parse",
                                        "'%s': expected a whole number of at least 1 or infinity",
                                        v);
                break;
        case LIM_PERCENT:
                if (units_parse_percent(v, &n, err) < 0)
                        return -1;
                if (n == 0)
                        return cerr_set(err, EINVAL, "parse",
                                        "'%s': expected a percentage above 0 such as 50%% (100%% "
                                        "is one whole CPU)",
                                        v);
                break;
        default: /* LIM_WEIGHT */
                if (units_parse_count(v, false, &n, err) < 0 || n < 1 || n > 10000)
                        return cerr_set(err, EINVAL, "parse",
                                        "'%s': expected a weight from 1 to 10000 (default 100)", v);
                break;
        }
        l->set = true;
        l->value = n;
        return 0;
}

static int fmt_limit(const struct profile *p, const struct key *k, struct strlist *out,
                     struct cerr *err)
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
static int set_string(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        char **field = FIELD(p, k, char *);
        char *copy = NULL;

        if (*v) {
                if (k->check(v, err) < 0)
                        return -1;
                copy = strdup(v);
                if (!copy)
                        return cerr_set(err, ENOMEM, "alloc", "copying a value");
        }
        free(*field);
        *field = copy;
        return 0;
}

static int fmt_string(const struct profile *p, const struct key *k, struct strlist *out,
                      struct cerr *err)
{
        const char *s = *CFIELD(p, k, char *);

        return out_add(out, s ? s : "", err);
}

/* Lists of words, each checked by data. */
static int set_list(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist *l = FIELD(p, k, struct strlist);
        struct strlist words;

        if (!*v) {
                strlist_clear(l);
                return 0;
        }
        if (split_words(v, k->check, &words, err) < 0)
                return -1;
        if (words.n == 0)
                return cerr_set(err, EINVAL, "parse", "'%s': no entries", v);
        return append_words(l, &words, err);
}

static int fmt_list(const struct profile *p, const struct key *k, struct strlist *out,
                    struct cerr *err)
{
        return format_list(CFIELD(p, k, struct strlist), "", out, err);
}

/* ---- Namespaces= ---- */

static const struct enum_name ns_names[] = {
    {"ipc", PROFILE_NS_IPC}, {"uts", PROFILE_NS_UTS}, {"cgroup", PROFILE_NS_CGROUP}, {NULL, 0}};

static int set_namespaces(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist words;
        unsigned mask = 0;

        (void)k;
        if (split_words(v, NULL, &words, err) < 0)
                return -1;
        for (size_t i = 0; i < words.n; i++) {
                const struct enum_name *e = ns_names;

                while (e->name && strcmp(e->name, words.v[i]) != 0)
                        e++;
                if (!e->name) {
                        cerr_set(err, EINVAL, "parse",
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

static int fmt_namespaces(const struct profile *p, const struct key *k, struct strlist *out,
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
static int set_caps(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t *mask = FIELD(p, k, uint64_t), add = 0;
        bool invert = v[0] == '~';
        struct strlist words;

        if (!*v) {
                *mask = 0;
                return 0;
        }
        if (split_words(v + invert, NULL, &words, err) < 0)
                return -1;
        for (size_t i = 0; i < words.n; i++) {
                size_t c = 0;

                while (c < NCAPS && strcasecmp(cap_names[c], words.v[i]) != 0)
                        c++;
                if (c == NCAPS) {
                        cerr_set(err, EINVAL, "parse",
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

static int fmt_caps(const struct profile *p, const struct key *k, struct strlist *out,
                    struct cerr *err)
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
        return format_words(names, n, "", out, err);
}

/* ---- SystemCallFilter= and SystemCallErrorNumber= ---- */

/* The first line decides allow list or deny list ("~"). systemd lets a later line of the
 * other kind subtract from the first; that needs the resolved call set to stay exact, so it
 * is refused here and the message says how to write it instead. */
static int set_syscall_filter(struct profile *p, const struct key *k, const char *v,
                              struct cerr *err)
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
                return cerr_set(err, EINVAL, "parse",
                                "'%s': this profile's filter is %s, so a line %s cannot be "
                                "added (subtracting from a filter is not supported); reset it "
                                "with an empty 'SystemCallFilter =' line first",
                                v, f->deny_list ? "a deny list (~)" : "an allow list",
                                invert ? "starting with '~'" : "without '~'");
        if (split_words(v + invert, check_syscall_entry, &words, err) < 0)
                return -1;
        if (!invert && words.n == 0)
                return cerr_set(err, EINVAL, "parse", "'%s': expected syscall names or @groups", v);
        f->set = true;
        f->deny_list = invert;
        return append_words(&f->names, &words, err);
}

static int fmt_syscall_filter(const struct profile *p, const struct key *k, struct strlist *out,
                              struct cerr *err)
{
        const struct syscall_filter *f = &p->syscall_filter;

        (void)k;
        if (!f->set)
                return out_add(out, "", err);
        return format_list(&f->names, f->deny_list ? "~" : "", out, err);
}

static int set_errno(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        uint64_t n;

        (void)k;
        if (!*v || strcmp(v, "kill") == 0) {
                p->syscall_filter.error_number = 0;
                return 0;
        }
        if (isdigit((unsigned char)v[0])) {
                if (units_parse_count(v, false, &n, err) < 0 || n < 1 || n > 4095)
                        return cerr_set(err, EINVAL, "parse",
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
        return cerr_set(err, EINVAL, "parse",
                        "'%s': unknown errno name; expected a name such as EPERM or EACCES, a "
                        "number from 1 to 4095, or kill",
                        v);
}

static int fmt_errno(const struct profile *p, const struct key *k, struct strlist *out,
                     struct cerr *err)
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

static int set_stdio(struct profile *p, const struct key *k, const char *v, struct cerr *err)
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
                        return cerr_set(err, ENOMEM, "alloc", "copying a path");
        } else {
                return cerr_set(err, EINVAL, "parse", "'%s': expected inherit, null%s or file:PATH",
                                v, k->arg ? ", log" : "");
        }
        free(s->path);
        s->mode = mode;
        s->path = path;
        return 0;
}

static int fmt_stdio(const struct profile *p, const struct key *k, struct strlist *out,
                     struct cerr *err)
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
        return cerr_set(err, EINVAL, "parse",
                        "'%s': expected KEY=VALUE words with KEY made of letters, digits and "
                        "'_' (not starting with a digit); quote a value with spaces: "
                        "KEY=\"a b\"",
                        w);
}

/* A later assignment of the same variable wins, as in systemd. */
static int set_env(struct profile *p, const struct key *k, const char *v, struct cerr *err)
{
        struct strlist *env = &p->environment;
        struct strlist words;
        int rc = 0;

        (void)k;
        if (!*v) {
                strlist_clear(env);
                return 0;
        }
        if (split_words(v, check_env, &words, err) < 0)
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

enum { RL_SIZE, RL_COUNT, RL_CPU_SEC, RL_RTTIME_USEC, RL_NICE };

static const struct {
        const char *key;
        int resource;
        int kind;
} rlimit_keys[] = {
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
                                return cerr_set(err, EINVAL, "parse",
                                                "'%s': expected a nice level from -20 to +19 or "
                                                "a raw limit from 0 to 40",
                                                s);
                        *v = s[0] == '-' ? 20 + n : 20 - n;
                        return 0;
                }
                if (units_parse_count(s, false, v, err) < 0 || *v > 40)
                        return cerr_set(err, EINVAL, "parse",
                                        "'%s': expected a nice level from -20 to +19 or a raw "
                                        "limit from 0 to 40",
                                        s);
                return 0;
        }
}

static int set_rlimit(struct profile *p, const struct key *k, const char *v, struct cerr *err)
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
                        return cerr_set(err, ENOMEM, "alloc", "splitting a limit");
                rc = parse_rlimit_value(s, kind, &soft, err);
                free(s);
                if (rc < 0 || parse_rlimit_value(colon + 1, kind, &hard, err) < 0)
                        return cerr_wrap(err, "in '%s' (SOFT:HARD)", v);
                if (soft > hard)
                        return cerr_set(err, EINVAL, "parse",
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

static int fmt_rlimit(const struct profile *p, const struct key *k, struct strlist *out,
                      struct cerr *err)
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
static const struct enum_name on_child_failure_names[] = {
    {"notify", ON_CHILD_FAILURE_NOTIFY},
    {"cancel-siblings", ON_CHILD_FAILURE_CANCEL_SIBLINGS},
    {"cancel-parent", ON_CHILD_FAILURE_CANCEL_PARENT},
    {NULL, 0}};

static bool private_network_pending(const struct profile *p)
{
        return p->private_network == PRIVATE_NETWORK_TREE;
}

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
    {"PrivateNetwork", set_enum, fmt_enum, OFF(private_network), 0, private_network_names, NULL,
     false,
     "tree: the root actor gets a network namespace of its own; sharing it with child actors "
     "comes with the actor-trees issue",
     private_network_pending},
    BOOL("PrivateUsers", private_users, NULL),
    BOOL("PrivateTmp", private_tmp, NULL),
    ENUM("ProtectSystem", protect_system, protect_system_names, 1, NULL),
    LIST("ReadWritePaths", read_write_paths, check_abs_path, NULL),
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
    /* the program's environment */
    STRING("Hostname", hostname, check_hostname, NULL),
    STDIO("Stdin", std_in, 0),
    STDIO("Stdout", std_out, 1),
    STDIO("Stderr", std_err, 1),
    {"Environment", set_env, fmt_list, OFF(environment), 0, NULL, NULL, true, NULL, NULL},
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
    TIMEOUT("TimeoutCancelSec", timeout_cancel, PENDING_TREES),
    TIMEOUT("TimeoutInterruptSec", timeout_interrupt, NULL),
    TIMEOUT("TimeoutTerminateSec", timeout_terminate, NULL),
    TIMEOUT("TimeoutKillSec", timeout_kill, NULL),
    TIMEOUT("TimeoutHoldSec", timeout_hold, PENDING_TREES),
    /* trees */
    COUNT("MaxChildren", max_children, PENDING_TREES),
    COUNT("MaxDepth", max_depth, PENDING_TREES),
    COUNT("MaxActors", max_actors, PENDING_TREES),
    LIST("SpawnProfiles", spawn_profiles, check_profile_name, PENDING_TREES),
    ENUM("OnChildFailure", on_child_failure, on_child_failure_names, 0, PENDING_TREES),
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

int profile_set_key(struct profile *p, const char *key, const char *value, struct cerr *err)
{
        const struct key *k = key_find(key);

        if (!k) {
                for (size_t i = 0; i < NKEYS; i++) {
                        if (strcasecmp(key_name(&keys[i]), key) == 0)
                                return cerr_set(err, EINVAL, "parse",
                                                "unknown key '%s' (keys are case-sensitive: did "
                                                "you mean %s?)",
                                                key, key_name(&keys[i]));
                }
                return cerr_set(err, EINVAL, "parse",
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

int profile_format_key(const struct profile *p, const char *key, struct strlist *out,
                       struct cerr *err)
{
        const struct key *k = key_find(key);

        if (!k)
                return cerr_set(err, EINVAL, "format", "unknown key '%s'", key);
        if (k->format(p, k, out, err) < 0)
                return cerr_wrap(err, "%s", key);
        return 0;
}

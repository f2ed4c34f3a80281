/* The policy keys' values of the shared kinds (booleans, enums, timeouts, counts, resource
 * limits, strings, lists) and the checks of single words: parsing into profile fields and
 * the way back to text (key_values.h). The keys with a syntax of their own are in
 * special_keys.c. Values follow systemd's syntax (words.h). */
#include "key_values.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
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
        memcpy((char *)p + off, (const char *)&d + off, size); /* (a scalar field) */
        profile_free(&d);
}

/* The physical memory, in bytes (MemTotal of /proc/meminfo). */
static int mem_total(uint64_t *bytes)
{
        char line[256];
        FILE *f = fopen("/proc/meminfo", "re");
        unsigned long long kb = 0;

        while (f && fgets(line, sizeof line, f)) {
                if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
                        break;
        }
        if (f)
                fclose(f);
        if (!kb) {
                errno = errno ? errno : ENOENT;
                return -1;
        }
        *bytes = (uint64_t)kb * 1024;
        return 0;
}

/* BindPaths= entries (systemd's): [-]SRC[:DST], both absolute; `-` ignores a missing SRC. */
int check_bind(const char *w, struct cerr *err)
{
        const char *src = w[0] == '-' ? w + 1 : w;
        const char *colon = strchr(src, ':');
        char part[4096];

        if (src[0] != '/' || (colon && (colon[1] != '/' || strchr(colon + 1, ':'))))
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': expected [-]SOURCE[:DESTINATION], absolute paths (a "
                                "leading - ignores a missing source)",
                                w);
        snprintf(part, sizeof part, "%.*s", colon ? (int)(colon - src) : (int)strlen(src), src);
        if (check_abs_path(part, err) < 0 || (colon && check_abs_path(colon + 1, err) < 0))
                return -1;
        return 0;
}

/* A path of ReadWritePaths= or InaccessiblePaths=: absolute, with systemd's `-` prefix (a
 * missing path is ignored). */
int check_opt_path(const char *w, struct cerr *err)
{
        return check_abs_path(w[0] == '-' ? w + 1 : w, err);
}

int tmpfs_options_parse(const char *opts, struct tmpfs_options *o, struct cerr *err)
{
        char buf[256];
        char *save = NULL;

        *o = (struct tmpfs_options){.mode = 0755};
        if (strlen(opts) >= sizeof buf)
                return cerr_set(err, E2BIG, CERR_PARSE, "'%.40s...': options too long", opts);
        snprintf(buf, sizeof buf, "%s", opts);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char *end;

                if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0) {
                        o->ro = t[1] == 'o';
                } else if (strcmp(t, "noexec") == 0 || strcmp(t, "exec") == 0) {
                        o->noexec = t[0] == 'n';
                } else if (strncmp(t, "mode=", 5) == 0) {
                        unsigned long m = strtoul(t + 5, &end, 8);

                        if (!t[5] || *end || m > 07777)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': expected mode= an octal mode (0755)", t);
                        o->mode = (unsigned)m;
                } else if (strncmp(t, "size=", 5) == 0) {
                        if (units_parse_size(t + 5, false, &o->size, err) < 0 || o->size == 0)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': expected size= a size above 0 (64M)", t);
                } else if (strncmp(t, "nr_inodes=", 10) == 0) {
                        if (units_parse_count(t + 10, false, &o->nr_inodes, err) < 0 ||
                            o->nr_inodes == 0)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': expected nr_inodes= a count above 0", t);
                } else {
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected the options ro, rw, noexec, exec, mode=, "
                                        "size= or nr_inodes=",
                                        t);
                }
        }
        return 0;
}

/* TemporaryFileSystem= entries (systemd's): [-]PATH[:OPTIONS]. */
int check_tmpfs(const char *w, struct cerr *err)
{
        const char *path = w[0] == '-' ? w + 1 : w;
        const char *colon = strchr(path, ':');
        struct tmpfs_options o;
        char part[4096];

        snprintf(part, sizeof part, "%.*s", colon ? (int)(colon - path) : (int)strlen(path), path);
        if (check_abs_path(part, err) < 0)
                return -1;
        return colon ? tmpfs_options_parse(colon + 1, &o, err) : 0;
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
        return strlist_add(out, *CFIELD(p, k, bool) ? "yes" : "no", err);
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
                        return strlist_add(out, i->name, err);
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
        if (k->arg && strcmp(v, "infinity") == 0) {
                *FIELD(p, k, uint64_t) = 0; /* a key whose arg allows infinity: none */
                return 0;
        }
        if (units_parse_duration(v, false, &usec, err) < 0)
                return -1;
        if (usec == 0)
                return cerr_set(err, EINVAL, CERR_PARSE,
                                k->arg ? "'%s': expected a duration above 0 such as 30s or 5min, "
                                         "or infinity"
                                       : "'%s': expected a duration above 0 such as 5s or 500ms "
                                         "(every stage of the cascade has a deadline)",
                                v);
        *FIELD(p, k, uint64_t) = usec;
        return 0;
}

int fmt_duration(const struct profile *p, const struct key *k, struct strlist *out,
                 struct cerr *err)
{
        char buf[64];

        if (k->arg && !*CFIELD(p, k, uint64_t))
                return strlist_add(out, "infinity", err);
        return strlist_add(out, units_format_duration(*CFIELD(p, k, uint64_t), buf, sizeof buf),
                           err);
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
        return strlist_addf(out, err, "%llu", (unsigned long long)*CFIELD(p, k, uint64_t));
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
                if (v[strlen(v) - 1] == '%' &&
                    k->off != offsetof(struct profile, private_tmp_size)) {
                        /* as systemd: a share of the physical memory (MemTotal), fixed now */
                        uint64_t bp, total;

                        if (units_parse_percent(v, &bp, err) < 0)
                                return -1;
                        if (bp == 0 || bp > 10000)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': expected a share of the physical memory "
                                                "above 0%% and at most 100%%",
                                                v);
                        if (mem_total(&total) < 0)
                                return cerr_set(err, errno, CERR_PARSE,
                                                "'%s': reading MemTotal from /proc/meminfo", v);
                        n = (uint64_t)((long double)total * (long double)bp / 10000.0L);
                } else if (units_parse_size(v, true, &n, err) < 0) {
                        return -1;
                }
                /* a program with no memory at all is OOM-killed at once: never what was meant
                 * (MemorySwapMax=0, no swap, is; and a tmpfs of 0 bytes is no tmpfs) */
                if (n == 0 && (k->off == offsetof(struct profile, memory_max) ||
                               k->off == offsetof(struct profile, private_tmp_size)))
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': expected a size above 0 such as 512M, or infinity",
                                        v);
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
                return strlist_add(out, "", err);
        switch (k->arg) {
        case LIM_SIZE:
                return strlist_add(out, units_format_size(l->value, buf, sizeof buf), err);
        case LIM_PERCENT:
                if (l->value % 100)
                        return strlist_addf(out, err, "%llu.%02llu%%",
                                            (unsigned long long)(l->value / 100),
                                            (unsigned long long)(l->value % 100));
                return strlist_addf(out, err, "%llu%%", (unsigned long long)(l->value / 100));
        default:
                if (l->value == UNITS_INFINITY)
                        return strlist_add(out, "infinity", err);
                return strlist_addf(out, err, "%llu", (unsigned long long)l->value);
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

        return strlist_add(out, s ? s : "", err);
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

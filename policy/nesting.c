/* Never looser than the parent: the table that classifies every key, and the comparison
 * (nesting.h). The rules, by kind of key:
 *
 *   a cgroup limit    the child's, when set, no more than the parent's (unset: its node nests
 *                     inside the parent's, which bounds it)
 *   an rlimit         the child's hard limit no more than the parent's; unset is refused when
 *                     the parent sets one (an unset rlimit is the caller's, not the parent's)
 *   a timeout, depth  no longer (no deeper) than the parent's
 *   an ordered mode   no weaker: PrivateNetwork= no < tree < actor, ProtectSystem= no < yes <
 *                     full < strict, ProtectHome= no < read-only < tmpfs = yes, KeyringMode=
 *                     inherit < private; PrivateTmp=, PrivateDevices=, ProtectControlGroups=
 *                     yes stays yes
 *   a set of bans     the child's holds the parent's (Namespaces=, RestrictNamespaces=)
 *   privileges        capabilities only within the parent's bounding set; PrivateUsers=yes
 *                     only under a parent with it; another User=, Group= or supplementary
 *                     group only with CAP_SETUID/CAP_SETGID in the parent's bounding set (a
 *                     parent with PrivateUsers=yes has none over a child without)
 *   host paths        what the child may write on the host (ReadWritePaths=, BindPaths=
 *                     sources, Stdout=/Stderr= files) the parent can write, what it may read
 *                     (BindReadOnlyPaths= sources, a Stdin= file) the parent can read, and
 *                     what the parent hides (InaccessiblePaths=, TemporaryFileSystem=) the
 *                     child hides too
 *   free              the rest, each row says why */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "key_values.h"
#include "nesting.h"
#include "policy.h"
#include "words.h"

struct nest_ctx {
        const struct profile *parent, *child;
        unsigned flags;
        struct cerr *err;
};

struct nest_row;
typedef int (*nest_fn)(const struct nest_ctx *c, const struct nest_row *r);

struct nest_row {
        const char *key; /* NULL: rlimit_keys[arg].key */
        nest_fn cmp;     /* NULL: free */
        size_t off;      /* the profile field the shared comparisons read */
        long arg;        /* per rule: a rank table, a stream, the access needed ... */
        const char *rule;
};

static const char *row_key(const struct nest_row *r)
{
        return r->key ? r->key : rlimit_keys[r->arg].key;
}

/* ---- messages ---- */

/* "KEY=VALUE" as a policy file would say it (lines of a list joined by spaces), "KEY=
 * (empty)" when there is no value. */
static const char *kv(const struct profile *p, const char *key, char *buf, size_t len)
{
        struct strlist out = {0};
        struct cerr e = {0};
        size_t n;

        n = (size_t)snprintf(buf, len, "%s=", key);
        if (profile_format_key(p, key, &out, &e) == 0) {
                for (size_t i = 0; i < out.n && n < len; i++)
                        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", out.v[i]);
        }
        if (n < len && (out.n == 0 || (out.n == 1 && !out.v[0][0])))
                snprintf(buf + n, len - n, " (empty)");
        strlist_clear(&out);
        /* (a long list: its start says enough) */
        if (strlen(buf) > 120)
                snprintf(buf + 116, len - 116, "...");
        return buf;
}

static int refuse(const struct nest_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(const struct nest_ctx *c, const char *fmt, ...)
{
        char why[CERR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        return cerr_set(c->err, EPERM, CERR_PARSE, "%s", why);
}

/* The usual refusal: "CHILD'S_VALUE <what> the parent's PARENT'S_VALUE[<tail>]". */
static int refuse_values(const struct nest_ctx *c, const struct nest_row *r, const char *what,
                         const char *tail)
{
        char a[160], b[160];

        return refuse(c, "%s %s the parent's %s%s", kv(c->child, row_key(r), a, sizeof a), what,
                      kv(c->parent, row_key(r), b, sizeof b), tail);
}

/* ---- numbers ---- */

static int cmp_limit(const struct nest_ctx *c, const struct nest_row *r)
{
        const struct limit *p = (const void *)((const char *)c->parent + r->off);
        const struct limit *ch = (const void *)((const char *)c->child + r->off);

        if (ch->set && p->set && ch->value > p->value)
                return refuse_values(c, r, "is above", "");
        return 0;
}

static int cmp_max(const struct nest_ctx *c, const struct nest_row *r)
{
        const uint64_t *p = (const void *)((const char *)c->parent + r->off);
        const uint64_t *ch = (const void *)((const char *)c->child + r->off);

        if (*ch > *p)
                return refuse_values(c, r, "is above", "");
        return 0;
}

static int cmp_rlimit(const struct nest_ctx *c, const struct nest_row *r)
{
        int res = rlimit_keys[r->arg].resource;
        const struct rlimit_setting *p = &c->parent->rlimits[res];
        const struct rlimit_setting *ch = &c->child->rlimits[res];
        char a[160];

        if (!p->set)
                return 0;
        if (!ch->set)
                return refuse(c,
                              "%s= is unset (the caller's own limit, not the parent's) where the "
                              "parent has %s",
                              row_key(r), kv(c->parent, row_key(r), a, sizeof a));
        /* (a process may raise its soft limit up to its hard one: the hard one is the bound) */
        if (ch->hard > p->hard)
                return refuse_values(c, r, "has a hard limit above", "");
        return 0;
}

/* ---- modes ---- */

/* Strength by value, for the ordered enums. */
struct rank {
        int rank[4];
        const char *order;
};

enum { RANK_PRIVATE_NETWORK, RANK_PROTECT_SYSTEM, RANK_PROTECT_HOME, RANK_KEYRING_MODE };

static const struct rank ranks[] = {
    [RANK_PRIVATE_NETWORK] =
        {{[PRIVATE_NETWORK_NO] = 0, [PRIVATE_NETWORK_TREE] = 1, [PRIVATE_NETWORK_ACTOR] = 2},
         "no < tree < actor"},
    [RANK_PROTECT_SYSTEM] = {{[PROTECT_SYSTEM_NO] = 0,
                              [PROTECT_SYSTEM_YES] = 1,
                              [PROTECT_SYSTEM_FULL] = 2,
                              [PROTECT_SYSTEM_STRICT] = 3},
                             "no < yes < full < strict"},
    /* tmpfs and yes both hide everything of the host's there; what a bind puts back into the
     * tmpfs is a host path, compared as such */
    [RANK_PROTECT_HOME] = {{[PROTECT_HOME_NO] = 0,
                            [PROTECT_HOME_READ_ONLY] = 1,
                            [PROTECT_HOME_TMPFS] = 2,
                            [PROTECT_HOME_YES] = 2},
                           "no < read-only < tmpfs = yes"},
    [RANK_KEYRING_MODE] = {{[KEYRING_MODE_INHERIT] = 0, [KEYRING_MODE_PRIVATE] = 1},
                           "inherit < private"},
};

_Static_assert(sizeof(enum private_network) == sizeof(int) &&
                   sizeof(enum protect_system) == sizeof(int) &&
                   sizeof(enum protect_home) == sizeof(int) &&
                   sizeof(enum keyring_mode) == sizeof(int),
               "the ranked enums are read as int");

static int rank_of(const struct profile *p, const struct nest_row *r)
{
        int v;

        memcpy(&v, (const char *)p + r->off, sizeof v);
        /* (an out-of-range value only comes from a caller's bug: the weakest then) */
        return v >= 0 && v < 4 ? ranks[r->arg].rank[v] : 0;
}

static int cmp_rank(const struct nest_ctx *c, const struct nest_row *r)
{
        char what[96];

        if (rank_of(c->child, r) >= rank_of(c->parent, r))
                return 0;
        snprintf(what, sizeof what, "is weaker (%s) than", ranks[r->arg].order);
        return refuse_values(c, r, what, "");
}

static int cmp_kept(const struct nest_ctx *c, const struct nest_row *r)
{
        bool p = *((const bool *)((const char *)c->parent + r->off));
        bool ch = *((const bool *)((const char *)c->child + r->off));

        if (p && !ch)
                return refuse_values(c, r, "is weaker than", "");
        return 0;
}

/* Namespaces= (the new ones), RestrictNamespaces= (the banned ones): the child's set holds
 * the parent's. */
static int cmp_superset(const struct nest_ctx *c, const struct nest_row *r)
{
        unsigned p = *((const unsigned *)((const char *)c->parent + r->off));
        unsigned ch = *((const unsigned *)((const char *)c->child + r->off));

        if (p & ~ch)
                return refuse_values(c, r, "lacks what is in", "");
        return 0;
}

/* ---- privileges ---- */

/* The parent's bounding set, as far as it reaches where the child runs: a parent with
 * PrivateUsers=yes holds its capabilities only over its own user namespace, a child without
 * one would hold them over the host's (user_namespaces(7)). */
static uint64_t parent_caps(const struct nest_ctx *c)
{
        if (c->parent->private_users && !c->child->private_users)
                return 0;
        return c->parent->capability_bounding_set;
}

static bool has_cap(const struct nest_ctx *c, unsigned cap)
{
        return parent_caps(c) & (1ULL << cap);
}

enum { CAP_SETGID_BIT = 6, CAP_SETUID_BIT = 7 }; /* linux/capability.h */

static int cmp_caps(const struct nest_ctx *c, const struct nest_row *r)
{
        uint64_t ch = *((const uint64_t *)((const char *)c->child + r->off));
        uint64_t extra = ch & ~parent_caps(c);
        char names[200] = "", a[160], b[160];
        size_t n = 0;

        if (!extra)
                return 0;
        for (unsigned i = 0; i < 64 && n < sizeof names; i++) {
                if (extra & (1ULL << i))
                        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? " " : "",
                                              policy_cap_name(i) ? policy_cap_name(i) : "?");
        }
        kv(c->child, row_key(r), a, sizeof a);
        kv(c->parent, "CapabilityBoundingSet", b, sizeof b);
        if (c->parent->private_users && !c->child->private_users)
                return refuse(c,
                              "%s holds %s in the host's user namespace (PrivateUsers=no), where "
                              "the parent holds none: its %s is its own user namespace's "
                              "(PrivateUsers=yes)",
                              a, names, b);
        return refuse(c, "%s holds %s, which the parent's %s lacks", a, names, b);
}

static int cmp_private_users(const struct nest_ctx *c, const struct nest_row *r)
{
        (void)r;
        /* a user namespace gives its root every capability inside it, and the parent's own
         * RestrictNamespaces= (its filter) denies it one: SPAWN must not hand one over */
        if (c->child->private_users && !c->parent->private_users)
                return refuse(c,
                              "PrivateUsers=yes needs the parent's PrivateUsers=yes (it has no): "
                              "a child may not get a user namespace its parent lacks");
        return 0;
}

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ", and the parent's bounding set lacks CAP_..." as a refusal's tail (caps: the names) */
static const char *lacks(const struct nest_ctx *c, const char *caps, char *buf, size_t len)
{
        snprintf(buf, len, ", and the parent's bounding set lacks %s%s", caps,
                 c->parent->private_users && !c->child->private_users
                     ? " over the host's user namespace (its own is PrivateUsers=yes)"
                     : "");
        return buf;
}

static int cmp_user(const struct nest_ctx *c, const struct nest_row *r)
{
        char t[160];

        if (same_str(c->parent->user, c->child->user) ||
            (has_cap(c, CAP_SETUID_BIT) && has_cap(c, CAP_SETGID_BIT)))
                return 0;
        /* (an empty User= is the invoking user) */
        return refuse_values(c, r, "differs from",
                             lacks(c, "CAP_SETUID or CAP_SETGID", t, sizeof t));
}

static int cmp_group(const struct nest_ctx *c, const struct nest_row *r)
{
        char t[160];

        if (same_str(c->parent->group, c->child->group) || has_cap(c, CAP_SETGID_BIT))
                return 0;
        return refuse_values(c, r, "differs from", lacks(c, "CAP_SETGID", t, sizeof t));
}

static int cmp_groups(const struct nest_ctx *c, const struct nest_row *r)
{
        char t[160];

        if (has_cap(c, CAP_SETGID_BIT))
                return 0;
        for (size_t i = 0; i < c->child->supplementary_groups.n; i++) {
                if (!strlist_has(&c->parent->supplementary_groups,
                                 c->child->supplementary_groups.v[i]))
                        return refuse_values(c, r, "adds a group to",
                                             lacks(c, "CAP_SETGID", t, sizeof t));
        }
        return 0;
}

/* ---- host paths ---- */

/* The first end bytes of s as a path normalized: no "//", "/./" or trailing "/". False for a
 * relative path or one with a ".." component (the parser refuses those; a profile built in
 * code might not): it lies within nothing. */
static bool norm_path(const char *s, size_t end, char *out, size_t len)
{
        size_t n = 0;

        if (len < 2 || s[0] != '/')
                return false;
        for (size_t i = 0; i < end;) {
                size_t seg;

                while (i < end && s[i] == '/')
                        i++;
                seg = strcspn(s + i, "/");
                if (i + seg > end)
                        seg = end - i;
                if (seg == 0 || (seg == 1 && s[i] == '.')) {
                        i += seg;
                        continue;
                }
                if (seg == 2 && s[i] == '.' && s[i + 1] == '.')
                        return false;
                if (n + 1 + seg + 1 > len)
                        return false;
                out[n++] = '/';
                memcpy(out + n, s + i, seg);
                n += seg;
                i += seg;
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = '\0';
        return true;
}

/* An entry's path ("[-]PATH[:REST]", as spawner/paths.c splits it) normalized. */
static bool entry_path(const char *w, char *out, size_t len)
{
        const char *s = w + (w[0] == '-');

        return norm_path(s, strcspn(s, ":"), out, len);
}

/* path lies at or below dir (both normalized) */
static bool within(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        if (strcmp(dir, "/") == 0)
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The entry of l (written as [-]PATH[:REST]) that path lies within, or NULL. */
static const char *list_within(const struct strlist *l, const char *path)
{
        char e[PATH_MAX];

        for (size_t i = 0; i < l->n; i++) {
                if (entry_path(l->v[i], e, sizeof e) && within(path, e))
                        return l->v[i];
        }
        return NULL;
}

static const char *in_dirs(const char *path, const char *const *dirs)
{
        for (; *dirs; dirs++) {
                if (within(path, *dirs))
                        return *dirs;
        }
        return NULL;
}

static const char *const home_dirs[] = {"/home", "/root", "/run/user", NULL};
static const char *const tmp_dirs[] = {"/tmp", "/var/tmp", NULL};
static const char *const dev_dirs[] = {"/dev", NULL};
static const char *const ps_yes[] = {"/usr", "/boot", "/efi", NULL};
static const char *const ps_full[] = {"/usr", "/boot", "/efi", "/etc", NULL};
/* ProtectSystem=strict leaves these writable (ns/mounts.c) */
static const char *const ps_strict_rw[] = {"/dev", "/proc", NULL};

enum access { ACC_HIDDEN, ACC_READ, ACC_WRITE };

/* What an actor with profile p can do with the host's path there, as its mounts show it
 * (ns/mounts.c, spawner/paths.c: the tmpfs of its own, then ReadWritePaths= and the binds,
 * then InaccessiblePaths= over everything); why says what limits it. */
static enum access view_access(const struct profile *p, const char *path, char *why, size_t len)
{
        const char *e;

        if ((e = list_within(&p->inaccessible_paths, path))) {
                snprintf(why, len, "its InaccessiblePaths=%s hides it", e);
                return ACC_HIDDEN;
        }
        if (p->protect_home == PROTECT_HOME_YES && in_dirs(path, home_dirs)) {
                snprintf(why, len, "its ProtectHome=yes hides it");
                return ACC_HIDDEN;
        }
        if (list_within(&p->read_write_paths, path))
                return ACC_WRITE;
        if (p->private_tmp && in_dirs(path, tmp_dirs)) {
                snprintf(why, len, "its PrivateTmp=yes has a tmpfs of its own there");
                return ACC_HIDDEN;
        }
        if (p->private_devices && in_dirs(path, dev_dirs)) {
                snprintf(why, len, "its PrivateDevices=yes has a /dev of its own");
                return ACC_HIDDEN;
        }
        if ((e = list_within(&p->temporary_fs, path))) {
                snprintf(why, len, "its TemporaryFileSystem=%s has a tmpfs of its own there", e);
                return ACC_HIDDEN;
        }
        if (p->protect_home == PROTECT_HOME_TMPFS && in_dirs(path, home_dirs)) {
                snprintf(why, len, "its ProtectHome=tmpfs has a tmpfs of its own there");
                return ACC_HIDDEN;
        }
        if (p->protect_home == PROTECT_HOME_READ_ONLY && in_dirs(path, home_dirs)) {
                snprintf(why, len, "its ProtectHome=read-only makes it read-only");
                return ACC_READ;
        }
        if ((p->protect_system == PROTECT_SYSTEM_STRICT && !in_dirs(path, ps_strict_rw)) ||
            (p->protect_system == PROTECT_SYSTEM_FULL && in_dirs(path, ps_full)) ||
            (p->protect_system == PROTECT_SYSTEM_YES && in_dirs(path, ps_yes))) {
                snprintf(why, len, "its ProtectSystem=%s makes it read-only",
                         p->protect_system == PROTECT_SYSTEM_STRICT ? "strict"
                         : p->protect_system == PROTECT_SYSTEM_FULL ? "full"
                                                                    : "yes");
                return ACC_READ;
        }
        return ACC_WRITE;
}

/* A Stdin=, Stdout=, Stderr= file (the whole path: no `-`, no `:` separator) is path. */
static bool is_file(const struct stdio_spec *f, const char *path)
{
        char x[PATH_MAX];

        return f->mode == STDIO_FILE && f->path &&
               norm_path(f->path, strlen(f->path), x, sizeof x) && strcmp(x, path) == 0;
}

/* ... and through its binds (a bind's source is a host path it reaches elsewhere) and the
 * files corral opens for it (its Stdin=, Stdout=, Stderr= files). */
static enum access host_access(const struct profile *p, const char *path, char *why, size_t len)
{
        enum access a = view_access(p, path, why, len);

        if (a < ACC_WRITE && (list_within(&p->bind_paths, path) || is_file(&p->std_out, path) ||
                              is_file(&p->std_err, path)))
                return ACC_WRITE;
        if (a < ACC_READ && (list_within(&p->bind_ro_paths, path) || is_file(&p->std_in, path)))
                return ACC_READ;
        return a;
}

/* A host path the child is given, with the access it needs: one the parent has too. value:
 * the key's value as written; file: a whole path (else an entry, "[-]PATH[:REST]"). */
static int need_access(const struct nest_ctx *c, const char *key, const char *value,
                       const char *entry, bool file, enum access need)
{
        char path[PATH_MAX], why[PATH_MAX + 96] = "";

        if (!(file ? norm_path(entry, strlen(entry), path, sizeof path)
                   : entry_path(entry, path, sizeof path)))
                return refuse(c,
                              "%s=%.200s: a relative path, or one with '..', lies within nothing",
                              key, value);
        if (host_access(c->parent, path, why, sizeof why) >= need)
                return 0;
        return refuse(c, "%s=%.200s: the parent cannot %s %.200s: %.200s", key, value,
                      need == ACC_WRITE ? "write" : "read", path, why);
}

/* ReadWritePaths=, BindPaths= (arg ACC_WRITE), BindReadOnlyPaths= (ACC_READ): each host path
 * (a bind's source; its destination is in the child's own view) the parent reaches too. */
static int cmp_paths(const struct nest_ctx *c, const struct nest_row *r)
{
        const struct strlist *l = (const void *)((const char *)c->child + r->off);

        for (size_t i = 0; i < l->n; i++) {
                if (need_access(c, row_key(r), l->v[i], l->v[i], false, (enum access)r->arg) < 0)
                        return -1;
        }
        return 0;
}

/* Does the child see nothing of the host's at path? */
static bool child_hides(const struct profile *p, const char *path)
{
        return list_within(&p->inaccessible_paths, path) || list_within(&p->temporary_fs, path) ||
               (p->private_tmp && in_dirs(path, tmp_dirs)) ||
               (p->private_devices && in_dirs(path, dev_dirs)) ||
               ((p->protect_home == PROTECT_HOME_YES || p->protect_home == PROTECT_HOME_TMPFS) &&
                in_dirs(path, home_dirs));
}

/* InaccessiblePaths=, TemporaryFileSystem=: what the parent hides of the host's, the child
 * hides too (an entry at or above it, or a tmpfs of its own there). */
static int cmp_hidden(const struct nest_ctx *c, const struct nest_row *r)
{
        const struct strlist *l = (const void *)((const char *)c->parent + r->off);
        char path[PATH_MAX], a[160], b[160];

        for (size_t i = 0; i < l->n; i++) {
                if (!entry_path(l->v[i], path, sizeof path) || child_hides(c->child, path))
                        continue;
                return refuse(c,
                              "the parent's %s=%.200s hides %.200s, which the child sees (its %s, "
                              "%s)",
                              row_key(r), l->v[i], path,
                              kv(c->child, "InaccessiblePaths", a, sizeof a),
                              kv(c->child, "TemporaryFileSystem", b, sizeof b));
        }
        return 0;
}

/* Stdin= (arg 0), Stdout=, Stderr=: a file is a host path corral opens for the child (read,
 * or written); `inherit` is the caller's own fd, which the parent must hold itself. */
static int cmp_stdio(const struct nest_ctx *c, const struct nest_row *r)
{
        const struct stdio_spec *p = (const void *)((const char *)c->parent + r->off);
        const struct stdio_spec *ch = (const void *)((const char *)c->child + r->off);

        if (ch->mode == STDIO_FILE) {
                char value[PATH_MAX + 8];

                snprintf(value, sizeof value, "file:%s", ch->path ? ch->path : "");
                return need_access(c, row_key(r), value, value + 5, true,
                                   r->arg == 0 ? ACC_READ : ACC_WRITE);
        }
        if (ch->mode == STDIO_INHERIT && p->mode != STDIO_INHERIT &&
            !(p->mode == STDIO_AUTO && (c->flags & NEST_PARENT_IS_ROOT)))
                return refuse_values(c, r,
                                     "(the caller's own fd) needs inherit, or auto at the "
                                     "tree's root, in",
                                     p->mode == STDIO_AUTO ? " (below the root: not the caller's)"
                                                           : "");
        return 0;
}

/* ---- the table: every key of keys.c, in its order ---- */

#define OFF(field) offsetof(struct profile, field)
#define FREE(name, why)                                                                            \
        {                                                                                          \
                name, NULL, 0, 0, "free: " why                                                     \
        }
#define RLIM(i)                                                                                    \
        {                                                                                          \
                NULL, cmp_rlimit, 0, i,                                                            \
                    "compared: the hard limit no more than the parent's; unset only where the "    \
                    "parent's is (an unset rlimit is the caller's, not bounded by the parent)"     \
        }

static const char limit_rule[] = "compared: when the child sets it, no more than the parent's "
                                 "(unset: its node nests inside the parent's, which bounds it)";
static const char timeout_rule[] = "compared: no longer than the parent's";

static const struct nest_row rows[] = {
    /* namespaces and mounts */
    {"Namespaces", cmp_superset, OFF(namespaces), 0,
     "compared: every namespace new for the parent is new for the child (else it would share "
     "the host's, which the parent does not)"},
    {"PrivateNetwork", cmp_rank, OFF(private_network), RANK_PRIVATE_NETWORK,
     "compared: no < tree < actor, the child's no less than the parent's"},
    {"PrivateUsers", cmp_private_users, 0, 0,
     "compared: yes only when the parent has yes (a user namespace its own filter denies it)"},
    {"PrivateTmp", cmp_kept, OFF(private_tmp), 0, "compared: yes stays yes"},
    FREE("PrivateTmpSize", "the child's own tmpfs; its pages are charged to the child's node, "
                           "which the parent's bounds"),
    {"PrivateDevices", cmp_kept, OFF(private_devices), 0, "compared: yes stays yes"},
    {"KeyringMode", cmp_rank, OFF(keyring_mode), RANK_KEYRING_MODE,
     "compared: inherit < private, no weaker than the parent's"},
    {"ProtectSystem", cmp_rank, OFF(protect_system), RANK_PROTECT_SYSTEM,
     "compared: no < yes < full < strict, no weaker than the parent's"},
    {"ProtectHome", cmp_rank, OFF(protect_home), RANK_PROTECT_HOME,
     "compared: no < read-only < tmpfs = yes, no weaker than the parent's"},
    {"ReadWritePaths", cmp_paths, OFF(read_write_paths), ACC_WRITE,
     "compared: each path one the parent can write (its own view, binds and files)"},
    {"BindPaths", cmp_paths, OFF(bind_paths), ACC_WRITE,
     "compared: each source one the parent can write; the destination is in the child's own "
     "view"},
    {"BindReadOnlyPaths", cmp_paths, OFF(bind_ro_paths), ACC_READ,
     "compared: each source one the parent can read"},
    {"TemporaryFileSystem", cmp_hidden, OFF(temporary_fs), 0,
     "compared: what the parent's hides of the host's, the child hides too; the child's own are "
     "free (nothing of the host's)"},
    {"InaccessiblePaths", cmp_hidden, OFF(inaccessible_paths), 0,
     "compared: what the parent's hides, the child hides too"},
    {"ProtectControlGroups", cmp_kept, OFF(protect_control_groups), 0, "compared: yes stays yes"},
    /* credentials */
    {"User", cmp_user, OFF(user), 0,
     "compared: the parent's, unless its bounding set has CAP_SETUID and CAP_SETGID"},
    {"Group", cmp_group, OFF(group), 0,
     "compared: the parent's, unless its bounding set has CAP_SETGID"},
    {"SupplementaryGroups", cmp_groups, OFF(supplementary_groups), 0,
     "compared: each one the parent's too, unless its bounding set has CAP_SETGID"},
    {"CapabilityBoundingSet", cmp_caps, OFF(capability_bounding_set), 0,
     "compared: within the parent's bounding set (none, for a child without the user namespace "
     "its parent has)"},
    {"AmbientCapabilities", cmp_caps, OFF(ambient_capabilities), 0,
     "compared: within the parent's bounding set, as CapabilityBoundingSet="},
    /* resources */
    {"MemoryMax", cmp_limit, OFF(memory_max), 0, limit_rule},
    {"MemoryHigh", cmp_limit, OFF(memory_high), 0, limit_rule},
    {"MemorySwapMax", cmp_limit, OFF(memory_swap_max), 0, limit_rule},
    {"TasksMax", cmp_limit, OFF(tasks_max), 0, limit_rule},
    {"CPUQuota", cmp_limit, OFF(cpu_quota), 0, limit_rule},
    FREE("CPUWeight", "a share among siblings inside the parent's node, not a bound: the "
                      "parent's own weight decides what its subtree gets"),
    FREE("IOWeight", "a share among siblings inside the parent's node, as CPUWeight="),
    /* seccomp */
    FREE("SystemCallFilter", "filters are never compared: every ancestor's is loaded too (they "
                             "stack)"),
    FREE("SystemCallErrorNumber", "part of the filter, which stacks"),
    {"RestrictNamespaces", cmp_superset, OFF(restrict_namespaces), 0,
     "compared: every type the parent may not create, the child may not either"},
    /* the program's environment */
    FREE("Hostname", "a name inside the child's own UTS namespace"),
    {"Stdin", cmp_stdio, OFF(std_in), 0,
     "compared: a file one the parent can read; inherit (the caller's stdin) only where the "
     "parent has it"},
    {"Stdout", cmp_stdio, OFF(std_out), 1,
     "compared: a file one the parent can write; inherit only where the parent has it"},
    {"Stderr", cmp_stdio, OFF(std_err), 2,
     "compared: a file one the parent can write; inherit only where the parent has it"},
    FREE("LogOverflow", "how the supervisor reads the child's log pipes"),
    FREE("Environment", "data, as a SPAWN's own environment is: no confinement"),
    FREE("PassEnvironment", "which of the caller's variables the profile passes is the policy's "
                            "choice per profile"),
    FREE("UnsetEnvironment", "as PassEnvironment="),
    FREE("WorkingDirectory", "a place in the child's own view, which the path keys bound"),
    RLIM(0),
    RLIM(1),
    RLIM(2),
    RLIM(3),
    RLIM(4),
    RLIM(5),
    RLIM(6),
    RLIM(7),
    RLIM(8),
    RLIM(9),
    RLIM(10),
    RLIM(11),
    RLIM(12),
    RLIM(13),
    RLIM(14),
    RLIM(15),
    /* the cascade */
    {"TimeoutCancelSec", cmp_max, OFF(timeout_cancel), 0, timeout_rule},
    {"TimeoutInterruptSec", cmp_max, OFF(timeout_interrupt), 0, timeout_rule},
    {"TimeoutTerminateSec", cmp_max, OFF(timeout_terminate), 0, timeout_rule},
    {"TimeoutKillSec", cmp_max, OFF(timeout_kill), 0, timeout_rule},
    {"TimeoutHoldSec", cmp_max, OFF(timeout_hold), 0, timeout_rule},
    FREE("RuntimeMaxSec", "the parent's own expiry cancels its whole subtree, the child with it: "
                          "the child's cannot outlast it"),
    /* trees */
    FREE("MaxChildren", "the child's own fan-out, not its subtree: MaxDepth= (compared) and the "
                        "tree's MaxActors= bound that"),
    {"MaxDepth", cmp_max, OFF(max_depth), 0,
     "compared: no deeper than the parent's (depth counts from the root, so the parent's bound "
     "holds below it)"},
    FREE("MaxActors", "only the tree's root profile's counts"),
    FREE("SpawnProfiles", "what the child may spawn is compared with the child in turn, by these "
                          "rules"),
    FREE("OnChildFailure", "acts within the child's own subtree"),
};

#define NROWS (sizeof rows / sizeof rows[0])

/* The first key in which child is looser: err says how, without the profiles' names. */
static int compare(const struct profile *parent, const struct profile *child, unsigned flags,
                   struct cerr *err)
{
        struct nest_ctx c = {.parent = parent, .child = child, .flags = flags, .err = err};

        for (size_t i = 0; i < NROWS; i++) {
                if (rows[i].cmp && rows[i].cmp(&c, &rows[i]) < 0)
                        return -1;
        }
        return 0;
}

int profile_nests(const struct profile *parent, const struct profile *child, unsigned flags,
                  struct cerr *err)
{
        if (compare(parent, child, flags, err) < 0)
                return cerr_wrap(err, "profile '%s' is looser than its parent's profile '%s'",
                                 child->name, parent->name);
        return 0;
}

const char *nesting_rule(const char *key)
{
        for (size_t i = 0; i < NROWS; i++) {
                if (strcmp(row_key(&rows[i]), key) == 0)
                        return rows[i].rule;
        }
        return NULL;
}

size_t nesting_row_count(void)
{
        return NROWS;
}

int nesting_warnings(const struct profile *p,
                     const struct profile *(*find)(const void *ctx, const char *name),
                     const void *ctx, struct strlist *out, struct cerr *err)
{
        for (size_t i = 0; i < p->spawn_profiles.n; i++) {
                const struct profile *child = find(ctx, p->spawn_profiles.v[i]);
                struct cerr why = {0};

                if (!child || compare(p, child, NEST_PARENT_IS_ROOT, &why) == 0)
                        continue;
                if (strlist_addf(out, err, "SpawnProfiles=%s: every SPAWN of it is refused: %s",
                                 child->name, why.msg) < 0)
                        return -1;
        }
        return 0;
}

#include "cgroup_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kfile.h"

static const char *const ctrl_names[CG_NCTRL] = {"memory", "pids", "cpu", "io"};
static const char *const ctrl_v1_names[CG_NCTRL] = {"memory", "pids", "cpu", "blkio"};

const char *cg_ctrl_name(enum cg_ctrl c)
{
        return (unsigned)c < CG_NCTRL ? ctrl_names[c] : "?";
}

const char *cg_ctrl_v1_name(enum cg_ctrl c)
{
        return (unsigned)c < CG_NCTRL ? ctrl_v1_names[c] : "?";
}

const char *cg_mode_name(enum cg_mode m)
{
        switch (m) {
        case CG_MODE_V2:
                return "pure-v2";
        case CG_MODE_HYBRID:
                return "hybrid";
        case CG_MODE_V1:
                return "v1-only";
        case CG_MODE_NONE:
                break;
        }
        return "none";
}

const char *cg_source_name(enum cg_source s)
{
        switch (s) {
        case CG_SRC_V2:
                return "v2";
        case CG_SRC_V1:
                return "v1";
        case CG_SRC_NONE:
                break;
        }
        return "none";
}

bool cg_opts_has(const char *opts, const char *word)
{
        size_t n = strlen(word);
        const char *p = opts;

        while (p && *p) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);

                if (len == n && memcmp(p, word, n) == 0)
                        return true;
                p = end ? end + 1 : NULL;
        }
        return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (proc_pid_mountinfo(5)). */
static void unescape_octal(char *s)
{
        char *w = s;

        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 3;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
}

int mountinfo_parse_line(char *line, struct mountinfo_entry *e)
{
        char *fields[10] = {0};
        char *save = NULL;
        char *tok;
        int n = 0;
        bool after_sep = false;
        int post = 0;

        line[strcspn(line, "\n")] = '\0';
        memset(e, 0, sizeof *e);
        for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                if (!after_sep) {
                        if (n >= 6 && strcmp(tok, "-") == 0) {
                                after_sep = true;
                                continue;
                        }
                        if (n < 6)
                                fields[n] = tok;
                        n++; /* fields 7.. are optional tags ("shared:9"), any number of them */
                } else {
                        if (post < 3)
                                fields[6 + post] = tok;
                        post++;
                }
        }
        if (n < 6 || !after_sep || post < 3)
                return -1;
        e->root = fields[3];
        e->mount = fields[4];
        e->fstype = fields[6];
        e->source = fields[7];
        e->super_opts = fields[8];
        unescape_octal(e->root);
        unescape_octal(e->mount);
        return 0;
}

/* The strings of a struct cg_hier: "" (never freed) or a copy of their own. */
static const char no_str[] = "";

static void hier_clear(struct cg_hier *hi)
{
        const char **f[] = {&hi->mount, &hi->root, &hi->own, &hi->own_dir};

        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
                if (*f[i] && *f[i] != no_str)
                        free((char *)*f[i]);
                *f[i] = no_str;
        }
}

/* false when out of memory (the field is "" then) */
static bool set_str(const char **field, const char *v)
{
        char *copy = v[0] ? strdup(v) : NULL;

        if (*field && *field != no_str)
                free((char *)*field);
        *field = copy ? copy : no_str;
        return copy || !v[0];
}

void cg_mounts_free(struct cg_mounts *h)
{
        hier_clear(&h->v2);
        for (int c = 0; c < CG_NCTRL; c++)
                hier_clear(&h->ctrl[c].v1);
}

/* -1: our cgroup is not reachable through this mount; -2: out of memory */
static int join_own_dir(struct cg_hier *hi)
{
        size_t rl = strlen(hi->root);
        const char *rest;
        char dir[PATH_MAX];

        set_str(&hi->own_dir, "");
        /* Our cgroup must lie at or below the mounted cgroup; otherwise this mount cannot
         * reach it (a bind mount of another sub-tree, or "/.." outside our cgroup namespace). */
        if (strcmp(hi->root, "/") == 0) {
                rest = hi->own;
        } else if (strncmp(hi->own, hi->root, rl) == 0 &&
                   (hi->own[rl] == '\0' || hi->own[rl] == '/')) {
                rest = hi->own + rl;
        } else {
                return -1;
        }
        if (strncmp(rest, "/..", 3) == 0)
                return -1;
        if (strcmp(rest, "/") == 0 || rest[0] == '\0')
                rest = "";
        if ((size_t)snprintf(dir, sizeof dir, "%s%s", hi->mount, rest) >= sizeof dir)
                return -1;
        return set_str(&hi->own_dir, dir) ? 0 : -2;
}

/* Lines of /proc/self/cgroup: "hierarchy-id:controller-list:path", split in place in the
 * text read whole (a fixed array of PATH_MAX paths was 139 KiB, mapped and unmapped). */
struct proc_cgroup_line {
        const char *opts;
        const char *path;
        bool v2;
};

static int read_proc_cgroup(FILE *f, char **text, struct proc_cgroup_line *out, int max,
                            struct cerr *err)
{
        size_t cap = 0;
        int n = 0;
        int lineno = 0;
        char *line, *next;

        *text = NULL;
        if (getdelim(text, &cap, '\0', f) < 0) {
                if (ferror(f))
                        return cerr_set(err, errno, CERR_READ, "reading /proc/self/cgroup");
                return 0;
        }
        for (line = *text; line && *line; line = next) {
                char *c1, *c2;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                lineno++;
                if (!line[0])
                        continue;
                c1 = strchr(line, ':');
                c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        return cerr_set(err, 0, CERR_PARSE,
                                        "/proc/self/cgroup line %d: expected ID:CONTROLLERS:PATH",
                                        lineno);
                if (n == max)
                        break;
                *c2 = '\0';
                out[n].opts = c1 + 1;
                out[n].path = c2 + 1;
                out[n].v2 = strncmp(line, "0:", 2) == 0 && out[n].opts[0] == '\0';
                n++;
        }
        return n;
}

static void copy_str(char *dst, size_t len, const char *src)
{
        snprintf(dst, len, "%s", src);
}

/* v1 hierarchies name their controllers in the super options ("rw,cpu,cpuacct");
 * /proc/self/cgroup names them as "cpu,cpuacct". Match on the controller itself. */
static void note_unreachable(struct cg_ctrl_info *ci, const char *what)
{
        snprintf(ci->note, sizeof ci->note, "%s", what);
}

int cg_mounts_parse(struct cg_mounts *h, FILE *mountinfo, FILE *proc_cgroup, struct cerr *err)
{
        struct proc_cgroup_line pc[32] = {0};
        char *pc_text = NULL, *line = NULL;
        size_t cap = 0;
        int npc, rc = 0;
        bool v1_controllers = false, nomem = false;
        int lineno = 0;

        memset(h, 0, sizeof *h);
        cg_mounts_free(h); /* every string "" */
        npc = read_proc_cgroup(proc_cgroup, &pc_text, pc, 32, err);
        if (npc < 0) {
                free(pc_text);
                return -1;
        }

        while (getline(&line, &cap, mountinfo) > 0) {
                struct mountinfo_entry e;

                lineno++;
                if (mountinfo_parse_line(line, &e) < 0) {
                        rc = cerr_set(err, 0, CERR_PARSE, "mountinfo line %d is malformed", lineno);
                        break;
                }
                if (strcmp(e.fstype, "cgroup2") == 0 && !h->has_v2) {
                        for (int i = 0; i < npc; i++) {
                                if (!pc[i].v2)
                                        continue;
                                h->has_v2 = true;
                                nomem |= !set_str(&h->v2.mount, e.mount) ||
                                         !set_str(&h->v2.root, e.root) ||
                                         !set_str(&h->v2.own, pc[i].path) ||
                                         join_own_dir(&h->v2) == -2;
                                break;
                        }
                } else if (strcmp(e.fstype, "cgroup") == 0) {
                        for (int c = 0; c < CG_NCTRL; c++) {
                                struct cg_ctrl_info *ci = &h->ctrl[c];
                                int j;

                                if (!cg_opts_has(e.super_opts, cg_ctrl_v1_name(c)))
                                        continue;
                                v1_controllers = true;
                                if (ci->src == CG_SRC_V1 && ci->v1.own_dir[0])
                                        continue; /* already have a mount that reaches our cgroup */
                                ci->src = CG_SRC_V1;
                                hier_clear(&ci->v1);
                                nomem |= !set_str(&ci->v1.mount, e.mount) ||
                                         !set_str(&ci->v1.root, e.root);
                                ci->v1_opts[0] = '\0';
                                for (int i = 0; i < npc; i++) {
                                        if (pc[i].v2 ||
                                            !cg_opts_has(pc[i].opts, cg_ctrl_v1_name(c)))
                                                continue;
                                        copy_str(ci->v1_opts, sizeof ci->v1_opts, pc[i].opts);
                                        nomem |= !set_str(&ci->v1.own, pc[i].path);
                                        break;
                                }
                                if (!ci->v1_opts[0]) {
                                        note_unreachable(ci, "v1 hierarchy mounted but absent from "
                                                             "/proc/self/cgroup");
                                } else if ((j = join_own_dir(&ci->v1)) < 0) {
                                        nomem |= j == -2;
                                        note_unreachable(ci, "our v1 cgroup is outside every mount "
                                                             "of its hierarchy");
                                } else {
                                        ci->note[0] = '\0';
                                }
                        }
                }
        }
        free(line);
        free(pc_text);
        if (rc < 0)
                return rc;
        if (nomem)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "the host's cgroup paths");

        if (h->has_v2)
                h->mode = v1_controllers ? CG_MODE_HYBRID : CG_MODE_V2;
        else
                h->mode = v1_controllers ? CG_MODE_V1 : CG_MODE_NONE;
        /* From recorded data alone "/" is the best evidence of the real root;
         * cg_mounts_discover() confirms it against the live filesystem. */
        h->v2_own_is_root =
            h->has_v2 && strcmp(h->v2.own, "/") == 0 && strcmp(h->v2.root, "/") == 0;
        for (int c = 0; c < CG_NCTRL; c++) {
                if (h->ctrl[c].src == CG_SRC_NONE && !h->ctrl[c].note[0])
                        note_unreachable(&h->ctrl[c],
                                         "not enabled for our v2 cgroup and no v1 hierarchy");
        }
        return 0;
}

void cg_mounts_set_v2_controllers(struct cg_mounts *h, const char *controllers)
{
        for (int c = 0; c < CG_NCTRL; c++) {
                struct cg_ctrl_info *ci = &h->ctrl[c];
                char word[32];
                const char *p = controllers;
                bool found = false;
                int n;

                if (ci->src == CG_SRC_V1)
                        continue; /* a controller is bound to one hierarchy only */
                while (p && sscanf(p, "%31s%n", word, &n) == 1) {
                        if (strcmp(word, cg_ctrl_name(c)) == 0)
                                found = true;
                        p += n;
                }
                if (found) {
                        ci->src = CG_SRC_V2;
                        ci->note[0] = '\0';
                } else {
                        ci->src = CG_SRC_NONE;
                        note_unreachable(ci,
                                         h->v2_own_is_root
                                             ? "not available in the v2 root and no v1 hierarchy"
                                             : "not delegated to our v2 cgroup (absent from its "
                                               "cgroup.controllers) and no v1 hierarchy");
                }
        }
}

int cg_mounts_discover(struct cg_mounts *h, struct cerr *err)
{
        FILE *mi, *pc;
        char path[PATH_MAX + 32];
        char buf[512];
        int rc;

        memset(h, 0, sizeof *h);
        cg_mounts_free(h); /* freeable whatever fails below */
        mi = fopen("/proc/self/mountinfo", "re");
        pc = fopen("/proc/self/cgroup", "re");
        if (!mi || !pc) {
                int e = errno;

                if (mi)
                        fclose(mi);
                if (pc)
                        fclose(pc);
                return cerr_set(err, e, CERR_OPEN,
                                "reading /proc/self/mountinfo and /proc/self/cgroup");
        }
        rc = cg_mounts_parse(h, mi, pc, err);
        fclose(mi);
        fclose(pc);
        if (rc < 0 || !h->has_v2 || !h->v2.own_dir[0])
                return rc;

        /* The real root has no cgroup.events; a cgroup-namespace root ("/" too) does. */
        snprintf(path, sizeof path, "%s/cgroup.events", h->v2.own_dir);
        h->v2_own_is_root =
            strcmp(h->v2.own, "/") == 0 && access(path, F_OK) < 0 && errno == ENOENT;

        snprintf(path, sizeof path, "%s/cgroup.controllers", h->v2.own_dir);
        if (kfile_read(path, buf, sizeof buf) < 0)
                return cerr_set(err, errno, CERR_OPEN, "reading %s", path);
        cg_mounts_set_v2_controllers(h, buf);
        return 0;
}

int cg_mounts_usable(const struct cg_mounts *h, struct cerr *err)
{
        switch (h->mode) {
        case CG_MODE_NONE:
                return cerr_set(err, 0, CERR_HOST,
                                "no cgroup filesystem is mounted; corral needs cgroup v2 "
                                "(mount -t cgroup2 none /sys/fs/cgroup)");
        case CG_MODE_V1:
                return cerr_set(err, 0, CERR_HOST,
                                "this host has cgroup v1 only; corral needs a cgroup v2 hierarchy "
                                "(cgroup.kill, CLONE_INTO_CGROUP). Boot with "
                                "systemd.unified_cgroup_hierarchy=1, or mount cgroup2 beside v1");
        case CG_MODE_HYBRID:
        case CG_MODE_V2:
                break;
        }
        if (!h->v2.own_dir[0])
                return cerr_set(err, 0, CERR_HOST,
                                "our v2 cgroup %s is not reachable through the cgroup2 mount at %s "
                                "(mounted sub-tree %s)",
                                h->v2.own, h->v2.mount, h->v2.root);
        return 0;
}

int cg_kv_get(const char *text, const char *key, long long *value)
{
        size_t kl = strlen(key);
        const char *p = text;

        while (p && *p) {
                if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
                        char *end;

                        errno = 0;
                        *value = strtoll(p + kl + 1, &end, 10);
                        if (errno || end == p + kl + 1)
                                return -1;
                        return 0;
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return -1;
}

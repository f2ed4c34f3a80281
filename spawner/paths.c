/* The paths an actor gets from the host, and the mounts that hide or replace them (DESIGN
 * §4a), systemd's keys: ReadWritePaths= (the same path, read-write), BindPaths= and
 * BindReadOnlyPaths= (SOURCE onto DESTINATION), TemporaryFileSystem= (an empty tmpfs),
 * InaccessiblePaths= (an empty mode-000 directory or file) and ProtectHome= (/home, /root and
 * /run/user: inaccessible, read-only, or an empty tmpfs each).
 *
 * Every host path is resolved with the safe-path rule in the host's namespace (a planted
 * symlink is refused); a missing one is an error unless the entry starts with `-`. A bind's
 * source is cloned as a detached mount (open_tree), read-write or read-only, and handed to the
 * shim with where it goes; the other mounts travel as a path with the device and inode found
 * there, which the shim checks again before it mounts anything onto it.
 *
 * A destination must already exist: corral mounts over what is there and never creates a path
 * on the host. Inside a tmpfs of the actor's own (its private /tmp and /var/tmp and /dev, a
 * TemporaryFileSystem=, ProtectHome=tmpfs) nothing is the host's: a destination there is
 * created by the shim, so `--tmpfs /srv --bind ~/src:/srv/src` works as with bwrap. Nothing
 * can be mounted inside an inaccessible path (InaccessiblePaths=, ProtectHome=yes): that is
 * refused, naming both. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ns/mounts.h"
#include "../ns/safepath.h"
#include "../policy/policy.h"
#include "../policy/units.h"
#include "shim.h"
#include "sup.h"
#include "supervisor.h"

#define MAX_AREAS (SPEC_MAX_OPS + 8)

/* A path under which the actor sees something else than the host's tree. */
struct area {
        const char *path; /* its first len bytes (an entry may go on with ":OPTIONS") */
        size_t len;
        const char *key; /* "TemporaryFileSystem=", "InaccessiblePaths=", "PrivateTmp=" ... */
};

struct path_ctx {
        const struct profile *p;
        struct spec_builder *b; /* NULL: check only (corral policy check) */
        int *fds;
        struct area own[MAX_AREAS], hidden[MAX_AREAS]; /* tmpfs of the actor's; inaccessible */
        int n_own, n_hidden;
        struct cerr *err;
};

static const char *const home_dirs[] = {"/home", "/root", "/run/user"};

static bool under(const char *path, const struct area *a)
{
        if (a->len == 1 && a->path[0] == '/')
                return true;
        return strncmp(path, a->path, a->len) == 0 && (path[a->len] == '\0' || path[a->len] == '/');
}

/* what every actor has hidden, whatever its profile (shim.c: /run/corral, /run/user, a
 * rootless caller's XDG_RUNTIME_DIR): a mount inside is refused, an op there is moot */
#define MASK_KEY "corral's mask of "

static bool masked(const char *path)
{
        for (char *const *m = shim_hidden_dirs(); *m; m++) {
                struct area a = {.path = *m, .len = strlen(*m)};

                if (under(path, &a))
                        return true;
        }
        return false;
}

static const struct area *find_area(const struct area *a, int n, const char *path)
{
        for (int i = 0; i < n; i++) {
                if (under(path, &a[i]))
                        return &a[i];
        }
        return NULL;
}

/* A destination: refused inside an inaccessible path; true when it is in a tmpfs of ours. */
static int place(struct path_ctx *c, const char *key, const char *entry, const char *dst,
                 bool *in_own)
{
        const struct area *h = find_area(c->hidden, c->n_hidden, dst);

        if (h)
                return cerr_set(c->err, EACCES, CERR_MOUNT,
                                "%s%s: %s lies inside %s%.*s, which hides everything in it (%s)",
                                key, entry, dst, h->key, (int)h->len, h->path,
                                strcmp(h->key, "ProtectHome=yes ") == 0
                                    ? "ProtectHome=tmpfs lets binds in"
                                : strcmp(h->key, MASK_KEY) == 0
                                    ? "corral's sockets, session buses and systemd --user there "
                                      "would be a way out of the sandbox"
                                    : "nothing can be mounted there");
        *in_own = find_area(c->own, c->n_own, dst) != NULL;
        return 0;
}

static void add_area(struct area *a, int *n, const char *path, const char *key)
{
        path += path[0] == '-';
        if (*n < MAX_AREAS)
                a[(*n)++] = (struct area){.path = path, .len = strcspn(path, ":"), .key = key};
}

/* "[-]PATH[:REST]": the path (without `-`) into out, whether `-` was there, and REST. */
static const char *split_entry(const char *w, char *out, size_t len, bool *optional)
{
        const char *colon;

        *optional = w[0] == '-';
        w += *optional;
        colon = strchr(w, ':');
        snprintf(out, len, "%.*s", colon ? (int)(colon - w) : (int)strlen(w), w);
        return colon ? colon + 1 : NULL;
}

/* Open a host path with the safe-path rule. Returns the fd, 0 for an optional path that is
 * missing (nothing to do), or -1 with the error. */
static int open_host(struct path_ctx *c, const char *key, const char *path, bool optional,
                     int flags)
{
        struct safepath_fail fail;
        int fd = safepath_open(path, flags, 0, &fail);

        if (fd < 0 && fail.errnum == ENOENT && !fail.unsafe_link && optional)
                return 0;
        if (fd < 0)
                return safepath_cerr(c->err, CERR_MOUNT, key, path, &fail);
        return fd;
}

/* ---- ReadWritePaths=, BindPaths=, BindReadOnlyPaths= ---- */

struct bind_entry {
        const char *key, *entry;
        char src[PATH_MAX], dst[PATH_MAX];
        bool optional, bind, ro;
};

static int add_bind(struct path_ctx *c, struct bind_entry *e)
{
        struct stat st, dst;
        bool in_own;
        int fd, tree;

        fd = open_host(c, e->key, e->src, e->optional, O_PATH);
        if (fd <= 0)
                return fd;
        /* ReadWritePaths=: the directory the walk resolved to (through a root-owned link),
         * where the mount lands */
        if (!e->bind) {
                char proc[64];
                ssize_t n;

                snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
                n = readlink(proc, e->dst, sizeof e->dst - 1);
                if (n <= 0 || e->dst[0] != '/') {
                        close(fd);
                        return cerr_set(c->err, n < 0 ? errno : ENOENT, CERR_MOUNT,
                                        "%s%s: where it resolved to", e->key, e->src);
                }
                e->dst[n] = '\0';
        }
        if (place(c, e->key, e->entry, e->dst, &in_own) < 0) {
                close(fd);
                return -1;
        }
        if (fstat(fd, &st) < 0) {
                close(fd);
                return cerr_set(c->err, errno, CERR_MOUNT, "%s%s", e->key, e->src);
        }
        /* the destination, as the host has it (unless it is made in a tmpfs of ours): it must
         * exist, of the same kind */
        if (!in_own && lstat(e->dst, &dst) < 0) {
                int en = errno;

                close(fd);
                return cerr_set(c->err, en, CERR_MOUNT,
                                "%s%s: the destination %s must exist (corral never creates a path "
                                "on the host)",
                                e->key, e->entry, e->dst);
        }
        if (e->bind && !in_own && (st.st_mode & S_IFMT) != (dst.st_mode & S_IFMT)) {
                close(fd);
                return cerr_set(c->err, S_ISDIR(st.st_mode) ? ENOTDIR : EISDIR, CERR_MOUNT,
                                "%s%s: a %s onto a %s", e->key, e->entry,
                                S_ISDIR(st.st_mode) ? "directory" : "file",
                                S_ISDIR(dst.st_mode) ? "directory" : "non-directory");
        }
        if (!c->b) {
                close(fd);
                return 0;
        }
        tree = mounts_clone(fd, e->ro);
        close(fd);
        if (tree < 0)
                return cerr_set(c->err, errno, CERR_MOUNT, "%s%s: cloning the mount (open_tree)",
                                e->key, e->src);
        if (c->b->hdr.n_rw_paths < SPEC_MAX_RW) {
                c->fds[c->b->hdr.n_rw_paths] = tree;
                /* made in our tmpfs: of the same kind, not the same inode */
                if (e->bind || in_own)
                        c->b->hdr.rw_bind |= 1ULL << c->b->hdr.n_rw_paths;
                if (in_own)
                        c->b->hdr.rw_create |= 1ULL << c->b->hdr.n_rw_paths;
        }
        if (spec_add_rw(c->b, e->dst, tree, c->err) < 0) {
                close(tree);
                return -1;
        }
        return 0;
}

static int add_binds(struct path_ctx *c)
{
        const struct profile *p = c->p;
        struct bind_entry e;

        for (size_t i = 0; i < p->read_write_paths.n; i++) {
                e = (struct bind_entry){.key = "ReadWritePaths=",
                                        .entry = p->read_write_paths.v[i]};
                split_entry(e.entry, e.src, sizeof e.src, &e.optional);
                snprintf(e.dst, sizeof e.dst, "%s", e.src);
                if (add_bind(c, &e) < 0)
                        return -1;
        }
        for (int ro = 0; ro < 2; ro++) {
                const struct strlist *l = ro ? &p->bind_ro_paths : &p->bind_paths;

                for (size_t i = 0; i < l->n; i++) {
                        const char *dst;

                        e = (struct bind_entry){.key = ro ? "BindReadOnlyPaths=" : "BindPaths=",
                                                .entry = l->v[i],
                                                .bind = true,
                                                .ro = ro};
                        dst = split_entry(e.entry, e.src, sizeof e.src, &e.optional);
                        snprintf(e.dst, sizeof e.dst, "%s", dst ? dst : e.src);
                        if (add_bind(c, &e) < 0)
                                return -1;
                }
        }
        return 0;
}

/* ---- TemporaryFileSystem=, InaccessiblePaths=, ProtectHome= ---- */

/* One op onto a host path (its identity recorded) or, in a tmpfs of ours, onto one made there.
 * Returns 1 when added, 0 when an optional path is missing, -1 on error. */
static int add_op(struct path_ctx *c, const char *key, const char *path, bool optional,
                  struct mount_op *op)
{
        struct stat st;
        bool in_own = find_area(c->own, c->n_own, path) != NULL;
        int fd;

        /* hidden already, and its mask mounted first: an op there would find another inode */
        if (masked(path))
                return 0;
        if (!in_own) {
                fd = open_host(c, key, path, optional, O_PATH);
                if (fd <= 0)
                        return fd;
                if (fstat(fd, &st) < 0) {
                        close(fd);
                        return cerr_set(c->err, errno, CERR_MOUNT, "%s%s", key, path);
                }
                close(fd);
                if (op->kind != MOUNT_OP_INACCESSIBLE && !S_ISDIR(st.st_mode))
                        return cerr_set(c->err, ENOTDIR, CERR_MOUNT, "%s%s: not a directory", key,
                                        path);
                op->dev = (unsigned long long)st.st_dev;
                op->ino = (unsigned long long)st.st_ino;
        } else if (op->kind == MOUNT_OP_INACCESSIBLE || op->kind == MOUNT_OP_READ_ONLY) {
                return 0; /* nothing of the host's is there to hide */
        }
        op->path = path;
        if (c->b && spec_add_op(c->b, op, c->err) < 0)
                return -1;
        return 1;
}

/* TemporaryFileSystem= entries by path, without their `-`: "/a" sorts before "/a/b". */
static int cmp_entry(const void *a, const void *b)
{
        const char *x = *(char *const *)a, *y = *(char *const *)b;

        return strcmp(x + (x[0] == '-'), y + (y[0] == '-'));
}

static int add_tmpfs(struct path_ctx *c, const char *entry)
{
        char path[PATH_MAX], data[128];
        struct tmpfs_options o;
        struct mount_op op = {.kind = MOUNT_OP_TMPFS};
        bool optional;
        const char *opts = split_entry(entry, path, sizeof path, &optional);
        uint64_t size;
        int rc, n;

        if (tmpfs_options_parse(opts ? opts : "", &o, c->err) < 0)
                return cerr_wrap(c->err, "TemporaryFileSystem=%s", entry);
        /* no size= of its own: the profile's PrivateTmpSize= (none: the kernel's half of RAM) */
        size = o.size ? o.size
               : c->p->private_tmp_size.set && c->p->private_tmp_size.value != UNITS_INFINITY
                   ? c->p->private_tmp_size.value
                   : 0;
        n = snprintf(data, sizeof data, "mode=%04o", o.mode);
        if (size)
                n += snprintf(data + n, sizeof data - (size_t)n, ",size=%llu",
                              (unsigned long long)size);
        if (o.nr_inodes)
                snprintf(data + n, sizeof data - (size_t)n, ",nr_inodes=%llu",
                         (unsigned long long)o.nr_inodes);
        op.kind = o.ro ? MOUNT_OP_TMPFS_RO : MOUNT_OP_TMPFS;
        op.flags = o.noexec ? MS_NOEXEC : 0;
        op.data = data;
        if (place(c, "TemporaryFileSystem=", entry, path, &(bool){false}) < 0)
                return -1;
        rc = add_op(c, "TemporaryFileSystem=", path, optional, &op);
        return rc < 0 ? -1 : 0;
}

static int add_ops(struct path_ctx *c)
{
        const struct profile *p = c->p;
        const char *sorted[SPEC_MAX_OPS] = {0};
        size_t n = p->temporary_fs.n; /* (bounded by walk) */
        bool optional;

        /* a parent before what lies inside it */
        if (n)
                memcpy(sorted, p->temporary_fs.v, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_entry);
        for (size_t i = 0; i < n; i++) {
                if (add_tmpfs(c, sorted[i]) < 0)
                        return -1;
                /* the tmpfs is ours from here on: what follows may be made inside it */
                add_area(c->own, &c->n_own, sorted[i], "TemporaryFileSystem=");
        }
        for (size_t i = 0; i < sizeof home_dirs / sizeof home_dirs[0]; i++) {
                struct mount_op op = {0};
                int rc;

                if (p->protect_home == PROTECT_HOME_NO)
                        break;
                if (masked(home_dirs[i])) /* /run/user: hidden whatever ProtectHome= says */
                        continue;
                op.kind = p->protect_home == PROTECT_HOME_YES         ? MOUNT_OP_INACCESSIBLE
                          : p->protect_home == PROTECT_HOME_READ_ONLY ? MOUNT_OP_READ_ONLY
                                                                      : MOUNT_OP_TMPFS_RO;
                op.data = op.kind == MOUNT_OP_TMPFS_RO ? "mode=0755,size=1m" : "";
                /* (a host without /run/user has nothing to protect there) */
                rc = add_op(c, "ProtectHome=", home_dirs[i], true, &op);
                if (rc < 0)
                        return -1;
                if (rc > 0 && op.kind == MOUNT_OP_TMPFS_RO)
                        add_area(c->own, &c->n_own, home_dirs[i], "ProtectHome=tmpfs ");
        }
        for (size_t i = 0; i < p->inaccessible_paths.n; i++) {
                const char *entry = p->inaccessible_paths.v[i];
                struct mount_op op = {.kind = MOUNT_OP_INACCESSIBLE, .data = ""};

                optional = entry[0] == '-';
                if (add_op(c, "InaccessiblePaths=", entry + optional, optional, &op) < 0)
                        return -1;
        }
        return 0;
}

static int walk(struct path_ctx *c)
{
        const struct profile *p = c->p;

        /* (each is one mount op in the request, and one area below) */
        if (p->temporary_fs.n + p->inaccessible_paths.n + 3 > SPEC_MAX_OPS)
                return cerr_set(c->err, E2BIG, CERR_MOUNT,
                                "at most %d TemporaryFileSystem= and InaccessiblePaths= together",
                                SPEC_MAX_OPS - 3);
        if (p->private_tmp) {
                add_area(c->own, &c->n_own, "/tmp", "PrivateTmp=");
                add_area(c->own, &c->n_own, "/var/tmp", "PrivateTmp=");
        }
        if (p->private_devices)
                add_area(c->own, &c->n_own, "/dev", "PrivateDevices=");
        /* what will be hidden, before anything is placed: corral's masks first (they are
         * mounted first, and no key lifts them) */
        for (char *const *m = shim_hidden_dirs(); *m; m++)
                add_area(c->hidden, &c->n_hidden, *m, MASK_KEY);
        for (size_t i = 0; p->protect_home == PROTECT_HOME_YES && i < 3; i++)
                add_area(c->hidden, &c->n_hidden, home_dirs[i], "ProtectHome=yes ");
        for (size_t i = 0; i < p->inaccessible_paths.n; i++) {
                add_area(c->hidden, &c->n_hidden, p->inaccessible_paths.v[i], "InaccessiblePaths=");
        }
        return 0;
}

/* The areas first (the ops, checked only), against which every bind is placed; then the binds
 * and the ops go into the request in the order the shim reads them. */
static int walk_all(struct path_ctx *c)
{
        struct spec_builder *b = c->b;
        int n_own, n_hidden;

        if (walk(c) < 0)
                return -1;
        n_own = c->n_own;
        n_hidden = c->n_hidden;
        c->b = NULL;
        if (add_ops(c) < 0 || (c->b = b, add_binds(c) < 0))
                return -1;
        c->n_own = n_own;
        c->n_hidden = n_hidden;
        return b ? add_ops(c) : 0;
}

int spawn_add_paths(const struct actor *a, struct spec_builder *b, int fds[SPEC_MAX_RW],
                    struct cerr *err)
{
        struct path_ctx c = {.p = &a->prof->p, .b = b, .fds = fds, .err = err};

        return walk_all(&c);
}

int corral_profile_check_paths(const struct profile *p, struct cerr *err)
{
        struct path_ctx c = {.p = p, .err = err};

        return walk_all(&c);
}

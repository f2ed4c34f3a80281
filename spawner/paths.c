/* The paths an actor gets mounted from the host (DESIGN §4a): ReadWritePaths= (the same path,
 * read-write), BindPaths= and BindReadOnlyPaths= (SOURCE onto DESTINATION, systemd's keys).
 * Each source is opened with the safe-path rule in the host's namespace (a planted symlink is
 * refused), cloned as a detached mount (open_tree) read-write or read-only, and handed to the
 * shim with where it goes; the shim mounts it there without resolving the source again. A
 * destination must already exist: corral mounts over what is there and never creates a path
 * on the host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ns/mounts.h"
#include "../ns/safepath.h"
#include "sup.h"

struct path_entry {
        const char *key; /* for messages */
        char src[PATH_MAX], dst[PATH_MAX];
        bool optional; /* `-`: a missing source is skipped */
        bool bind, ro;
};

/* "[-]SRC[:DST]" of a Bind*Paths= entry (checked when the policy was read). */
static void parse_bind(const char *w, struct path_entry *e)
{
        const char *colon;

        e->optional = w[0] == '-';
        w += e->optional;
        colon = strchr(w, ':');
        snprintf(e->src, sizeof e->src, "%.*s", colon ? (int)(colon - w) : (int)strlen(w), w);
        snprintf(e->dst, sizeof e->dst, "%s", colon ? colon + 1 : e->src);
}

static int add_entry(struct spec_builder *b, const struct path_entry *e, int fds[SPEC_MAX_RW],
                     struct cerr *err)
{
        struct safepath_fail fail;
        struct stat st, dst;
        int fd = safepath_open(e->src, O_PATH, 0, &fail), tree;

        if (fd < 0 && fail.errnum == ENOENT && !fail.unsafe_link && e->optional)
                return 0;
        if (fd < 0)
                return safepath_cerr(err, CERR_MOUNT, e->key, e->src, &fail);
        if (e->bind) {
                /* the destination, as the host has it: it must exist, of the same kind */
                if (fstat(fd, &st) < 0 || lstat(e->dst, &dst) < 0) {
                        int en = errno;

                        close(fd);
                        return cerr_set(err, en, CERR_MOUNT,
                                        "%s%s:%s: the destination must exist (corral never "
                                        "creates a path on the host)",
                                        e->key, e->src, e->dst);
                }
                if ((st.st_mode & S_IFMT) != (dst.st_mode & S_IFMT)) {
                        close(fd);
                        return cerr_set(err, S_ISDIR(st.st_mode) ? ENOTDIR : EISDIR, CERR_MOUNT,
                                        "%s%s:%s: a %s onto a %s", e->key, e->src, e->dst,
                                        S_ISDIR(st.st_mode) ? "directory" : "file",
                                        S_ISDIR(dst.st_mode) ? "directory" : "non-directory");
                }
        }
        tree = mounts_clone(fd, e->ro);
        close(fd);
        if (tree < 0)
                return cerr_set(err, errno, CERR_MOUNT, "%s%s: cloning the mount (open_tree)",
                                e->key, e->src);
        if (b->hdr.n_rw_paths < SPEC_MAX_RW) {
                fds[b->hdr.n_rw_paths] = tree;
                if (e->bind)
                        b->hdr.rw_bind |= 1ULL << b->hdr.n_rw_paths;
        }
        if (spec_add_rw(b, e->dst, tree, err) < 0) {
                close(tree);
                return -1;
        }
        return 0;
}

int spawn_add_paths(const struct actor *a, struct spec_builder *b, int fds[SPEC_MAX_RW],
                    struct cerr *err)
{
        const struct profile *p = &a->prof->p;
        struct path_entry e;

        for (size_t i = 0; i < p->read_write_paths.n; i++) {
                /* (a missing ReadWritePaths= entry is skipped, as it always was) */
                e = (struct path_entry){.key = "ReadWritePaths=", .optional = true};
                snprintf(e.src, sizeof e.src, "%s", p->read_write_paths.v[i]);
                snprintf(e.dst, sizeof e.dst, "%s", e.src);
                if (add_entry(b, &e, fds, err) < 0)
                        return -1;
        }
        for (int ro = 0; ro < 2; ro++) {
                const struct strlist *l = ro ? &p->bind_ro_paths : &p->bind_paths;

                for (size_t i = 0; i < l->n; i++) {
                        e = (struct path_entry){.key = ro ? "BindReadOnlyPaths=" : "BindPaths=",
                                                .bind = true,
                                                .ro = ro};
                        parse_bind(l->v[i], &e);
                        if (add_entry(b, &e, fds, err) < 0)
                                return -1;
                }
        }
        return 0;
}

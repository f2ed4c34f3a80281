#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <ftw.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"

#define RMDIR_EBUSY_TRIES 200 /* x 1 ms: a dying cgroup's css goes offline within a few ms */
#define REMOVE_MAX_DEPTH  64

bool cg_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > CG_NAME_MAX || name[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-'))
                        return false;
        }
        return true;
}

static const char *tag_xattr(void)
{
        return geteuid() == 0 ? CG_TAG_XATTR : CG_TAG_XATTR_USER;
}

int cg_tag_set(const char *path, const char *tag, struct cerr *err)
{
        const char *name = tag_xattr();

        if (setxattr(path, name, tag, strlen(tag), 0) < 0)
                return cerr_set(err, errno, CERR_TAG, "tagging %s with %s", path, name);
        return 0;
}

int cg_tag_get(const char *path, char *buf, size_t len)
{
        ssize_t n = getxattr(path, CG_TAG_XATTR, buf, len - 1);

        if (n < 0)
                n = getxattr(path, CG_TAG_XATTR_USER, buf, len - 1);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        return (int)n;
}

static int require_tag(const char *path, enum cerr_stage what, struct cerr *err)
{
        char tag[128];

        if (cg_tag_get(path, tag, sizeof tag) < 0 && errno == ENOENT)
                return cerr_set(err, ENOENT, what, "%s is gone (removed meanwhile)", path);
        if (cg_tag_get(path, tag, sizeof tag) < 0)
                return cerr_set(err, EPERM, what,
                                "%s carries no corral tag: not a cgroup corral created", path);
        return 0;
}

static int join(char *out, size_t len, const char *a, const char *b, struct cerr *err)
{
        if ((size_t)snprintf(out, len, "%s/%s", a, b) >= len)
                return cerr_set(err, ENAMETOOLONG, CERR_PATH, "%s/%s is too long", a, b);
        return 0;
}

static int node_open_fd(struct cg_node *n, struct cerr *err)
{
        n->fd = open(n->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (n->fd < 0)
                return cerr_set(err, errno, CERR_OPEN, "opening %s", n->path);
        return 0;
}

/* Made, opened and tagged through the parent's fd when there is one: the kernel walks one
 * component three times instead of the whole path (cgroupfs revalidates each: a node by fd
 * 35 us, by path 42, on the spawn path twice). The fd is a read-only one, not O_PATH: the tag
 * goes through it (fsetxattr). */
int cg_node_create_at(struct cg_node *n, int parent_fd, const char *parent, const char *name,
                      const char *tag, struct cerr *err)
{
        int dfd = parent_fd >= 0 ? parent_fd : AT_FDCWD;
        const char *rel;

        n->fd = -1;
        if (!cg_name_valid(name))
                return cerr_set(err, EINVAL, CERR_MKDIR, "invalid cgroup name '%s'", name);
        if (join(n->path, sizeof n->path, parent, name, err) < 0)
                return -1;
        rel = parent_fd >= 0 ? name : n->path;
        if (mkdirat(dfd, rel, 0755) < 0)
                return cerr_set(err, errno, CERR_MKDIR, "creating %s", n->path);
        n->fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (n->fd < 0)
                cerr_set(err, errno, CERR_OPEN, "opening %s", n->path);
        else if (fsetxattr(n->fd, tag_xattr(), tag, strlen(tag), 0) < 0)
                cerr_set(err, errno, CERR_TAG, "tagging %s with %s", n->path, tag_xattr());
        else
                return 0;
        if (n->fd >= 0)
                close(n->fd);
        n->fd = -1;
        unlinkat(dfd, rel, AT_REMOVEDIR);
        return -1;
}

int cg_node_create(struct cg_node *n, const char *parent, const char *name, const char *tag,
                   struct cerr *err)
{
        return cg_node_create_at(n, -1, parent, name, tag, err);
}

int cg_node_ensure(struct cg_node *n, const char *parent, const char *name, const char *tag,
                   struct cerr *err)
{
        int created = 0;

        n->fd = -1;
        if (!cg_name_valid(name))
                return cerr_set(err, EINVAL, CERR_MKDIR, "invalid cgroup name '%s'", name);
        if (join(n->path, sizeof n->path, parent, name, err) < 0)
                return -1;
        if (mkdir(n->path, 0755) == 0) {
                if (cg_tag_set(n->path, tag, err) < 0) {
                        rmdir(n->path);
                        return -1;
                }
                created = 1;
        } else if (errno != EEXIST) {
                return cerr_set(err, errno, CERR_MKDIR, "creating %s", n->path);
        } else if (require_tag(n->path, CERR_MKDIR, err) < 0) {
                return -1;
        }
        if (node_open_fd(n, err) < 0)
                return -1;
        return created;
}

int cg_node_open(struct cg_node *n, const char *path, struct cerr *err)
{
        n->fd = -1;
        if ((size_t)snprintf(n->path, sizeof n->path, "%s", path) >= sizeof n->path)
                return cerr_set(err, ENAMETOOLONG, CERR_PATH, "%s is too long", path);
        if (require_tag(n->path, CERR_OPEN, err) < 0)
                return -1;
        return node_open_fd(n, err);
}

void cg_node_close(struct cg_node *n)
{
        if (n->fd >= 0)
                close(n->fd);
        n->fd = -1;
}

int cg_node_write(const struct cg_node *n, const char *file, const char *value, struct cerr *err)
{
        size_t len = strlen(value);
        int fd = openat(n->fd, file, O_WRONLY | O_CLOEXEC);
        ssize_t w;

        if (fd < 0)
                return cerr_set(err, errno, CERR_WRITE, "opening %s/%s", n->path, file);
        w = write(fd, value, len);
        if (w < 0) {
                int e = errno;

                close(fd);
                return cerr_set(err, e, CERR_WRITE, "writing '%s' to %s/%s", value, n->path, file);
        }
        close(fd);
        if ((size_t)w != len)
                return cerr_set(err, EIO, CERR_WRITE, "short write of '%s' to %s/%s", value,
                                n->path, file);
        return 0;
}

int cg_node_read(const struct cg_node *n, const char *file, char *buf, size_t len, struct cerr *err)
{
        int fd = openat(n->fd, file, O_RDONLY | O_CLOEXEC);
        size_t got = 0;

        if (fd < 0)
                return cerr_set(err, errno, CERR_READ, "opening %s/%s", n->path, file);
        while (got < len - 1) {
                ssize_t r = read(fd, buf + got, len - 1 - got);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;

                        close(fd);
                        return cerr_set(err, e, CERR_READ, "reading %s/%s", n->path, file);
                }
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        buf[got] = '\0';
        return (int)got;
}

int cg_node_place(const struct cg_node *n, pid_t pid, struct cerr *err)
{
        char v[24];

        snprintf(v, sizeof v, "%d", (int)pid);
        return cg_node_write(n, "cgroup.procs", v, err);
}

int cg_node_enable(const struct cg_node *n, unsigned mask, struct cerr *err)
{
        char v[64] = "";
        size_t off = 0;

        for (int c = 0; c < CG_NCTRL; c++) {
                if (mask & (1u << c))
                        off += (size_t)snprintf(v + off, sizeof v - off, "%s+%s", off ? " " : "",
                                                cg_ctrl_name(c));
        }
        if (!off)
                return 0;
        return cg_node_write(n, "cgroup.subtree_control", v, err);
}

int cg_node_kill(const struct cg_node *n, struct cerr *err)
{
        if (require_tag(n->path, CERR_KILL, err) < 0)
                return -1;
        return cg_node_write(n, "cgroup.kill", "1", err);
}

static int read_populated(int fd, const char *path, struct cerr *err)
{
        char buf[256];
        long long v;
        ssize_t r = pread(fd, buf, sizeof buf - 1, 0);

        if (r < 0)
                return cerr_set(err, errno, CERR_READ, "reading %s/cgroup.events", path);
        buf[r] = '\0';
        if (cg_kv_get(buf, "populated", &v) < 0)
                return cerr_set(err, EINVAL, CERR_READ, "%s/cgroup.events has no 'populated' line",
                                path);
        return v != 0;
}

/* v1 has no cgroup.events: a v1 group is empty when no cgroup.procs below it names a pid. */
static int v1_populated(const char *path, int depth, struct cerr *err)
{
        char file[PATH_MAX + 16];
        char buf[64];
        struct dirent *de;
        DIR *d;
        int fd, rc = 0;
        ssize_t r;

        if (depth > REMOVE_MAX_DEPTH)
                return cerr_set(err, ELOOP, CERR_READ, "%s is nested too deeply", path);
        snprintf(file, sizeof file, "%s/cgroup.procs", path);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cerr_set(err, errno, CERR_READ, "opening %s", file);
        r = read(fd, buf, sizeof buf);
        close(fd);
        if (r < 0)
                return cerr_set(err, errno, CERR_READ, "reading %s", file);
        if (r > 0)
                return 1;
        d = opendir(path);
        if (!d)
                return cerr_set(err, errno, CERR_READ, "listing %s", path);
        while (rc == 0 && (de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= sizeof sub)
                        continue;
                rc = v1_populated(sub, depth + 1, err);
        }
        closedir(d);
        return rc;
}

int cg_node_populated(const struct cg_node *n, struct cerr *err)
{
        int fd = openat(n->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        int rc;

        if (fd < 0 && errno == ENOENT)
                return v1_populated(n->path, 0, err);
        if (fd < 0)
                return cerr_set(err, errno, CERR_READ, "opening %s/cgroup.events", n->path);
        rc = read_populated(fd, n->path, err);
        close(fd);
        return rc;
}

int cg_node_wait_empty(const struct cg_node *n, int timeout_ms, struct cerr *err)
{
        int64_t deadline = mono_ms() + timeout_ms;
        int fd = openat(n->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        int rc;

        if (fd < 0)
                return cerr_set(err, errno, CERR_WAIT, "opening %s/cgroup.events", n->path);
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLPRI};
                int64_t left;

                rc = read_populated(fd, n->path, err);
                if (rc <= 0)
                        break;
                left = deadline - mono_ms();
                if (left <= 0) {
                        rc = cerr_set(err, ETIMEDOUT, CERR_WAIT, "%s still populated after %d ms",
                                      n->path, timeout_ms);
                        break;
                }
                if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
                        rc = cerr_set(err, errno, CERR_WAIT, "polling %s/cgroup.events", n->path);
                        break;
                }
        }
        close(fd);
        return rc;
}

static int rmdir_bounded(const char *path, struct cerr *err)
{
        for (int i = 0;; i++) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || i == RMDIR_EBUSY_TRIES)
                        return cerr_set(err, errno, CERR_RMDIR, "removing %s", path);
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
}

static int remove_rec(const char *path, int depth, struct cerr *err)
{
        struct dirent *de;
        DIR *d;
        int rc = 0;

        if (depth > REMOVE_MAX_DEPTH)
                return cerr_set(err, ELOOP, CERR_RMDIR, "%s is nested too deeply", path);
        if (require_tag(path, CERR_RMDIR, err) < 0)
                return -1;
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : cerr_set(err, errno, CERR_RMDIR, "listing %s", path);
        while (rc == 0 && (de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= sizeof sub) {
                        rc = cerr_set(err, ENAMETOOLONG, CERR_RMDIR, "%s/%s is too long", path,
                                      de->d_name);
                        break;
                }
                rc = remove_rec(sub, depth + 1, err);
        }
        closedir(d);
        if (rc < 0)
                return rc;
        return rmdir_bounded(path, err);
}

static int adopt_rec(const char *path, const char *tag, int depth, struct cerr *err)
{
        char have[128];
        struct dirent *de;
        DIR *d;
        int rc = 0;

        if (depth > REMOVE_MAX_DEPTH)
                return cerr_set(err, ELOOP, CERR_ADOPT, "%s is nested too deeply", path);
        if (cg_tag_get(path, have, sizeof have) < 0 && cg_tag_set(path, tag, err) < 0)
                return err->errnum == ENOENT ? 0 : -1; /* removed meanwhile: nothing to adopt */
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : cerr_set(err, errno, CERR_ADOPT, "listing %s", path);
        while (rc == 0 && (de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= sizeof sub) {
                        rc = cerr_set(err, ENAMETOOLONG, CERR_ADOPT, "%s/%s is too long", path,
                                      de->d_name);
                        break;
                }
                rc = adopt_rec(sub, tag, depth + 1, err);
        }
        closedir(d);
        return rc;
}

int cg_adopt_tree(const char *path, const char *tag, struct cerr *err)
{
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        return adopt_rec(path, tag, 0, err);
}

int cg_remove_tree(const char *path, struct cerr *err)
{
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        return remove_rec(path, 0, err);
}

int cg_remove_own(const char *path, struct cerr *err)
{
        if (rmdir(path) == 0 || errno == ENOENT)
                return 0;
        if (errno != EBUSY && errno != ENOTEMPTY)
                return cerr_set(err, errno, CERR_RMDIR, "removing %s", path);
        return cg_remove_tree(path, err);
}

int cg_v1_mirror(struct cg_node *n, const char *v1_own_dir, const char *rel, const char *tag,
                 struct cerr *err)
{
        char parent[PATH_MAX];
        char comp[PATH_MAX];
        const char *p = rel;

        n->fd = -1;
        if ((size_t)snprintf(parent, sizeof parent, "%s", v1_own_dir) >= sizeof parent)
                return cerr_set(err, ENAMETOOLONG, CERR_PATH, "%s is too long", v1_own_dir);
        while (*p == '/')
                p++;
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t)(slash - p) : strlen(p);

                if (len == 0 || len >= sizeof comp)
                        return cerr_set(err, EINVAL, CERR_MKDIR, "bad relative cgroup path '%s'",
                                        rel);
                memcpy(comp, p, len);
                comp[len] = '\0';
                if (!slash)
                        return cg_node_create(n, parent, comp, tag, err);
                if (cg_node_ensure(n, parent, comp, tag, err) < 0)
                        return -1;
                snprintf(parent, sizeof parent, "%s", n->path);
                cg_node_close(n);
                p = slash + 1;
        }
}

/* The pids left below a node and what each is blocked in, "pid:wchan,...": every
 * cgroup.procs below it, walked without a shell (a node path in a command line would be one
 * quote away from running something as root). nftw() takes no context: one walk at a time. */
static struct {
        char *buf;
        size_t off, cap;
} stuck_pids;

static int stuck_visit(const char *dir, const struct stat *st, int type, struct FTW *ftw)
{
        char procs[PATH_MAX + 16], line[512];
        FILE *f;

        (void)st;
        (void)ftw;
        if (type != FTW_D)
                return 0;
        snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
        f = fopen(procs, "re");
        while (f && fgets(line, sizeof line, f) && stuck_pids.off < stuck_pids.cap - 64) {
                char wchan[64] = "?", wpath[64];
                int pid = atoi(line);
                FILE *w;

                snprintf(wpath, sizeof wpath, "/proc/%d/wchan", pid);
                w = fopen(wpath, "re");
                if (w) {
                        if (!fgets(wchan, sizeof wchan, w))
                                snprintf(wchan, sizeof wchan, "?");
                        fclose(w);
                }
                stuck_pids.off += (size_t)snprintf(stuck_pids.buf + stuck_pids.off,
                                                   stuck_pids.cap - stuck_pids.off, "%s%d:%s",
                                                   stuck_pids.off ? "," : "", pid, wchan);
        }
        if (f)
                fclose(f);
        return 0;
}

void cg_stuck_pids(const char *node, char *buf, size_t cap)
{
        stuck_pids.buf = buf;
        stuck_pids.off = 0;
        stuck_pids.cap = cap;
        buf[0] = '\0';
        nftw(node, stuck_visit, 8, FTW_PHYS);
}

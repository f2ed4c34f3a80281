#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only root could have put it there, and only root can change it (see the header). */
static bool link_trusted(const struct stat *dir, const struct stat *link)
{
        return link->st_uid == 0 && dir->st_uid == 0 && !(dir->st_mode & (S_IWGRP | S_IWOTH));
}

/* dst = src, truncated to len; for the "walked so far" text in errors only. */
static void copy_text(char *dst, size_t len, const char *src, size_t n)
{
        if (n >= len)
                n = len - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static void at_append(char *at, const char *comp, size_t n)
{
        size_t l = strlen(at);

        if (l + 1 + n >= PATH_MAX)
                return;
        at[l] = '/';
        memcpy(at + l + 1, comp, n);
        at[l + 1 + n] = '\0';
}

static void at_parent(char *at)
{
        char *slash = strrchr(at, '/');

        if (slash)
                *slash = '\0';
}

static int fail_with(struct safepath_fail *f, int e)
{
        if (f)
                f->errnum = e;
        errno = e;
        return -1;
}

static void close_keep_errno(int fd)
{
        int e = errno;

        if (fd >= 0)
                close(fd);
        errno = e;
}

int safepath_open(const char *path, int flags, mode_t mode, struct safepath_fail *fail)
{
        struct safepath_fail local = {0};
        struct safepath_fail *f = fail ? fail : &local;
        char todo[PATH_MAX], tmp[PATH_MAX], target[PATH_MAX];
        struct stat dst;
        size_t len;
        int links = 0;
        int dir;

        if (fail)
                memset(fail, 0, sizeof *fail);
        len = strlen(path);
        if (path[0] != '/')
                return fail_with(f, EINVAL);
        if (len >= sizeof todo)
                return fail_with(f, ENAMETOOLONG);
        memcpy(todo, path, len + 1);
        dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0 || fstat(dir, &dst) < 0) {
                close_keep_errno(dir);
                return fail_with(f, errno);
        }
        for (char *p = todo;;) {
                char *comp, *end;
                size_t n;
                bool last;
                int fd;
                struct stat st;

                while (*p == '/')
                        p++;
                if (!*p) {
                        /* the path names a directory ("/", "a/b/", "a/..") */
                        fd = (flags & O_PATH) ? dir : openat(dir, ".", flags | O_CLOEXEC, mode);
                        if (fd != dir)
                                close_keep_errno(dir);
                        return fd >= 0 ? fd : fail_with(f, errno);
                }
                comp = p;
                end = strchr(p, '/');
                n = end ? (size_t)(end - p) : strlen(p);
                p += n;
                last = !end; /* "a/b/" still wants b to be a directory */
                if (n == 1 && comp[0] == '.')
                        continue;
                if (n == 2 && comp[0] == '.' && comp[1] == '.') {
                        fd = openat(dir, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (fd < 0 || fstat(fd, &dst) < 0) {
                                close_keep_errno(fd);
                                close_keep_errno(dir);
                                return fail_with(f, errno);
                        }
                        close(dir);
                        dir = fd;
                        at_parent(f->at);
                        continue;
                }
                copy_text(tmp, sizeof tmp, comp, n); /* the component, NUL-terminated */
                if (last && !(flags & O_PATH)) {
                        /* the common case: a plain file, opened (or created) in one call */
                        fd = openat(dir, tmp, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
                        if (fd >= 0) {
                                close(dir);
                                return fd;
                        }
                        if (errno != ELOOP) {
                                at_append(f->at, tmp, strlen(tmp));
                                close_keep_errno(dir);
                                return fail_with(f, errno);
                        }
                        /* a symlink: judged below */
                }
                fd = openat(dir, tmp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                at_append(f->at, tmp, strlen(tmp));
                if (fd < 0 || fstat(fd, &st) < 0) {
                        close_keep_errno(fd);
                        close_keep_errno(dir);
                        return fail_with(f, errno);
                }
                if (S_ISLNK(st.st_mode)) {
                        ssize_t tl;
                        size_t rest = strlen(p);

                        if (!link_trusted(&dst, &st)) {
                                f->unsafe_link = true;
                                f->link_uid = st.st_uid;
                                f->dir_uid = dst.st_uid;
                                f->dir_mode = dst.st_mode;
                                close(fd);
                                close(dir);
                                return fail_with(f, EPERM);
                        }
                        if (++links > SAFEPATH_MAX_LINKS) {
                                close(fd);
                                close(dir);
                                return fail_with(f, ELOOP);
                        }
                        tl = readlinkat(fd, "", target, sizeof target);
                        close(fd);
                        if (tl <= 0 || (size_t)tl + rest + 2 > sizeof todo) {
                                close(dir);
                                return fail_with(f, tl < 0 ? errno : ENAMETOOLONG);
                        }
                        /* the rest of the walk is the link's text, then what followed it (a
                         * last component stays last: no '/' is added after it) */
                        memcpy(tmp, target, (size_t)tl);
                        tmp[tl] = '/';
                        memcpy(tmp + tl + (rest ? 1 : 0), p, rest + 1);
                        memcpy(todo, tmp, (size_t)tl + rest + 2);
                        p = todo;
                        at_parent(f->at);
                        if (target[0] == '/') {
                                close(dir);
                                f->at[0] = '\0';
                                dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (dir < 0 || fstat(dir, &dst) < 0) {
                                        close_keep_errno(dir);
                                        return fail_with(f, errno);
                                }
                        }
                        continue;
                }
                if (last) {
                        close(dir);
                        if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) {
                                close(fd);
                                return fail_with(f, ENOTDIR);
                        }
                        return fd; /* O_PATH: the handle itself */
                }
                if (!S_ISDIR(st.st_mode)) {
                        close(fd);
                        close(dir);
                        return fail_with(f, ENOTDIR);
                }
                close(dir);
                dir = fd;
                dst = st;
        }
}

int safepath_cerr(struct cerr *err, enum cerr_stage stage, const char *what, const char *path,
                  const struct safepath_fail *f)
{
        if (f->unsafe_link)
                return cerr_set(err, EPERM, stage,
                                "%s%s: refused: %s is a symlink owned by uid %u in a directory "
                                "owned by uid %u with mode %04o; corral follows only symlinks "
                                "that root owns in directories only root can write",
                                what, path, f->at[0] ? f->at : "/", (unsigned)f->link_uid,
                                (unsigned)f->dir_uid, (unsigned)(f->dir_mode & 07777));
        if (f->at[0] && strcmp(f->at, path) != 0)
                return cerr_set(err, f->errnum, stage, "%s%s (at %s)", what, path, f->at);
        return cerr_set(err, f->errnum, stage, "%s%s", what, path);
}

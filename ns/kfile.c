#include "kfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int kfile_write_at(int dirfd, const char *path, const char *text)
{
        int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);
        ssize_t n;
        int e;

        if (fd < 0)
                return -1;
        n = write(fd, text, len);
        e = n < 0 ? errno : EIO;
        close(fd);
        if (n == (ssize_t)len)
                return 0;
        errno = e;
        return -1;
}

int kfile_read(const char *path, char *buf, size_t len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        int e;

        buf[0] = '\0';
        if (fd < 0)
                return -1;
        n = read(fd, buf, len - 1);
        e = errno;
        close(fd);
        if (n < 0) {
                errno = e;
                return -1;
        }
        buf[n] = '\0';
        return (int)n;
}

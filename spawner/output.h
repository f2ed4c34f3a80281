/* Output that never blocks the supervisor: the caller's stdout/stderr, actor output drained
 * from pipes, and the event log.
 *
 * The caller's stdout may be a pipe nobody reads. The supervisor must not block on it, and
 * must not set O_NONBLOCK on it either: that flag lives in the open file description, shared
 * with every other holder of the pipe (the caller's shell, its other children). So a pipe or
 * tty is re-opened through /proc/self/fd (a new description of the same pipe) with
 * O_NONBLOCK; a socket is written with MSG_DONTWAIT; regular files never block on space.
 * What cannot be written is dropped and counted. */
#ifndef CORRAL_SPAWNER_OUTPUT_H
#define CORRAL_SPAWNER_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum out_kind { OUT_DIRECT, OUT_REOPENED, OUT_SOCKET, OUT_CLOSED };

struct outstream {
        int fd;
        enum out_kind kind;
        uint64_t dropped; /* bytes that could not be written */
};

/* fd stays owned by the caller (for OUT_REOPENED a private fd is opened). */
void outstream_open(struct outstream *o, int fd);
void outstream_close(struct outstream *o);
/* Writes what the stream takes now; returns the bytes written (the rest is dropped). */
size_t outstream_write(struct outstream *o, const void *buf, size_t len);

#define DRAIN_LINE_MAX 4096
#define DRAIN_CHUNK    (64 * 1024)

/* One actor pipe (stdout or stderr in `log` mode), split into lines prefixed with the actor's
 * name. Bounded: a line longer than DRAIN_LINE_MAX is cut. */
struct drain {
        int fd; /* read end, O_NONBLOCK (our own pipe), -1 when closed */
        struct outstream *dst;
        char prefix[80];
        char line[DRAIN_LINE_MAX];
        size_t len;
        uint64_t bytes;   /* read from the actor */
        uint64_t dropped; /* of those, not written */
};

void drain_init(struct drain *d, int fd, struct outstream *dst, const char *prefix);
/* Reads up to budget bytes. Returns 1 while open, 0 at EOF (fd closed, partial line flushed). */
int drain_read(struct drain *d, size_t budget);
void drain_close(struct drain *d);

#endif

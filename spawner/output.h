/* Output that never blocks the supervisor: the caller's stdout/stderr, actor output drained
 * from pipes, and the event log, each fd behind a bounded queue.
 *
 * The caller's stdout may be a pipe nobody reads. The supervisor must not block on it, and
 * must not set O_NONBLOCK on it either: that flag lives in the open file description, shared
 * with every other holder of the pipe (the caller's shell, its other children). So a pipe or
 * tty is re-opened through /proc/self/fd (a new description of the same pipe) with
 * O_NONBLOCK; a socket is written with MSG_DONTWAIT; regular files never block on space. */
#ifndef CORRAL_SPAWNER_OUTPUT_H
#define CORRAL_SPAWNER_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum out_kind { OUT_DIRECT, OUT_REOPENED, OUT_SOCKET, OUT_CLOSED };

struct outstream {
        int fd;
        enum out_kind kind;
        bool gone;  /* a write met EPIPE: the reader is gone (not a stream never opened) */
        int failed; /* a write failed otherwise (ENOSPC, EIO...): its errno; nothing is written */
};

/* fd stays owned by the caller (for OUT_REOPENED a private fd is opened). */
void outstream_open(struct outstream *o, int fd);
void outstream_close(struct outstream *o);
/* Writes what the stream takes now; returns the bytes written (the rest is the caller's). */
size_t outstream_write(struct outstream *o, const void *buf, size_t len);
/* The fd to watch for "can take more" (-1: always can, or never will). */
int outstream_pollable_fd(const struct outstream *o);

/* A bounded queue in front of an output stream: what the stream does not take now waits
 * here, written when the fd can take more (the supervisor polls outstream_pollable_fd), never
 * with a blocking call. A push that does not fit under its limit is refused whole (an event)
 * or cut (actor output, counted by the caller). */
struct outq {
        struct outstream s;
        char *buf;
        size_t off, len, cap; /* pending bytes are buf[off..len) */
        uint64_t discarded;   /* pending bytes lost when the stream closed or failed */
};

void outq_open(struct outq *q, int fd);
void outq_close(struct outq *q);
size_t outq_pending(const struct outq *q);
/* Append len bytes, writing at once what the stream takes when nothing waits. Returns the
 * bytes taken: all of them when pending + len <= limit; with whole, 0 otherwise, else as
 * many as fit. Bytes for a closed stream (none, or its reader gone) are taken and discarded;
 * a failed stream takes nothing (the caller counts what it could not write). */
size_t outq_push(struct outq *q, const void *buf, size_t len, size_t limit, bool whole);
/* Write what the stream takes now. Returns the bytes still pending. */
size_t outq_flush(struct outq *q);

#define DRAIN_RECORD_MAX 4096 /* bytes of actor output in one record */
#define DRAIN_CHUNK      (64 * 1024)

/* One actor pipe (stdout or stderr in `log` mode), cut into records into an output queue:
 *
 *   [name] TEXT      a line (or its first DRAIN_RECORD_MAX bytes)
 *   [name]+ TEXT     more of the same line: the newline before this record is not the
 *                    program's (its line was longer than a record)
 *   [name]\ no newline at end of output
 *                    the newline before this record is not the program's: its output ended
 *                    without one
 *
 * Every record ends with a newline. Reassembled (drop the newline a `+` or `\` record
 * names, strip the prefixes), the program's bytes come back exactly. */
enum drain_mode {
        DRAIN_WAIT, /* read only while the queue is under its limit: the actor waits */
        DRAIN_DROP, /* read all; what the queue cannot take is dropped and counted */
        DRAIN_ALL,  /* read all and queue all (the writers are gone: bounded by the pipe) */
};

struct drain {
        int fd; /* read end, O_NONBLOCK (our own pipe), -1 when closed */
        struct outq *dst;
        size_t limit;
        char name[72]; /* "[name]" */
        char line[DRAIN_RECORD_MAX];
        size_t len;       /* a line's bytes not yet in a record */
        bool cont;        /* the next record continues a line */
        uint64_t bytes;   /* read from the actor */
        uint64_t dropped; /* of those, not written (the caller reports and resets it) */
        bool reading;     /* the caller's: the fd is in its poll set for reading */
};

void drain_init(struct drain *d, int fd, struct outq *dst, size_t limit, const char *name);
/* True when the queue is at its limit: a DRAIN_WAIT drain reads nothing now. */
bool drain_blocked(const struct drain *d);
/* Reads up to budget bytes. Returns 1 while open, 0 at EOF (fd closed, the last line flushed
 * with its marker). */
int drain_read(struct drain *d, size_t budget, enum drain_mode mode);
void drain_close(struct drain *d);

#endif

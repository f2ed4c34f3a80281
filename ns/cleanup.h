/* Cleanup attributes (crun's and systemd's idiom): a variable that frees or closes what it
 * holds when it goes out of scope, so that a function with many ways out has one owner for
 * each resource instead of a free() before every return. Set the variable to NULL (or -1) to
 * hand the resource on. Not for code after clone3(): it may run no cleanup at all. */
#ifndef CORRAL_NS_CLEANUP_H
#define CORRAL_NS_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_free(void *p)
{
        free(*(void **)p);
}

static inline void cleanup_close(const int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

#define CLEANUP_FREE  __attribute__((cleanup(cleanup_free)))
#define CLEANUP_CLOSE __attribute__((cleanup(cleanup_close)))

#endif

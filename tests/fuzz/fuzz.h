/* Shared by the libFuzzer targets in this directory (DESIGN §11).
 *
 * Each target defines LLVMFuzzerTestOneInput. `make fuzz` builds them with clang and
 * libFuzzer; `make check` builds the same files with the normal compiler, each entry point
 * renamed to fuzz_<target>_one (FUZZ_REPLAY), and tests/test_fuzz_replay.c feeds it the seed
 * corpus and every kept crasher (tests/fuzz/regressions/<target>/).
 *
 * A target aborts (FUZZ_CHECK) when an invariant of the code under test breaks, so that a
 * wrong answer is a finding just like a crash, a leak or a timeout. It writes to fd 2 itself:
 * a target may point the stdio stream stderr elsewhere. */
#ifndef CORRAL_TESTS_FUZZ_H
#define CORRAL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        dprintf(2, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond);    \
                        dprintf(2, __VA_ARGS__);                                                   \
                        dprintf(2, "\n");                                                          \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* The input as a C string in its own allocation of exactly size + 1 bytes, so that a read past
 * its end is caught by the sanitizers. NULL when the input holds a NUL byte (the parsers take
 * C strings) or memory ran out. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
        char *s;

        if (memchr(data, '\0', size))
                return NULL;
        s = malloc(size + 1);
        if (!s)
                return NULL;
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

#endif

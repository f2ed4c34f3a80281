/* The default profile's filter, compiled at build time (tools/gen/seccomp_filter.c runs this
 * very compiler, libseccomp included, and writes the program into the build tree): the
 * one-shot `corral run` no longer pays libseccomp at every start. Measured on the 2-vCPU VM:
 * seccomp_compile() of the default profile took 255 us of a 2.5 ms `corral run -- true`
 * (uprobes, median of 100), 150 us when warm, and ~33 of its page faults.
 *
 * A profile whose filter keys (SystemCallFilter=, SystemCallErrorNumber=,
 * RestrictNamespaces=) say exactly what the default profile's say gets that program; any
 * other compiles as before. The program's bad-architecture action is SECCOMP_RET_KILL_PROCESS:
 * on a kernel without it (before 4.14) the builtin is not used, and libseccomp's refusal is
 * what the caller sees, as before. tests/test_seccomp.c holds the builtin equal to a fresh
 * compile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_policy.h"

#ifdef CORRAL_SECCOMP_BUILTIN
#include CORRAL_SECCOMP_BUILTIN /* builtin_key[], builtin_insns[] */
#define HAVE_BUILTIN 1
#else
#define HAVE_BUILTIN 0
#endif

int seccomp_filter_key(const struct profile *p, char *buf, size_t len)
{
        const struct syscall_filter *f = &p->syscall_filter;
        size_t off;
        int n = snprintf(buf, len, "v1 set=%d deny=%d errno=%d rns=%#x names=", f->set,
                         f->deny_list, f->error_number, p->restrict_namespaces & RESTRICT_NS_ALL);

        if (n < 0 || (size_t)n >= len)
                return -1;
        off = (size_t)n;
        for (size_t i = 0; f->set && i < f->names.n; i++) {
                n = snprintf(buf + off, len - off, "%s;", f->names.v[i]);
                if (n < 0 || (size_t)n >= len - off)
                        return -1;
                off += (size_t)n;
        }
        return 0;
}

bool seccomp_builtin_disabled;

int seccomp_builtin(const struct profile *p, struct sock_fprog *out)
{
#if HAVE_BUILTIN
        char key[sizeof builtin_key + 1];
        unsigned int kill_process = SECCOMP_RET_KILL_PROCESS;

        if (seccomp_builtin_disabled || seccomp_filter_key(p, key, sizeof key) < 0 ||
            strcmp(key, builtin_key) != 0 ||
            syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &kill_process) != 0)
                return 0;
        out->filter = malloc(sizeof builtin_insns);
        if (!out->filter)
                return 0; /* libseccomp says ENOMEM its way */
        memcpy(out->filter, builtin_insns, sizeof builtin_insns);
        out->len = (unsigned short)(sizeof builtin_insns / sizeof builtin_insns[0]);
        return 1;
#else
        (void)p;
        (void)out;
        return 0;
#endif
}

/* SystemCallFilter= and SystemCallErrorNumber=: systemd's syscall groups (policy/
 * syscall_groups.c), name validation, and compilation of a profile's filter to classic BPF
 * (policy/seccomp.c).
 *
 * The supervisor compiles once; the child only runs, after PR_SET_NO_NEW_PRIVS,
 *     syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog)
 * which allocates nothing and needs no library after clone3(). Nothing here loads a filter. */
#ifndef CORRAL_POLICY_SECCOMP_POLICY_H
#define CORRAL_POLICY_SECCOMP_POLICY_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ns/err.h"
#include "profile.h"

/* One systemd-style group: "@mount" and its members (syscall names or other "@groups"). */
struct syscall_group {
        const char *name;
        const char *help;
        const char *const *members; /* NULL-terminated */
};

const struct syscall_group *syscall_group_find(const char *name);
size_t syscall_group_count(void);
const struct syscall_group *syscall_group_at(size_t i);

/* True when libseccomp knows the name (on any architecture: a call absent on this one,
 * such as socketcall on x86-64, is valid and simply never matches). */
bool syscall_name_valid(const char *name);

/* An errno by name (EPERM) or number (1 to 4095); -1 when it is neither. */
int syscall_errno_parse(const char *s);

/* Check one SystemCallFilter= entry: a syscall name or a known "@group", optionally with
 * ":ERRNO" (systemd's syntax: that entry fails with that errno). */
int syscall_filter_entry_check(const char *entry, struct cerr *err);

/* Compile p's SystemCallFilter= and RestrictNamespaces= for x86-64 and the other ABIs of
 * an x86-64 kernel (i386, x32): one filter covers every syscall table a program can reach.
 *
 * Allow list: the listed calls (plus systemd's @default, which every allow list includes,
 * so a process can exec and exit) are allowed, every other call gets the deny action.
 * Deny list (`~`): the listed calls get the deny action (or, written NAME:ERRNO, that
 * errno), every other call is allowed.
 * The deny action is SCMP_ACT_ERRNO(error_number) when SystemCallErrorNumber= is set, else
 * SCMP_ACT_KILL_PROCESS (systemd's meaning: the process dies, of SIGSYS).
 * RestrictNamespaces= (as systemd): unshare() and clone() with a forbidden CLONE_NEW* flag
 * and setns() to a forbidden type (or type 0, any) fail with EPERM; clone3(), whose flags
 * seccomp cannot read, fails with ENOSYS, so that glibc falls back to clone().
 *
 * Neither key set: out->len == 0 and out->filter == NULL (no filter to load).
 * Otherwise out->filter is malloc'ed: release it with seccomp_fprog_free(). */
int seccomp_compile(const struct profile *p, struct sock_fprog *out, struct cerr *err);
void seccomp_fprog_free(struct sock_fprog *f);

/* policy/seccomp_builtin.c: the default profile's filter, compiled at build time. The key is
 * the text of a profile's filter keys (-1: too long for len); seccomp_builtin() fills *out
 * (malloc'ed) and returns 1 when p's key is the builtin's and the kernel has the program's
 * actions, else 0. seccomp_compile() asks it first, unless seccomp_builtin_disabled (tests
 * compare the two). */
int seccomp_filter_key(const struct profile *p, char *buf, size_t len);
int seccomp_builtin(const struct profile *p, struct sock_fprog *out);
extern bool seccomp_builtin_disabled;

/* ---- stacking ----
 * A child actor is cloned by the zygote, not forked by its parent: it inherits no filter, so
 * it loads every ancestor's filter and then its own (the kernel runs them all on each call;
 * the most restrictive action wins, and on a tie the filter loaded last decides). The kernel
 * refuses (ENOMEM) a chain longer than SECCOMP_CHAIN_INSNS_MAX instructions, counting 4 more
 * for each filter below the newest (kernel/seccomp.c, seccomp_attach_filter:
 * MAX_INSNS_PER_PATH), and counting each filter as it runs it: converted to eBPF, which is
 * longer than the classic program (~1.4 times for libseccomp's, measured here). Filters the
 * supervisor itself runs under (a container's) count too, and are not known here. */
#define SECCOMP_CHAIN_INSNS_MAX 32768

/* Run a compiled program over one system call as the kernel would: 0 with the filter's
 * return value in *ret, or -1 for a program the kernel would not accept (an unknown
 * instruction, a jump or load out of bounds). Pure: tests and the planner below use it. */
int seccomp_eval(const struct sock_fprog *f, const struct seccomp_data *d, uint32_t *ret);
/* The chain's verdict on d (chain[0] loaded first), as the kernel combines it. */
int seccomp_chain_eval(const struct sock_fprog *const *chain, size_t n,
                       const struct seccomp_data *d, uint32_t *ret);
/* Whether a process under f may still load another filter: seccomp(SECCOMP_SET_MODE_FILTER)
 * on this architecture passes it. An allow list without `seccomp` does not: such a filter
 * can only be the last one loaded. */
bool seccomp_allows_filters(const struct sock_fprog *f);
/* One program's length as the kernel counts it: after its conversion to eBPF (0: none). */
uint32_t seccomp_kernel_len(const struct sock_fprog *f);
/* The chain's length as the kernel counts it against SECCOMP_CHAIN_INSNS_MAX. */
uint32_t seccomp_chain_insns(const struct sock_fprog *const *chain, size_t n);

#endif

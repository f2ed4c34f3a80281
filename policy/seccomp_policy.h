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
#include <stdbool.h>

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

/* Check one SystemCallFilter= entry: a syscall name or a known "@group". */
int syscall_filter_entry_check(const char *entry, struct cerr *err);

/* Compile p's SystemCallFilter= for the native architecture.
 *
 * Allow list: the listed calls (plus systemd's @default, which every allow list includes,
 * so a process can exec and exit) are allowed, every other call gets the deny action.
 * Deny list (`~`): the listed calls get the deny action, every other call is allowed.
 * The deny action is SCMP_ACT_ERRNO(error_number) when SystemCallErrorNumber= is set, else
 * SCMP_ACT_KILL_PROCESS (systemd's meaning: the process dies, of SIGSYS).
 * Calls from another ABI (i386 `int 0x80`, x32) kill the process in either mode: only the
 * native ABI is described by the filter, and a deny list must not be bypassable through a
 * second syscall table.
 *
 * No SystemCallFilter= in p: out->len == 0 and out->filter == NULL (no filter to load).
 * Otherwise out->filter is malloc'ed: release it with seccomp_fprog_free(). */
int seccomp_compile(const struct profile *p, struct sock_fprog *out, struct cerr *err);
void seccomp_fprog_free(struct sock_fprog *f);

#endif

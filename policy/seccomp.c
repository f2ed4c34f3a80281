#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp_policy.h"

/* Groups nest (@privileged holds @chown ...); the table is ours, so a small bound catches a
 * cycle introduced by an edit rather than guarding against input. */
#define GROUP_DEPTH_MAX 4

bool syscall_name_valid(const char *name)
{
        return name[0] && seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

int syscall_errno_parse(const char *s)
{
        char *end;
        long n;

        if (isdigit((unsigned char)s[0])) {
                errno = 0;
                n = strtol(s, &end, 10);
                return *end || errno || n < 1 || n > 4095 ? -1 : (int)n;
        }
        for (int e = 1; e < 4096; e++) {
                const char *name = strerrorname_np(e);

                if (name && strcmp(name, s) == 0)
                        return e;
        }
        return -1;
}

/* "name:ERRNO" -> the name in buf, the errno in *e (0 when none); -1 when malformed. */
static int split_entry(const char *entry, char *buf, size_t len, int *e)
{
        const char *colon = strchr(entry, ':');

        *e = 0;
        if ((size_t)(colon ? colon - entry : (ptrdiff_t)strlen(entry)) >= len)
                return -1; /* no name is that long */
        if (!colon) {
                snprintf(buf, len, "%s", entry);
                return 0;
        }
        snprintf(buf, len, "%.*s", (int)(colon - entry), entry);
        *e = syscall_errno_parse(colon + 1);
        return *e > 0 ? 0 : -1;
}

int syscall_filter_entry_check(const char *entry, struct cerr *err)
{
        char name[128];
        int e;

        if (split_entry(entry, name, sizeof name, &e) < 0)
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': expected NAME:ERRNO with an errno name such as EPERM or "
                                "a number from 1 to 4095",
                                entry);
        if (name[0] == '@') {
                char known[CERR_MSG_MAX];
                size_t len = 0;

                if (syscall_group_find(name))
                        return 0;
                known[0] = '\0';
                for (size_t i = 0; i < syscall_group_count() && len < sizeof known; i++)
                        len += (size_t)snprintf(known + len, sizeof known - len, " %s",
                                                syscall_group_at(i)->name);
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': unknown syscall group; known groups:%s", name, known);
        }
        if (!syscall_name_valid(name))
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': unknown system call; expected a syscall name such as "
                                "ptrace or an @group such as @mount",
                                name);
        return 0;
}

static const struct {
        unsigned bit;
        uint64_t flag;
} ns_types[] = {{RESTRICT_NS_CGROUP, CLONE_NEWCGROUP}, {RESTRICT_NS_IPC, CLONE_NEWIPC},
                {RESTRICT_NS_NET, CLONE_NEWNET},       {RESTRICT_NS_MNT, CLONE_NEWNS},
                {RESTRICT_NS_PID, CLONE_NEWPID},       {RESTRICT_NS_USER, CLONE_NEWUSER},
                {RESTRICT_NS_UTS, CLONE_NEWUTS},       {RESTRICT_NS_TIME, CLONE_NEWTIME}};
#define N_NS_TYPES (sizeof ns_types / sizeof ns_types[0])

static uint64_t ns_flags(unsigned restrict_ns)
{
        uint64_t f = 0;

        for (size_t i = 0; i < N_NS_TYPES; i++) {
                if (restrict_ns & ns_types[i].bit)
                        f |= ns_types[i].flag;
        }
        return f;
}

/* The calls RestrictNamespaces= governs: with it on, an allow list does not allow them
 * outright (ns_rules() does, for what is not restricted). */
static bool ns_call(int nr, unsigned restrict_ns)
{
        return restrict_ns && (nr == SCMP_SYS(clone) || nr == SCMP_SYS(clone3) ||
                               nr == SCMP_SYS(unshare) || nr == SCMP_SYS(setns));
}

/* An allow list's clone(), unshare(), setns(): allowed as far as RestrictNamespaces= lets
 * them (clone3() stays ENOSYS). */
static int ns_allow(scmp_filter_ctx ctx, int nr, unsigned restrict_ns)
{
        uint64_t forbidden = ns_flags(restrict_ns);
        int rc = 0;

        if (nr == SCMP_SYS(clone))
                return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                        SCMP_A0(SCMP_CMP_MASKED_EQ, forbidden & ~CLONE_NEWTIME, 0));
        if (nr == SCMP_SYS(unshare))
                return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                        SCMP_A0(SCMP_CMP_MASKED_EQ, forbidden, 0));
        for (size_t i = 0; nr == SCMP_SYS(setns) && rc >= 0 && i < N_NS_TYPES; i++) {
                if (!(restrict_ns & ns_types[i].bit))
                        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                              SCMP_A1(SCMP_CMP_EQ, ns_types[i].flag, 0));
        }
        return rc;
}

/* Add one entry (name or group, "NAME:ERRNO" for its own errno) with `action`. Unknown
 * members of our own groups are skipped: the group table may name calls newer than the
 * installed libseccomp. */
static int add_entry(scmp_filter_ctx ctx, const char *full, uint32_t action, unsigned restrict_ns,
                     int depth, struct cerr *err)
{
        char entry[128];
        int nr, rc, e;

        if (split_entry(full, entry, sizeof entry, &e) < 0)
                return cerr_set(err, EINVAL, CERR_SECCOMP, "malformed entry '%s'", full);
        if (e > 0)
                action = SCMP_ACT_ERRNO((uint32_t)e);
        if (entry[0] == '@') {
                const struct syscall_group *g = syscall_group_find(entry);

                if (!g)
                        return cerr_set(err, EINVAL, CERR_SECCOMP, "unknown syscall group '%s'",
                                        entry);
                if (depth >= GROUP_DEPTH_MAX)
                        return cerr_set(err, ELOOP, CERR_SECCOMP,
                                        "syscall group '%s' nests too deeply", entry);
                for (const char *const *m = g->members; *m; m++) {
                        if (add_entry(ctx, *m, action, restrict_ns, depth + 1, err) < 0)
                                return -1;
                }
                return 0;
        }
        nr = seccomp_syscall_resolve_name(entry);
        if (nr == __NR_SCMP_ERROR) {
                if (depth > 0)
                        return 0;
                return cerr_set(err, EINVAL, CERR_SECCOMP, "unknown system call '%s'", entry);
        }
        if (action == SCMP_ACT_ALLOW && ns_call(nr, restrict_ns))
                rc = ns_allow(ctx, nr, restrict_ns);
        else
                rc = seccomp_rule_add(ctx, action, nr, 0);
        /* -EDOM: the call does not exist on this architecture (socketcall on x86-64), so
         * there is nothing to match; -EEXIST: a second entry for it (the first one stays) */
        if (rc < 0 && rc != -EDOM && rc != -EEXIST)
                return cerr_set(err, -rc, CERR_SECCOMP, "adding a rule for '%s'", entry);
        return 0;
}

/* RestrictNamespaces= as systemd compiles it: one rule per forbidden CLONE_NEW* flag for
 * unshare() and clone() (whose flags are argument 0; CLONE_NEWTIME only exists for unshare),
 * setns() refused for a forbidden type and for type 0 (any), and clone3() ENOSYS (seccomp
 * cannot read its struct). In an allow list that allows them, what is not forbidden is
 * allowed here. */
/* -EEXIST: a rule for that call and condition is there already, from the profile's own list
 * (added first, so that it wins) */
static bool ok(int rc)
{
        return rc >= 0 || rc == -EEXIST;
}

static int ns_rule(scmp_filter_ctx ctx, uint32_t dflt, uint32_t action, int nr, unsigned n,
                   struct scmp_arg_cmp cmp)
{
        /* libseccomp refuses a rule that says what the default says (an allow list whose
         * other calls get EPERM already): nothing to add then */
        if (action == dflt)
                return 0;
        return n ? seccomp_rule_add(ctx, action, nr, 1, cmp) : seccomp_rule_add(ctx, action, nr, 0);
}

static int ns_rules(scmp_filter_ctx ctx, uint32_t dflt, unsigned restrict_ns, struct cerr *err)
{
        const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        int rc = 0;

        if (!restrict_ns)
                return 0; /* as systemd: RestrictNamespaces=no adds nothing */

        for (size_t i = 0; ok(rc) && i < N_NS_TYPES; i++) {
                uint64_t f = ns_types[i].flag;

                if (!(restrict_ns & ns_types[i].bit))
                        continue;
                rc = ns_rule(ctx, dflt, eperm, SCMP_SYS(unshare), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
                if (ok(rc) && f != CLONE_NEWTIME)
                        rc = ns_rule(ctx, dflt, eperm, SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
                if (ok(rc))
                        rc = ns_rule(ctx, dflt, eperm, SCMP_SYS(setns), 1,
                                     SCMP_A1(SCMP_CMP_EQ, f, 0));
        }
        if (ok(rc))
                rc = ns_rule(ctx, dflt, eperm, SCMP_SYS(setns), 1, SCMP_A1(SCMP_CMP_EQ, 0, 0));
        if (ok(rc))
                rc = ns_rule(ctx, dflt, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0,
                             SCMP_A0(SCMP_CMP_EQ, 0, 0));
        if (!ok(rc))
                return cerr_set(err, -rc, CERR_SECCOMP, "adding the RestrictNamespaces= rules");
        return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out, struct cerr *err)
{
        struct sock_filter *prog = NULL;
        struct stat st;
        size_t got = 0;
        int fd, rc;

        /* libseccomp 2.5 exports only to a file descriptor (seccomp_export_bpf_mem() came
         * with 2.6); a memfd keeps that off the file system. */
        fd = memfd_create("corral-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return cerr_set(err, errno, CERR_SECCOMP, "memfd_create for the BPF program");
        rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0) {
                close(fd);
                return cerr_set(err, -rc, CERR_SECCOMP, "exporting the BPF program");
        }
        if (fstat(fd, &st) < 0) {
                rc = errno;
                close(fd);
                return cerr_set(err, rc, CERR_SECCOMP, "sizing the BPF program");
        }
        if (st.st_size <= 0 || st.st_size % (off_t)sizeof *prog != 0 ||
            st.st_size / (off_t)sizeof *prog > BPF_MAXINSNS) {
                close(fd);
                return cerr_set(err, EINVAL, CERR_SECCOMP,
                                "the BPF program has an unusable size (%lld bytes; at most %d "
                                "instructions fit a filter)",
                                (long long)st.st_size, BPF_MAXINSNS);
        }
        prog = malloc((size_t)st.st_size);
        if (!prog) {
                close(fd);
                return cerr_set(err, ENOMEM, CERR_ALLOC, "the BPF program");
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = pread(fd, (char *)prog + got, (size_t)st.st_size - got, (off_t)got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        rc = n < 0 ? errno : EIO;
                        free(prog);
                        close(fd);
                        return cerr_set(err, rc, CERR_SECCOMP, "reading the BPF program back");
                }
                got += (size_t)n;
        }
        close(fd);
        out->len = (unsigned short)(got / sizeof *prog);
        out->filter = prog;
        return 0;
}

int seccomp_compile(const struct profile *p, struct sock_fprog *out, struct cerr *err)
{
        const struct syscall_filter *f = &p->syscall_filter;
        unsigned rns = p->restrict_namespaces & RESTRICT_NS_ALL;
        uint32_t deny, dflt, listed;
        scmp_filter_ctx ctx;
        int rc = -1;

        out->len = 0;
        out->filter = NULL;
        if (!f->set && !rns)
                return 0;
        if (seccomp_builtin(p, out))
                return 0;
        deny =
            f->error_number > 0 ? SCMP_ACT_ERRNO((uint32_t)f->error_number) : SCMP_ACT_KILL_PROCESS;
        dflt = f->set && !f->deny_list ? deny : SCMP_ACT_ALLOW;
        listed = f->deny_list ? deny : SCMP_ACT_ALLOW;
        ctx = seccomp_init(dflt);
        if (!ctx)
                return cerr_set(err, ENOMEM, CERR_SECCOMP, "creating a filter context");
        /* KILL_THREAD (libseccomp's default for a foreign ABI) would leave the rest of a
         * threaded process running; the ABIs an x86-64 kernel offers are all described, so
         * this only catches what no kernel here runs. */
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (rc < 0) {
                /* libseccomp refuses actions its probe of the kernel did not find */
                cerr_set(err, -rc, CERR_SECCOMP,
                         "the kill-process action is unavailable (libseccomp API level %u; "
                         "kernel 4.14 or later needed)",
                         seccomp_api_get());
                rc = -1;
                goto out;
        }
        /* a binary tree over the syscall numbers instead of a linear walk: a long list costs
         * each call a few comparisons, not one per entry (libseccomp 2.5; without it, the
         * filter is the same, only slower) */
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        /* a deny list that only covered the native table would be bypassed through
         * `int 0x80` (i386) or the x32 table */
        if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
                rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
                if (rc >= 0)
                        rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
                if (rc < 0 && rc != -EEXIST) {
                        cerr_set(err, -rc, CERR_SECCOMP, "adding the i386 and x32 ABIs");
                        rc = -1;
                        goto out;
                }
        }
        rc = -1;
        if (f->set && !f->deny_list && add_entry(ctx, "@default", listed, rns, 0, err) < 0)
                goto out;
        /* last line first: a call named twice keeps the later entry's action (a profile's
         * own `~delete_module` over the default list's delete_module:EPERM) */
        for (size_t i = f->set ? f->names.n : 0; i-- > 0;) {
                if (add_entry(ctx, f->names.v[i], listed, rns, 0, err) < 0)
                        goto out;
        }
        /* after the profile's own entries: a call it names keeps its entry's action */
        if (ns_rules(ctx, dflt, rns, err) < 0)
                goto out;
        rc = export_bpf(ctx, out, err);
out:
        seccomp_release(ctx);
        if (rc < 0)
                cerr_wrap(err, "compiling SystemCallFilter=");
        return rc;
}

void seccomp_fprog_free(struct sock_fprog *f)
{
        free(f->filter);
        f->filter = NULL;
        f->len = 0;
}

/* ---- stacking (DESIGN §9: an actor loads its ancestors' filters too) ---- */

/* The instructions a seccomp filter may hold (kernel/seccomp.c, seccomp_check_filter()). */
static bool code_allowed(uint16_t code)
{
        switch (BPF_CLASS(code)) {
        case BPF_LD:
                return code == (BPF_LD | BPF_W | BPF_ABS) || code == (BPF_LD | BPF_W | BPF_LEN) ||
                       code == (BPF_LD | BPF_IMM) || code == (BPF_LD | BPF_MEM);
        case BPF_LDX:
                return code == (BPF_LDX | BPF_W | BPF_LEN) || code == (BPF_LDX | BPF_IMM) ||
                       code == (BPF_LDX | BPF_MEM);
        case BPF_ST:
        case BPF_STX:
                return code == BPF_CLASS(code);
        case BPF_RET:
                return code == (BPF_RET | BPF_K) || code == (BPF_RET | BPF_A);
        case BPF_MISC:
                return code == (BPF_MISC | BPF_TAX) || code == (BPF_MISC | BPF_TXA);
        case BPF_ALU:
                switch (BPF_OP(code)) {
                case BPF_NEG:
                        return code == (BPF_ALU | BPF_NEG);
                case BPF_ADD:
                case BPF_SUB:
                case BPF_MUL:
                case BPF_DIV:
                case BPF_AND:
                case BPF_OR:
                case BPF_XOR:
                case BPF_LSH:
                case BPF_RSH:
                        return (code & ~(BPF_CLASS(~0) | BPF_OP(~0) | BPF_SRC(~0))) == 0;
                default:
                        return false;
                }
        case BPF_JMP:
                switch (BPF_OP(code)) {
                case BPF_JA:
                        return code == (BPF_JMP | BPF_JA);
                case BPF_JEQ:
                case BPF_JGE:
                case BPF_JGT:
                case BPF_JSET:
                        return (code & ~(BPF_CLASS(~0) | BPF_OP(~0) | BPF_SRC(~0))) == 0;
                default:
                        return false;
                }
        default:
                return false;
        }
}

/* What the kernel checks at load (bpf_check_classic(), seccomp_check_filter()), on every
 * instruction whether or not a given call reaches it: known codes only, jumps and loads in
 * bounds, scratch words that exist, a return at the end. */
static bool prog_valid(const struct sock_fprog *f)
{
        if (!f || f->len == 0 || f->len > BPF_MAXINSNS ||
            BPF_CLASS(f->filter[f->len - 1].code) != BPF_RET)
                return false;
        for (uint32_t pc = 0; pc < f->len; pc++) {
                const struct sock_filter *in = &f->filter[pc];
                uint32_t left = f->len - pc - 1;

                if (!code_allowed(in->code))
                        return false;
                /* (bpf_check_classic: a constant divisor of 0, a constant shift past 31) */
                if (in->code == (BPF_ALU | BPF_DIV | BPF_K) && in->k == 0)
                        return false;
                if ((in->code == (BPF_ALU | BPF_LSH | BPF_K) ||
                     in->code == (BPF_ALU | BPF_RSH | BPF_K)) &&
                    in->k >= 32)
                        return false;
                switch (BPF_CLASS(in->code)) {
                case BPF_LD:
                case BPF_LDX:
                        if (in->code == (BPF_LD | BPF_W | BPF_ABS) &&
                            (in->k % 4 || in->k > sizeof(struct seccomp_data) - 4))
                                return false;
                        if (BPF_MODE(in->code) == BPF_MEM && in->k >= BPF_MEMWORDS)
                                return false;
                        break;
                case BPF_ST:
                case BPF_STX:
                        if (in->k >= BPF_MEMWORDS)
                                return false;
                        break;
                case BPF_JMP:
                        if (BPF_OP(in->code) == BPF_JA ? in->k >= left
                                                       : in->jt >= left || in->jf >= left)
                                return false;
                        break;
                default:
                        break;
                }
        }
        return true;
}

/* Classic BPF as the kernel runs a seccomp filter (net/core/filter.c, the instructions that
 * kernel/seccomp.c seccomp_check_filter() admits): an accumulator, an index register and 16
 * words of scratch memory over one struct seccomp_data. Jumps go forward only, so a program
 * of n instructions runs at most n of them. */
int seccomp_eval(const struct sock_fprog *f, const struct seccomp_data *d, uint32_t *ret)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

        if (!prog_valid(f))
                return -1;
        for (uint32_t pc = 0; pc < f->len; pc++) {
                const struct sock_filter *in = &f->filter[pc];
                uint32_t k = in->k, src = BPF_SRC(in->code) == BPF_X ? x : k;

                switch (in->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (k % 4 || k > sizeof *d - 4)
                                return -1;
                        memcpy(&a, (const char *)d + k, 4);
                        continue;
                case BPF_LD | BPF_W | BPF_LEN:
                        a = sizeof *d;
                        continue;
                case BPF_LDX | BPF_W | BPF_LEN:
                        x = sizeof *d;
                        continue;
                case BPF_LD | BPF_IMM:
                        a = k;
                        continue;
                case BPF_LDX | BPF_IMM:
                        x = k;
                        continue;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                case BPF_ST:
                case BPF_STX:
                        if (k >= BPF_MEMWORDS)
                                return -1;
                        if (in->code == (BPF_LD | BPF_MEM))
                                a = mem[k];
                        else if (in->code == (BPF_LDX | BPF_MEM))
                                x = mem[k];
                        else
                                mem[k] = in->code == BPF_ST ? a : x;
                        continue;
                case BPF_MISC | BPF_TAX:
                        x = a;
                        continue;
                case BPF_MISC | BPF_TXA:
                        a = x;
                        continue;
                case BPF_RET | BPF_K:
                        *ret = k;
                        return 0;
                case BPF_RET | BPF_A:
                        *ret = a;
                        return 0;
                case BPF_JMP | BPF_JA:
                        if (k >= f->len - pc - 1)
                                return -1;
                        pc += k;
                        continue;
                default:
                        break;
                }
                if (BPF_CLASS(in->code) == BPF_JMP) {
                        bool taken;

                        switch (BPF_OP(in->code)) {
                        case BPF_JEQ:
                                taken = a == src;
                                break;
                        case BPF_JGT:
                                taken = a > src;
                                break;
                        case BPF_JGE:
                                taken = a >= src;
                                break;
                        case BPF_JSET:
                                taken = (a & src) != 0;
                                break;
                        default:
                                return -1;
                        }
                        if ((uint32_t)(taken ? in->jt : in->jf) >= f->len - pc - 1)
                                return -1;
                        pc += taken ? in->jt : in->jf;
                        continue;
                }
                if (BPF_CLASS(in->code) != BPF_ALU)
                        return -1;
                switch (BPF_OP(in->code)) {
                case BPF_ADD:
                        a += src;
                        break;
                case BPF_SUB:
                        a -= src;
                        break;
                case BPF_MUL:
                        a *= src;
                        break;
                case BPF_DIV:
                        if (!src)
                                return -1; /* the kernel's program ends there, returning 0 */
                        a /= src;
                        break;
                case BPF_OR:
                        a |= src;
                        break;
                case BPF_AND:
                        a &= src;
                        break;
                case BPF_XOR:
                        a ^= src;
                        break;
                case BPF_LSH:
                        a = src < 32 ? a << src : 0;
                        break;
                case BPF_RSH:
                        a = src < 32 ? a >> src : 0;
                        break;
                case BPF_NEG:
                        a = -a;
                        break;
                default:
                        return -1;
                }
        }
        return -1; /* ran off the end: the kernel refuses such a program */
}

/* The order in which the kernel ranks actions (kernel/seccomp.c seccomp_run_filters): the
 * action bits compared as a signed number, the smallest (KILL_PROCESS) first. */
static int32_t rank(uint32_t ret)
{
        return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

int seccomp_chain_eval(const struct sock_fprog *const *chain, size_t n,
                       const struct seccomp_data *d, uint32_t *ret)
{
        bool any = false;

        *ret = SECCOMP_RET_ALLOW;
        /* the kernel walks from the filter loaded last to the first, and keeps the first of
         * equally ranked results: the later filter's errno wins a tie */
        for (size_t i = n; i-- > 0;) {
                uint32_t r;

                if (seccomp_eval(chain[i], d, &r) < 0)
                        return -1;
                if (!any || rank(r) < rank(*ret))
                        *ret = r;
                any = true;
        }
        return 0;
}

bool seccomp_allows_filters(const struct sock_fprog *f)
{
        struct seccomp_data d = {.nr = SCMP_SYS(seccomp),
                                 .arch = seccomp_arch_native(),
                                 .args = {SECCOMP_SET_MODE_FILTER, 0}};
        uint32_t r;

        if (!f || f->len == 0)
                return true;
        if (seccomp_eval(f, &d, &r) < 0)
                return false; /* a program we cannot read is not one to load before another */
        r &= SECCOMP_RET_ACTION_FULL;
        return r == SECCOMP_RET_ALLOW || r == SECCOMP_RET_LOG;
}

/* The kernel runs a classic filter as eBPF, converted at load by bpf_convert_filter()
 * (net/core/filter.c), and counts the converted program: a prologue of 3 (A and X cleared,
 * the context saved), then per instruction 1, except RET K (2: the value moved to R0, exit),
 * a conditional jump whose false branch is not the next instruction (2: Jxx and JA; 1 when
 * its true branch is the next and the test can be inverted: JEQ, JGT, JGE), one more for a
 * jump's constant above INT32_MAX (moved to a register first, eBPF immediates being
 * signed), and DIV X (4: a check for 0). seccomp_check_filter() rewrites LD|W|ABS into one
 * load from seccomp_data, so no packet-access prologue is added. */
uint32_t seccomp_kernel_len(const struct sock_fprog *f)
{
        uint32_t n = 3;

        if (!f || !f->len)
                return 0;
        for (uint32_t i = 0; i < f->len; i++) {
                const struct sock_filter *in = &f->filter[i];

                switch (BPF_CLASS(in->code)) {
                case BPF_RET:
                        n += BPF_RVAL(in->code) == BPF_K ? 2 : 1;
                        break;
                case BPF_ALU:
                        n += in->code == (BPF_ALU | BPF_DIV | BPF_X) ? 4 : 1;
                        break;
                case BPF_JMP:
                        if (BPF_OP(in->code) == BPF_JA) {
                                n += 1;
                                break;
                        }
                        n += BPF_SRC(in->code) == BPF_K && (int32_t)in->k < 0;
                        if (in->jf == 0 || (in->jt == 0 && BPF_OP(in->code) != BPF_JSET))
                                n += 1;
                        else
                                n += 2;
                        break;
                default:
                        n += 1;
                        break;
                }
        }
        return n;
}

uint32_t seccomp_chain_insns(const struct sock_fprog *const *chain, size_t n)
{
        uint32_t total = 0;

        /* kernel/seccomp.c seccomp_attach_filter(): the new program's (converted) length
         * plus, for every filter already attached, its length and a penalty of 4 */
        for (size_t i = 0; i < n; i++)
                total += seccomp_kernel_len(chain[i]) + (i ? 4 : 0);
        return total;
}

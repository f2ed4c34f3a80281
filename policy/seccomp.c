#include <errno.h>
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

int syscall_filter_entry_check(const char *entry, struct cerr *err)
{
        if (entry[0] == '@') {
                char known[CERR_MSG_MAX];
                size_t len = 0;

                if (syscall_group_find(entry))
                        return 0;
                known[0] = '\0';
                for (size_t i = 0; i < syscall_group_count() && len < sizeof known; i++)
                        len += (size_t)snprintf(known + len, sizeof known - len, " %s",
                                                syscall_group_at(i)->name);
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': unknown syscall group; known groups:%s", entry, known);
        }
        if (strchr(entry, ':'))
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': per-call error numbers (NAME:ERRNO) are not supported; "
                                "use SystemCallErrorNumber= for the whole filter",
                                entry);
        if (!syscall_name_valid(entry))
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': unknown system call; expected a syscall name such as "
                                "ptrace or an @group such as @mount",
                                entry);
        return 0;
}

/* Add one entry (name or group) with `action`. Unknown members of our own groups are
 * skipped: the group table may name calls newer than the installed libseccomp. */
static int add_entry(scmp_filter_ctx ctx, const char *entry, uint32_t action, int depth,
                     struct cerr *err)
{
        int nr, rc;

        if (entry[0] == '@') {
                const struct syscall_group *g = syscall_group_find(entry);

                if (!g)
                        return cerr_set(err, EINVAL, CERR_SECCOMP, "unknown syscall group '%s'",
                                        entry);
                if (depth >= GROUP_DEPTH_MAX)
                        return cerr_set(err, ELOOP, CERR_SECCOMP,
                                        "syscall group '%s' nests too deeply", entry);
                for (const char *const *m = g->members; *m; m++) {
                        if (add_entry(ctx, *m, action, depth + 1, err) < 0)
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
        rc = seccomp_rule_add(ctx, action, nr, 0);
        /* -EDOM: the call does not exist on this architecture (socketcall on x86-64), so
         * there is nothing to match. */
        if (rc < 0 && rc != -EDOM)
                return cerr_set(err, -rc, CERR_SECCOMP, "adding a rule for '%s'", entry);
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
        uint32_t deny, dflt, listed;
        scmp_filter_ctx ctx;
        int rc = -1;

        out->len = 0;
        out->filter = NULL;
        if (!f->set)
                return 0;
        deny =
            f->error_number > 0 ? SCMP_ACT_ERRNO((uint32_t)f->error_number) : SCMP_ACT_KILL_PROCESS;
        dflt = f->deny_list ? SCMP_ACT_ALLOW : deny;
        listed = f->deny_list ? deny : SCMP_ACT_ALLOW;
        ctx = seccomp_init(dflt);
        if (!ctx)
                return cerr_set(err, ENOMEM, CERR_SECCOMP, "creating a filter context");
        /* KILL_THREAD (libseccomp's default for a foreign ABI) would leave the rest of a
         * threaded process running; no ABI but the native one is described. */
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
        rc = -1;
        if (!f->deny_list && add_entry(ctx, "@default", listed, 0, err) < 0)
                goto out;
        for (size_t i = 0; i < f->names.n; i++) {
                if (add_entry(ctx, f->names.v[i], listed, 0, err) < 0)
                        goto out;
        }
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

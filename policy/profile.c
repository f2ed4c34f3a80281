#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>

#include "units.h"

/* The default deny list (SystemCallFilter=): keyrings (the only way actors of one uid stop
 * meeting in its user keyring), eBPF, perf events, userfaultfd, io_uring, kexec, modules,
 * open_by_handle_at (a handle names any file of a file system, past every mount). */
static const char *const default_deny[] = {
    "@keyring:EPERM",        "@module:EPERM",           "bpf:EPERM",
    "perf_event_open:EPERM", "userfaultfd:EPERM",       "io_uring_setup:EPERM",
    "io_uring_enter:EPERM",  "io_uring_register:EPERM", "kexec_load:EPERM",
    "kexec_file_load:EPERM", "open_by_handle_at:EPERM",
};

uint64_t profile_clone_flags(const struct profile *p)
{
        uint64_t f = CLONE_NEWPID | CLONE_NEWNS;

        if (p->namespaces & PROFILE_NS_IPC)
                f |= CLONE_NEWIPC;
        if (p->namespaces & PROFILE_NS_UTS)
                f |= CLONE_NEWUTS;
        if (p->namespaces & PROFILE_NS_CGROUP)
                f |= CLONE_NEWCGROUP;
        /* (tree: born in the tree's namespace, which the zygote enters for the clone) */
        if (p->private_network == PRIVATE_NETWORK_ACTOR)
                f |= CLONE_NEWNET;
        if (p->private_users)
                f |= CLONE_NEWUSER;
        return f;
}

bool profile_filter_keeps_default(const struct syscall_filter *f)
{
        size_t n = sizeof default_deny / sizeof default_deny[0];

        if (!f->set || !f->deny_list || f->names.n < n)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(f->names.v[i], default_deny[i]) != 0)
                        return false;
        }
        return true;
}

void profile_default(struct profile *p, const char *name)
{
        struct cerr err = {0};

        memset(p, 0, sizeof *p);
        strncpy(p->name, name ? name : "default", PROFILE_NAME_MAX);
        p->namespaces = PROFILE_NS_IPC | PROFILE_NS_UTS | PROFILE_NS_CGROUP;
        p->private_network = PRIVATE_NETWORK_NO;
        p->private_tmp = true;
        p->private_tmp_size.set = true;
        p->private_tmp_size.value = 256ULL << 20;
        p->private_devices = true;
        p->keyring_mode = KEYRING_MODE_PRIVATE;
        p->protect_system = PROTECT_SYSTEM_FULL;
        p->protect_control_groups = true;
        p->std_in.mode = STDIO_AUTO;
        p->std_out.mode = STDIO_AUTO;
        p->std_err.mode = STDIO_AUTO;
        p->log_overflow = LOG_OVERFLOW_BLOCK;
        p->pass_environment_all = true;
        p->timeout_cancel = 5 * 1000000ULL;
        p->timeout_interrupt = 3 * 1000000ULL;
        p->timeout_terminate = 3 * 1000000ULL;
        p->timeout_kill = 10 * 1000000ULL;
        p->timeout_hold = 60 * 1000000ULL;
        p->max_children = 64;
        p->max_depth = 8;
        p->max_actors = 1024;
        p->on_child_failure = ON_CHILD_FAILURE_NOTIFY;
        /* a narrower kernel surface: calls no sandboxed program needs, each failing with EPERM
         * (never a kill), and no new namespaces */
        for (size_t i = 0; i < sizeof default_deny / sizeof default_deny[0]; i++)
                strlist_add(&p->syscall_filter.names, default_deny[i], &err);
        p->syscall_filter.set = true;
        p->syscall_filter.deny_list = true;
        p->syscall_filter.is_default = true;
        p->restrict_namespaces = RESTRICT_NS_ALL;
}

int strlist_add(struct strlist *l, const char *s, struct cerr *err)
{
        char **v = realloc(l->v, (l->n + 2) * sizeof *v);

        if (!v)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "growing a list");
        l->v = v;
        l->v[l->n] = strdup(s);
        if (!l->v[l->n])
                return cerr_set(err, ENOMEM, CERR_ALLOC, "copying a list entry");
        l->n++;
        l->v[l->n] = NULL;
        return 0;
}

int strlist_addf(struct strlist *l, struct cerr *err, const char *fmt, ...)
{
        char *buf;
        va_list ap;
        int rc;

        va_start(ap, fmt);
        rc = vasprintf(&buf, fmt, ap);
        va_end(ap);
        if (rc < 0)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "formatting a list entry");
        rc = strlist_add(l, buf, err);
        free(buf);
        return rc;
}

void strlist_clear(struct strlist *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

static int copy_list(struct strlist *dst, const struct strlist *src, struct cerr *err)
{
        memset(dst, 0, sizeof *dst);
        for (size_t i = 0; i < src->n; i++) {
                if (strlist_add(dst, src->v[i], err) < 0)
                        return -1;
        }
        return 0;
}

static int copy_str(char **dst, const char *src, struct cerr *err)
{
        *dst = NULL;
        if (src && !(*dst = strdup(src)))
                return cerr_set(err, ENOMEM, CERR_ALLOC, "copying a profile");
        return 0;
}

int profile_copy(struct profile *dst, const struct profile *src, struct cerr *err)
{
        *dst = *src;
        /* deep-copy every owned pointer; on failure dst is freed and zeroed-safe */
        dst->read_write_paths = (struct strlist){0};
        dst->temporary_fs = (struct strlist){0};
        dst->inaccessible_paths = (struct strlist){0};
        dst->bind_paths = (struct strlist){0};
        dst->bind_ro_paths = (struct strlist){0};
        dst->supplementary_groups = (struct strlist){0};
        dst->syscall_filter.names = (struct strlist){0};
        dst->environment = (struct strlist){0};
        dst->pass_environment = (struct strlist){0};
        dst->unset_environment = (struct strlist){0};
        dst->spawn_profiles = (struct strlist){0};
        dst->user = dst->group = dst->hostname = dst->working_directory = NULL;
        dst->std_in.path = dst->std_out.path = dst->std_err.path = NULL;
        if (copy_list(&dst->read_write_paths, &src->read_write_paths, err) < 0 ||
            copy_list(&dst->temporary_fs, &src->temporary_fs, err) < 0 ||
            copy_list(&dst->inaccessible_paths, &src->inaccessible_paths, err) < 0 ||
            copy_list(&dst->bind_paths, &src->bind_paths, err) < 0 ||
            copy_list(&dst->bind_ro_paths, &src->bind_ro_paths, err) < 0 ||
            copy_list(&dst->supplementary_groups, &src->supplementary_groups, err) < 0 ||
            copy_list(&dst->syscall_filter.names, &src->syscall_filter.names, err) < 0 ||
            copy_list(&dst->environment, &src->environment, err) < 0 ||
            copy_list(&dst->pass_environment, &src->pass_environment, err) < 0 ||
            copy_list(&dst->unset_environment, &src->unset_environment, err) < 0 ||
            copy_list(&dst->spawn_profiles, &src->spawn_profiles, err) < 0 ||
            copy_str(&dst->user, src->user, err) < 0 ||
            copy_str(&dst->group, src->group, err) < 0 ||
            copy_str(&dst->hostname, src->hostname, err) < 0 ||
            copy_str(&dst->working_directory, src->working_directory, err) < 0 ||
            copy_str(&dst->std_in.path, src->std_in.path, err) < 0 ||
            copy_str(&dst->std_out.path, src->std_out.path, err) < 0 ||
            copy_str(&dst->std_err.path, src->std_err.path, err) < 0) {
                profile_free(dst);
                return -1;
        }
        return 0;
}

void profile_free(struct profile *p)
{
        strlist_clear(&p->read_write_paths);
        strlist_clear(&p->temporary_fs);
        strlist_clear(&p->inaccessible_paths);
        strlist_clear(&p->bind_paths);
        strlist_clear(&p->bind_ro_paths);
        strlist_clear(&p->supplementary_groups);
        strlist_clear(&p->syscall_filter.names);
        strlist_clear(&p->environment);
        strlist_clear(&p->pass_environment);
        strlist_clear(&p->unset_environment);
        strlist_clear(&p->spawn_profiles);
        free(p->user);
        free(p->group);
        free(p->hostname);
        free(p->working_directory);
        free(p->std_in.path);
        free(p->std_out.path);
        free(p->std_err.path);
        p->user = p->group = p->hostname = p->working_directory = NULL;
        p->std_in.path = p->std_out.path = p->std_err.path = NULL;
}

bool policy_profile_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > PROFILE_NAME_MAX)
                return false;
        for (const char *c = name; *c; c++) {
                if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
                        return false;
        }
        return true;
}

#include "rootless.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kfile.h"

bool rootless_mode(void)
{
        return geteuid() != 0;
}

static void say(struct rootless_verdict *v, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct rootless_verdict *v, const char *fix, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(v->problem, sizeof v->problem, fmt, ap);
        va_end(ap);
        snprintf(v->fix, sizeof v->fix, "%s", fix);
        v->ok = false;
}

void rootless_decide(const struct rootless_facts *f, struct rootless_verdict *v)
{
        memset(v, 0, sizeof *v);
        v->ok = true;
        if (f->mode != CG_MODE_V2) {
                say(v,
                    "boot with systemd.unified_cgroup_hierarchy=1 (pure cgroup v2), or run "
                    "corral as root",
                    "rootless corral needs a pure cgroup v2 host, and this one is %s: a v1 "
                    "hierarchy cannot be delegated to a user",
                    cg_mode_name(f->mode));
        } else if (!f->memory_v2 || !f->pids_v2) {
                char fix[384];

                snprintf(fix, sizeof fix,
                         "have them delegated: systemd does it for `systemd-run --user --scope "
                         "-p Delegate=yes` when user@%u.service has them (`systemctl edit "
                         "user@.service`: [Service] Delegate=memory pids cpu)",
                         (unsigned)f->uid);
                say(v, fix,
                    "the %s controller%s not enabled for our cgroup %s (a user cannot enable "
                    "controllers its parent did not delegate)",
                    !f->memory_v2 && !f->pids_v2 ? "memory and pids"
                    : !f->memory_v2              ? "memory"
                                                 : "pids",
                    !f->memory_v2 && !f->pids_v2 ? "s are" : " is", f->own_v2);
        } else if (f->max_userns == 0) {
                say(v, "sysctl -w user.max_user_namespaces=15000 (as root)",
                    "user namespaces are off: user.max_user_namespaces is 0");
        } else if (f->unpriv_clone == 0) {
                say(v, "sysctl -w kernel.unprivileged_userns_clone=1 (as root)",
                    "unprivileged user namespaces are off: kernel.unprivileged_userns_clone "
                    "is 0");
        } else if (f->apparmor_restrict == 1) {
                say(v,
                    "give corral an AppArmor profile that allows `userns,` (as Ubuntu does for "
                    "bwrap), or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
                    "AppArmor restricts unprivileged user namespaces "
                    "(kernel.apparmor_restrict_unprivileged_userns is 1)");
        } else if (!f->runtime_dir || !f->runtime_dir[0]) {
                say(v,
                    "log in through pam_systemd (it sets XDG_RUNTIME_DIR=/run/user/UID), or "
                    "set XDG_RUNTIME_DIR to a directory of yours with mode 0700",
                    "XDG_RUNTIME_DIR is not set: rootless corral keeps its registry and "
                    "admin sockets in $XDG_RUNTIME_DIR/corral");
        } else if (f->runtime_dir[0] != '/' || f->runtime_dir_errno) {
                say(v,
                    "set XDG_RUNTIME_DIR to an absolute directory of yours with mode 0700 "
                    "(pam_systemd makes /run/user/UID)",
                    "XDG_RUNTIME_DIR=%s is not an absolute directory of ours (%s)", f->runtime_dir,
                    f->runtime_dir[0] != '/' ? "a relative path"
                    : f->runtime_dir_errno == EACCES
                        ? "another user owns it, or others may write it"
                        : strerror(f->runtime_dir_errno));
        }
}

static long sysctl_long(const char *path)
{
        char buf[32];

        if (kfile_read(path, buf, sizeof buf) <= 0)
                return -1;
        return strtol(buf, NULL, 10);
}

void rootless_facts_read(const struct cg_mounts *h, struct rootless_facts *f)
{
        struct stat st;

        memset(f, 0, sizeof *f);
        f->uid = geteuid();
        f->mode = h->mode;
        f->memory_v2 = h->ctrl[CG_MEMORY].src == CG_SRC_V2;
        f->pids_v2 = h->ctrl[CG_PIDS].src == CG_SRC_V2;
        f->own_v2 = h->v2.own_dir;
        f->max_userns = sysctl_long("/proc/sys/user/max_user_namespaces");
        f->unpriv_clone = sysctl_long("/proc/sys/kernel/unprivileged_userns_clone");
        f->apparmor_restrict =
            sysctl_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        f->runtime_dir = getenv("XDG_RUNTIME_DIR");
        if (f->runtime_dir && f->runtime_dir[0] == '/') {
                if (stat(f->runtime_dir, &st) < 0)
                        f->runtime_dir_errno = errno;
                else if (!S_ISDIR(st.st_mode))
                        f->runtime_dir_errno = ENOTDIR;
                else if (st.st_uid != f->uid || (st.st_mode & 022))
                        f->runtime_dir_errno = EACCES;
        }
}

int rootless_refuse(const struct cg_mounts *h, struct cerr *err)
{
        struct rootless_facts f;
        struct rootless_verdict v;

        if (!rootless_mode())
                return 0;
        rootless_facts_read(h, &f);
        rootless_decide(&f, &v);
        if (v.ok)
                return 0;
        return cerr_set(err, 0, CERR_HOST, "%s; %s", v.problem, v.fix);
}

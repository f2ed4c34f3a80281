#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kfile.h"

const char *creds_step_name(enum creds_step s)
{
        static const char *const names[] = {
            [CREDS_BOUNDING] = "capability-bounding-set",
            [CREDS_GROUPS] = "setgroups",
            [CREDS_GID] = "setgid",
            [CREDS_UID] = "setuid",
            [CREDS_CAPS] = "capabilities",
            [CREDS_AMBIENT] = "ambient-capabilities",
        };

        return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "credentials";
}

int creds_cap_last(void)
{
        char buf[16];

        if (kfile_read("/proc/sys/kernel/cap_last_cap", buf, sizeof buf) <= 0)
                return CAP_LAST_CAP;
        return atoi(buf);
}

static int capset_all(uint64_t caps)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {
            {.effective = (uint32_t)caps,
             .permitted = (uint32_t)caps,
             .inheritable = (uint32_t)caps},
            {.effective = (uint32_t)(caps >> 32),
             .permitted = (uint32_t)(caps >> 32),
             .inheritable = (uint32_t)(caps >> 32)},
        };

        return (int)syscall(SYS_capset, &h, d);
}

int creds_apply(const struct cred_plan *c, enum creds_step *failed)
{
        /* an ambient capability needs a place in the bounding set: granting one grants both */
        uint64_t bounding = c->bounding | c->ambient;

        /* 1. The bounding set, while CAP_SETPCAP is still ours. */
        *failed = CREDS_BOUNDING;
        for (int cap = 0; cap <= c->cap_last; cap++) {
                if (bounding & (1ULL << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return -1;
        }
        /* 2. Identity. KEEPCAPS so that ambient capabilities can be raised after setuid. */
        if (c->set_ids) {
                *failed = CREDS_GROUPS;
                if (setgroups((size_t)c->ngroups, c->groups) < 0)
                        return -1;
                *failed = CREDS_GID;
                if (setresgid(c->gid, c->gid, c->gid) < 0)
                        return -1;
                *failed = CREDS_UID;
                if (c->ambient && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                        return -1;
                if (setresuid(c->uid, c->uid, c->uid) < 0)
                        return -1;
        }
        /* 3. Effective, permitted and inheritable: exactly what is granted. PR_SET_NO_NEW_PRIVS
         * makes execve intersect the new permitted set with the old one, so a uid-0 program
         * keeps what is here and gains nothing; a non-root one keeps only its ambient set
         * (and after setuid without KEEPCAPS it has nothing else left to set). */
        *failed = CREDS_CAPS;
        if (capset_all(getuid() == 0 ? bounding : c->ambient) < 0)
                return -1;
        *failed = CREDS_AMBIENT;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -1;
        for (int cap = 0; cap <= c->cap_last; cap++) {
                if ((c->ambient & (1ULL << cap)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return -1;
        }
        return 0;
}

static int capget_eff(uint32_t eff[2], uint32_t prm[2])
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2];

        if (syscall(SYS_capget, &h, d) < 0)
                return -1;
        for (int i = 0; i < 2; i++) {
                eff[i] = d[i].effective;
                if (prm)
                        prm[i] = d[i].permitted;
        }
        return 0;
}

/* Only the effective set changes: permitted and inheritable stay as they are. */
static int capset_eff(const uint32_t eff[2])
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2];

        if (syscall(SYS_capget, &h, d) < 0)
                return -1;
        for (int i = 0; i < 2; i++)
                d[i].effective = eff[i];
        return (int)syscall(SYS_capset, &h, d);
}

int creds_fs_enter(uid_t uid, gid_t gid, const gid_t *groups, int ngroups, uint64_t caps,
                   struct creds_fs_saved *s)
{
        uint32_t prm[2], eff[2];
        long n;

        memset(s, 0, sizeof *s);
        if (geteuid() != 0)
                return 0;
        n = syscall(SYS_getgroups, 0, NULL);
        if (n < 0 || capget_eff(s->eff, prm) < 0)
                return -1;
        s->groups = malloc(((size_t)n + 1) * sizeof *s->groups);
        if (!s->groups)
                return -1;
        n = syscall(SYS_getgroups, n, s->groups);
        if (n < 0) {
                free(s->groups);
                s->groups = NULL;
                return -1;
        }
        s->ngroups = (int)n;
        s->fsuid = (uid_t)setfsuid((uid_t)-1); /* an invalid id changes nothing: the current */
        s->fsgid = (gid_t)setfsgid((gid_t)-1);
        s->active = true;
        if (syscall(SYS_setgroups, (size_t)ngroups, groups) < 0)
                goto fail;
        setfsgid(gid);
        setfsuid(uid);
        if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid) {
                errno = EPERM;
                goto fail;
        }
        /* a uid other than 0 already lost the file capabilities with the fsuid; what is left
         * (or everything, for a uid-0 program) goes down to what the program is granted */
        eff[0] = (uint32_t)caps & prm[0];
        eff[1] = (uint32_t)(caps >> 32) & prm[1];
        if (capset_eff(eff) < 0)
                goto fail;
        return 0;
fail : {
        int e = errno;

        creds_fs_leave(s);
        errno = e;
        return -1;
}
}

int creds_fs_leave(struct creds_fs_saved *s)
{
        int rc = 0;

        if (!s->active)
                return 0;
        /* capabilities first: setfsuid and setgroups need CAP_SETUID and CAP_SETGID back */
        if (capset_eff(s->eff) < 0)
                rc = -1;
        setfsuid(s->fsuid);
        setfsgid(s->fsgid);
        if ((uid_t)setfsuid((uid_t)-1) != s->fsuid || (gid_t)setfsgid((gid_t)-1) != s->fsgid)
                rc = -1;
        if (syscall(SYS_setgroups, (size_t)s->ngroups, s->groups) < 0)
                rc = -1;
        free(s->groups);
        s->groups = NULL;
        s->active = false;
        return rc;
}

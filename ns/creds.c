#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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
        char buf[16] = "";
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return CAP_LAST_CAP;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return CAP_LAST_CAP;
        buf[n] = '\0';
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

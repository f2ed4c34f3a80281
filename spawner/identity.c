#include "identity.h"

#include "../ns/userns.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int lookup_user(const char *name, uid_t *uid, gid_t *gid, char *canon, size_t len,
                       struct cerr *err)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        char *end;
        unsigned long n = strtoul(name, &end, 10);

        if (*name && !*end) { /* numeric: need not exist in /etc/passwd */
                *uid = (uid_t)n;
                *gid = (gid_t)n;
                if (getpwuid_r(*uid, &pw, buf, sizeof buf, &res) == 0 && res) {
                        *gid = res->pw_gid;
                        snprintf(canon, len, "%s", res->pw_name);
                } else {
                        canon[0] = '\0';
                }
                return 0;
        }
        if (getpwnam_r(name, &pw, buf, sizeof buf, &res) != 0 || !res)
                return cerr_set(err, ENOENT, CERR_CREDENTIALS, "User=%s: no such user", name);
        *uid = res->pw_uid;
        *gid = res->pw_gid;
        snprintf(canon, len, "%s", res->pw_name);
        return 0;
}

static int lookup_group(const char *name, gid_t *gid, struct cerr *err)
{
        struct group gr, *res = NULL;
        char buf[8192];
        char *end;
        unsigned long n = strtoul(name, &end, 10);

        if (*name && !*end) {
                *gid = (gid_t)n;
                return 0;
        }
        if (getgrnam_r(name, &gr, buf, sizeof buf, &res) != 0 || !res)
                return cerr_set(err, ENOENT, CERR_CREDENTIALS, "group %s: no such group", name);
        *gid = res->gr_gid;
        return 0;
}

/* The name and home of uid from /etc/passwd, read directly: no NSS modules to load (that
 * cost a one-shot run about a millisecond); users only NSS knows keep "uid N" and "/". */
static void passwd_entry(uid_t uid, struct identity *id)
{
        char line[1024];
        FILE *f = fopen("/etc/passwd", "re");

        snprintf(id->user, sizeof id->user, "uid %u", (unsigned)uid);
        snprintf(id->home, sizeof id->home, "/");
        while (f && fgets(line, sizeof line, f)) {
                char *fields[7], *c = line;
                int n = 0;

                line[strcspn(line, "\n")] = '\0';
                /* name:x:uid:gid:gecos:home:shell */
                while (n < 7) {
                        fields[n++] = c;
                        c = strchr(c, ':');
                        if (!c)
                                break;
                        *c++ = '\0';
                }
                if (n >= 6 && fields[2][0] && strtoul(fields[2], NULL, 10) == uid) {
                        snprintf(id->user, sizeof id->user, "%s", fields[0]);
                        if (fields[5][0])
                                snprintf(id->home, sizeof id->home, "%s", fields[5]);
                        break;
                }
        }
        if (f)
                fclose(f);
}

int identity_plan(const struct profile *p, int cap_last, struct identity *id, struct cerr *err)
{
        struct cred_plan *c = &id->cred;
        const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
        const char *sudo_user = getenv("SUDO_USER");
        char user[256] = "";
        bool have_user = false;

        memset(id, 0, sizeof *id);
        c->cap_last = cap_last;
        c->bounding = p->capability_bounding_set;
        c->ambient = p->ambient_capabilities;
        if (p->user) {
                if (lookup_user(p->user, &c->uid, &c->gid, user, sizeof user, err) < 0)
                        return -1;
                have_user = true;
        } else if (getuid() == 0 && sudo_uid) {
                c->uid = (uid_t)strtoul(sudo_uid, NULL, 10);
                c->gid = sudo_gid ? (gid_t)strtoul(sudo_gid, NULL, 10) : (gid_t)c->uid;
                snprintf(user, sizeof user, "%s", sudo_user ? sudo_user : "");
                have_user = true;
        } else if (getuid() == 0) {
                /* Root without sudo: not root. Without capabilities uid 0 would still own most
                 * of the host's files (/root, /var, /dev/shm ...); nobody owns none of them.
                 * User=root asks for root explicitly. */
                /* the kernel's overflow ids, which every distribution names nobody/nogroup:
                 * no NSS lookup (loading its modules cost a one-shot run about a millisecond) */
                c->uid = c->gid = 65534;
                user[0] = '\0';
                have_user = true;
        } else {
                c->uid = getuid();
                c->gid = getgid();
        }
        if (p->group) {
                if (lookup_group(p->group, &c->gid, err) < 0)
                        return cerr_wrap(err, "Group=");
                have_user = true;
        }
        if (have_user) {
                int n = CREDS_MAX_GROUPS;

                c->set_ids = true;
                /* the user's own groups, as login would set them */
                if (user[0] && getgrouplist(user, c->gid, c->groups, &n) >= 0)
                        c->ngroups = n;
                else
                        c->groups[c->ngroups++] = c->gid;
        }
        for (size_t i = 0; i < p->supplementary_groups.n; i++) {
                if (c->ngroups == CREDS_MAX_GROUPS)
                        return cerr_set(err, E2BIG, CERR_CREDENTIALS, "more than %d groups",
                                        CREDS_MAX_GROUPS);
                if (lookup_group(p->supplementary_groups.v[i], &c->groups[c->ngroups], err) < 0)
                        return cerr_wrap(err, "SupplementaryGroups=");
                c->ngroups++;
                c->set_ids = true;
        }
        passwd_entry(c->uid, id);
        if (p->private_users) {
                /* inside: root, with whatever capabilities the profile grants there */
                id->userns = true;
                id->map_uid = userns_outside_id(c->uid);
                id->map_gid = userns_outside_id(c->gid);
                /* only uid/gid 0 exist inside: become them (the mapped outside ids) */
                c->set_ids = true;
                c->uid = 0;
                c->gid = 0;
                c->ngroups = 0;
        }
        return 0;
}

void identity_fs(const struct identity *id, uid_t *uid, gid_t *gid, const gid_t **groups,
                 int *ngroups, uint64_t *caps)
{
        const struct cred_plan *c = &id->cred;

        *uid = id->userns ? id->map_uid : c->uid;
        *gid = id->userns ? id->map_gid : c->gid;
        *groups = c->groups;
        *ngroups = id->userns ? 0 : c->ngroups;
        /* a uid-0 program keeps its bounding set (what it is granted); any other only its
         * ambient capabilities */
        *caps = c->uid == 0 && !id->userns ? c->bounding | c->ambient : c->ambient;
}

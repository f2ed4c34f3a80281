#include "identity.h"

#include "../ns/rootless.h"
#include "../ns/userns.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The largest buffer a user or group entry may need: a group of tens of thousands of
 * members. Past it the lookup fails (ERANGE) rather than reading as "no such group". */
#define LOOKUP_BUF_MAX (1u << 20)

/* getpwnam_r/getgrnam_r say "not found" as 0 with no entry, or (other NSS modules, other
 * libcs: getpwnam_r(3)) as one of these errors. */
static int found(int rc, const void *res)
{
        if (res)
                return 0;
        return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM ? ENOENT : rc;
}

/* The entries by name, each into a buffer grown until the entry fits (a group of many members
 * does not fit the 8 KiB that once read "no such group"); the caller frees *buf. 0, ENOENT
 * when there is none, or the error of the lookup. */
static int user_entry(const char *name, struct passwd *pw, char **buf)
{
        struct passwd *res = NULL;
        int rc = ERANGE;

        for (size_t len = 4096; rc == ERANGE && len <= LOOKUP_BUF_MAX; len *= 2) {
                char *nb = realloc(*buf, len);

                if (!nb)
                        return ENOMEM;
                *buf = nb;
                rc = getpwnam_r(name, pw, *buf, len, &res);
        }
        return found(rc, res);
}

static int group_entry(const char *name, struct group *gr, char **buf)
{
        struct group *res = NULL;
        int rc = ERANGE;

        for (size_t len = 4096; rc == ERANGE && len <= LOOKUP_BUF_MAX; len *= 2) {
                char *nb = realloc(*buf, len);

                if (!nb)
                        return ENOMEM;
                *buf = nb;
                rc = getgrnam_r(name, gr, *buf, len, &res);
        }
        return found(rc, res);
}

/* The one wording of a failed lookup, `policy check`'s and the spawn's alike: the key, the
 * name as written, and what this host lacks. */
static int lookup_failed(const char *key, const char *name, const char *what, int rc,
                         struct cerr *err)
{
        if (rc == ENOENT)
                return cerr_set(err, ENOENT, CERR_HOST_CHECK, "%s: '%s': no such %s on this host",
                                key, name, what);
        return cerr_set(err, rc, rc == ENOMEM ? CERR_ALLOC : CERR_CREDENTIALS,
                        "%s: '%s': looking up the %s", key, name, what);
}

static bool numeric_id(const char *name, unsigned long *n)
{
        char *end;

        *n = strtoul(name, &end, 10);
        return *name && !*end;
}

static int lookup_user(const char *name, uid_t *uid, gid_t *gid, char *canon, size_t len,
                       struct cerr *err)
{
        struct passwd pw, *res = NULL;
        char buf[4096], *heap = NULL;
        unsigned long n;
        int rc;

        if (numeric_id(name, &n)) { /* numeric: need not exist in /etc/passwd */
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
        rc = user_entry(name, &pw, &heap);
        if (rc != 0) {
                free(heap);
                return lookup_failed("User", name, "user", rc, err);
        }
        *uid = pw.pw_uid;
        *gid = pw.pw_gid;
        snprintf(canon, len, "%s", pw.pw_name);
        free(heap);
        return 0;
}

/* key: the key that names the group (Group, SupplementaryGroups), for the message. */
static int lookup_group(const char *key, const char *name, gid_t *gid, struct cerr *err)
{
        struct group gr;
        unsigned long n;
        char *heap = NULL;
        int rc;

        if (numeric_id(name, &n)) {
                *gid = (gid_t)n;
                return 0;
        }
        rc = group_entry(name, &gr, &heap);
        if (rc != 0) {
                free(heap);
                return lookup_failed(key, name, "group", rc, err);
        }
        *gid = gr.gr_gid;
        free(heap);
        return 0;
}

/* Rootless (ns/rootless.h): an unprivileged user namespace maps the caller's own uid and gid
 * only, and its setgroups is "deny" (an unprivileged writer of gid_map must say so first): the
 * program runs as the caller (or as 0 inside with PrivateUsers=yes) and keeps the caller's
 * supplementary groups. An identity key asking for anything else is refused, not ignored. */
static int rootless_refused(const char *key, const char *name, const char *what, struct cerr *err)
{
        return cerr_set(err, EPERM, CERR_HOST_CHECK,
                        "%s: '%s': corral runs without root (uid %u), and an unprivileged user "
                        "namespace maps only the caller's own ids: %s",
                        key, name, (unsigned)geteuid(), what);
}

static int rootless_ids_check(const struct profile *p, uid_t uid, gid_t gid, struct cerr *err)
{
        if (p->user && uid != geteuid())
                return rootless_refused("User", p->user, "leave User= unset, or name yourself",
                                        err);
        if (p->group && gid != getegid())
                return rootless_refused("Group", p->group,
                                        "leave Group= unset, or name your own group", err);
        if (p->supplementary_groups.n)
                return rootless_refused("SupplementaryGroups", p->supplementary_groups.v[0],
                                        "actors keep your own supplementary groups", err);
        return 0;
}

int identity_check(const struct profile *p, struct cerr *err)
{
        char canon[256];
        uid_t uid = geteuid();
        gid_t gid = getegid(), ugid;

        if (p->user && lookup_user(p->user, &uid, &ugid, canon, sizeof canon, err) < 0)
                return -1;
        if (p->group && lookup_group("Group", p->group, &gid, err) < 0)
                return -1;
        for (size_t i = 0; i < p->supplementary_groups.n; i++) {
                gid_t g;

                if (lookup_group("SupplementaryGroups", p->supplementary_groups.v[i], &g, err) < 0)
                        return -1;
        }
        if (rootless_mode())
                return rootless_ids_check(p, uid, gid, err);
        return 0;
}

/* The last answer of passwd_entry and the file it came from: a supervisor that spawns as one
 * user reads /etc/passwd again only when it was replaced or changed (a stat, ~2 us, instead
 * of an open, a read and a scan, ~10 us per spawn). Per thread: supervisors in two threads
 * share nothing. */
static __thread struct {
        bool valid;
        uid_t uid;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtim, ctim;
        char user[sizeof((struct identity *)0)->user];
        char home[sizeof((struct identity *)0)->home];
} pw_last;

static bool same_file(const struct stat *st)
{
        return pw_last.dev == st->st_dev && pw_last.ino == st->st_ino &&
               pw_last.size == st->st_size && pw_last.mtim.tv_sec == st->st_mtim.tv_sec &&
               pw_last.mtim.tv_nsec == st->st_mtim.tv_nsec &&
               pw_last.ctim.tv_sec == st->st_ctim.tv_sec &&
               pw_last.ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* The name and home of uid from /etc/passwd, read directly: no NSS modules to load (that
 * cost a one-shot run about a millisecond); users only NSS knows keep "uid N" and "/". */
static void passwd_entry(uid_t uid, struct identity *id)
{
        char line[1024];
        struct timespec now;
        struct stat st;
        bool have_st;
        FILE *f;

        if (pw_last.valid && pw_last.uid == uid && stat("/etc/passwd", &st) == 0 &&
            same_file(&st)) {
                memcpy(id->user, pw_last.user, sizeof id->user);
                memcpy(id->home, pw_last.home, sizeof id->home);
                return;
        }
        pw_last.valid = false;
        snprintf(id->user, sizeof id->user, "uid %u", (unsigned)uid);
        snprintf(id->home, sizeof id->home, "/");
        f = fopen("/etc/passwd", "re");
        if (!f)
                return;
        /* The file as it was before the read: a change during or after it then differs next
         * time. One changed within the last two seconds is not kept at all: an edit in place
         * that keeps the size can land within one tick of the file system's clock. */
        have_st = fstat(fileno(f), &st) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
                  now.tv_sec - st.st_ctim.tv_sec >= 2;
        while (fgets(line, sizeof line, f)) {
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
        /* what was read, kept with the file it was read from (a line longer than the buffer
         * may have been split: then whatever this scan found, as before) */
        if (have_st && !ferror(f)) {
                pw_last.uid = uid;
                pw_last.dev = st.st_dev;
                pw_last.ino = st.st_ino;
                pw_last.size = st.st_size;
                pw_last.mtim = st.st_mtim;
                pw_last.ctim = st.st_ctim;
                memcpy(pw_last.user, id->user, sizeof pw_last.user);
                memcpy(pw_last.home, id->home, sizeof pw_last.home);
                pw_last.valid = true;
        }
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
                if (lookup_group("Group", p->group, &c->gid, err) < 0)
                        return -1;
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
                if (lookup_group("SupplementaryGroups", p->supplementary_groups.v[i],
                                 &c->groups[c->ngroups], err) < 0)
                        return -1;
                c->ngroups++;
                c->set_ids = true;
        }
        passwd_entry(c->uid, id);
        if (rootless_mode()) {
                if (rootless_ids_check(p, c->uid, c->gid, err) < 0)
                        return -1;
                /* every actor in a user namespace that maps the caller's ids (setgroups
                 * "deny": its groups stay the caller's); inside, the caller or, with
                 * PrivateUsers=yes, root. The shim is already that id: nothing to set. */
                id->userns = true;
                id->map_uid = c->uid;
                id->map_gid = c->gid;
                c->set_ids = false;
                c->ngroups = 0;
                if (p->private_users)
                        c->uid = c->gid = 0;
                return 0;
        }
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

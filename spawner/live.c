#include "live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ns/cgroup.h"
#include "../ns/timeutil.h"
#include "admin.h"

const char *live_status_name(enum live_status s)
{
        switch (s) {
        case LIVE_RUNNING:
                return "running";
        case LIVE_UNRESPONSIVE:
                return "unresponsive";
        case LIVE_ORPHANED:
                break;
        }
        return "orphaned";
}

static int add_actor(struct live_tree *t, struct live_actor **out)
{
        struct live_actor *v = realloc(t->actors, sizeof *v * (t->nactors + 1));

        if (!v)
                return -1;
        t->actors = v;
        *out = &v[t->nactors++];
        memset(*out, 0, sizeof **out);
        return 0;
}

static void copy_str(char *out, size_t len, const struct nlattr *a)
{
        snprintf(out, len, "%s", a ? mnl_attr_get_str(a) : "");
}

static void take_actor(struct live_actor *a, const struct nlattr **tb)
{
        a->id = tb[CORRAL_A_ACTOR_ID] ? mnl_attr_get_u32(tb[CORRAL_A_ACTOR_ID]) : 0;
        a->parent = tb[ADM_A_PARENT_ID] ? mnl_attr_get_u32(tb[ADM_A_PARENT_ID]) : 0;
        copy_str(a->name, sizeof a->name, tb[CORRAL_A_NAME]);
        copy_str(a->profile, sizeof a->profile, tb[CORRAL_A_PROFILE]);
        copy_str(a->state, sizeof a->state, tb[ADM_A_STATE]);
        copy_str(a->stage, sizeof a->stage, tb[CORRAL_A_STAGE]);
        copy_str(a->node, sizeof a->node, tb[ADM_A_NODE]);
        copy_str(a->reason, sizeof a->reason, tb[CORRAL_A_TEXT]);
        a->pid = tb[ADM_A_PID] ? mnl_attr_get_u32(tb[ADM_A_PID]) : 0;
        a->holds = tb[ADM_A_HOLDS] && mnl_attr_get_u8(tb[ADM_A_HOLDS]);
        if ((a->has_uptime = tb[ADM_A_UPTIME_US] != NULL))
                a->uptime_us = mnl_attr_get_u64(tb[ADM_A_UPTIME_US]);
        if ((a->has_memory = tb[CORRAL_A_MEMORY] != NULL))
                a->memory = mnl_attr_get_u64(tb[CORRAL_A_MEMORY]);
        if ((a->has_pids = tb[CORRAL_A_PIDS] != NULL))
                a->pids = mnl_attr_get_u64(tb[CORRAL_A_PIDS]);
        if ((a->has_cpu = tb[CORRAL_A_CPU_US] != NULL))
                a->cpu_us = mnl_attr_get_u64(tb[CORRAL_A_CPU_US]);
}

/* LIST through the admin socket: 0 answered, 1 silent (unresponsive), -1 error. */
static int ask(const char *dir, struct live_tree *t, struct cerr *err)
{
        struct adm_conn c;
        char buf[ADM_MSG_MAX], req[64];
        const struct nlmsghdr *h;
        const struct nlattr *tb[ADM_A_MAX + 1];
        struct nlmsghdr *r = mnl_nlmsg_put_header(memset(req, 0, sizeof req));
        int64_t end = mono_ms() + LIVE_ANSWER_MS;
        int rc;

        r->nlmsg_type = ADM_MSG_LIST;
        r->nlmsg_seq = 1;
        if (admin_connect(&c, dir, t->e.tree, err) < 0 || admin_send(&c, r, err) < 0) {
                admin_disconnect(&c);
                return -1;
        }
        for (;;) {
                int left = (int)(end - mono_ms());

                rc = admin_recv(&c, buf, left > 0 ? left : 0, &h, tb, err);
                if (rc <= 0)
                        break;
                end = mono_ms() + LIVE_ANSWER_MS; /* each answer within the bound */
                if (h->nlmsg_type == ADM_MSG_ERROR) {
                        rc = cerr_set(err,
                                      tb[CORRAL_A_ERRNO] ? (int)mnl_attr_get_u32(tb[CORRAL_A_ERRNO])
                                                         : EPROTO,
                                      CERR_READ, "the supervisor refused: %s",
                                      tb[CORRAL_A_TEXT] ? mnl_attr_get_str(tb[CORRAL_A_TEXT]) : "");
                        break;
                }
                if (h->nlmsg_type == ADM_MSG_TREE) {
                        copy_str(t->stage, sizeof t->stage, tb[CORRAL_A_STAGE]);
                        t->frozen = tb[ADM_A_FROZEN] && mnl_attr_get_u8(tb[ADM_A_FROZEN]);
                        t->uptime_us =
                            tb[ADM_A_UPTIME_US] ? mnl_attr_get_u64(tb[ADM_A_UPTIME_US]) : 0;
                } else if (h->nlmsg_type == ADM_MSG_ACTOR) {
                        struct live_actor *a;

                        if (add_actor(t, &a) < 0) {
                                rc = cerr_set(err, ENOMEM, CERR_ALLOC, "actors");
                                break;
                        }
                        take_actor(a, tb);
                } else if (h->nlmsg_type == ADM_MSG_DONE) {
                        break;
                }
        }
        admin_disconnect(&c);
        return rc < 0 ? -1 : rc == 0 ? 1 : 0;
}

/* The actors of a tree whose supervisor does not answer, from its tagged nodes:
 * <node>/<name>-<id>/ (self/ holds the processes). */
static void scan(struct live_tree *t, const char *node, uint32_t parent, int depth)
{
        DIR *d = depth < 64 ? opendir(node) : NULL;
        struct dirent *de;
        char tag[128];

        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[PATH_MAX], *dash;
                struct live_actor *a;
                unsigned long id;

                dash = strrchr(de->d_name, '-');
                if (de->d_type != DT_DIR || !dash || strcmp(de->d_name, "self") == 0)
                        continue;
                id = strtoul(dash + 1, NULL, 10);
                if ((size_t)snprintf(path, sizeof path, "%s/%s", node, de->d_name) >= sizeof path ||
                    id == 0 || cg_tag_get(path, tag, sizeof tag) < 0 || add_actor(t, &a) < 0)
                        continue;
                a->id = (uint32_t)id;
                a->parent = parent;
                snprintf(a->name, sizeof a->name, "%.*s", (int)(dash - de->d_name), de->d_name);
                snprintf(a->state, sizeof a->state, "unknown");
                snprintf(a->node, sizeof a->node, "%s", path);
                scan(t, path, (uint32_t)id, depth + 1);
        }
        closedir(d);
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct live_tree *)a)->e.tree, ((const struct live_tree *)b)->e.tree);
}

/* Every record in dir, appended to *out (n of them so far). */
static int collect(const char *dir, struct live_tree **out, int *n, struct cerr *err)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        struct live_tree *v = *out;
        int cnt = *n;

        if (!d)
                return errno == ENOENT ? 0 : cerr_set(err, errno, CERR_REGISTRY, "listing %s", dir);
        while ((de = readdir(d))) {
                char path[PATH_MAX], buf[8192];
                size_t nl = strlen(de->d_name);
                struct live_tree *t;
                struct cerr e2 = {0};
                ssize_t len;
                int fd;

                if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        continue;
                len = read(fd, buf, sizeof buf - 1);
                if (len <= 0) { /* a claim not yet written: nothing of it exists */
                        close(fd);
                        continue;
                }
                buf[len] = '\0';
                t = realloc(v, sizeof *v * (size_t)(cnt + 1));
                if (!t) {
                        close(fd);
                        break;
                }
                v = t;
                t = &v[cnt];
                memset(t, 0, sizeof *t);
                snprintf(t->dir, sizeof t->dir, "%s", dir);
                if (registry_parse(buf, &t->e) < 0) {
                        close(fd);
                        continue;
                }
                cnt++;
                /* a shared lock we get at once: nobody holds the supervisor's exclusive one */
                if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
                        t->status = LIVE_ORPHANED;
                        close(fd);
                        continue;
                }
                close(fd);
                t->status = ask(dir, t, &e2) == 0 ? LIVE_RUNNING : LIVE_UNRESPONSIVE;
                if (t->status == LIVE_UNRESPONSIVE) {
                        free(t->actors);
                        t->actors = NULL;
                        t->nactors = 0;
                        if (t->e.nnodes > 0)
                                scan(t, t->e.nodes[0], 0, 0);
                }
        }
        closedir(d);
        *out = v;
        *n = cnt;
        return 0;
}

int live_trees(const char *dir, bool with_users, struct live_tree **out, int *n, struct cerr *err)
{
        *out = NULL;
        *n = 0;
        if (collect(dir, out, n, err) < 0) {
                live_free(*out, *n);
                *out = NULL;
                *n = 0;
                return -1;
        }
        if (with_users) { /* rootless trees: /run/user/UID/corral (pam_systemd's places) */
                DIR *d = opendir("/run/user");
                struct dirent *de;

                while (d && (de = readdir(d))) {
                        char udir[PATH_MAX];
                        struct cerr e2 = {0};

                        if (de->d_name[0] < '0' || de->d_name[0] > '9')
                                continue;
                        snprintf(udir, sizeof udir, "/run/user/%s/corral", de->d_name);
                        (void)collect(udir, out, n, &e2); /* one unreadable user hides no other */
                }
                if (d)
                        closedir(d);
        }
        if (*n)
                qsort(*out, (size_t)*n, sizeof **out, by_name);
        return 0;
}

void live_free(struct live_tree *t, int n)
{
        for (int i = 0; i < n; i++)
                free(t[i].actors);
        free(t);
}

/* The v1 groups of node: its path below the tree's v2 node, below each v1 tree node. */
static void v1_remove(const struct registry_entry *e, const char *node, struct cerr *err)
{
        size_t tl = strlen(e->nodes[0]);
        const char *rel = strncmp(node, e->nodes[0], tl) == 0 ? node + tl : NULL;

        for (int i = 1; rel && i < e->nnodes; i++) {
                char p[PATH_MAX];

                if ((size_t)snprintf(p, sizeof p, "%s%s", e->nodes[i], rel) < sizeof p)
                        cg_remove_tree(p, err);
        }
}

static bool node_gone(const char *node)
{
        return access(node, F_OK) < 0 && errno == ENOENT;
}

int live_force_kill(const struct registry_entry *e, const char *node, int timeout_ms,
                    struct cerr *err)
{
        struct cg_node n = {.fd = -1};
        int64_t end = mono_ms() + timeout_ms;
        char tag[128];
        int pop;

        if (e->nnodes < 1 || strncmp(node, e->nodes[0], strlen(e->nodes[0])) != 0)
                return cerr_set(err, EINVAL, CERR_KILL, "%s is not a node of tree %s", node,
                                e->tree);
        /* the tag says whose it is: corral writes the tree's name there */
        if (cg_tag_get(node, tag, sizeof tag) < 0)
                return cerr_set(err, errno == ENOENT ? ENOENT : EPERM, CERR_KILL, "%s is %s", node,
                                errno == ENOENT ? "gone already" : "not tagged as corral's");
        if (cg_node_open(&n, node, err) < 0)
                return -1;
        while ((pop = cg_node_populated(&n, err)) == 1 && mono_ms() < end) {
                if (cg_node_kill(&n, err) < 0)
                        break;
                cg_node_wait_empty(&n, 100, err);
        }
        cg_node_close(&n);
        /* a live supervisor sees its actor's processes gone and removes the node itself, maybe
         * before we do: a node gone meanwhile is what we wanted */
        if (pop < 0 && node_gone(node))
                pop = 0;
        if (pop != 0)
                return pop < 0 ? -1
                               : cerr_set(err, EBUSY, CERR_KILL,
                                          "%s still holds processes after %d ms", node, timeout_ms);
        if (cg_remove_tree(node, err) < 0 && !node_gone(node))
                return -1;
        v1_remove(e, node, err);
        return 0;
}

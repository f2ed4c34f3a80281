/* corral ps, tree and kill: live trees from another shell (spawner/live.h, spawner/admin.h). */
#include <errno.h>
#include <getopt.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ns/signals.h"
#include "../policy/units.h"
#include "../spawner/admin.h"
#include "../spawner/json.h"
#include "../spawner/live.h"
#include "cli.h"
#include "cmd_live.h"

#define EXIT_ESCALATED 3 /* kill: the cascade had to escalate */
#define KILL_FORCE_MS  10000

/* CORRAL_REGISTRY_DIR: another registry (tests use their own) */
const char *live_registry_dir(void)
{
        const char *d = getenv("CORRAL_REGISTRY_DIR");

        if (d && d[0])
                return d;
        /* a user's, under $XDG_RUNTIME_DIR; without it no rootless tree can exist */
        d = registry_default_dir();
        return d ? d : "";
}

/* Root lists users' rootless trees too, unless told which registry to read. */
bool live_with_users(void)
{
        const char *d = getenv("CORRAL_REGISTRY_DIR");

        return geteuid() == 0 && !(d && d[0]);
}

static void fmt_dur(char *out, size_t len, bool has, uint64_t us)
{
        uint64_t s = us / 1000000;

        if (!has)
                snprintf(out, len, "-");
        else if (s < 60)
                snprintf(out, len, "%llu.%01llus", (unsigned long long)s,
                         (unsigned long long)(us / 100000 % 10));
        else if (s < 3600)
                snprintf(out, len, "%llum%02llus", (unsigned long long)(s / 60),
                         (unsigned long long)(s % 60));
        else
                snprintf(out, len, "%lluh%02llum", (unsigned long long)(s / 3600),
                         (unsigned long long)(s / 60 % 60));
}

static void fmt_bytes(char *out, size_t len, bool has, uint64_t b)
{
        if (!has)
                snprintf(out, len, "-");
        else if (b < 10 * 1024 * 1024)
                snprintf(out, len, "%lluK", (unsigned long long)(b / 1024));
        else
                snprintf(out, len, "%lluM", (unsigned long long)(b / (1024 * 1024)));
}

static const char *state_of(const struct live_actor *a, char *buf, size_t len)
{
        if (strcmp(a->state, "cancelling") == 0 && a->stage[0])
                snprintf(buf, len, "cancel:%s", a->stage);
        else
                snprintf(buf, len, "%s", a->state);
        return buf;
}

static int depth_of(const struct live_tree *t, const struct live_actor *a)
{
        int d = 0;

        for (uint32_t p = a->parent; p && d < 64; d++) {
                uint32_t next = 0;

                for (uint32_t i = 0; i < t->nactors; i++)
                        if (t->actors[i].id == p)
                                next = t->actors[i].parent;
                p = next;
        }
        return d;
}

static void json_actor(struct json *j, const struct live_actor *a)
{
        json_begin_object(j, NULL);
        json_int(j, "id", a->id);
        json_string(j, "name", a->name);
        json_int(j, "parent", a->parent);
        json_string(j, "profile", a->profile);
        json_string(j, "state", a->state);
        json_string(j, "stage", a->stage);
        json_int(j, "pid", a->pid);
        json_string(j, "node", a->node);
        json_bool(j, "holds", a->holds);
        if (a->has_uptime)
                json_int(j, "uptime_us", (long long)a->uptime_us);
        else
                json_null(j, "uptime_us");
        if (a->has_memory)
                json_int(j, "memory", (long long)a->memory);
        else
                json_null(j, "memory");
        if (a->has_pids)
                json_int(j, "pids", (long long)a->pids);
        else
                json_null(j, "pids");
        if (a->has_cpu)
                json_int(j, "cpu_us", (long long)a->cpu_us);
        else
                json_null(j, "cpu_us");
        if (a->reason[0])
                json_string(j, "reason", a->reason);
        json_end_object(j);
}

static void json_trees(const struct live_tree *v, int n, const char *only)
{
        struct json j;

        json_init(&j, stdout);
        json_begin_array(&j, NULL);
        for (int i = 0; i < n; i++) {
                if (only && strcmp(v[i].e.tree, only) != 0)
                        continue;
                json_begin_object(&j, NULL);
                json_string(&j, "tree", v[i].e.tree);
                json_string(&j, "status", live_status_name(v[i].status));
                json_int(&j, "supervisor_pid", v[i].e.supervisor_pid);
                /* where its record is: /run/corral, or a user's $XDG_RUNTIME_DIR/corral */
                json_string(&j, "registry", v[i].dir);
                json_string(&j, "node", v[i].e.nnodes ? v[i].e.nodes[0] : "");
                json_bool(&j, "frozen", v[i].frozen);
                json_begin_array(&j, "actors");
                for (uint32_t k = 0; k < v[i].nactors; k++)
                        json_actor(&j, &v[i].actors[k]);
                json_end_array(&j);
                json_end_object(&j);
        }
        json_end_array(&j);
        putchar('\n');
}

/* The human table's column widths: as wide as the longest value shown (never cut: a name in
 * the table is a name `corral kill` takes), at least the header's. With names of up to about
 * a dozen characters a row fits 80 columns. */
struct cols {
        int tree, actor, profile, state;
};

static void actor_name(const struct live_tree *t, const struct live_actor *a, bool indent,
                       char *out, size_t len)
{
        int d = indent ? depth_of(t, a) : 0;

        snprintf(out, len, "%*s%s%s", 2 * d, "", indent && d ? "`-" : "", a->name);
}

static void widen(int *w, const char *s)
{
        int l = (int)strlen(s);

        if (l > *w)
                *w = l;
}

static struct cols cols_of(const struct live_tree *v, int n, const char *only, bool as_tree)
{
        struct cols c = {.tree = as_tree ? 0 : 4, .actor = 5, .profile = 7, .state = 5};
        char buf[160];

        for (int i = 0; i < n; i++) {
                if (only && strcmp(v[i].e.tree, only) != 0)
                        continue;
                if (!as_tree)
                        widen(&c.tree, v[i].e.tree);
                for (uint32_t k = 0; k < v[i].nactors; k++) {
                        const struct live_actor *a = &v[i].actors[k];

                        actor_name(&v[i], a, as_tree, buf, sizeof buf);
                        widen(&c.actor, buf);
                        widen(&c.profile, a->profile[0] ? a->profile : "-");
                        widen(&c.state, state_of(a, buf, sizeof buf));
                }
        }
        return c;
}

static void print_actor(const struct live_tree *t, const struct live_actor *a, bool indent,
                        const struct cols *c)
{
        char name[160], st[32], up[16], mem[16], pids[16], cpu[16];

        actor_name(t, a, indent, name, sizeof name);
        fmt_dur(up, sizeof up, a->has_uptime, a->uptime_us);
        fmt_bytes(mem, sizeof mem, a->has_memory, a->memory);
        fmt_dur(cpu, sizeof cpu, a->has_cpu, a->cpu_us);
        if (a->has_pids)
                snprintf(pids, sizeof pids, "%llu", (unsigned long long)a->pids);
        else
                snprintf(pids, sizeof pids, "-");
        if (!indent)
                printf("%-*s ", c->tree, t->e.tree);
        printf("%-*s %3u %6u %-*s %-*s %7u %6s %5s %4s %6s\n", c->actor, name, a->id, a->parent,
               c->profile, a->profile[0] ? a->profile : "-", c->state, state_of(a, st, sizeof st),
               a->pid, up, mem, pids, cpu);
}

static void print_header(const struct cols *c, bool as_tree)
{
        if (!as_tree)
                printf("%-*s ", c->tree, "TREE");
        printf("%-*s %3s %6s %-*s %-*s %7s %6s %5s %4s %6s\n", c->actor, "ACTOR", "ID", "PARENT",
               c->profile, "PROFILE", c->state, "STATE", "PID", "UPTIME", "MEM", "PIDS", "CPU");
}

static void print_trees(const struct live_tree *v, int n, const char *only, bool as_tree)
{
        struct cols c = cols_of(v, n, only, as_tree);
        bool header = false;

        for (int i = 0; i < n; i++) {
                const struct live_tree *t = &v[i];

                if (only && strcmp(t->e.tree, only) != 0)
                        continue;
                if (as_tree)
                        printf("%s%s (%s, supervisor pid %d)\n", header ? "\n" : "", t->e.tree,
                               live_status_name(t->status), (int)t->e.supervisor_pid);
                if (!header || as_tree)
                        print_header(&c, as_tree);
                header = true;
                if (!as_tree && t->status != LIVE_RUNNING)
                        printf("%-*s (%s: supervisor pid %d%s)\n", c.tree, t->e.tree,
                               live_status_name(t->status), (int)t->e.supervisor_pid,
                               t->status == LIVE_ORPHANED ? ", `corral gc` removes it" : "");
                /* parents before children, each child after its parent */
                if (as_tree) {
                        uint32_t *stack = calloc(t->nactors + 1, sizeof *stack);
                        int sp = 0;

                        for (uint32_t k = t->nactors; stack && k-- > 0;)
                                if (t->actors[k].parent == 0)
                                        stack[sp++] = k;
                        while (stack && sp > 0) {
                                const struct live_actor *a = &t->actors[stack[--sp]];

                                print_actor(t, a, true, &c);
                                for (uint32_t k = t->nactors; k-- > 0;)
                                        if (t->actors[k].parent == a->id && a->id &&
                                            sp < (int)t->nactors)
                                                stack[sp++] = k;
                        }
                        free(stack);
                } else {
                        for (uint32_t k = 0; k < t->nactors; k++)
                                print_actor(t, &t->actors[k], false, &c);
                }
        }
}

static int list_cmd(int argc, char **argv, const char *cmd, bool as_tree)
{
        static const struct option opts[] = {
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *syn = as_tree ? "[TREE] [--json]" : "[--json]";
        struct live_tree *v;
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        const char *only = NULL;
        bool json = false, found = false;
        int n, c;

        optind = 0;
        while ((c = cli_getopt(argc, argv, cmd, "h", opts)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf(
                            "usage: corral %s %s\n\n"
                            "%s every live tree of this host from its registry record (%s), its\n"
                            "lock, its tagged cgroup nodes and its supervisor's admin socket.\n"
                            "A tree whose supervisor died is listed as orphaned; one whose\n"
                            "supervisor holds its lock but does not answer within %d ms (stopped)\n"
                            "as unresponsive, with the actors its nodes show.\n\n"
                            "columns: tree, actor, id, parent id, profile, state (starting,\n"
                            "running, frozen, cancel:STAGE, exited), host pid of its shim,\n"
                            "uptime, memory, pids and CPU time of its node ('-': not on this "
                            "host)\n\n"
                            "  --json  one JSON array: README.md, \"corral ps --json\"\n\n"
                            "exit status: 0 listed, 1 the registry cannot be read, 2 usage error\n",
                            cmd, syn, as_tree ? "Draw" : "List", REGISTRY_DIR, LIVE_ANSWER_MS);
                        return EXIT_OK;
                default:
                        return cli_usage(cmd, syn, EXIT_USAGE);
                }
        }
        if (as_tree && optind < argc)
                only = argv[optind++];
        if (optind < argc) {
                cli_error(cmd, "unexpected argument '%s'", argv[optind]);
                return cli_usage(cmd, syn, EXIT_USAGE);
        }
        if (live_trees(live_registry_dir(), live_with_users(), &v, &n, &err) < 0) {
                cli_error(cmd, "%s", cerr_str(&err, buf, sizeof buf));
                return EXIT_FAILED;
        }
        for (int i = 0; i < n && only; i++)
                found |= strcmp(v[i].e.tree, only) == 0;
        if (only && !found) {
                cli_error(cmd, "no live tree named '%s'; live trees:%s", only, n ? "" : " none");
                for (int i = 0; i < n; i++)
                        fprintf(stderr, "  %s\n", v[i].e.tree);
                live_free(v, n);
                return EXIT_USAGE;
        }
        if (json)
                json_trees(v, n, only);
        else
                print_trees(v, n, only, as_tree);
        live_free(v, n);
        return EXIT_OK;
}

int cmd_ps(int argc, char **argv)
{
        return list_cmd(argc, argv, "ps", false);
}

int cmd_tree(int argc, char **argv)
{
        return list_cmd(argc, argv, "tree", true);
}

/* ---- names ---- */

/* Does actor a's path from its tree's top match the names in path ("x/y")? */
static bool path_matches(const struct live_tree *t, const struct live_actor *a, const char *path)
{
        const char *slash = strrchr(path, '/');
        const char *last = slash ? slash + 1 : path;

        if (strcmp(a->name, last) != 0)
                return false;
        if (!slash)
                return a->parent == 0;
        for (uint32_t i = 0; i < t->nactors; i++) {
                if (t->actors[i].id == a->parent) {
                        char up[512];

                        snprintf(up, sizeof up, "%.*s", (int)(slash - path), path);
                        return path_matches(t, &t->actors[i], up);
                }
        }
        return false;
}

int live_resolve(const char *cmd, const struct live_tree *v, int n, const char *name,
                 struct target *out)
{
        struct target cand[16];
        int nc = 0;
        const char *sep = strpbrk(name, "/:");
        char *endp;
        unsigned long id = strtoul(name, &endp, 10);
        bool numeric = name[0] >= '0' && name[0] <= '9' && !*endp;

        if (!name[0] || strlen(name) > 256) {
                cli_error(cmd, "'%s' is not a tree or actor name", name);
                return -1;
        }
        for (int i = 0; i < n; i++) {
                const struct live_tree *t = &v[i];
                size_t tl = strlen(t->e.tree);

                if (strcmp(name, t->e.tree) == 0) { /* a tree's name names the tree */
                        out->t = t;
                        out->a = NULL;
                        return 1;
                }
                for (uint32_t k = 0; k < t->nactors && nc < 16; k++) {
                        const struct live_actor *a = &t->actors[k];
                        bool m;

                        if (sep && strncmp(name, t->e.tree, tl) == 0 && name[tl] == ':')
                                m = strtoul(name + tl + 1, NULL, 10) == a->id &&
                                    name[tl + 1] != '\0';
                        else if (sep && strncmp(name, t->e.tree, tl) == 0 && name[tl] == '/')
                                m = path_matches(t, a, name + tl + 1);
                        else
                                m = !sep && (numeric ? id == a->id : strcmp(name, a->name) == 0);
                        if (m)
                                cand[nc++] = (struct target){t, a};
                }
        }
        if (nc == 1) {
                *out = cand[0];
                return 1;
        }
        if (nc == 0) {
                cli_error(cmd, "no live tree or actor named '%s'; live trees:%s", name,
                          n ? "" : " none");
                for (int i = 0; i < n; i++)
                        fprintf(stderr, "  %s (%s)\n", v[i].e.tree, live_status_name(v[i].status));
        } else {
                cli_error(cmd, "'%s' is ambiguous; it could be:", name);
                for (int i = 0; i < nc; i++)
                        fprintf(stderr, "  %s:%u (%s)\n", cand[i].t->e.tree, cand[i].a->id,
                                cand[i].a->name);
        }
        return 0;
}

/* ---- kill ---- */

#define KILL_SYNOPSIS "TREE|ACTOR [--grace DURATION] [--signal SIG] [--force] [--json]"

static void kill_usage(void)
{
        printf("usage: corral kill " KILL_SYNOPSIS "\n\n"
               "End a tree, or an actor's subtree, through its supervisor: the graceful cancel\n"
               "cascade (cancel, interrupt, terminate, kill), each stage printed as it happens\n"
               "and each actor's end with its reason.\n\n"
               "  --grace DURATION  every stage of the cascade at most DURATION (instead of the\n"
               "                    subtree root's Timeout*Sec=)\n"
               "  --signal SIG      send one signal to the actor's program (through its shim)\n"
               "                    instead: HUP QUIT USR1 USR2 WINCH INT TERM\n"
               "  --force           cgroup.kill on the tree's (or actor's) node now, again while\n"
               "                    it is populated, then remove its nodes; works when the\n"
               "                    supervisor is stopped or dead, touches only tagged nodes\n"
               "  --json            one JSON object per line for each step (event: stage,\n"
               "                    ended, signalled, killed, done; README has the fields)\n\n"
               "Names: TREE, TREE/ACTOR/CHILD... (from the tree's top-level actor), TREE:ID, or\n"
               "an actor name or id only one live tree has.\n\n"
               "exit status: 0 ended gracefully (or signalled), 3 the cascade had to escalate,\n"
               "1 stuck or failed, 2 usage error or an unknown or ambiguous name\n");
}

/* What kill prints as the cascade moves: one human line, or one JSON object per line (--json,
 * README "corral kill --json"). actor NULL: the tree; id 0: no actor id. */
struct kill_line {
        const char *event; /* stage, ended, signalled, killed, done */
        const char *actor;
        uint32_t id;
        const char *stage, *text, *reason;
        int signal, exit;
};

static void kill_say(bool json, const char *tree, const struct kill_line *l)
{
        if (json) {
                struct json j;

                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_string(&j, "tree", tree);
                json_string(&j, "event", l->event);
                if (l->actor)
                        json_string(&j, "actor", l->actor);
                if (l->id)
                        json_int(&j, "id", l->id);
                if (l->stage)
                        json_string(&j, "stage", l->stage);
                if (l->text)
                        json_string(&j, "text", l->text);
                if (l->reason)
                        json_string(&j, "reason", l->reason);
                if (l->signal)
                        json_int(&j, "signal", l->signal);
                if (strcmp(l->event, "done") == 0 || strcmp(l->event, "killed") == 0 ||
                    strcmp(l->event, "signalled") == 0)
                        json_int(&j, "exit", l->exit);
                json_end_object(&j); /* (and its newline) */
        } else if (strcmp(l->event, "stage") == 0) {
                printf("corral kill: %s: stage %s%s%s%s%s\n", tree, l->stage,
                       l->actor ? " of " : "", l->actor ? l->actor : "", l->text ? ": " : "",
                       l->text ? l->text : "");
        } else if (strcmp(l->event, "ended") == 0) {
                printf("corral kill: %s: %s-%u %s\n", tree, l->actor, l->id, l->reason);
        } else if (strcmp(l->event, "signalled") == 0) {
                printf("corral kill: %s: signal %d sent\n", tree, l->signal);
        } else if (strcmp(l->event, "killed") == 0 && l->actor) {
                printf("corral kill: %s: %s-%u killed (cgroup.kill), its nodes removed\n", tree,
                       l->actor, l->id);
        } else if (strcmp(l->event, "killed") == 0) {
                printf("corral kill: %s: killed (cgroup.kill), its nodes removed\n", tree);
        } else {
                printf("corral kill: %s: done (%s)\n", tree, l->reason);
        }
        fflush(stdout);
}

static int kill_force(const struct target *tg, bool json)
{
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        const char *node = tg->a ? tg->a->node : tg->t->e.nodes[0];

        if (!node || !node[0] || tg->t->e.nnodes < 1) {
                cli_error("kill", "%s: no node is known for it", tg->t->e.tree);
                return EXIT_FAILED;
        }
        if (live_force_kill(&tg->t->e, node, KILL_FORCE_MS, &err) < 0) {
                cli_error("kill", "%s: %s", tg->t->e.tree, cerr_str(&err, buf, sizeof buf));
                return EXIT_FAILED;
        }
        kill_say(json, tg->t->e.tree,
                 &(struct kill_line){.event = "killed",
                                     .actor = tg->a ? tg->a->name : NULL,
                                     .id = tg->a ? tg->a->id : 0,
                                     .exit = EXIT_OK});
        return EXIT_OK;
}

static int kill_via_admin(const struct target *tg, uint64_t grace_us, int sig, bool json)
{
        struct adm_conn c;
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], buf[ADM_MSG_MAX], req[128];
        const char *tree = tg->t->e.tree;
        struct nlmsghdr *r = mnl_nlmsg_put_header(memset(req, 0, sizeof req));
        const struct nlmsghdr *h = NULL;
        const struct nlattr *tb[ADM_A_MAX + 1];

        r->nlmsg_type = sig ? ADM_MSG_SIGNAL : ADM_MSG_CANCEL;
        r->nlmsg_seq = 1;
        if (tg->a)
                mnl_attr_put_u32(r, CORRAL_A_ACTOR_ID, tg->a->id);
        if (sig)
                mnl_attr_put_u32(r, CORRAL_A_SIGNAL, (uint32_t)sig);
        if (grace_us)
                mnl_attr_put_u64(r, ADM_A_GRACE_US, grace_us);
        if (admin_connect(&c, tg->t->dir, tree, &err) < 0 || admin_send(&c, r, &err) < 0) {
                cli_error("kill", "%s: %s", tree, cerr_str(&err, ebuf, sizeof ebuf));
                admin_disconnect(&c);
                return EXIT_FAILED;
        }
        for (;;) {
                /* the first answer comes at once from a live supervisor; later ones when the
                 * cascade moves (bounded by its own deadlines) */
                int rc = admin_recv(&c, buf, h == NULL ? LIVE_ANSWER_MS * 4 : -1, &h, tb, &err);

                if (rc <= 0) {
                        if (rc == 0)
                                cli_error("kill",
                                          "%s: the supervisor does not answer (stopped?); "
                                          "`corral kill --force` works without it",
                                          tree);
                        else
                                cli_error("kill", "%s: %s", tree,
                                          cerr_str(&err, ebuf, sizeof ebuf));
                        admin_disconnect(&c);
                        return EXIT_FAILED;
                }
                switch (h->nlmsg_type) {
                case ADM_MSG_ERROR:
                        cli_error("kill", "%s: %s", tree,
                                  tb[CORRAL_A_TEXT] ? mnl_attr_get_str(tb[CORRAL_A_TEXT])
                                                    : "refused");
                        admin_disconnect(&c);
                        return EXIT_FAILED;
                case ADM_MSG_STAGE:
                        kill_say(
                            json, tree,
                            &(struct kill_line){
                                .event = "stage",
                                .stage =
                                    tb[CORRAL_A_STAGE] ? mnl_attr_get_str(tb[CORRAL_A_STAGE]) : "?",
                                .actor =
                                    tb[CORRAL_A_NAME] ? mnl_attr_get_str(tb[CORRAL_A_NAME]) : NULL,
                                .text = tb[CORRAL_A_TEXT] ? mnl_attr_get_str(tb[CORRAL_A_TEXT])
                                                          : NULL});
                        break;
                case ADM_MSG_ENDED:
                        kill_say(
                            json, tree,
                            &(struct kill_line){
                                .event = "ended",
                                .actor =
                                    tb[CORRAL_A_NAME] ? mnl_attr_get_str(tb[CORRAL_A_NAME]) : "?",
                                .id = tb[CORRAL_A_ACTOR_ID]
                                          ? mnl_attr_get_u32(tb[CORRAL_A_ACTOR_ID])
                                          : 0,
                                .reason = tb[CORRAL_A_TEXT] ? mnl_attr_get_str(tb[CORRAL_A_TEXT])
                                                            : "ended"});
                        break;
                case ADM_MSG_DONE: {
                        const char *why =
                            tb[CORRAL_A_REASON] ? mnl_attr_get_str(tb[CORRAL_A_REASON]) : "";
                        int status = sig                             ? EXIT_OK
                                     : strcmp(why, "stuck") == 0     ? EXIT_FAILED
                                     : strcmp(why, "escalated") == 0 ? EXIT_ESCALATED
                                                                     : EXIT_OK;

                        admin_disconnect(&c);
                        if (sig)
                                kill_say(json, tree,
                                         &(struct kill_line){.event = "signalled",
                                                             .actor = tg->a ? tg->a->name : NULL,
                                                             .id = tg->a ? tg->a->id : 0,
                                                             .signal = sig,
                                                             .exit = status});
                        else
                                kill_say(json, tree,
                                         &(struct kill_line){.event = "done",
                                                             .reason = why[0] ? why : "ended",
                                                             .exit = status});
                        return status;
                }
                default:
                        break;
                }
                fflush(stdout);
        }
}

int cmd_kill(int argc, char **argv)
{
        static const struct option opts[] = {
            {"grace", required_argument, NULL, 'g'}, {"signal", required_argument, NULL, 's'},
            {"force", no_argument, NULL, 'f'},       {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
        };
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        uint64_t grace = 0;
        bool force = false, json = false;
        int sig = 0, c, n, rc;
        struct live_tree *v;
        struct target tg;

        optind = 0;
        while ((c = cli_getopt(argc, argv, "kill", "h", opts)) != -1) {
                switch (c) {
                case 'g':
                        if (units_parse_duration(optarg, false, &grace, &err) < 0 ||
                            grace < ADM_GRACE_MIN_US) {
                                cli_error("kill", "--grace %s: %s", optarg,
                                          err.msg[0] ? cerr_str(&err, buf, sizeof buf)
                                                     : "at least 1ms");
                                return cli_usage("kill", KILL_SYNOPSIS, EXIT_USAGE);
                        }
                        break;
                case 's':
                        sig = sig_parse(optarg);
                        if (sig <= 0) {
                                cli_error("kill", "--signal %s: not a signal name or number",
                                          optarg);
                                return cli_usage("kill", KILL_SYNOPSIS, EXIT_USAGE);
                        }
                        break;
                case 'f':
                        force = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        kill_usage();
                        return EXIT_OK;
                default:
                        return cli_usage("kill", KILL_SYNOPSIS, EXIT_USAGE);
                }
        }
        if (optind != argc - 1) {
                cli_error("kill",
                          optind < argc ? "one tree or actor at a time" : "which tree or actor?");
                return cli_usage("kill", KILL_SYNOPSIS, EXIT_USAGE);
        }
        if (force && (sig || grace)) {
                cli_error("kill", "--force goes with neither --signal nor --grace");
                return cli_usage("kill", KILL_SYNOPSIS, EXIT_USAGE);
        }
        if (sig && grace) {
                cli_error("kill", "--signal goes without --grace");
                return cli_usage("kill", KILL_SYNOPSIS, EXIT_USAGE);
        }
        if (live_trees(live_registry_dir(), live_with_users(), &v, &n, &err) < 0) {
                cli_error("kill", "%s", cerr_str(&err, buf, sizeof buf));
                return EXIT_FAILED;
        }
        rc = live_resolve("kill", v, n, argv[optind], &tg);
        if (rc <= 0) {
                live_free(v, n);
                return EXIT_USAGE;
        }
        if (sig && !tg.a) {
                /* a tree's signal goes to its top-level actor, corral run's program */
                for (uint32_t k = 0; k < tg.t->nactors && !tg.a; k++)
                        if (tg.t->actors[k].parent == 0)
                                tg.a = &tg.t->actors[k];
        }
        if (force)
                rc = kill_force(&tg, json);
        else if (tg.t->status != LIVE_RUNNING) {
                cli_error("kill",
                          "%s: its supervisor is %s; `corral kill --force %s` ends it "
                          "without it",
                          tg.t->e.tree, live_status_name(tg.t->status), argv[optind]);
                rc = EXIT_FAILED;
        } else {
                rc = kill_via_admin(&tg, grace, sig, json);
        }
        live_free(v, n);
        return rc;
}

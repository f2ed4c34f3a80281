/* corral stat and sockets: what a live tree uses and holds, read from its cgroup files and
 * sock_diag (spawner/live.h); names resolve as for kill (cmd_live.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../spawner/json.h"
#include "cli.h"
#include "cmd_live.h"

static const char *const ctrl_names[3] = {"memory", "pids", "cpu"};

/* The targets a name stands for: the tree (its node) and each of its actors, or one actor. */
static int load(const char *cmd, const char *name, struct live_tree **v, int *n, struct target *tg)
{
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];

        if (live_trees(live_registry_dir(), live_with_users(), v, n, &err) < 0) {
                cli_error(cmd, "%s", cerr_str(&err, buf, sizeof buf));
                return EXIT_FAILED;
        }
        if (live_resolve(cmd, *v, *n, name, tg) <= 0) {
                live_free(*v, *n);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}

/* ---- stat ---- */

#define STAT_SYNOPSIS "TREE|ACTOR [--json]"

/* `CMD [--json] TREE|ACTOR` of stat and sockets: the options, then the one name loaded.
 * True with *v, *n, *tg set; false with *code the exit status to end with (--help: 0). */
static bool one_target(int argc, char **argv, const char *cmd, const char *synopsis,
                       void (*usage)(void), bool *json, struct live_tree **v, int *n,
                       struct target *tg, int *code)
{
        static const struct option opts[] = {
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        int c;

        *json = false;
        optind = 0;
        while ((c = cli_getopt(argc, argv, cmd, "h", opts)) != -1) {
                switch (c) {
                case 'j':
                        *json = true;
                        break;
                case 'h':
                        usage();
                        *code = EXIT_OK;
                        return false;
                default:
                        *code = cli_usage(cmd, synopsis, EXIT_USAGE);
                        return false;
                }
        }
        if (optind != argc - 1) {
                cli_error(cmd,
                          optind < argc ? "one tree or actor at a time" : "which tree or actor?");
                *code = cli_usage(cmd, synopsis, EXIT_USAGE);
                return false;
        }
        *code = load(cmd, argv[optind], v, n, tg);
        return *code == EXIT_OK;
}

static void stat_usage(void)
{
        printf("usage: corral stat " STAT_SYNOPSIS "\n\n"
               "Resource use, counters and limits of an actor, or of a tree and each of its\n"
               "actors, read from their cgroup files: memory (current, peak, limit, oom and\n"
               "oom_kill events, times the limit was hit), pids (current, limit, times the\n"
               "limit refused a fork), cpu (usage, periods, throttled periods and time, quota\n"
               "and period). Each value says which cgroup version and file it came from: on a\n"
               "hybrid host a controller bound to a v1 hierarchy is read there, and an actor\n"
               "has a v1 group only when its profile limits that controller.\n\n"
               "  --json  one JSON object: README.md, \"corral stat --json\"\n\n"
               "names: TREE, TREE/ACTOR/CHILD (its path), TREE:ID, or an actor name or id\n"
               "that only one tree has\n\n"
               "exit status: 0 shown, 1 failed, 2 usage error or unknown name\n");
}

static void stat_human(const char *title, const struct live_stat *st)
{
        printf("%s\n", title);
        for (int c = 0; c < 3; c++) {
                int ver = 0;

                for (int k = 0; k < LS_NKEYS; k++)
                        if (live_stat_ctrl((enum live_stat_key)k) == c && st->v[k].version &&
                            k != LS_CPU_USAGE_US)
                                ver = st->v[k].version;
                if (st->dir[c][0])
                        printf("  %-6s v%d %s\n", ctrl_names[c], ver ? ver : 2, st->dir[c]);
                else
                        printf("  %-6s -  %s\n", ctrl_names[c], st->why[c]);
        }
        for (int k = 0; k < LS_NKEYS; k++) {
                const struct live_stat_value *x = &st->v[k];
                char val[24];

                if (!x->version)
                        continue;
                if (x->unlimited)
                        snprintf(val, sizeof val, "max");
                else
                        snprintf(val, sizeof val, "%llu", (unsigned long long)x->value);
                printf("  %-24s %20s  v%d %s\n", live_stat_name((enum live_stat_key)k), val,
                       x->version, x->file);
        }
}

static void stat_json(struct json *j, const struct live_tree *t, const struct live_actor *a,
                      const struct live_stat *st)
{
        json_begin_object(j, NULL);
        json_string(j, "kind", a ? "actor" : "tree");
        json_string(j, "tree", t->e.tree);
        if (a) {
                json_string(j, "actor", a->name);
                json_int(j, "id", a->id);
                json_int(j, "parent", a->parent);
                json_string(j, "state", a->state);
        } else {
                json_null(j, "actor");
                json_int(j, "id", 0);
                json_null(j, "parent");
                json_string(j, "state", live_status_name(t->status));
        }
        json_string(j, "node", a ? a->node : t->e.nodes[0]);
        json_begin_object(j, "groups");
        for (int c = 0; c < 3; c++) {
                int ver = 0;

                for (int k = 0; k < LS_NKEYS; k++)
                        if (live_stat_ctrl((enum live_stat_key)k) == c && st->v[k].version &&
                            k != LS_CPU_USAGE_US)
                                ver = st->v[k].version;
                json_begin_object(j, ctrl_names[c]);
                if (st->dir[c][0]) {
                        json_int(j, "version", ver ? ver : 2);
                        json_string(j, "dir", st->dir[c]);
                        json_null(j, "why");
                } else {
                        json_null(j, "version");
                        json_null(j, "dir");
                        json_string(j, "why", st->why[c]);
                }
                json_end_object(j);
        }
        json_end_object(j);
        json_begin_object(j, "values");
        for (int k = 0; k < LS_NKEYS; k++) {
                const struct live_stat_value *x = &st->v[k];

                json_begin_object(j, live_stat_name((enum live_stat_key)k));
                if (x->version && !x->unlimited)
                        json_int(j, "value", (long long)x->value);
                else
                        json_null(j, "value");
                json_bool(j, "max", x->unlimited);
                if (x->version) {
                        json_int(j, "version", x->version);
                        json_string(j, "file", x->file);
                } else {
                        json_null(j, "version");
                        json_null(j, "file");
                }
                json_end_object(j);
        }
        json_end_object(j);
        json_end_object(j);
}

/* One target: 0, or -1 (said on stderr) when its node cannot be read. */
static int stat_one(const struct live_tree *t, const struct live_actor *a, struct json *j,
                    bool first)
{
        struct live_stat st;
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64], title[256];
        const char *node = a ? a->node : t->e.nodes[0];

        if (!node[0] || live_stat_read(&t->e, node, &st, &err) < 0) {
                cli_error("stat", "%s%s%s: %s", t->e.tree, a ? "/" : "", a ? a->name : "",
                          node[0] ? cerr_str(&err, buf, sizeof buf) : "it has no node now");
                return -1;
        }
        if (j) {
                stat_json(j, t, a, &st);
                return 0;
        }
        if (a)
                snprintf(title, sizeof title, "%s%s:%u %s (actor, parent %u, %s)",
                         first ? "" : "\n", t->e.tree, a->id, a->name, a->parent, a->state);
        else
                snprintf(title, sizeof title, "%s%s (tree, %s, supervisor pid %d)",
                         first ? "" : "\n", t->e.tree, live_status_name(t->status),
                         (int)t->e.supervisor_pid);
        stat_human(title, &st);
        return 0;
}

int cmd_stat(int argc, char **argv)
{
        struct live_tree *v;
        struct target tg;
        struct json j;
        bool json;
        int n, c, rc = 0;

        if (!one_target(argc, argv, "stat", STAT_SYNOPSIS, stat_usage, &json, &v, &n, &tg, &c))
                return c;
        if (json) {
                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_string(&j, "tree", tg.t->e.tree);
                json_begin_array(&j, "stats");
        }
        if (tg.a) {
                rc |= stat_one(tg.t, tg.a, json ? &j : NULL, true);
        } else {
                rc |= stat_one(tg.t, NULL, json ? &j : NULL, true);
                for (uint32_t k = 0; k < tg.t->nactors; k++)
                        rc |= stat_one(tg.t, &tg.t->actors[k], json ? &j : NULL, false);
        }
        if (json) {
                json_end_array(&j);
                json_end_object(&j);
                putchar('\n');
        }
        live_free(v, n);
        return rc ? EXIT_FAILED : EXIT_OK;
}

/* ---- sockets ---- */

#define SOCKETS_SYNOPSIS "TREE|ACTOR [--json]"

static void sockets_usage(void)
{
        printf("usage: corral sockets " SOCKETS_SYNOPSIS "\n\n"
               "Every TCP, UDP and Unix socket held by a process of the tree or the actor's\n"
               "subtree, listening, connected or neither, with its state, addresses (a Unix\n"
               "socket: its bound path, '@' for the abstract space, and its peer's inode) and\n"
               "the actor whose process holds it. The processes come from the cgroup.procs of\n"
               "the subtree's nodes; their socket fds (/proc/PID/fd) are joined by inode with\n"
               "NETLINK_SOCK_DIAG dumps made inside each network namespace they use. Other\n"
               "kinds (netlink, raw, packet) are counted, not listed.\n\n"
               "columns: actor (NAME-ID), pid, proto (tcp, tcp6, udp, udp6, u_str, u_dgr,\n"
               "u_seq), state, local address or path, remote address or peer\n\n"
               "  --json  one JSON object: README.md, \"corral sockets --json\"\n\n"
               "exit status: 0 listed (none is not an error), 1 failed, 2 usage error or\n"
               "unknown name\n");
}

/* The actor whose node holds dir: the deepest actor node at or above it. */
static const struct live_actor *owner(const struct live_tree *t, const char *dir)
{
        const struct live_actor *best = NULL;
        size_t bl = 0;

        for (uint32_t k = 0; k < t->nactors; k++) {
                const char *nd = t->actors[k].node;
                size_t l = strlen(nd);

                if (l && l > bl && strncmp(dir, nd, l) == 0 && (dir[l] == '\0' || dir[l] == '/')) {
                        best = &t->actors[k];
                        bl = l;
                }
        }
        return best;
}

int cmd_sockets(int argc, char **argv)
{
        struct live_tree *v;
        struct live_socket *s;
        struct target tg;
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        struct json j;
        bool json;
        size_t ns, other = 0;
        unsigned missing;
        int n, c, wide = 5;

        if (!one_target(argc, argv, "sockets", SOCKETS_SYNOPSIS, sockets_usage, &json, &v, &n, &tg,
                        &c))
                return c;
        if (live_sockets(tg.a ? tg.a->node : tg.t->e.nodes[0], &s, &ns, &missing, &err) < 0) {
                cli_error("sockets", "%s: %s", argv[optind], cerr_str(&err, buf, sizeof buf));
                live_free(v, n);
                return EXIT_FAILED;
        }
        /* the actor column as wide as its longest name: never cut */
        for (size_t i = 0; i < ns; i++) {
                const struct live_actor *a = owner(tg.t, s[i].node);
                char who[96];

                snprintf(who, sizeof who, "%s-%u", a ? a->name : "(tree)", a ? a->id : 0);
                if (s[i].known && (int)strlen(who) > wide)
                        wide = (int)strlen(who);
        }
        if (json) {
                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_string(&j, "tree", tg.t->e.tree);
                json_begin_array(&j, "unlisted");
                for (int p = SD_TCP; p <= SD_UNIX; p++)
                        if (missing & (1u << p))
                                json_string(&j, NULL, sockdiag_module((enum sockdiag_proto)p));
                json_end_array(&j);
                json_begin_array(&j, "sockets");
        } else {
                printf("%-*s %7s %-5s %-7s %-21s %s\n", wide, "ACTOR", "PID", "PROTO", "STATE",
                       "LOCAL", "REMOTE");
        }
        for (size_t i = 0; i < ns; i++) {
                const struct live_actor *a = owner(tg.t, s[i].node);
                const struct sockdiag_sock *d = &s[i].s;
                char who[96], local[128], remote[64];

                snprintf(who, sizeof who, "%s-%u", a ? a->name : "(tree)", a ? a->id : 0);
                if (d->proto == SD_UNIX) {
                        snprintf(local, sizeof local, "%s", d->path[0] ? d->path : "*");
                        if (d->peer_ino)
                                snprintf(remote, sizeof remote, "peer %u", d->peer_ino);
                        else
                                snprintf(remote, sizeof remote, "*");
                } else {
                        snprintf(local, sizeof local, "%s", d->local);
                        snprintf(remote, sizeof remote, "%s", d->remote);
                }
                if (json) {
                        json_begin_object(&j, NULL);
                        json_string(&j, "actor", a ? a->name : "");
                        json_int(&j, "id", a ? a->id : 0);
                        json_int(&j, "pid", s[i].pid);
                        json_int(&j, "inode", d->ino);
                        json_int(&j, "netns", (long long)s[i].netns);
                        json_string(&j, "proto", s[i].known ? sockdiag_proto_name(d) : "other");
                        if (s[i].known) {
                                json_string(&j, "state", sockdiag_state_name(d->state));
                                json_string(&j, "local", d->proto == SD_UNIX ? "" : d->local);
                                json_string(&j, "remote", d->proto == SD_UNIX ? "" : d->remote);
                                json_string(&j, "path", d->proto == SD_UNIX ? d->path : "");
                                json_int(&j, "peer_inode", d->peer_ino);
                        }
                        json_end_object(&j);
                } else if (s[i].known) {
                        printf("%-*s %7d %-5s %-7s %-21s %s\n", wide, who, (int)s[i].pid,
                               sockdiag_proto_name(d), sockdiag_state_name(d->state), local,
                               remote);
                }
                other += !s[i].known;
        }
        if (json) {
                json_end_array(&j);
                json_end_object(&j); /* (and its newline) */
        } else {
                if (other)
                        printf("(and %zu socket%s of other kinds: netlink, raw, packet)\n", other,
                               other == 1 ? "" : "s");
                for (int p = SD_TCP; p <= SD_UNIX; p++)
                        if (missing & (1u << p))
                                printf("(the kernel cannot list %s sockets here: %s is not "
                                       "loaded (modprobe %s); they count as other kinds)\n",
                                       p == SD_TCP   ? "TCP"
                                       : p == SD_UDP ? "UDP"
                                                     : "Unix",
                                       sockdiag_module((enum sockdiag_proto)p),
                                       sockdiag_module((enum sockdiag_proto)p));
        }
        free(s);
        live_free(v, n);
        return EXIT_OK;
}

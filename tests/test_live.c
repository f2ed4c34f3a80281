/* Privileged tests of `corral stat` and `corral sockets` (issue 21): with a small tree running,
 * stat shows every actor with values that match the cgroup files read directly and its own
 * --json; sockets names a grandchild's TCP and Unix listeners with their actor, and after
 * `corral kill` nothing of it is left and the port binds again. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static char name[64];
static char actor[PATH_MAX];

static int corral(struct th_proc *p, const char *const *args)
{
        th_corral_start(p, args, -1, NULL, NULL);
        return th_corral_wait(p, 30000);
}

/* The JSON object (text between its braces) that holds needle, copied into out. */
static bool object_with(const char *json, const char *needle, char *out, size_t len)
{
        const char *at = strstr(json, needle), *open, *close;
        int depth = 0;

        if (!at)
                return false;
        /* the innermost enclosing object that starts with "kind" (stat) or "actor" (sockets) */
        for (open = at; open > json; open--)
                if (*open == '{' &&
                    (strncmp(open, "{\"kind\"", 7) == 0 || strncmp(open, "{\"actor\"", 8) == 0))
                        break;
        for (close = open; *close; close++) {
                depth += *close == '{';
                depth -= *close == '}';
                if (depth == 0)
                        break;
        }
        snprintf(out, len, "%.*s", (int)(close - open + 1), open);
        return true;
}

/* "key":{"value":N,... in obj: N (-1 when null or absent); *ver its version. */
static long long value_of(const char *obj, const char *key, int *ver)
{
        char k[96];
        const char *p;

        snprintf(k, sizeof k, "\"%s\":{\"value\":", key);
        p = strstr(obj, k);
        if (!p)
                return -1;
        p += strlen(k);
        if (ver) {
                const char *v = strstr(p, "\"version\":");

                *ver = v ? atoi(v + 10) : 0;
        }
        return strncmp(p, "null", 4) == 0 ? -1 : atoll(p);
}

static const char *str_of(const char *obj, const char *key, char *out, size_t len)
{
        char k[64];
        const char *p;

        snprintf(k, sizeof k, "\"%s\":\"", key);
        p = strstr(obj, k);
        out[0] = '\0';
        if (p)
                snprintf(out, len, "%.*s", (int)strcspn(p + strlen(k), "\""), p + strlen(k));
        return out;
}

/* The number on the "  KEY   N  vX file" line after the human block titled title. */
static long long human_value(const char *out, const char *title, const char *key)
{
        const char *b = strstr(out, title), *end, *p;
        char k[64];

        if (!b)
                return -2;
        end = strstr(b + 1, "\n\n");
        snprintf(k, sizeof k, "\n  %s ", key);
        p = strstr(b, k);
        if (!p || (end && p > end))
                return -2;
        return atoll(p + strlen(k));
}

static long long file_num(const char *dir, const char *file, const char *key)
{
        char path[PATH_MAX + 64], buf[1024];
        FILE *f;
        const char *p = buf;
        size_t n;

        snprintf(path, sizeof path, "%s/%s", dir, file);
        f = fopen(path, "re");
        ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        if (key) {
                p = strstr(buf, key);
                ck_assert_msg(p != NULL, "%s has no %s:\n%s", path, key, buf);
                p += strlen(key);
        }
        return atoll(p);
}

/* The directory of controller c for a v2 node of the tree (the same path below the tree's v1
 * node on a hybrid host). */
static void ctrl_dir(enum cg_ctrl c, const char *node, char *out, size_t len)
{
        char v2[PATH_MAX], v1[PATH_MAX];

        th_tree_node(th_host.v2.own_dir, name, v2, sizeof v2);
        ck_assert_msg(strncmp(node, v2, strlen(v2)) == 0, "%s is not below %s", node, v2);
        if (th_host.ctrl[c].src != CG_SRC_V1) {
                snprintf(out, len, "%s", node);
                return;
        }
        th_tree_node(th_host.ctrl[c].v1.own_dir, name, v1, sizeof v1);
        snprintf(out, len, "%s%s", v1, node + strlen(v2));
}

START_TEST(stat_shows_every_actor_matching_the_files)
{
        const char *lim[] = {"--set", "TasksMax=64", "--set", "MemoryMax=256M", NULL};
        const char *prog[] = {"parent", "2", "ready", "-", actor, "wait", "60", NULL};
        int want_ver = th_host.ctrl[CG_PIDS].src == CG_SRC_V1 ? 1 : 2;
        struct th_proc run, p, h;

        snprintf(actor, sizeof actor, "%s", th_actor());
        th_run_actor(&run, name, "stat", lim, prog, NULL, NULL);
        ck_assert_msg(th_wait_for(&run, true, "ready 2", 10000) &&
                          th_wait_for(&run, true, "ready 3", 10000),
                      "out:\n%s", run.outbuf);
        const char *hs[] = {"stat", name, NULL};
        ck_assert_int_eq(corral(&h, hs), 0);
        const char *js[] = {"stat", name, "--json", NULL};
        ck_assert_int_eq(corral(&p, js), 0);
        ck_assert_msg(strstr(h.outbuf, "(tree, running"), "stat:\n%s", h.outbuf);
        for (unsigned id = 1; id <= 3; id++) {
                char needle[160], obj[8192], node[PATH_MAX], dir[PATH_MAX], title[128];
                long long pids, mem, cpu, direct, before, after;
                int ver = 0;

                snprintf(needle, sizeof needle, "\"tree\":\"%s\",\"actor\":\"%s\",\"id\":%u,", name,
                         id == 1   ? name
                         : id == 2 ? "c0"
                                   : "c1",
                         id);
                ck_assert_msg(object_with(p.outbuf, needle, obj, sizeof obj), "no %s in:\n%s",
                              needle, p.outbuf);
                str_of(obj, "node", node, sizeof node);
                /* pids: exactly the file (the tree is idle: nothing forks meanwhile) */
                pids = value_of(obj, "pids.current", &ver);
                ck_assert_int_eq(ver, want_ver);
                ctrl_dir(CG_PIDS, node, dir, sizeof dir);
                direct = file_num(dir, "pids.current", NULL);
                ck_assert_msg(pids == direct && pids >= 2, "actor %u: stat %lld, %s %lld", id, pids,
                              dir, direct);
                ck_assert_int_eq(value_of(obj, "pids.max", NULL), file_num(dir, "pids.max", NULL));
                /* the human view says the same */
                snprintf(title, sizeof title, "%s:%u %s (actor", name, id,
                         id == 1   ? name
                         : id == 2 ? "c0"
                                   : "c1");
                ck_assert_msg(human_value(h.outbuf, title, "pids.current") == pids,
                              "human %lld json %lld:\n%s",
                              human_value(h.outbuf, title, "pids.current"), pids, h.outbuf);
                /* memory within 1 MiB of the file now (pages come and go), in the view too */
                mem = value_of(obj, "memory.current", &ver);
                ctrl_dir(CG_MEMORY, node, dir, sizeof dir);
                direct = file_num(dir, ver == 1 ? "memory.usage_in_bytes" : "memory.current", NULL);
                ck_assert_msg(mem > 0 && llabs(mem - direct) <= 1 << 20, "memory %lld vs %lld", mem,
                              direct);
                /* the human view was read earlier: the actor's page cache may have moved
                 * since (a CI run moved it by more than 1 MiB once), so a wider bound there */
                ck_assert_msg(llabs(human_value(h.outbuf, title, "memory.current") - mem) <=
                                  8 << 20,
                              "human %lld json %lld:\n%s",
                              human_value(h.outbuf, title, "memory.current"), mem, h.outbuf);
                ck_assert_int_eq(value_of(obj, "memory.max", NULL), 256LL << 20);
                /* cpu: monotonic, so between a read before (the earlier human run) and now */
                cpu = value_of(obj, "cpu.usage_us", &ver);
                ck_assert_int_eq(ver, 2);
                before = human_value(h.outbuf, title, "cpu.usage_us");
                after = file_num(node, "cpu.stat", "usage_usec ");
                ck_assert_msg(cpu > 0 && before <= cpu + 10000 && cpu <= after,
                              "cpu: human %lld json %lld file %lld", before, cpu, after);
        }
        /* must fail: an unknown name, exit 2 (the positive control is the stat above) */
        const char *bad[] = {"stat", "no-such-tree-xyz", NULL};
        ck_assert_int_eq(corral(&p, bad), 2);
        const char *k[] = {"kill", name, NULL};
        ck_assert_int_eq(corral(&p, k), 0);
        ck_assert_int_eq(th_corral_wait(&run, 30000), 0);
        th_assert_tree_gone(name);
}
END_TEST

static int try_bind(int port)
{
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

        ck_assert_int_ge(fd, 0);
        rc = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
        close(fd);
        return rc;
}

START_TEST(sockets_name_a_grandchilds_listeners)
{
        const char *path = "/tmp/corral-sockets-test.sock";
        const char *prog[] = {"parent", "1", "ready", "-",           actor, "parent", "1",
                              "ready",  "-", actor,   "listen-both", path,  "60",     NULL};
        struct th_proc run, p;
        char want[128], obj[2048];
        const char *line;
        int port;

        snprintf(actor, sizeof actor, "%s", th_actor());
        th_run_actor(&run, name, "sockets", NULL, prog, NULL, NULL);
        ck_assert_msg(th_wait_for(&run, true, "listening ", 10000), "out:\n%s", run.outbuf);
        line = strstr(run.outbuf, "listening ");
        port = atoi(line + 10);
        ck_assert_int_gt(port, 0);
        /* held: binding it fails now */
        ck_assert_int_eq(try_bind(port), EADDRINUSE);
        const char *s[] = {"sockets", name, NULL};
        ck_assert_int_eq(corral(&p, s), 0);
        snprintf(want, sizeof want, "127.0.0.1:%d ", port);
        line = strstr(p.outbuf, want);
        ck_assert_msg(line && th_line_starting(p.outbuf, "c0-3 "), "sockets:\n%s", p.outbuf);
        while (line > p.outbuf && line[-1] != '\n')
                line--;
        ck_assert_msg(strncmp(line, "c0-3 ", 5) == 0 && strstr(line, " tcp   LISTEN "),
                      "sockets:\n%s", p.outbuf);
        line = strstr(p.outbuf, path);
        ck_assert_msg(line, "sockets:\n%s", p.outbuf);
        while (line > p.outbuf && line[-1] != '\n')
                line--;
        ck_assert_msg(strncmp(line, "c0-3 ", 5) == 0 && strstr(line, " u_str LISTEN "),
                      "sockets:\n%s", p.outbuf);
        /* the JSON says the same; the subtree by its path holds them too */
        const char *js[] = {"sockets", name, "--json", NULL};
        ck_assert_int_eq(corral(&p, js), 0);
        /* every kind listed (the kernel's diag modules there: a guest loads them itself) */
        ck_assert_msg(strstr(p.outbuf, "\"unlisted\":[],"), "json:\n%s", p.outbuf);
        snprintf(want, sizeof want, "\"local\":\"127.0.0.1:%d\"", port);
        ck_assert_msg(object_with(p.outbuf, want, obj, sizeof obj), "json:\n%s", p.outbuf);
        ck_assert_msg(strstr(obj, "\"actor\":\"c0\",\"id\":3,") &&
                          strstr(obj, "\"proto\":\"tcp\",\"state\":\"LISTEN\""),
                      "json: %s", obj);
        snprintf(want, sizeof want, "\"path\":\"%s\"", path);
        ck_assert_msg(object_with(p.outbuf, want, obj, sizeof obj) &&
                          strstr(obj, "\"actor\":\"c0\",\"id\":3,") &&
                          strstr(obj, "\"proto\":\"u_str\",\"state\":\"LISTEN\""),
                      "json:\n%s", p.outbuf);
        char sub[160];

        snprintf(sub, sizeof sub, "%s/%s/c0/c0", name, name);
        const char *ss[] = {"sockets", sub, NULL};
        ck_assert_int_eq(corral(&p, ss), 0);
        snprintf(want, sizeof want, "127.0.0.1:%d ", port);
        ck_assert_msg(strstr(p.outbuf, want) && !strstr(p.outbuf, "c0-2 "), "sockets:\n%s",
                      p.outbuf);
        /* after kill: no tree to list (exit 2, nothing printed) and the port binds */
        const char *k[] = {"kill", name, "--grace", "2s", NULL};
        int rc = corral(&p, k);

        ck_assert_msg(rc == 0 || rc == 3, "kill %d:\n%s", rc, p.outbuf);
        th_corral_wait(&run, 30000);
        ck_assert_int_eq(corral(&p, s), 2);
        ck_assert_msg(!strstr(p.outbuf, "LISTEN"), "sockets:\n%s", p.outbuf);
        ck_assert_int_eq(try_bind(port), 0);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *live_suite(void)
{
        Suite *s = suite_create("corral-live-privileged");
        TCase *tc = tcase_create("live");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, stat_shows_every_actor_matching_the_files);
        tcase_add_test(tc, sockets_name_a_grandchilds_listeners);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {live_suite};

        return th_run("test_live", TH_PRIVILEGED, suites, 1);
}

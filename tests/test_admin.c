/* Privileged tests of the commands for live trees (issue 21): the admin socket, `corral ps`,
 * `tree`, `kill` (graceful, escalated, --force with the supervisor stopped), and names. Each
 * tree runs under `corral run` from the build; the commands run as another process would. */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../spawner/admin.h"
#include "../spawner/registry.h"
#include "harness.h"

static char name[64];
static char actor[PATH_MAX];

/* `corral ARGS...`: its exit status, stdout in p->outbuf. */
static int corral(struct th_proc *p, const char *const *args)
{
        th_corral_start(p, args, -1, NULL, NULL);
        return th_corral_wait(p, 30000);
}

/* A cooperative tree: a parent and two children that wait for CANCEL. */
static void start_coop(struct th_proc *run, const char *what)
{
        const char *prog[] = {"parent", "2", "ready", "-", actor, "wait", "60", NULL};

        snprintf(actor, sizeof actor, "%s", th_actor());
        th_run_actor(run, name, what, NULL, prog, NULL, NULL);
        ck_assert_msg(th_wait_for(run, true, "ready 2", 10000) &&
                          th_wait_for(run, true, "ready 3", 10000),
                      "out:\n%s", run->outbuf);
}

static void start_stubborn(struct th_proc *run, const char *what)
{
        const char *prog[] = {"stubborn", "60", NULL};

        th_run_actor(run, name, what, NULL, prog, NULL, NULL);
        ck_assert(th_wait_for(run, true, "stubborn", 10000));
}

static int count(const char *hay, const char *needle)
{
        int n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");
        bool ok;

        ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
        ok = fputs(text, f) >= 0;
        ck_assert(fclose(f) == 0 && ok);
}

/* tests/json_view.py MODE over text (a scratch file as its stdin; human: a second file for
 * `ps`): what Python's JSON parser made of it, in out. */
static const char *json_view(const char *mode, const char *text, const char *human,
                             const char *tree, char *out, size_t len)
{
        char in[PATH_MAX], hum[PATH_MAX], py[PATH_MAX], cmd[4 * PATH_MAX];
        FILE *f;
        size_t n;

        th_scratch("json-in", in, sizeof in);
        th_scratch("json-human", hum, sizeof hum);
        write_file(in, text);
        if (human)
                write_file(hum, human);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s %s < %s 2>&1",
                 th_repo("tests/json_view.py", py, sizeof py), mode, human ? hum : "",
                 tree ? tree : "", in);
        f = popen(cmd, "r");
        ck_assert(f != NULL);
        n = fread(out, 1, len - 1, f);
        out[n] = '\0';
        ck_assert_msg(pclose(f) == 0, "%s:\n%s\ninput:\n%s", cmd, out, text);
        unlink(in);
        unlink(hum);
        return out;
}

START_TEST(ps_tree_and_json_show_every_actor)
{
        struct th_proc run, p;
        char want[128];

        start_coop(&run, "ps");
        const char *ps[] = {"ps", NULL};
        ck_assert_int_eq(corral(&p, ps), 0);
        ck_assert_msg(count(p.outbuf, name) >= 3, "ps:\n%s", p.outbuf);
        ck_assert_msg(strstr(p.outbuf, " c0 ") && strstr(p.outbuf, " c1 "), "ps:\n%s", p.outbuf);
        const char *tree[] = {"tree", name, NULL};
        ck_assert_int_eq(corral(&p, tree), 0);
        ck_assert_msg(strstr(p.outbuf, "`-c0") && strstr(p.outbuf, "`-c1") &&
                          strstr(p.outbuf, "(running, supervisor pid"),
                      "tree:\n%s", p.outbuf);
        const char *js[] = {"tree", name, "--json", NULL};
        ck_assert_int_eq(corral(&p, js), 0);
        snprintf(want, sizeof want, "\"tree\":\"%s\"", name);
        ck_assert_msg(strstr(p.outbuf, want) && strstr(p.outbuf, "\"status\":\"running\""),
                      "json:\n%s", p.outbuf);
        ck_assert_msg(count(p.outbuf, "\"state\":\"running\"") == 3, "json:\n%s", p.outbuf);
        ck_assert_msg(count(p.outbuf, "\"parent\":1") == 2, "json:\n%s", p.outbuf);
        /* ps --json, parsed, says what the human table says: every actor with its id,
         * parent, profile, state and pid (a steady tree: both read a moment apart) */
        {
                struct th_proc h;
                char view[4096];
                const char *psj[] = {"ps", "--json", NULL};

                ck_assert_int_eq(corral(&h, ps), 0);
                ck_assert_int_eq(corral(&p, psj), 0);
                json_view("ps", p.outbuf, h.outbuf, name, view, sizeof view);
                ck_assert_msg(strcmp(view, "match 3\n") == 0, "%s\nhuman:\n%s\njson:\n%s", view,
                              h.outbuf, p.outbuf);
        }
        /* cleanly ended through the same socket */
        const char *k[] = {"kill", name, NULL};
        ck_assert_int_eq(corral(&p, k), 0);
        ck_assert_int_eq(th_corral_wait(&run, 30000), 0);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(kill_cooperative_subtree_is_graceful)
{
        struct th_proc run, p;
        char c0[96];

        start_coop(&run, "kill-coop");
        /* a subtree first, by its path: only c0 ends */
        snprintf(c0, sizeof c0, "%s/%s/c0", name, name);
        const char *k0[] = {"kill", c0, NULL};
        ck_assert_int_eq(corral(&p, k0), 0);
        ck_assert_msg(strstr(p.outbuf, "c0-2 cancelled") && !strstr(p.outbuf, "c1-3"), "kill:\n%s",
                      p.outbuf);
        /* then the tree */
        const char *k[] = {"kill", name, "--grace", "5s", NULL};
        ck_assert_int_eq(corral(&p, k), 0);
        ck_assert_msg(strstr(p.outbuf, "stage cancel") && strstr(p.outbuf, "c1-3 cancelled") &&
                          strstr(p.outbuf, "-1 cancelled") && strstr(p.outbuf, "done (graceful)") &&
                          !strstr(p.outbuf, "interrupt"),
                      "kill:\n%s", p.outbuf);
        ck_assert_int_eq(th_corral_wait(&run, 30000), 0);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(kill_sigint_ignoring_tree_escalates_exit_3)
{
        struct th_proc run, p;

        start_stubborn(&run, "kill-esc");
        const char *k[] = {"kill", name, "--grace", "300ms", NULL};
        ck_assert_int_eq(corral(&p, k), 3);
        ck_assert_msg(strstr(p.outbuf, "stage interrupt") && strstr(p.outbuf, "done (escalated)"),
                      "kill:\n%s", p.outbuf);
        th_corral_wait(&run, 30000);
        th_assert_tree_gone(name);
        /* the same as JSON lines, parsed: the stages in order, the end, exit 3 last */
        {
                char view[4096];
                const char *kj[] = {"kill", name, "--grace", "300ms", "--json", NULL};

                start_stubborn(&run, "kill-esc-json");
                ck_assert_int_eq(corral(&p, kj), 3);
                json_view("lines", p.outbuf, NULL, NULL, view, sizeof view);
                ck_assert_msg(strncmp(view, "stage cancel\nstage interrupt\n", 29) == 0 &&
                                  th_has_line(view, "done escalated exit=3") &&
                                  strstr(view, "ended ") &&
                                  strstr(view, "ended ") < strstr(view, "done "),
                              "parsed:\n%s\nkill --json:\n%s", view, p.outbuf);
                th_corral_wait(&run, 30000);
                th_assert_tree_gone(name);
        }
}
END_TEST

START_TEST(kill_force_with_supervisor_stopped)
{
        struct th_proc run, p;
        char node[PATH_MAX], line[128];

        start_stubborn(&run, "kill-force");
        th_tree_node(th_host.v2.own_dir, name, node, sizeof node);
        ck_assert(node[0]);
        ck_assert_int_eq(kill(run.pid, SIGSTOP), 0);
        /* positive control: it is seen as unresponsive, and the graceful kill says so */
        const char *ps[] = {"tree", name, NULL};
        ck_assert_int_eq(corral(&p, ps), 0);
        ck_assert_msg(strstr(p.outbuf, "(unresponsive"), "tree:\n%s", p.outbuf);
        const char *k[] = {"kill", name, NULL};
        ck_assert_int_eq(corral(&p, k), 1);
        const char *f[] = {"kill", "--force", name, NULL};
        ck_assert_int_eq(corral(&p, f), 0);
        ck_assert_msg(access(node, F_OK) < 0 && errno == ENOENT, "%s is still there", node);
        ck_assert_int_eq(kill(run.pid, SIGCONT), 0);
        ck_assert_int_eq(th_corral_wait(&run, 30000), 125);
        snprintf(line, sizeof line, "corral: tree %s was killed from outside", name);
        ck_assert_msg(count(run.errbuf, line) == 1, "stderr:\n%s", run.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(unknown_and_malformed_names_exit_2)
{
        struct th_proc p;
        const char *u[] = {"kill", "no-such-tree-anywhere", NULL};
        const char *t[] = {"tree", "no-such-tree-anywhere", NULL};
        const char *e[] = {"kill", "", NULL};
        const char *none[] = {"kill", NULL};

        ck_assert_int_eq(corral(&p, u), 2);
        ck_assert_msg(strstr(p.errbuf, "corral: kill: no live tree or actor named"), "%s",
                      p.errbuf);
        ck_assert_int_eq(corral(&p, t), 2);
        ck_assert_int_eq(corral(&p, e), 2);
        ck_assert_int_eq(corral(&p, none), 2);
        ck_assert_msg(strstr(p.errbuf, "usage: corral kill"), "%s", p.errbuf);
}
END_TEST

/* Connect to the tree's admin socket and send one datagram; the first answer's type (and
 * errno for an ERROR), or -errno when connect failed. */
static int ask_raw(const void *msg, size_t len, int *errnum)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char buf[ADM_MSG_MAX];
        const struct nlattr *tb[ADM_A_MAX + 1];
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = 5};
        ssize_t n;

        admin_socket_path(sa.sun_path, sizeof sa.sun_path, REGISTRY_DIR, name);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int e = errno;

                close(fd);
                return -e;
        }
        send(fd, msg, len, MSG_NOSIGNAL);
        n = recv(fd, buf, sizeof buf, 0);
        close(fd);
        if (n <= 0 || admin_decode_answer((struct nlmsghdr *)buf, (size_t)n, tb) < 0)
                return 0;
        *errnum = tb[CORRAL_A_ERRNO] ? (int)mnl_attr_get_u32(tb[CORRAL_A_ERRNO]) : 0;
        return ((struct nlmsghdr *)buf)->nlmsg_type;
}

/* The same from a child: as uid 65534, or inside a tagged cgroup of corral's. Its result as the
 * exit status: 1 refused (connect failed, or ERROR EPERM), 0 answered, 2 otherwise. */
static int ask_from_child(uid_t uid, const char *cgroup)
{
        char req[64];
        struct nlmsghdr *h = mnl_nlmsg_put_header(memset(req, 0, sizeof req));
        pid_t pid;
        int st;

        h->nlmsg_type = ADM_MSG_LIST;
        h->nlmsg_seq = 1;
        pid = fork();
        if (pid == 0) {
                int e = 0, t;

                if (cgroup) {
                        char procs[PATH_MAX + 16];
                        int fd;

                        snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup);
                        fd = open(procs, O_WRONLY);
                        if (fd < 0 || write(fd, "0", 1) != 1)
                                _exit(3);
                        close(fd);
                }
                if (uid && setuid(uid) < 0)
                        _exit(3);
                t = ask_raw(h, h->nlmsg_len, &e);
                if (getenv("ADMIN_DEBUG"))
                        dprintf(2, "child: answer %d errno %d\n", t, e);
                _exit(t < 0 || (t == ADM_MSG_ERROR && e == EPERM) ? 1 : t == ADM_MSG_TREE ? 0 : 2);
        }
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}

START_TEST(admin_socket_refuses_strangers_and_malformed_requests)
{
        struct th_proc run, p;
        struct th_tree t;
        char path[PATH_MAX], req[64];
        struct stat st;
        struct nlmsghdr *h = mnl_nlmsg_put_header(memset(req, 0, sizeof req));
        const char junk[] = "not a netlink message at all";
        int e = 0;

        start_coop(&run, "admin-sock");
        admin_socket_path(path, sizeof path, REGISTRY_DIR, name);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        /* positive control: root from outside any tree is answered */
        ck_assert_int_eq(ask_from_child(0, NULL), 0);
        /* another uid, and a process inside a tagged cgroup of corral's, are not */
        ck_assert_int_eq(ask_from_child(65534, NULL), 1);
        th_tree_create(&t, "admin-inside");
        ck_assert_int_eq(ask_from_child(0, t.v2.path), 1);
        th_tree_finish(&t);
        /* malformed: an ERROR each, and the supervisor answers the next request */
        ck_assert_int_eq(ask_raw(junk, sizeof junk, &e), ADM_MSG_ERROR);
        ck_assert_int_eq(e, EPROTO);
        h->nlmsg_type = ADM_MSG_SIGNAL; /* without its attributes */
        ck_assert_int_eq(ask_raw(h, h->nlmsg_len, &e), ADM_MSG_ERROR);
        h->nlmsg_type = ADM_MSG_TREE; /* an answer's type */
        ck_assert_int_eq(ask_raw(h, h->nlmsg_len, &e), ADM_MSG_ERROR);
        h->nlmsg_type = ADM_MSG_LIST;
        ck_assert_int_eq(ask_raw(h, h->nlmsg_len, &e), ADM_MSG_TREE);
        const char *k[] = {"kill", name, NULL};
        ck_assert_int_eq(corral(&p, k), 0);
        ck_assert_int_eq(th_corral_wait(&run, 30000), 0);
        ck_assert_msg(access(path, F_OK) < 0, "the socket outlived its tree");
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(kill_force_one_actor_while_its_supervisor_runs)
{
        struct th_proc run, p;
        char node[PATH_MAX], c0[PATH_MAX + 96], c1[PATH_MAX + 96], id[96];

        start_coop(&run, "kill-force-actor");
        th_tree_node(th_host.v2.own_dir, name, node, sizeof node);
        ck_assert(node[0]);
        snprintf(c0, sizeof c0, "%s/%s-1/c0-2", node, name);
        snprintf(c1, sizeof c1, "%s/%s-1/c1-3", node, name);
        ck_assert_msg(access(c0, F_OK) == 0 && access(c1, F_OK) == 0, "no %s", c1);
        /* by id: only c1's node is killed and removed */
        snprintf(id, sizeof id, "%s:3", name);
        const char *f[] = {"kill", "--force", id, NULL};
        ck_assert_int_eq(corral(&p, f), 0);
        ck_assert_msg(strstr(p.outbuf, "c1-3 killed (cgroup.kill), its nodes removed"), "%s",
                      p.outbuf);
        ck_assert_msg(access(c1, F_OK) < 0 && errno == ENOENT, "%s is still there", c1);
        ck_assert_msg(access(c0, F_OK) == 0, "%s went too", c0);
        /* its parent is told (CHILD_EXITED: its subtree is gone), the supervisor takes the
         * removed node as the actor's end without an error, and c0 runs on */
        ck_assert_msg(th_wait_for(&run, true, "child 3 shim-killed", 10000), "out:\n%s",
                      run.outbuf);
        const char *ps[] = {"tree", name, NULL};
        ck_assert_int_eq(corral(&p, ps), 0);
        ck_assert_msg(strstr(p.outbuf, "`-c0") && strstr(p.outbuf, "running") &&
                          strstr(p.outbuf, "exited"),
                      "tree:\n%s", p.outbuf);
        const char *k[] = {"kill", name, NULL};
        ck_assert_int_eq(corral(&p, k), 0);
        ck_assert_msg(strstr(p.outbuf, "c0-2 cancelled") && strstr(p.outbuf, "done (graceful)"),
                      "kill:\n%s", p.outbuf);
        th_corral_wait(&run, 30000);
        ck_assert_msg(th_event_count(&run, "error", NULL, NULL) == 0, "events:\n%s", run.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static int dup_to_9(const void *ctx)
{
        return dup2(*(const int *)ctx, 9) == 9 ? 0 : -1;
}

static void pass_fd_9(void *ctx)
{
        if (dup_to_9(ctx) < 0)
                _exit(126);
}

/* A process of a tree, handed the admin socket of another tree (an O_PATH fd, connected to by
 * /proc/self/fd/3 since its mounts need not show /run/corral), is refused: as root, so that it
 * is the cgroup check that refuses it, not the socket's mode. */
START_TEST(admin_socket_refuses_a_process_of_a_tree)
{
        struct th_proc run, in, p;
        char path[PATH_MAX], other[64], out[256];
        const char *extra[] = {"--user", "root", "--fd", "9", NULL};
        const char *prog[] = {"try", "admin", "/proc/self/fd/3", NULL};
        int fd;

        start_coop(&run, "admin-actor");
        admin_socket_path(path, sizeof path, REGISTRY_DIR, name);
        fd = open(path, O_PATH | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        /* positive control: the same actor program, outside any tree, is answered (0x48: TREE) */
        {
                char cmd[2 * PATH_MAX];
                FILE *f;
                size_t n;

                snprintf(cmd, sizeof cmd, "%s try admin %s", th_actor(), path);
                f = popen(cmd, "r");
                ck_assert(f != NULL);
                n = fread(out, 1, sizeof out - 1, f);
                out[n] = '\0';
                pclose(f);
                ck_assert_msg(strstr(out, "admin answer 0x48 errno 0"), "outside: %s", out);
        }
        th_run_actor(&in, other, "admin-actor-in", extra, prog, pass_fd_9, &fd);
        ck_assert_int_eq(th_corral_wait(&in, 30000), 0);
        snprintf(out, sizeof out, "admin answer 0x%x errno EPERM", ADM_MSG_ERROR);
        ck_assert_msg(th_has_line(in.outbuf, out), "inside:\n%s\nevents:\n%s", in.outbuf,
                      in.errbuf);
        th_assert_tree_gone(other);
        close(fd);
        /* the tree it asked about runs on, and answers its own kill */
        const char *k[] = {"kill", name, NULL};
        ck_assert_int_eq(corral(&p, k), 0);
        ck_assert_int_eq(th_corral_wait(&run, 30000), 0);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *admin_suite(void)
{
        Suite *s = suite_create("corral-admin-privileged");
        TCase *tc = tcase_create("admin");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, ps_tree_and_json_show_every_actor);
        tcase_add_test(tc, kill_cooperative_subtree_is_graceful);
        tcase_add_test(tc, kill_sigint_ignoring_tree_escalates_exit_3);
        tcase_add_test(tc, kill_force_with_supervisor_stopped);
        tcase_add_test(tc, unknown_and_malformed_names_exit_2);
        tcase_add_test(tc, admin_socket_refuses_strangers_and_malformed_requests);
        tcase_add_test(tc, kill_force_one_actor_while_its_supervisor_runs);
        tcase_add_test(tc, admin_socket_refuses_a_process_of_a_tree);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {admin_suite};

        return th_run("test_admin", TH_PRIVILEGED, suites, 1);
}

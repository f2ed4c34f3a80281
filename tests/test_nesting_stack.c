/* Privileged tests of what a tree must keep down its generations that a fork would have kept
 * by itself (DESIGN §9; issue 20): seccomp filters that stack, and one network namespace for
 * the tree (PrivateNetwork=tree). A child actor is cloned by the zygote, not forked by its
 * parent, so nothing here is inherited: every check runs in real actors, proven from the host
 * side where it can be (the namespaces' inodes, the supervisor's fds), each "must fail" next
 * to its positive control, and every test ends with the leak check. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../policy/seccomp_policy.h"
#include "harness.h"
#include "output_support.h"

static char name[64];
static char policy[PATH_MAX];

static void write_policy(const char *text)
{
        ot_write_policy(policy, sizeof policy, "stack", text);
}

/* The JSON `started` event of actor `who` (its whole line, "" when there is none). */
static const char *started_line(const struct th_proc *p, const char *who, char *out, size_t len)
{
        char want[96];

        snprintf(want, sizeof want, "\"actor\":\"%s\",", who);
        out[0] = '\0';
        for (const char *l = p->errbuf; l && *l;) {
                const char *eol = strchr(l, '\n');
                size_t n = eol ? (size_t)(eol - l) : strlen(l);

                if (n < len && strstr(l, "\"event\":\"started\"") &&
                    strstr(l, "\"event\":\"started\"") < l + n && strstr(l, want) &&
                    strstr(l, want) < l + n) {
                        snprintf(out, len, "%.*s", (int)n, l);
                        return out;
                }
                l = eol ? eol + 1 : NULL;
        }
        return out;
}

/* A number field of actor who's started event; -1 when the field is absent. */
static long started_num(const struct th_proc *p, const char *who, const char *field)
{
        char line[2048], v[32];

        started_line(p, who, line, sizeof line);
        ck_assert_msg(line[0], "no started event for %s:\n%s", who, p->errbuf);
        ot_json_field(line, field, v, sizeof v);
        return v[0] ? atol(v) : -1;
}

/* The profiles of a policy text, each compiled as the supervisor compiles it: the length of
 * the program of profile `prof` as the kernel counts it (converted to eBPF; 0: none). */
static unsigned compiled_len(const char *text, const char *prof)
{
        struct policy pol;
        struct sock_fprog f;
        struct cerr err = {0};
        const struct profile *p;
        unsigned len;

        ck_assert_msg(policy_load_mem("stack", text, strlen(text), &pol, &err) == 0, "%s", err.msg);
        p = policy_find(&pol, prof);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(seccomp_compile(p, &f, &err) == 0, "%s", err.msg);
        len = seccomp_kernel_len(&f);
        seccomp_fprog_free(&f);
        policy_free(&pol);
        return len;
}

/* ---- seccomp stacks ---- */

/* The acceptance case of issue 20: a parent allowed to mount (CAP_SYS_ADMIN in its own user
 * namespace, RestrictNamespaces=no) but for its filter; its children have the same profile
 * minus the filter. mount(2) fails with EPERM in the child and the grandchild, which load the
 * parent's filter; without it on the parent, all three mount (control). */
static void mount_chain(const char *what, bool filtered, const char *result)
{
        const char *prog[] = {"chain", "3", "child", "mount", NULL};
        const char *extra[] = {"-p", policy, "--profile", "parent", NULL};
        char text[1024], want[64];
        struct th_proc p;

        snprintf(text, sizeof text,
                 "[profile parent]\nPrivateUsers = yes\nCapabilityBoundingSet = CAP_SYS_ADMIN\n"
                 "RestrictNamespaces = no\nSystemCallFilter = %s\nSystemCallErrorNumber = EPERM\n"
                 "SpawnProfiles = child\n\n"
                 "[profile child]\nPrivateUsers = yes\nCapabilityBoundingSet = CAP_SYS_ADMIN\n"
                 "RestrictNamespaces = no\nSystemCallFilter =\nSpawnProfiles = child\n",
                 filtered ? "~@mount" : "");
        write_policy(text);
        th_run_actor(&p, name, what, extra, prog, NULL, NULL);
        ck_assert_msg(th_corral_wait(&p, 30000) == 0, "out:\n%s\nerr:\n%s", p.outbuf, p.errbuf);
        snprintf(want, sizeof want, "level 3 mount %s", result);
        ck_assert_msg(th_has_line(p.outbuf, want), "root: %s\nout:\n%s", want, p.outbuf);
        snprintf(want, sizeof want, "[l2] level 2 mount %s", result);
        ck_assert_msg(th_has_line(p.outbuf, want), "child: %s\nout:\n%s", want, p.outbuf);
        snprintf(want, sizeof want, "[l1] level 1 mount %s", result);
        ck_assert_msg(th_has_line(p.outbuf, want), "grandchild: %s\nout:\n%s", want, p.outbuf);
        /* the child profile has no filter of its own: what they run under is the parent's */
        ck_assert_int_eq(started_num(&p, "l1", "seccomp_filters"), filtered ? 1 : -1);
        ck_assert_int_eq(started_num(&p, "l2", "seccomp_filters"), filtered ? 1 : -1);
        th_assert_tree_gone(name);
}

START_TEST(parent_filter_holds_in_child_and_grandchild)
{
        mount_chain("stack-mount", true, "errno EPERM");
        mount_chain("stack-mount-ctl", false, "ok"); /* control */
        unlink(policy);
}
END_TEST

/* Twenty profiles l1..l20, each with a small filter of its own (one call denied with EPERM;
 * l20's is sysinfo), each spawning the next below it. */
static const char *const chain_calls[20] = {
    "kcmp",          "acct",       "swapon",   "swapoff",        "reboot",
    "setdomainname", "pivot_root", "chroot",   "syslog",         "ioperm",
    "iopl",          "vhangup",    "quotactl", "lookup_dcookie", "uselib",
    "migrate_pages", "move_pages", "mbind",    "ustat",          "sysinfo"};

static char *chain_policy(void)
{
        static char text[8192];
        size_t n = 0;

        for (int k = 1; k <= 20; k++) {
                n += (size_t)snprintf(text + n, sizeof text - n,
                                      "[profile l%d]\nMaxDepth = 20\nSystemCallFilter =\n"
                                      "SystemCallFilter = ~%s\nSystemCallErrorNumber = EPERM\n",
                                      k, chain_calls[k - 1]);
                if (k > 1)
                        n += (size_t)snprintf(text + n, sizeof text - n, "SpawnProfiles = l%d\n",
                                              k - 1);
                n += (size_t)snprintf(text + n, sizeof text - n, "\n");
        }
        return text;
}

/* A 20-level chain, each actor with its own small filter, spawns and runs: the root's filter
 * still answers 20 levels down, and each started event counts the filters and instructions
 * the actor runs under, as computed here from the same profiles. */
START_TEST(twenty_level_chain_of_filters)
{
        const char *prog[] = {"chain", "20", "l+", "sysinfo", NULL};
        const char *extra[] = {"-p", policy, "--profile", "l20", NULL};
        const char *lone[] = {"chain", "1", "l+", "sysinfo", NULL};
        const char *lone_extra[] = {"-p", policy, "--profile", "l1", NULL};
        const char *text = chain_policy();
        unsigned len[21], insns = 0;
        struct th_proc p;

        write_policy(text);
        for (int k = 20; k >= 1; k--) {
                char prof[8];

                snprintf(prof, sizeof prof, "l%d", k);
                len[k] = compiled_len(text, prof);
                ck_assert_uint_gt(len[k], 0);
        }
        th_run_actor(&p, name, "chain20", extra, prog, NULL, NULL);
        ck_assert_msg(th_corral_wait(&p, 60000) == 0, "out:\n%s\nerr:\n%s", p.outbuf, p.errbuf);
        ck_assert_msg(th_has_line(p.outbuf, "level 20 sysinfo errno EPERM"), "%s", p.outbuf);
        for (int k = 19; k >= 1; k--) {
                char who[8], want[64];

                snprintf(who, sizeof who, "l%d", k);
                snprintf(want, sizeof want, "[l%d] level %d sysinfo errno EPERM", k, k);
                ck_assert_msg(th_has_line(p.outbuf, want), "%s missing:\n%s", want, p.outbuf);
                ck_assert_int_eq(started_num(&p, who, "seccomp_filters"), 21 - k);
        }
        for (int k = 20; k >= 1; k--)
                insns += len[k] + (k < 20 ? 4 : 0);
        ck_assert_int_eq(started_num(&p, "l1", "seccomp_insns"), (long)insns);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "level ", " ran", NULL), 20);
        fprintf(stderr,
                "test_nesting_stack: a 20-level chain: 20 filters of %u to %u instructions, %u "
                "in all as the kernel counts them (its limit: %d)\n",
                len[1] < len[20] ? len[1] : len[20], len[1] < len[20] ? len[20] : len[1], insns,
                SECCOMP_CHAIN_INSNS_MAX);
        th_assert_tree_gone(name);
        /* control: without l20's filter above it, sysinfo(2) works */
        th_run_actor(&p, name, "chain1", lone_extra, lone, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "level 1 sysinfo ok"), "%s", p.outbuf);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* Programs are loaded once each: a chain of one profile is one filter (no stacking to
 * report), and a profile whose program is byte for byte another's adds nothing. */
START_TEST(identical_filters_load_once)
{
        const char *same[] = {"chain", "3", "-", "none", NULL};
        const char *alt[] = {"chain", "3", "p+", "none", NULL};
        const char *extra[] = {"-p", policy, "--profile", "p3", NULL};
        struct th_proc p;

        th_run_actor(&p, name, "stack-same", NULL, same, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "level ", " ran", NULL), 3);
        ck_assert_int_eq(started_num(&p, "l1", "seccomp_filters"), -1);
        ck_assert_int_eq(started_num(&p, "l2", "seccomp_filters"), -1);
        th_assert_tree_gone(name);
        /* p1 says what p3 says: l1 runs under p3's and p2's, as l2 does */
        write_policy("[profile p3]\nSystemCallFilter = ~acct:EXDEV\nSpawnProfiles = p2\n\n"
                     "[profile p2]\nSystemCallFilter = ~swapon:EXDEV\nSpawnProfiles = p1\n\n"
                     "[profile p1]\nSystemCallFilter = ~acct:EXDEV\n");
        th_run_actor(&p, name, "stack-alt", extra, alt, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "level ", " ran", NULL), 3);
        ck_assert_int_eq(started_num(&p, "l2", "seccomp_filters"), 2);
        ck_assert_int_eq(started_num(&p, "l1", "seccomp_filters"), 2);
        ck_assert_int_eq(started_num(&p, "l1", "seccomp_insns"),
                         started_num(&p, "l2", "seccomp_insns"));
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* Every name of a group (and its nested groups) that libseccomp knows, each with an errno of
 * its own (so that no two rules merge), written as policy lines no longer than libinih takes. */
static void deny_each(const char *group, int shift, char *text, size_t cap, size_t *n, int *count)
{
        const struct syscall_group *g = syscall_group_find(group);
        char line[160] = "";
        size_t ll = 0;

        ck_assert_ptr_nonnull(g);
        for (const char *const *m = g->members; *m; m++) {
                char entry[64];

                if ((*m)[0] == '@') {
                        deny_each(*m, shift, text, cap, n, count);
                        continue;
                }
                if (!syscall_name_valid(*m))
                        continue;
                snprintf(entry, sizeof entry, " %s:%d", *m, (*count)++ * 7 % 500 + shift + 1);
                if (ll + strlen(entry) >= 120) {
                        *n +=
                            (size_t)snprintf(text + *n, cap - *n, "SystemCallFilter = ~%s\n", line);
                        ll = 0;
                }
                ll += (size_t)snprintf(line + ll, sizeof line - ll, "%s", entry);
        }
        if (ll)
                *n += (size_t)snprintf(text + *n, cap - *n, "SystemCallFilter = ~%s\n", line);
}

/* Large filters down a chain until the kernel's limit: the actor whose chain would pass it
 * is refused (its parent hears E2BIG naming the count), the one before it, just under,
 * started and ran: corral's count is the kernel's. */
START_TEST(chain_beyond_the_kernel_limit_is_refused_with_the_count)
{
        /* calls the test actor never makes once it runs (a deny list of what it needs
         * would stop it): every one with an errno of its own makes a filter of ~1,000
         * instructions, so some 32 of them reach the limit */
        static const char *const groups[] = {
            "@privileged", "@obsolete", "@cpu-emulation", "@debug", "@mount", "@keyring", "@pkey",
            "@aio",        "@ipc",      "@memlock",       "@sync",  "@timer", "@setuid"};
        const size_t cap = 1 << 20;
        char *text = malloc(cap);
        const char *prog[] = {"chain", NULL, "b+", "none", NULL};
        const char *extra[] = {"-p", policy, "--profile", NULL, NULL};
        char depth[8], root[8], who[8], want[64], err[128];
        unsigned len[64] = {0}, total = 0;
        int d = 0, refused;
        size_t n = 0;
        struct th_proc p;

        ck_assert_ptr_nonnull(text);
        for (int k = 1; k < 64; k++) {
                int count = 0;

                n += (size_t)snprintf(text + n, cap - n, "[profile b%d]\nMaxDepth = 64\n", k);
                if (k > 1)
                        n += (size_t)snprintf(text + n, cap - n, "SpawnProfiles = b%d\n", k - 1);
                for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
                        deny_each(groups[g], k, text, cap, &n, &count);
                n += (size_t)snprintf(text + n, cap - n, "\n");
        }
        /* the chain from the root b<d> down to b1 is d filters: the shortest that is too long */
        for (int k = 1; k < 64 && !d; k++) {
                char prof[8];

                snprintf(prof, sizeof prof, "b%d", k);
                len[k] = compiled_len(text, prof);
                total += len[k] + (k > 1 ? 4 : 0);
                if (total > SECCOMP_CHAIN_INSNS_MAX)
                        d = k;
        }
        ck_assert_msg(d > 1, "no chain of these filters reaches the limit");
        /* walking down from the root, the first actor over the limit */
        total = 0;
        for (refused = d; refused >= 1; refused--) {
                total += len[refused] + (refused < d ? 4 : 0);
                if (total > SECCOMP_CHAIN_INSNS_MAX)
                        break;
        }
        /* only the profiles the chain uses: the supervisor compiles every profile it is given */
        {
                char mark[16];
                char *cut;

                snprintf(mark, sizeof mark, "[profile b%d]", d + 1);
                cut = strstr(text, mark);
                if (cut)
                        *cut = '\0';
        }
        write_policy(text);
        free(text);
        snprintf(depth, sizeof depth, "%d", d);
        snprintf(root, sizeof root, "b%d", d);
        prog[1] = depth;
        extra[3] = root;
        th_run_actor(&p, name, "stack-limit", extra, prog, NULL, NULL);
        /* the refusal is a failed child: each spawner above it exits 1 */
        ck_assert_msg(th_corral_wait(&p, 60000) == 1, "out:\n%s\nerr:\n%s", p.outbuf, p.errbuf);
        snprintf(want, sizeof want, "%u BPF instructions", total);
        snprintf(err, sizeof err, "actor l%d would run under %d seccomp filters", refused,
                 d - refused + 1);
        ck_assert_msg(ot_count_lines(p.outbuf, "error E2BIG", want, err) == 1,
                      "wanted E2BIG naming %s and %s:\n%s", err, want, p.outbuf);
        ck_assert_msg(ot_count_lines(p.outbuf, "kernel's limit is 32768", NULL, NULL) == 1, "%s",
                      p.outbuf);
        /* its parent, just under the limit, ran under all the filters above it */
        snprintf(who, sizeof who, "l%d", refused + 1);
        if (refused + 1 < d) {
                ck_assert_int_eq(started_num(&p, who, "seccomp_filters"), d - refused);
                ck_assert_int_le(started_num(&p, who, "seccomp_insns"), SECCOMP_CHAIN_INSNS_MAX);
                ck_assert_int_eq(started_num(&p, who, "seccomp_insns"),
                                 (long)(total - len[refused] - 4));
        }
        fprintf(stderr,
                "test_nesting_stack: filters of ~%u instructions: %d loaded (%u instructions "
                "as the kernel counts them), a chain of %d refused (%u)\n",
                len[d], d - refused, total - len[refused] - 4, d - refused + 1, total);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* An allow list without seccomp(2) (@system-service) refuses every filter loaded after it:
 * under such a parent a default child still starts (the parent's filter loads last), while a
 * child that must run under two such allow lists is refused, naming both. */
START_TEST(allow_list_without_seccomp_loads_last)
{
        const char *deflt[] = {"chain", "2", "default", "none", NULL};
        const char *other[] = {"chain", "2", "b", "none", NULL};
        const char *extra[] = {"-p", policy, "--profile", "a", NULL};
        struct th_proc p;

        write_policy("[profile a]\nSystemCallFilter = @system-service\n"
                     "SystemCallErrorNumber = EPERM\nSpawnProfiles = default b\n\n"
                     "[profile default]\n\n"
                     "[profile b]\nSystemCallFilter = @system-service @clock\n"
                     "SystemCallErrorNumber = EPERM\n");
        th_run_actor(&p, name, "stack-allow", extra, deflt, NULL, NULL);
        ck_assert_msg(th_corral_wait(&p, 20000) == 0, "out:\n%s\nerr:\n%s", p.outbuf, p.errbuf);
        ck_assert_msg(th_has_line(p.outbuf, "[l1] level 1 ran"), "%s", p.outbuf);
        ck_assert_int_eq(started_num(&p, "l1", "seccomp_filters"), 2);
        th_assert_tree_gone(name);
        th_run_actor(&p, name, "stack-allow2", extra, other, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 1);
        ck_assert_msg(ot_count_lines(p.outbuf, "error EPERM", "profiles 'a' and 'b'",
                                     "refuse seccomp(2)") == 1,
                      "%s", p.outbuf);
        ck_assert_int_eq(th_event_count(&p, "started", NULL, NULL), 1);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* ---- PrivateNetwork=tree ---- */

static unsigned long netns_ino(pid_t pid)
{
        char path[64], link[64];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
        n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
                return 0;
        link[n] = '\0';
        return strtoul(link + strlen("net:["), NULL, 10);
}

/* How many of process pid's fds are handles on network namespace ino. */
static int netns_fds(pid_t pid, unsigned long ino)
{
        char path[64], want[64];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        snprintf(want, sizeof want, "net:[%lu]", ino);
        d = opendir(path);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char fd[PATH_MAX], link[64];
                ssize_t l;

                snprintf(fd, sizeof fd, "%s/%s", path, de->d_name);
                l = readlink(fd, link, sizeof link - 1);
                if (l > 0) {
                        link[l] = '\0';
                        n += strcmp(link, want) == 0;
                }
        }
        closedir(d);
        return n;
}

/* A listener of the test's own on the host's 127.0.0.1: its port. */
static int host_listener(int *port)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t l = sizeof a;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(listen(fd, 16), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
        *port = ntohs(a.sin_port);
        return fd;
}

static bool wait_line(struct th_proc *p, const char *line)
{
        char needle[128];

        snprintf(needle, sizeof needle, "%s\n", line);
        return th_wait_for(p, true, needle, th_ms(20000));
}

/* A tree whose actors have PrivateNetwork=tree (and, with users, PrivateUsers=yes: a child in
 * a user namespace of its own could not join the namespace afterwards): a listener accepts
 * TCP on 127.0.0.1 from a sibling and from a grandchild; the host's listener is unreachable
 * from them; an actor with PrivateNetwork=actor reaches neither; every tree actor's network
 * namespace is one inode (read from the host), not the host's and not the `actor` one's; the
 * supervisor holds it by one fd, no child of it does. */
static void tree_network(const char *what, bool users, int hostport)
{
        static const char *const tree_actors[] = {"listener", "sibling", "middle", "c0"};
        char port[16], hp[16], hold[16], text[512], line[128], ev[2048];
        const char *prog[] = {"net-tree", "4242", hp, hold, "own", NULL};
        const char *extra[] = {"-p", policy, "--profile", "net", NULL};
        unsigned long host = netns_ino(getpid()), tree, own;
        struct th_proc p;

        snprintf(port, sizeof port, "4242");
        snprintf(hp, sizeof hp, "%d", hostport);
        /* long enough for the host to look at every actor while they live */
        snprintf(hold, sizeof hold, "%.1f", th_ms(3000) / 1000.0);
        snprintf(text, sizeof text,
                 "[profile net]\nPrivateNetwork = tree\nPrivateUsers = %s\n"
                 "SpawnProfiles = net own\n\n"
                 "[profile own]\nPrivateNetwork = actor\nPrivateUsers = %s\n",
                 users ? "yes" : "no", users ? "yes" : "no");
        write_policy(text);
        th_run_actor(&p, name, what, extra, prog, NULL, NULL);
        ck_assert_msg(wait_line(&p, "[listener] accepted 2"), "out:\n%s\nerr:\n%s", p.outbuf,
                      p.errbuf);
        snprintf(line, sizeof line, "[sibling] connect %s ok", port);
        ck_assert_msg(wait_line(&p, line), "%s:\n%s", line, p.outbuf);
        snprintf(line, sizeof line, "[c0] connect %s ok", port);
        ck_assert_msg(wait_line(&p, line), "%s:\n%s", line, p.outbuf);
        snprintf(line, sizeof line, "[sibling] connect %d errno ECONNREFUSED", hostport);
        ck_assert_msg(wait_line(&p, line), "%s:\n%s", line, p.outbuf);
        snprintf(line, sizeof line, "[c0] connect %d errno ECONNREFUSED", hostport);
        ck_assert_msg(wait_line(&p, line), "%s:\n%s", line, p.outbuf);
        snprintf(line, sizeof line, "[own] connect %s errno ECONNREFUSED", port);
        ck_assert_msg(wait_line(&p, line), "%s:\n%s", line, p.outbuf);
        snprintf(line, sizeof line, "[own] connect %d errno ECONNREFUSED", hostport);
        ck_assert_msg(wait_line(&p, line), "%s:\n%s", line, p.outbuf);
        /* every actor still lives (HOLD): their namespaces, as the host sees them */
        tree = netns_ino((pid_t)started_num(&p, name, "pid"));
        ck_assert_msg(tree != 0 && tree != host, "the root's netns %lu (host's %lu)", tree, host);
        for (size_t i = 0; i < sizeof tree_actors / sizeof tree_actors[0]; i++) {
                pid_t pid = (pid_t)started_num(&p, tree_actors[i], "pid");

                ck_assert_msg(netns_ino(pid) == tree, "%s (pid %d): netns %lu, the tree's %lu",
                              tree_actors[i], (int)pid, netns_ino(pid), tree);
                ck_assert_msg(netns_ino(th_program_pid(pid)) == tree, "%s's program",
                              tree_actors[i]);
        }
        own = netns_ino((pid_t)started_num(&p, "own", "pid"));
        ck_assert_msg(own != 0 && own != tree && own != host, "own %lu tree %lu host %lu", own,
                      tree, host);
        /* the supervisor's own handle on it, and nobody else's (shims and zygote are its
         * children) */
        ck_assert_int_eq(netns_fds(p.pid, tree), 1);
        {
                char path[64];
                FILE *f;
                int child;

                snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)p.pid, (int)p.pid);
                f = fopen(path, "r");
                ck_assert_ptr_nonnull(f);
                while (fscanf(f, "%d", &child) == 1)
                        ck_assert_msg(netns_fds(child, tree) == 0,
                                      "child %d holds the tree's netns", child);
                fclose(f);
        }
        ck_assert_msg(th_corral_wait(&p, 60000) == 0, "out:\n%s\nerr:\n%s", p.outbuf, p.errbuf);
        ck_assert_msg(!strstr(started_line(&p, "c0", ev, sizeof ev), "seccomp_filters"), "%s", ev);
        th_assert_tree_gone(name);
}

START_TEST(tree_network_is_shared_by_the_tree_alone)
{
        const char *ctl[] = {"tcp-connect", "0", NULL, NULL};
        const char *no[] = {"--set", "PrivateNetwork=no", NULL};
        char hp[16], want[64];
        struct th_proc p;
        int port, fd = host_listener(&port);

        tree_network("net-tree", false, port);
        tree_network("net-tree-users", true, port);
        /* control: PrivateNetwork=no reaches the host's listener */
        snprintf(hp, sizeof hp, "%d", port);
        ctl[2] = hp;
        th_run_actor(&p, name, "net-no", no, ctl, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        snprintf(want, sizeof want, "connect %d ok", port);
        ck_assert_msg(th_has_line(p.outbuf, want), "%s", p.outbuf);
        th_assert_tree_gone(name);
        close(fd);
        unlink(policy);
}
END_TEST

/* A supervisor that may not create network namespaces (a filter on it stands in for a
 * supervisor without CAP_SYS_ADMIN) refuses PrivateNetwork=tree with the reason; the same run
 * without that filter starts (control). */
static void no_netns(void *ctx)
{
        scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);

        (void)ctx;
        if (!f || seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
            seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET)) < 0 ||
            seccomp_load(f) < 0)
                _exit(121);
        seccomp_release(f);
}

START_TEST(tree_network_refused_with_the_reason_without_the_right)
{
        const char *args[] = {"run",  "--set", "PrivateNetwork=tree", "--name", NULL, "--",
                              "true", NULL};
        struct th_proc p;

        snprintf(name, sizeof name, "%s", th_tree_name("net-eperm"));
        args[4] = name;
        th_corral_start(&p, args, -1, no_netns, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 125);
        ck_assert_msg(strstr(p.errbuf, "PrivateNetwork=tree") &&
                          strstr(p.errbuf, "CAP_SYS_ADMIN") &&
                          strstr(p.errbuf, "Operation not permitted"),
                      "%s", p.errbuf);
        th_assert_tree_gone(name);
        th_corral_start(&p, args, -1, NULL, NULL);
        ck_assert_msg(th_corral_wait(&p, 20000) == 0, "%s", p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *stack_suite(void)
{
        Suite *s = suite_create("corral-nesting-stack-privileged");
        TCase *tc = tcase_create("stack");

        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, parent_filter_holds_in_child_and_grandchild);
        tcase_add_test(tc, twenty_level_chain_of_filters);
        tcase_add_test(tc, identical_filters_load_once);
        tcase_add_test(tc, chain_beyond_the_kernel_limit_is_refused_with_the_count);
        tcase_add_test(tc, allow_list_without_seccomp_loads_last);
        tcase_add_test(tc, tree_network_is_shared_by_the_tree_alone);
        tcase_add_test(tc, tree_network_refused_with_the_reason_without_the_right);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {stack_suite};

        return th_run("test_nesting_stack", TH_PRIVILEGED, suites, 1);
}

/* corral run: spawn CMD as the root actor of a tree and supervise it in the foreground. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/policy.h"
#include "../policy/profile.h"
#include "../spawner/supervisor.h"
#include "cli.h"
#include "cmd_run.h"

#define EXIT_CANNOT_RUN 125

static void run_usage(FILE *f)
{
        fprintf(
            f, "usage: corral run [OPTIONS] -- CMD [ARGS...]\n\n"
               "Spawn CMD as the root actor of a new tree: its own cgroup, PID, mount, IPC, UTS\n"
               "and cgroup namespaces, a fresh /proc, and only the fds it is handed. corral stays\n"
               "in the foreground, drains the program's output, and when the program exits (or on\n"
               "SIGINT/SIGTERM) tears the tree down: SIGINT, SIGTERM, then cgroup.kill, each\n"
               "after its timeout; a second signal skips a stage, a third kills at once.\n\n"
               "options:\n"
               "  -p, --policy FILE   policy file with [profile NAME] sections\n"
               "  --profile NAME      the profile for the program (default: the file's only\n"
               "                      profile, or one named 'default'; without -p the\n"
               "                      built-in default profile: `corral policy default`)\n"
               "  --set KEY=VALUE     override one key of the profile, in policy-file syntax\n"
               "                      (e.g. --set TimeoutInterruptSec=1s; repeatable)\n"
               "  --name NAME         name of the tree and its root actor (unique among live\n"
               "                      trees; default: the program's name plus a short id)\n"
               "  --fd N[:NAME]       pass our fd N to the program, renumbered from 3 in order,\n"
               "                      with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (repeatable)\n"
               "  --events FORMAT     event log on stderr: text (default) or json (JSON lines)\n"
               "  -h, --help          this text\n\n"
               "exit status: the program's own, or 128+N when it died of signal N; 125 corral\n"
               "could not run it (bad options, host refused, or teardown stuck), 126 the program\n"
               "could not be executed, 127 it was not found.\n");
}

static bool env_flag(const char *name)
{
        const char *v = getenv(name);

        return v && strcmp(v, "1") == 0;
}

static int parse_fd_option(struct sup_options *o, const char *arg, struct cerr *err)
{
        char *end;
        long fd;
        const char *colon = strchr(arg, ':');
        struct sup_fd *p;

        errno = 0;
        fd = strtol(arg, &end, 10);
        if (errno || end == arg || (*end && *end != ':') || fd < 0 || fd > INT_MAX) {
                return cerr_set(err, EINVAL, "usage", "--fd '%s': expected N or N:NAME", arg);
        }
        if (fcntl((int)fd, F_GETFD) < 0) {
                return cerr_set(err, EBADF, "usage", "--fd %ld: not an open file descriptor", fd);
        }
        if (o->npass == SPEC_MAX_PASS) {
                return cerr_set(err, E2BIG, "usage", "at most %d --fd options", SPEC_MAX_PASS);
        }
        p = &o->pass[o->npass];
        p->fd = (int)fd;
        snprintf(p->name, sizeof p->name, "%s", "unknown");
        if (colon) {
                const char *name = colon + 1;
                size_t n = strlen(name);

                /* sd_listen_fds_with_names(3): names are ASCII, no ':' or control characters */
                if (n == 0 || n >= sizeof p->name) {
                        return cerr_set(err, EINVAL, "usage",
                                        "--fd '%s': NAME must be 1-%zu characters", arg,
                                        sizeof p->name - 1);
                }
                for (const char *c = name; *c; c++) {
                        if (*c <= ' ' || *c > '~' || *c == ':') {
                                return cerr_set(err, EINVAL, "usage",
                                                "--fd '%s': NAME may hold printable ASCII "
                                                "without spaces or ':'",
                                                arg);
                        }
                }
                snprintf(p->name, sizeof p->name, "%s", name);
        }
        o->npass++;
        return 0;
}

/* The profile the program runs with: from the file (or the built-in default), then every
 * --set applied in order. Every error names the file, line and key; nothing is spawned. */
int run_resolve_profile(struct profile *out, const char *file, const char *name,
                        const char *const *sets, int nsets)
{
        struct policy pol = {0};
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        const struct profile *src = NULL;
        struct profile def;

        profile_default(&def, "default");
        if (file) {
                if (policy_load_file(file, &pol, &err) < 0) {
                        fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                        profile_free(&def);
                        return -1;
                }
                if (name)
                        src = policy_find(&pol, name);
                else if (pol.n == 1)
                        src = &pol.profiles[0];
                else
                        src = policy_find(&pol, "default");
                if (!src) {
                        fprintf(stderr, "corral: %s: %s", file,
                                name ? "no such profile"
                                     : "several profiles: choose one with --profile");
                        if (name)
                                fprintf(stderr, " '%s'", name);
                        fprintf(stderr, "; the file has:");
                        for (size_t i = 0; i < pol.n; i++)
                                fprintf(stderr, " %s", pol.profiles[i].name);
                        fprintf(stderr, "\n");
                        policy_free(&pol);
                        profile_free(&def);
                        return -1;
                }
                for (size_t i = 0; i < pol.notes.n; i++)
                        fprintf(stderr, "corral: note: %s\n", pol.notes.v[i]);
        } else if (name && strcmp(name, "default") != 0) {
                fprintf(stderr,
                        "corral: --profile %s: no policy file given (-p FILE); only the "
                        "built-in 'default' profile exists\n",
                        name);
                profile_free(&def);
                return -1;
        } else {
                src = &def;
        }
        if (profile_copy(out, src, &err) < 0) {
                fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                policy_free(&pol);
                profile_free(&def);
                return -1;
        }
        policy_free(&pol);
        profile_free(&def);
        for (int i = 0; i < nsets; i++) {
                const char *eq = strchr(sets[i], '=');
                char key[64];
                const char *pending;

                if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof key) {
                        fprintf(stderr, "corral: --set '%s': expected KEY=VALUE\n", sets[i]);
                        profile_free(out);
                        return -1;
                }
                snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
                if (profile_set_key(out, key, eq + 1, &err) < 0) {
                        fprintf(stderr, "corral: --set %s: %s\n", sets[i],
                                cerr_str(&err, buf, sizeof buf));
                        profile_free(out);
                        return -1;
                }
                pending = profile_key_pending(out, key);
                if (pending)
                        fprintf(stderr, "corral: note: --set %s: %s\n", key, pending);
        }
        return 0;
}

int run_parse_args(int argc, char **argv, struct run_args *a, struct cerr *err)
{
        static const struct option opts[] = {
            {"policy", required_argument, NULL, 'p'}, {"profile", required_argument, NULL, 'P'},
            {"set", required_argument, NULL, 's'},    {"name", required_argument, NULL, 'n'},
            {"fd", required_argument, NULL, 'f'},     {"events", required_argument, NULL, 'e'},
            {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
        };
        int c;

        memset(a, 0, sizeof *a);
        a->o.out_fd = 1;
        a->o.err_fd = 2;
        cerr_clear(err);
        optind = 0; /* 0, not 1: glibc then also resets its state from a previous parse */
        /* '+': stop at the program's name, its options are its own */
        while ((c = getopt_long(argc, argv, "+hp:", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        a->policy_file = optarg;
                        break;
                case 'P':
                        a->profile_name = optarg;
                        break;
                case 's':
                        if (a->nsets == (int)(sizeof a->sets / sizeof a->sets[0]))
                                return cerr_set(err, E2BIG, "usage", "too many --set options");
                        a->sets[a->nsets++] = optarg;
                        break;
                case 'n':
                        a->o.tree_name = optarg;
                        break;
                case 'f':
                        if (parse_fd_option(&a->o, optarg, err) < 0)
                                return -1;
                        break;
                case 'e':
                        if (strcmp(optarg, "json") == 0) {
                                a->o.events_json = true;
                        } else if (strcmp(optarg, "text") != 0) {
                                return cerr_set(err, EINVAL, "usage",
                                                "--events '%s': expected text or json", optarg);
                        }
                        break;
                case 'h':
                        return RUN_ARGS_HELP;
                default:
                        /* getopt has said what was wrong */
                        a->show_usage = true;
                        return cerr_set(err, EINVAL, "usage", "%s", "");
                }
        }
        if (optind >= argc) {
                a->show_usage = true;
                return cerr_set(err, EINVAL, "usage", "no program given");
        }
        a->o.argv = argv + optind;
        return RUN_ARGS_OK;
}

int cmd_run(int argc, char **argv)
{
        struct run_args a;
        struct sup_result res;
        struct profile prof;
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        const char *ifindex;
        int rc;

        rc = run_parse_args(argc, argv, &a, &err);
        if (rc == RUN_ARGS_HELP) {
                run_usage(stdout);
                return EXIT_OK;
        }
        if (rc < 0) {
                if (err.msg[0])
                        fprintf(stderr, "corral run: %s\n%s", err.msg, a.show_usage ? "\n" : "");
                if (a.show_usage)
                        run_usage(stderr);
                return EXIT_CANNOT_RUN;
        }
        if (run_resolve_profile(&prof, a.policy_file, a.profile_name, a.sets, a.nsets) < 0)
                return EXIT_CANNOT_RUN;
        a.o.profile = &prof;
        a.o.force_clone_fallback = env_flag("CORRAL_TEST_FORCE_CLONE_FALLBACK");
        a.o.force_fd_walk = env_flag("CORRAL_TEST_FORCE_FD_WALK");
        a.o.share_keyring = env_flag("CORRAL_TEST_SHARE_KEYRING");
        ifindex = getenv("CORRAL_TEST_LOOPBACK_IFINDEX");
        if (ifindex)
                a.o.loopback_ifindex = atoi(ifindex);
        rc = supervisor_run(&a.o, &res, &err);
        profile_free(&prof);
        if (rc < 0) {
                fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                return EXIT_CANNOT_RUN;
        }
        if (res.spawn_failed)
                fprintf(stderr, "corral: %s\n", res.spawn_error);
        if (res.stuck)
                fprintf(stderr, "corral: teardown stuck: processes remain in the tree (see the "
                                "'stuck' event); its nodes were left in place\n");
        return res.exit_code;
}

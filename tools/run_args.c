/* corral run's command line: the options (each flag that stands for a key, a --set of it in
 * order with the others), --help, and the profile they resolve to (cmd_run.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../policy/profile.h"
#include "../spawner/supervisor.h"
#include "cli.h"
#include "cmd_run.h"

void run_usage(FILE *f)
{
        fprintf(
            f, "usage: corral run " RUN_SYNOPSIS "\n\n"
               "Spawn CMD as the root actor of a new tree: its own cgroup, PID, mount, IPC, UTS\n"
               "and cgroup namespaces, a fresh /proc, and only the fds it is handed. corral stays\n"
               "in the foreground; when the program exits (or on SIGINT/SIGTERM) it tears the\n"
               "tree down: CANCEL over the control channel (to a program that said HELLO),\n"
               "SIGINT, SIGTERM, then cgroup.kill, each after its timeout; a second signal\n"
               "skips a stage (and overrides a HOLD), a third kills at once. SIGHUP, SIGQUIT,\n"
               "SIGUSR1, SIGUSR2 and SIGWINCH are passed on to the program; a signal ignored\n"
               "by corral's caller is neither passed on nor acted on. Ctrl-Z (SIGTSTP) freezes\n"
               "the whole tree and stops corral; fg or bg (SIGCONT) thaws it.\n\n"
               "defaults (`corral policy default` prints every key): corral's own stdio\n"
               "(Stdin=, Stdout=, Stderr= auto); the user who ran sudo, else the caller, and\n"
               "nobody for a root caller (User=), with HOME set to that user's; no\n"
               "capabilities; a private /tmp and /var/tmp of 256M (PrivateTmp=,\n"
               "PrivateTmpSize=) and /dev (PrivateDevices=); /usr, /boot, /etc read-only\n"
               "(ProtectSystem=full); the host's network (PrivateNetwork=no); a deny list of\n"
               "kernel calls (SystemCallFilter=) and no new namespaces (RestrictNamespaces=);\n"
               "corral prints only what went wrong.\n\n"
               "options:\n"
               "  -p, --policy FILE   policy file with [profile NAME] sections\n"
               "  --profile NAME      the profile for the program (default: the file's only\n"
               "                      profile, or one named 'default'; without -p the\n"
               "                      built-in default profile: `corral policy default`)\n"
               "  --set KEY=VALUE     override one key of the profile, in policy-file syntax\n"
               "                      (e.g. --set TimeoutInterruptSec=1s; repeatable)\n"
               "  -e, --setenv NAME=VALUE  set a variable (Environment=; repeatable)\n"
               "  --unsetenv NAME     remove a variable (UnsetEnvironment=; repeatable)\n"
               "  --clearenv          pass none of corral's variables (PassEnvironment=)\n"
               "  -C, --chdir DIR     the program's working directory (WorkingDirectory=)\n"
               "  --bind SRC[:DST]    mount the host's SRC at DST, read-write (BindPaths=; DST\n"
               "                      must exist; a leading - ignores a missing SRC)\n"
               "  --ro-bind SRC[:DST] the same, read-only (BindReadOnlyPaths=)\n"
               "  --tmpfs DIR[:OPTS]  an empty tmpfs on DIR (TemporaryFileSystem=; OPTS: ro,\n"
               "                      mode=, size=; DIR must exist, and binds may go inside)\n"
               "  -u, --user USER     run the program as USER (User=)\n"
               "  -t, --pty           the program gets a terminal: a pty of its own /dev/pts as\n"
               "                      stdio and controlling terminal, relayed to corral's\n"
               "                      (raw meanwhile: Ctrl-C, Ctrl-Z go to the program; its size\n"
               "                      follows; Ctrl-] three times within 1s ends the tree)\n"
               "  --timeout DUR       cancel the tree once it ran DUR (RuntimeMaxSec=); corral\n"
               "                      run then exits 124, as timeout(1) does\n"
               "  --name NAME         name of the tree and its root actor (unique among live\n"
               "                      trees; default: the program's name plus a short id)\n"
               "  --fd N[:NAME]       pass our fd N to the program, renumbered from 3 in order,\n"
               "                      with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (repeatable)\n"
               "  -v, --verbose       the lifecycle on stderr too (the same as --events text)\n"
               "  --events FORMAT     every event on stderr: text or json (JSON lines)\n"
               "  -q, --quiet         nothing on stderr but corral's fatal errors\n"
               "  -h, --help          this text\n\n"
               "exit status: the program's own, or 128+N when it died of signal N; 124 its\n"
               "--timeout (RuntimeMaxSec=) expired; 125 corral could not run it (bad options,\n"
               "host refused, or teardown stuck), 126 the program could not be executed, 127\n"
               "it was not found.\n");
}

static int parse_fd_option(struct run_opts *o, const char *arg, struct cerr *err)
{
        char *end;
        long fd;
        const char *colon = strchr(arg, ':');
        struct sup_fd *p;

        errno = 0;
        fd = strtol(arg, &end, 10);
        if (errno || end == arg || (*end && *end != ':') || fd < 0 || fd > INT_MAX) {
                return cerr_set(err, EINVAL, CERR_USAGE, "--fd '%s': expected N or N:NAME", arg);
        }
        if (fcntl((int)fd, F_GETFD) < 0) {
                return cerr_set(err, EBADF, CERR_USAGE, "--fd %ld: not an open file descriptor",
                                fd);
        }
        if (o->npass == SPEC_MAX_PASS) {
                return cerr_set(err, E2BIG, CERR_USAGE, "at most %d --fd options", SPEC_MAX_PASS);
        }
        p = &o->pass[o->npass];
        p->fd = (int)fd;
        snprintf(p->name, sizeof p->name, "%s", "unknown");
        if (colon) {
                const char *name = colon + 1;
                size_t n = strlen(name);

                /* sd_listen_fds_with_names(3): names are ASCII, no ':' or control characters */
                if (n == 0 || n >= sizeof p->name) {
                        return cerr_set(err, EINVAL, CERR_USAGE,
                                        "--fd '%s': NAME must be 1-%zu characters", arg,
                                        sizeof p->name - 1);
                }
                for (const char *c = name; *c; c++) {
                        if (*c <= ' ' || *c > '~' || *c == ':') {
                                return cerr_set(err, EINVAL, CERR_USAGE,
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
int run_resolve_profile(struct profile *out, const struct run_args *a)
{
        const char *file = a->policy_file, *name = a->profile_name;
        const char *const *sets = a->sets;
        int nsets = a->nsets;
        struct policy pol = {0};
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        const struct profile *src = NULL;
        struct profile def;

        profile_default(&def, "default");
        if (file) {
                /* the whole file, as `corral policy check` judges it: parsed, then checked
                 * against this host (what its profiles name exists here), whichever profile
                 * runs; the same error line as policy check's */
                if (policy_load_file(file, &pol, &err) < 0 ||
                    cli_policy_host_check(&pol, &err) < 0) {
                        fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                        policy_free(&pol);
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
                        /* a flag's error names the flag as it was typed */
                        if (a->flag[i])
                                fprintf(stderr, "corral: %s '%s': %s\n", a->flag[i], a->value[i],
                                        cerr_str(&err, buf, sizeof buf));
                        else
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

/* A flag that is sugar for a key: a --set of it, in order with the others (a later one
 * wins as a later --set does). Environment= takes the value quoted, so that spaces stay. */
static int add_sugar(struct run_args *a, int c, const char *v, struct cerr *err)
{
        /* quoted: a value that may hold spaces (a path, a variable), its quotes escaped */
        static const struct {
                const char *flag, *key;
                int c;
                bool quote;
        } flags[] = {
            {"--timeout", "RuntimeMaxSec", 'D', false},
            {"--chdir", "WorkingDirectory", 'C', false},
            {"--user", "User", 'u', false},
            {"--unsetenv", "UnsetEnvironment", 'U', false},
            {"--clearenv", "PassEnvironment", 'Z', false},
            {"--bind", "BindPaths", 'B', true},
            {"--ro-bind", "BindReadOnlyPaths", 'R', true},
            {"--tmpfs", "TemporaryFileSystem", 'T', true},
            {"--setenv", "Environment", 'e', true},
        };
        size_t f = 0, n;
        const char *v0 = v;
        char *buf;

        while (flags[f].c != c)
                f++;
        if (a->nsets == (int)(sizeof a->sets / sizeof a->sets[0]))
                return cerr_set(err, E2BIG, CERR_USAGE, "too many --set options and flags");
        if (c == 'e' && (!strchr(v, '=') || v[0] == '='))
                return cerr_set(err, EINVAL, CERR_USAGE, "--setenv '%s': expected NAME=VALUE", v);
        buf = a->sugar[a->nsets];
        n = (size_t)snprintf(buf, RUN_SUGAR_MAX, "%s=%s", flags[f].key,
                             c == 'Z'         ? ""
                             : flags[f].quote ? "\""
                                              : v);
        if (flags[f].quote) {
                for (; *v && n + 4 < RUN_SUGAR_MAX; v++) {
                        if (*v == '"' || *v == '\\')
                                buf[n++] = '\\';
                        buf[n++] = *v;
                }
                buf[n++] = '"';
                buf[n] = '\0';
                if (*v)
                        n = RUN_SUGAR_MAX; /* cut short */
        }
        if (n >= RUN_SUGAR_MAX)
                return cerr_set(err, E2BIG, CERR_USAGE, "%s: the value is too long", flags[f].flag);
        a->flag[a->nsets] = flags[f].flag;
        a->value[a->nsets] = c == 'Z' ? "" : v0;
        a->sets[a->nsets++] = buf;
        return 0;
}

int run_parse_args(int argc, char **argv, struct run_args *a, struct cerr *err)
{
        static const struct option opts[] = {
            {"policy", required_argument, NULL, 'p'},
            {"profile", required_argument, NULL, 'P'},
            {"set", required_argument, NULL, 's'},
            {"name", required_argument, NULL, 'n'},
            {"fd", required_argument, NULL, 'f'},
            {"events", required_argument, NULL, 'J'},
            {"verbose", no_argument, NULL, 'v'},
            {"quiet", no_argument, NULL, 'q'},
            {"timeout", required_argument, NULL, 'D'},
            {"setenv", required_argument, NULL, 'e'},
            {"chdir", required_argument, NULL, 'C'},
            {"user", required_argument, NULL, 'u'},
            {"unsetenv", required_argument, NULL, 'U'},
            {"clearenv", no_argument, NULL, 'Z'},
            {"bind", required_argument, NULL, 'B'},
            {"ro-bind", required_argument, NULL, 'R'},
            {"tmpfs", required_argument, NULL, 'T'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *events_opt = NULL; /* the option that chose the events, to name a clash */
        int c;

        memset(a, 0, offsetof(struct run_args, sugar));
        a->o.out_fd = 1;
        a->o.err_fd = 2;
        cerr_clear(err);
        optind = 0; /* 0, not 1: glibc then also resets its state from a previous parse */
        /* '+': stop at the program's name, its options are its own */
        while ((c = cli_getopt(argc, argv, "run", "+hp:vqte:C:u:", opts)) != -1) {
                enum run_events ev = RUN_EVENTS_PROBLEMS;

                switch (c) {
                case 'p':
                        a->policy_file = optarg;
                        break;
                case 'P':
                        a->profile_name = optarg;
                        break;
                case 's':
                        if (a->nsets == (int)(sizeof a->sets / sizeof a->sets[0]))
                                return cerr_set(err, E2BIG, CERR_USAGE, "too many --set options");
                        a->sets[a->nsets++] = optarg;
                        break;
                case 'n':
                        a->o.tree_name = optarg;
                        break;
                case 'D':
                case 'e':
                case 'C':
                case 'u':
                case 'U':
                case 'Z':
                case 'B':
                case 'R':
                case 'T':
                        if (add_sugar(a, c, optarg, err) < 0)
                                return -1;
                        break;
                case 'f':
                        if (parse_fd_option(&a->o, optarg, err) < 0)
                                return -1;
                        break;
                case 't':
                        a->o.pty = true;
                        break;
                case 'J':
                case 'v':
                case 'q':
                        if (c == 'J' && strcmp(optarg, "json") == 0) {
                                ev = RUN_EVENTS_JSON;
                        } else if (c == 'J' && strcmp(optarg, "text") != 0) {
                                return cerr_set(err, EINVAL, CERR_USAGE,
                                                "--events '%s': expected text or json", optarg);
                        } else {
                                ev = c == 'q' ? RUN_EVENTS_NONE : RUN_EVENTS_TEXT;
                        }
                        if (events_opt && ev != a->o.events) {
                                return cerr_set(err, EINVAL, CERR_USAGE, "%s and %s: choose one",
                                                events_opt,
                                                c == 'J'   ? "--events"
                                                : c == 'v' ? "-v"
                                                           : "-q");
                        }
                        events_opt = c == 'J' ? "--events" : c == 'v' ? "-v" : "-q";
                        a->o.events = ev;
                        break;
                case 'h':
                        return RUN_ARGS_HELP;
                default:
                        /* getopt has said what was wrong */
                        a->show_usage = true;
                        return cerr_set(err, EINVAL, CERR_USAGE, "%s", "");
                }
        }
        if (optind >= argc) {
                a->show_usage = true;
                return cerr_set(err, EINVAL, CERR_USAGE, "no program given");
        }
        if (!argv[optind][0])
                return cerr_set(err, EINVAL, CERR_USAGE, "the program's name is empty");
        a->o.argv = argv + optind;
        return RUN_ARGS_OK;
}

/* "sleep-3f2a91c0": the program's basename, made a valid name, plus a random id. */

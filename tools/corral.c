#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run, "spawn a program as the root of a sandboxed tree and supervise it"},
    {"check", cmd_check, "what this host supports, and how corral will use it"},
    {"policy", cmd_policy, "validate a policy file (check FILE) or print the default profile"},
    {"ps", cmd_ps, "every live tree and actor of this host, with state and resource use"},
    {"tree", cmd_tree, "the live trees drawn as hierarchies (one tree: corral tree TREE)"},
    {"kill", cmd_kill, "end a tree or subtree: graceful cascade, --signal, or --force"},
    {"stat", cmd_stat, "an actor's or tree's resource use, counters and limits (v1 or v2)"},
    {"sockets", cmd_sockets, "the TCP, UDP and Unix sockets a tree or subtree holds"},
    {"gc", cmd_gc, "remove what supervisors that died left behind (cgroup nodes, records)"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

#define SYNOPSIS "COMMAND [OPTIONS]"

static void usage(FILE *f)
{
        fprintf(f, "usage: corral " SYNOPSIS "\n\n"
                   "corral spawns trees of sandboxed actor processes, each in its own cgroup and\n"
                   "PID namespace, and tears them down with a bounded cancel cascade.\n\n"
                   "commands:\n");
        for (size_t i = 0; i < NCOMMANDS; i++)
                fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\n`corral COMMAND --help` describes one command.\n");
}

/* "run, check, policy, gc": what an unknown or missing command could have been. */
static const char *command_names(char *buf, size_t len)
{
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < NCOMMANDS && n < len; i++)
                n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", commands[i].name);
        return buf;
}

/* A caller may start us with 0, 1 or 2 closed (`<&-`, some daemon managers). Then the first fd
 * we open would take that number and be handed on as a program's stdio (Stdin=inherit), or
 * receive our messages. Like systemd, point each closed one at /dev/null before anything else
 * is opened. */
static void stdio_fill(void)
{
        for (int fd = 0; fd <= 2; fd++) {
                if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
                        int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

                        if (n >= 0 && n != fd) /* lower numbers are open: n == fd */
                                close(n);
                }
        }
}

int main(int argc, char **argv)
{
        char names[128];

        stdio_fill();
        if (argc < 2) {
                cli_error(NULL, "which command? expected one of %s",
                          command_names(names, sizeof names));
                return cli_usage(NULL, SYNOPSIS, EXIT_USAGE);
        }
        if (strcmp(argv[1], "help") == 0 && argc == 3) { /* corral help CMD */
                for (size_t i = 0; i < NCOMMANDS; i++) {
                        if (strcmp(argv[2], commands[i].name) == 0) {
                                char *hargv[] = {argv[2], "--help", NULL};

                                return commands[i].fn(2, hargv);
                        }
                }
                cli_error("help", "unknown command '%s'; expected one of %s", argv[2],
                          command_names(names, sizeof names));
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("corral %s\n", CORRAL_VERSION);
                return EXIT_OK;
        }
        for (size_t i = 0; i < NCOMMANDS; i++) {
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);
        }
        if (argv[1][0] == '-')
                cli_error(NULL, "unrecognized option '%s'", argv[1]);
        else
                cli_error(NULL, "unknown command '%s'; expected one of %s", argv[1],
                          command_names(names, sizeof names));
        return cli_usage(NULL, SYNOPSIS, EXIT_USAGE);
}

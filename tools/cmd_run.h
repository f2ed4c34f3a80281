/* corral run's command line, apart from the run itself, so that tests and the fuzz target
 * (tests/fuzz/) can parse arguments without starting a supervisor. */
#ifndef CORRAL_TOOLS_CMD_RUN_H
#define CORRAL_TOOLS_CMD_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "../ns/err.h"
#include "../policy/profile.h"
#include "../spawner/supervisor.h"

/* What corral run says on stderr: by default only what went wrong (event_is_problem), as a
 * shell would; -v/--events text the lifecycle too; --events json every record as JSON
 * lines; -q nothing but fatal errors. */
enum run_events { RUN_EVENTS_PROBLEMS, RUN_EVENTS_TEXT, RUN_EVENTS_JSON, RUN_EVENTS_NONE };

/* What the command line says about the run itself. */
struct run_opts {
        const char *tree_name; /* NULL: the program's basename plus a short id */
        char *const *argv;     /* the program */
        struct sup_fd pass[SPEC_MAX_PASS];
        int npass;
        enum run_events events; /* which event records, in which form, on stderr */
        int out_fd, err_fd;
        bool pty; /* -t: the program's stdio is a pty, relayed to the caller's terminal */
};

#define RUN_SUGAR_MAX 4352 /* a KEY=VALUE a flag stands for: a path, or a quoted variable */

struct run_args {
        struct run_opts o;
        const char *policy_file, *profile_name;
        const char *sets[64]; /* --set KEY=VALUE and the flags that are sugar for one, in order */
        int nsets;
        const char *flag[64], *value[64]; /* a flag's set: the flag and its value as typed, for
                                           * errors (flag NULL: a --set) */
        bool show_usage;                  /* on error: the usage line follows the message */
        /* the KEY=VALUE of each such flag (sets[] points here). Last, and not zeroed by the
         * parse (an entry is written before sets[] points at it): zeroing its 278 KiB cost
         * about 70 page faults of a fresh stack per corral run */
        char sugar[64][RUN_SUGAR_MAX];
};

enum { RUN_ARGS_OK = 0, RUN_ARGS_HELP = 1 };

/* Parse `run [OPTIONS] -- CMD [ARGS...]` (argv[0] is "run"). Runs nothing, and prints
 * nothing but getopt's own message on a bad option (cli_getopt); checks that each --fd is open
 * in this process. Returns RUN_ARGS_OK with a->o.argv pointing into argv, RUN_ARGS_HELP for
 * -h/--help, or -1 with err->msg saying what was wrong (empty when getopt has already said
 * it). */
int run_parse_args(int argc, char **argv, struct run_args *a, struct cerr *err);

#define RUN_SYNOPSIS "[OPTIONS] -- CMD [ARGS...]"
/* `corral run --help`: the whole help, with the defaults. */
void run_usage(FILE *f);

/* The profile the program runs with: from a->policy_file (or the built-in default), then every
 * --set and flag applied in order. Prints what was wrong to stderr and returns -1; out needs
 * profile_free() after 0. */
int run_resolve_profile(struct profile *out, const struct run_args *a);

#endif

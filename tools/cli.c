/* Helpers every command shares (cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../policy/policy.h"
#include "../spawner/identity.h"
#include "../spawner/supervisor.h"

int cli_exit_for_input(const struct cerr *err)
{
        switch (err->stage) {
        case CERR_USAGE:
        case CERR_PARSE:
        case CERR_HOST_CHECK:
        case CERR_OPEN:
                return EXIT_USAGE;
        default:
                return EXIT_FAILED;
        }
}

bool cli_wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                        return true;
        }
        return false;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "corral: %s%s", cmd ? cmd : "", cmd ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_getopt(int argc, char **argv, const char *cmd, const char *optstring,
               const struct option *opts)
{
        char prog[64], *argv0 = argv[0];
        int c;

        snprintf(prog, sizeof prog, "corral: %s", cmd);
        argv[0] = prog;
        c = getopt_long(argc, argv, optstring, opts, NULL);
        argv[0] = argv0;
        return c;
}

int cli_usage(const char *cmd, const char *synopsis, int code)
{
        fprintf(stderr, "usage: corral %s%s%s   (`corral %s%s--help` for more)\n", cmd ? cmd : "",
                cmd ? " " : "", synopsis, cmd ? cmd : "", cmd ? " " : "");
        return code;
}

int cli_policy_host_check(const struct policy *pol, struct cerr *err)
{
        for (size_t i = 0; i < pol->n; i++) {
                const struct profile *p = &pol->profiles[i];
                char msg[CERR_MSG_MAX];

                /* the credential keys, then the path keys, as the spawn resolves them (not
                 * checked here: WorkingDirectory=, entered inside the actor's own mounts, and
                 * Stdout=file:, which opening would create) */
                if (identity_check(p, err) == 0 && corral_profile_check_paths(p, err) == 0)
                        continue;
                /* (with the errno's words: the stage below prints none) */
                cerr_str(err, msg, sizeof msg);
                err->stage = CERR_HOST_CHECK;
                /* as host warnings read: "FILE: [profile NAME] KEY: ..." */
                return cerr_set(err, err->errnum, err->stage, "%s: [profile %s] %s", pol->name,
                                p->name, msg);
        }
        return 0;
}

/* Helpers every command shares (cli.h). */
#include "cli.h"

#include <string.h>

#include "../policy/policy.h"
#include "../spawner/identity.h"

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

int cli_policy_host_check(const struct policy *pol, struct cerr *err)
{
        for (size_t i = 0; i < pol->n; i++) {
                const struct profile *p = &pol->profiles[i];
                char msg[CERR_MSG_MAX];

                /* Host checks of path keys (ReadWritePaths=, BindPaths=, WorkingDirectory=,
                 * Stdin/Stdout/Stderr=file:...) go here too, after the credential keys (the
                 * spawn resolves the identity first, then the paths), from spawner/paths.c. */
                if (identity_check(p, err) == 0)
                        continue;
                memcpy(msg, err->msg, sizeof msg);
                /* as host warnings read: "FILE: [profile NAME] KEY: ..." */
                return cerr_set(err, err->errnum, err->stage, "%s: [profile %s] %s", pol->name,
                                p->name, msg);
        }
        return 0;
}

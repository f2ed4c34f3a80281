/* Helpers every command shares (cli.h). */
#include "cli.h"

#include <string.h>

int cli_exit_for_input(const struct cerr *err)
{
        switch (err->stage) {
        case CERR_USAGE:
        case CERR_PARSE:
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

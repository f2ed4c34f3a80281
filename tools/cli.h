/* The `corral` command: one function per subcommand. Only tools/ prints and exits. */
#ifndef CORRAL_TOOLS_CLI_H
#define CORRAL_TOOLS_CLI_H

#include <stdbool.h>

#include "../ns/err.h"

#define CORRAL_VERSION "0.1.0"

/* Exit codes of commands other than `run` (DESIGN §10). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* The exit status for a failure to read what the user named (a policy file): 2 when the
 * input is wrong or missing (a parse error, a file that cannot be opened), 1 when the
 * operation failed for another reason. */
int cli_exit_for_input(const struct cerr *err);

struct policy;

/* The host checks of a policy file (DESIGN §9): what `corral run` would refuse on this host
 * though the file parses (a User= this host has no such user for), found before anything is
 * spawned. `corral policy check` and `corral run -p` both call it on the whole file, every
 * profile in file order whichever one runs (as a parse error anywhere refuses the file), so
 * both refuse with the same line. The first problem stops it: err then reads
 * "FILE: [profile NAME] KEY: 'VALUE': what this host lacks" (stage CERR_HOST_CHECK). */
int cli_policy_host_check(const struct policy *pol, struct cerr *err);

/* True when argv holds -h or --help (before any "--"). */
bool cli_wants_help(int argc, char **argv);

#endif

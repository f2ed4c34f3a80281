/* The `corral` command: one function per subcommand. Only tools/ prints and exits. */
#ifndef CORRAL_TOOLS_CLI_H
#define CORRAL_TOOLS_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "../ns/err.h"

#define CORRAL_VERSION "0.1.0"

/* Exit codes of commands other than `run` (DESIGN §10). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_sockets(int argc, char **argv);

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

/* Every message corral writes to stderr starts "corral: ", and one about how a command was
 * called names the command: "corral: CMD: MESSAGE" ("corral: MESSAGE" when cmd is NULL), so
 * that its reader, and a script's log, know which program spoke. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long(3) whose own messages read as corral's: "corral: CMD: unrecognized option
 * '--x'". glibc starts each with argv[0], which is "corral: CMD" while it runs (argv[0] is
 * given back after). On an error it has said what was wrong and returns '?': the caller
 * adds cli_usage(). */
int cli_getopt(int argc, char **argv, const char *cmd, const char *optstring,
               const struct option *opts);

/* After an option or usage error (getopt's message, or cli_error's): the command's one usage
 * line, "usage: corral CMD SYNOPSIS", and which command prints the whole help, on stderr; the
 * whole help is for --help alone. Returns code, the command's usage exit status. */
int cli_usage(const char *cmd, const char *synopsis, int code);

#endif

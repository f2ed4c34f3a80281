/* The command line of `corral run` (tools/cmd_run.c): the input is split at NUL bytes into
 * arguments after "run". Options are parsed exactly as `corral run` parses them; without -p,
 * the built-in default profile is resolved with the --set options applied, as the run would.
 * Nothing is ever run. */
#include <unistd.h>

#include "../../tools/cmd_run.h"
#include "fuzz.h"

#define MAX_ARGS 160

/* run_resolve_profile reports to stderr; the sanitizers write to fd 2 directly, so their
 * reports still show while the parser's messages go nowhere. */
static void quiet(void)
{
        static FILE *null;

        if (!null) {
                null = fopen("/dev/null", "we");
                if (null)
                        stderr = null;
        }
}

/* A parser is a function of its arguments: parsing them again gives the same answer. */
static void same_parse(const struct run_args *x, int rx, const struct cerr *ex,
                       const struct run_args *y, int ry, const struct cerr *ey)
{
        FUZZ_CHECK(rx == ry, "rc %d then %d", rx, ry);
        FUZZ_CHECK(strcmp(ex->msg, ey->msg) == 0, "'%s' then '%s'", ex->msg, ey->msg);
        FUZZ_CHECK(x->show_usage == y->show_usage, "usage");
        if (rx != RUN_ARGS_OK)
                return;
        FUZZ_CHECK(x->policy_file == y->policy_file && x->profile_name == y->profile_name &&
                       x->o.tree_name == y->o.tree_name && x->o.argv == y->o.argv &&
                       x->o.events == y->o.events,
                   "options differ");
        FUZZ_CHECK(x->nsets == y->nsets, "--set count");
        /* (a flag that stands for a key is a string of each parse's own: compare the text) */
        for (int i = 0; i < x->nsets; i++)
                FUZZ_CHECK(strcmp(x->sets[i], y->sets[i]) == 0, "--set '%s' then '%s'", x->sets[i],
                           y->sets[i]);
        FUZZ_CHECK(x->o.npass == y->o.npass && !memcmp(x->o.pass, y->o.pass, sizeof x->o.pass),
                   "--fd");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *argv[MAX_ARGS + 2];
        int argc = 0;
        struct run_args a, b;
        struct cerr err = {0}, err2 = {0};
        int rc, rc2;

        if (size > 4096)
                return 0;
        quiet();
        argv[argc] = strdup("run");
        FUZZ_CHECK(argv[argc], "out of memory");
        argc++;
        /* each argument in its own allocation: a read past one is caught */
        for (size_t i = 0; i < size && argc <= MAX_ARGS;) {
                const uint8_t *end = memchr(data + i, '\0', size - i);
                size_t n = end ? (size_t)(end - (data + i)) : size - i;

                argv[argc] = malloc(n + 1);
                FUZZ_CHECK(argv[argc], "out of memory");
                memcpy(argv[argc], data + i, n);
                argv[argc][n] = '\0';
                argc++;
                i += n + 1;
        }
        argv[argc] = NULL;

        rc = run_parse_args(argc, argv, &a, &err);
        rc2 = run_parse_args(argc, argv, &b, &err2);
        same_parse(&a, rc, &err, &b, rc2, &err2);
        FUZZ_CHECK(rc == RUN_ARGS_OK || rc == RUN_ARGS_HELP || rc == -1, "rc %d", rc);
        if (rc == -1)
                FUZZ_CHECK(err.msg[0] || a.show_usage, "an error without a message");
        if (rc == RUN_ARGS_OK) {
                FUZZ_CHECK(a.o.argv > argv && a.o.argv < argv + argc && a.o.argv[0],
                           "program not in argv");
                FUZZ_CHECK(a.o.npass >= 0 && a.o.npass <= SPEC_MAX_PASS, "%d fds", a.o.npass);
                FUZZ_CHECK(a.nsets >= 0 && a.nsets <= 64, "%d sets", a.nsets);
                for (int i = 0; i < a.o.npass; i++)
                        FUZZ_CHECK(memchr(a.o.pass[i].name, '\0', sizeof a.o.pass[i].name) &&
                                       a.o.pass[i].name[0],
                                   "fd name");
                if (!a.policy_file) {
                        struct profile prof;

                        if (run_resolve_profile(&prof, &a) == 0)
                                profile_free(&prof);
                }
        }
        for (int i = 0; i < argc; i++)
                free(argv[i]);
        return 0;
}

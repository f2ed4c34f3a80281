/* corral policy check FILE | corral policy default: validate a policy file and print the
 * resolved profiles (every key, defaults included) as a policy file, with the keys whose
 * behaviour is still to come and what this host cannot apply. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../ns/cgroup_mounts.h"
#include "../policy/nesting.h"
#include "../policy/policy.h"
#include "../policy/words.h"
#include "cli.h"
#include "../spawner/json.h"

/* The usage line of each subcommand, and of `corral policy` before it has one. */
#define CHECK_SYNOPSIS   "[--json] [--changed] FILE"
#define DEFAULT_SYNOPSIS "[--json]"
#define POLICY_SYNOPSIS  "check|default [OPTIONS] [FILE]"

static void policy_usage(FILE *f)
{
        fprintf(
            f,
            "usage: corral policy check " CHECK_SYNOPSIS "\n"
            "       corral policy default " DEFAULT_SYNOPSIS "\n\n"
            "check    validate FILE and print its profiles as corral resolves them: every key\n"
            "         with its effective value, defaults included, in policy-file syntax (the\n"
            "         output is itself a valid policy file). Keys validated now but applied\n"
            "         only by later work are marked with a '# pending:' comment; keys this\n"
            "         host cannot apply (no io controller, no swap ...) are warnings on stderr,\n"
            "         and so is a SpawnProfiles= entry looser than its profile (every SPAWN\n"
            "         of it would be refused).\n"
            "default  print the built-in default profile, used when no policy file is given.\n\n"
            "  --json     one JSON object instead of the policy file (a set of words, such as\n"
            "             Namespaces, is an array of words; any other value a string)\n"
            "  --changed  only the keys that differ from the default profile\n\n"
            "exit status: 0 valid (warnings allowed), 2 bad input or usage, or a profile\n"
            "that names what this host lacks (corral run refuses it too, with the same line);\n"
            "errors read `corral: FILE:LINE: KEY: what was wrong; what was expected`, or\n"
            "`corral: FILE: [profile NAME] KEY: 'VALUE': no such user on this host`\n");
}

struct host_info {
        bool known; /* cgroup discovery worked */
        struct cg_mounts cg;
        bool swap;
};

static void host_discover(struct host_info *h)
{
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];

        h->known = cg_mounts_discover(&h->cg, &err) == 0;
        if (!h->known)
                fprintf(stderr,
                        "corral: warning: cannot tell which cgroup controllers this host has (%s); "
                        "resource keys are not checked against it\n",
                        cerr_str(&err, buf, sizeof buf));
        if (policy_host_has_swap(&h->swap, &err) < 0) {
                fprintf(stderr, "corral: warning: %s\n", cerr_str(&err, buf, sizeof buf));
                h->swap = true; /* unknown: do not claim there is none */
        }
}

static const struct profile *find_profile(const void *pol, const char *name)
{
        return policy_find(pol, name);
}

/* What p cannot have on this host, and the SpawnProfiles= entries it could never spawn (run
 * warns the same for its root's profile, and refuses each such SPAWN). pol: NULL for the
 * built-in default. */
static int profile_warnings(const struct policy *pol, const struct profile *p,
                            const struct host_info *h, struct strlist *out)
{
        struct cerr err = {0};

        if (h && h->known && policy_host_warnings(p, &h->cg, h->swap, out, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.msg);
                return -1;
        }
        if (pol && nesting_warnings(p, find_profile, pol, out, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.msg);
                return -1;
        }
        return 0;
}

/* Whether key's value in p differs from the default profile's (--changed). */
static bool key_changed(const struct profile *p, const struct profile *base, const char *key)
{
        struct strlist a = {0}, b = {0};
        struct cerr err = {0};
        bool changed = true;

        if (profile_format_key(p, key, &a, &err) == 0 &&
            profile_format_key(base, key, &b, &err) == 0 && a.n == b.n) {
                changed = false;
                for (size_t i = 0; i < a.n; i++)
                        changed |= strcmp(a.v[i], b.v[i]) != 0;
        }
        strlist_clear(&a);
        strlist_clear(&b);
        return changed;
}

static int print_profile(const struct profile *p, const struct profile *base)
{
        struct cerr err = {0};

        printf("[profile %s]\n", p->name);
        for (size_t i = 0; i < policy_key_count(); i++) {
                const char *key = policy_key_name(i);
                const char *note = profile_key_pending(p, key);
                struct strlist vals = {0};

                if (base && !key_changed(p, base, key))
                        continue;
                if (profile_format_key(p, key, &vals, &err) < 0) {
                        fprintf(stderr, "corral: %s\n", err.msg);
                        strlist_clear(&vals);
                        return -1;
                }
                if (note)
                        printf("# pending: %s\n", note);
                for (size_t v = 0; v < vals.n; v++)
                        printf("%s =%s%s\n", key, vals.v[v][0] ? " " : "", vals.v[v]);
                strlist_clear(&vals);
        }
        return 0;
}

/* One key in JSON: a set of words as an array of words (an empty one: []), anything else as
 * its string. */
static int json_key(struct json *j, const char *key, const struct strlist *vals, struct cerr *err)
{
        if (!policy_key_is_words(key)) {
                json_string(j, key, vals->n ? vals->v[0] : "");
                return 0;
        }
        json_begin_array(j, key);
        for (size_t v = 0; v < vals->n; v++) {
                struct strlist words = {0};

                if (words_split(vals->v[v], NULL, &words, err) < 0)
                        return -1;
                for (size_t w = 0; w < words.n; w++)
                        json_string(j, NULL, words.v[w]);
                strlist_clear(&words);
        }
        json_end_array(j);
        return 0;
}

static int print_profile_json(struct json *j, const struct policy *pol, const struct profile *p,
                              const struct host_info *h, const struct profile *base)
{
        struct strlist warnings = {0};
        struct cerr err = {0};
        int rc = 0;

        json_begin_object(j, NULL);
        json_string(j, "name", p->name);
        json_begin_object(j, "keys");
        for (size_t i = 0; i < policy_key_count() && rc == 0; i++) {
                const char *key = policy_key_name(i);
                struct strlist vals = {0};

                if (base && !key_changed(p, base, key))
                        continue;
                if (profile_format_key(p, key, &vals, &err) < 0 ||
                    json_key(j, key, &vals, &err) < 0) {
                        fprintf(stderr, "corral: %s\n", err.msg);
                        rc = -1;
                }
                strlist_clear(&vals);
        }
        json_end_object(j);
        json_begin_object(j, "pending");
        for (size_t i = 0; i < policy_key_count(); i++) {
                const char *note = profile_key_pending(p, policy_key_name(i));

                if (note)
                        json_string(j, policy_key_name(i), note);
        }
        json_end_object(j);
        json_begin_array(j, "warnings");
        if (rc == 0 && profile_warnings(pol, p, h, &warnings) < 0)
                rc = -1;
        for (size_t i = 0; i < warnings.n; i++)
                json_string(j, NULL, warnings.v[i]);
        json_end_array(j);
        json_end_object(j);
        strlist_clear(&warnings);
        return rc;
}

/* A file that does not parse, or names what this host lacks: the error on stderr as run
 * prints it, nothing else (the profiles would not run); 2 for bad input. */
static int policy_invalid(const char *path, bool json, const struct cerr *err)
{
        char buf[CERR_MSG_MAX + 64];

        fprintf(stderr, "corral: %s\n", cerr_str(err, buf, sizeof buf));
        if (json) {
                struct json j;

                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_string(&j, "file", path);
                json_bool(&j, "valid", false);
                json_string(&j, "error", buf);
                json_end_object(&j);
        }
        return cli_exit_for_input(err);
}

static int policy_check(const char *path, bool json, bool changed)
{
        struct host_info host;
        struct policy pol;
        struct profile def;
        struct cerr err = {0};
        int rc = 0;

        if (policy_load_file(path, &pol, &err) < 0)
                return policy_invalid(path, json, &err);
        /* What run would refuse on this host, with the line run refuses with: the credential
         * keys today (identity_check). The path keys' host check joins them inside
         * cli_policy_host_check() (tools/cli.c), so that run gets it too. */
        if (cli_policy_host_check(&pol, &err) < 0) {
                policy_free(&pol);
                return policy_invalid(path, json, &err);
        }
        host_discover(&host);
        profile_default(&def, "default");
        if (json) {
                struct json j;

                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_string(&j, "file", path);
                json_bool(&j, "valid", true);
                json_begin_array(&j, "profiles");
                for (size_t i = 0; i < pol.n && rc == 0; i++)
                        rc = print_profile_json(&j, &pol, &pol.profiles[i], &host,
                                                changed ? &def : NULL);
                json_end_array(&j);
                json_begin_array(&j, "notes");
                for (size_t i = 0; i < pol.notes.n; i++)
                        json_string(&j, NULL, pol.notes.v[i]);
                json_end_array(&j);
                json_end_object(&j);
        } else {
                printf(changed ? "# %s: %zu profile%s, valid. The keys that differ from the "
                                 "defaults.\n"
                               : "# %s: %zu profile%s, valid. Every key with its effective "
                                 "value,\n# defaults included. '# pending:' marks keys whose "
                                 "behaviour comes later.\n",
                       path, pol.n, pol.n == 1 ? "" : "s");
                for (size_t i = 0; i < pol.n && rc == 0; i++) {
                        struct strlist warnings = {0};

                        printf("\n");
                        rc = print_profile(&pol.profiles[i], changed ? &def : NULL);
                        if (rc == 0)
                                rc = profile_warnings(&pol, &pol.profiles[i], &host, &warnings);
                        for (size_t w = 0; w < warnings.n; w++)
                                fprintf(stderr, "corral: warning: %s: [profile %s] %s\n", path,
                                        pol.profiles[i].name, warnings.v[w]);
                        strlist_clear(&warnings);
                }
        }
        policy_free(&pol);
        cg_mounts_free(&host.cg);
        profile_free(&def);
        return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

static int policy_default(bool json)
{
        struct profile p;
        int rc;

        profile_default(&p, "default");
        if (json) {
                struct json j;

                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_begin_array(&j, "profiles");
                rc = print_profile_json(&j, NULL, &p, NULL, NULL);
                json_end_array(&j);
                json_end_object(&j);
        } else {
                printf("# The built-in default profile, used when no policy file is given.\n"
                       "# '# pending:' marks keys whose behaviour comes later.\n\n");
                rc = print_profile(&p, NULL);
        }
        profile_free(&p);
        return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

int cmd_policy(int argc, char **argv)
{
        static const struct option opts[] = {
            {"json", no_argument, NULL, 'j'},
            {"changed", no_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *cmd, *synopsis;
        bool check, json = false, changed = false;
        int c;

        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                policy_usage(stdout);
                return EXIT_OK;
        }
        if (argc < 2 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "default") != 0)) {
                if (argc < 2)
                        cli_error("policy", "which subcommand? expected check or default");
                else if (argv[1][0] == '-')
                        cli_error("policy", "unrecognized option '%s'; a subcommand comes first",
                                  argv[1]);
                else
                        cli_error("policy", "unknown subcommand '%s'; expected check or default",
                                  argv[1]);
                return cli_usage("policy", POLICY_SYNOPSIS, EXIT_USAGE);
        }
        check = strcmp(argv[1], "check") == 0;
        cmd = check ? "policy check" : "policy default";
        synopsis = check ? CHECK_SYNOPSIS : DEFAULT_SYNOPSIS;
        optind = 1;
        while ((c = cli_getopt(argc - 1, argv + 1, cmd, "h", opts)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'c':
                        changed = true;
                        break;
                case 'h':
                        policy_usage(stdout);
                        return EXIT_OK;
                default: /* getopt has said what was wrong */
                        return cli_usage(cmd, synopsis, EXIT_USAGE);
                }
        }
        argc -= 1 + optind;
        argv += 1 + optind;
        if (!check) {
                if (argc > 0) {
                        cli_error(cmd, "unexpected argument '%s'", argv[0]);
                        return cli_usage(cmd, synopsis, EXIT_USAGE);
                }
                return policy_default(json);
        }
        if (argc != 1) {
                cli_error(cmd, "%s", argc == 0 ? "which file? expected FILE" : "expected one FILE");
                return cli_usage(cmd, synopsis, EXIT_USAGE);
        }
        return policy_check(argv[0], json, changed);
}

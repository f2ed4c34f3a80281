/* corral policy check FILE | corral policy default: validate a policy file and print the
 * resolved profiles (every key, defaults included) as a policy file, with the keys whose
 * behaviour is still to come and what this host cannot apply. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../ns/cgroup_mounts.h"
#include "../policy/policy.h"
#include "cli.h"
#include "../spawner/json.h"

static void policy_usage(FILE *f)
{
        fprintf(
            f,
            "usage: corral policy check [--json] FILE\n"
            "       corral policy default [--json]\n\n"
            "check    validate FILE and print its profiles as corral resolves them: every key\n"
            "         with its effective value, defaults included, in policy-file syntax (the\n"
            "         output is itself a valid policy file). Keys validated now but applied\n"
            "         only by later work are marked with a '# pending:' comment; keys this\n"
            "         host cannot apply (no io controller, no swap ...) are warnings on stderr.\n"
            "default  print the built-in default profile, used when no policy file is given.\n\n"
            "  --json   one JSON object instead of the policy file\n\n"
            "exit status: 0 valid (warnings allowed), 2 bad input or usage; errors read\n"
            "`corral: FILE:LINE: KEY: what was wrong; what was expected`\n");
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

static int host_warnings(const struct profile *p, const struct host_info *h, struct strlist *out)
{
        struct cerr err = {0};

        if (!h || !h->known)
                return 0;
        if (policy_host_warnings(p, &h->cg, h->swap, out, &err) < 0) {
                fprintf(stderr, "corral: %s\n", err.msg);
                return -1;
        }
        return 0;
}

static int print_profile(const struct profile *p)
{
        struct cerr err = {0};

        printf("[profile %s]\n", p->name);
        for (size_t i = 0; i < policy_key_count(); i++) {
                const char *key = policy_key_name(i);
                const char *note = profile_key_pending(p, key);
                struct strlist vals = {0};

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

static int print_profile_json(struct json *j, const struct profile *p, const struct host_info *h)
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

                if (profile_format_key(p, key, &vals, &err) < 0) {
                        fprintf(stderr, "corral: %s\n", err.msg);
                        rc = -1;
                } else {
                        /* one string per `key = value` line, as the text output has them */
                        json_begin_array(j, key);
                        for (size_t v = 0; v < vals.n; v++)
                                json_string(j, NULL, vals.v[v]);
                        json_end_array(j);
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
        if (rc == 0 && host_warnings(p, h, &warnings) < 0)
                rc = -1;
        for (size_t i = 0; i < warnings.n; i++)
                json_string(j, NULL, warnings.v[i]);
        json_end_array(j);
        json_end_object(j);
        strlist_clear(&warnings);
        return rc;
}

static int policy_check(const char *path, bool json)
{
        struct host_info host;
        struct policy pol;
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        int rc = 0;

        if (policy_load_file(path, &pol, &err) < 0) {
                fprintf(stderr, "corral: %s\n", cerr_str(&err, buf, sizeof buf));
                if (json) {
                        struct json j;

                        json_init(&j, stdout);
                        json_begin_object(&j, NULL);
                        json_string(&j, "file", path);
                        json_bool(&j, "valid", false);
                        json_string(&j, "error", cerr_str(&err, buf, sizeof buf));
                        json_end_object(&j);
                }
                return cli_exit_for_input(&err);
        }
        host_discover(&host);
        if (json) {
                struct json j;

                json_init(&j, stdout);
                json_begin_object(&j, NULL);
                json_string(&j, "file", path);
                json_bool(&j, "valid", true);
                json_begin_array(&j, "profiles");
                for (size_t i = 0; i < pol.n && rc == 0; i++)
                        rc = print_profile_json(&j, &pol.profiles[i], &host);
                json_end_array(&j);
                json_begin_array(&j, "notes");
                for (size_t i = 0; i < pol.notes.n; i++)
                        json_string(&j, NULL, pol.notes.v[i]);
                json_end_array(&j);
                json_end_object(&j);
        } else {
                printf("# %s: %zu profile%s, valid. Every key with its effective value,\n"
                       "# defaults included. '# pending:' marks keys whose behaviour comes "
                       "later.\n",
                       path, pol.n, pol.n == 1 ? "" : "s");
                for (size_t i = 0; i < pol.n && rc == 0; i++) {
                        struct strlist warnings = {0};

                        printf("\n");
                        rc = print_profile(&pol.profiles[i]);
                        if (rc == 0)
                                rc = host_warnings(&pol.profiles[i], &host, &warnings);
                        for (size_t w = 0; w < warnings.n; w++)
                                fprintf(stderr, "corral: warning: %s: [profile %s] %s\n", path,
                                        pol.profiles[i].name, warnings.v[w]);
                        strlist_clear(&warnings);
                }
        }
        policy_free(&pol);
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
                rc = print_profile_json(&j, &p, NULL);
                json_end_array(&j);
                json_end_object(&j);
        } else {
                printf("# The built-in default profile, used when no policy file is given.\n"
                       "# '# pending:' marks keys whose behaviour comes later.\n\n");
                rc = print_profile(&p);
        }
        profile_free(&p);
        return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

int cmd_policy(int argc, char **argv)
{
        static const struct option opts[] = {
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *sub;
        bool json = false;
        int c;

        if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                policy_usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? EXIT_USAGE : EXIT_OK;
        }
        sub = argv[1];
        if (strcmp(sub, "check") != 0 && strcmp(sub, "default") != 0) {
                fprintf(stderr, "corral policy: unknown subcommand '%s'\n\n", sub);
                policy_usage(stderr);
                return EXIT_USAGE;
        }
        optind = 1;
        while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        policy_usage(stdout);
                        return EXIT_OK;
                default:
                        policy_usage(stderr);
                        return EXIT_USAGE;
                }
        }
        argc -= 1 + optind;
        argv += 1 + optind;
        if (strcmp(sub, "default") == 0) {
                if (argc > 0) {
                        fprintf(stderr, "corral policy default: unexpected argument '%s'\n",
                                argv[0]);
                        return EXIT_USAGE;
                }
                return policy_default(json);
        }
        if (argc != 1) {
                fprintf(stderr, "corral policy check: %s\n\n",
                        argc == 0 ? "which file? expected FILE" : "expected one FILE");
                policy_usage(stderr);
                return EXIT_USAGE;
        }
        return policy_check(argv[0], json);
}

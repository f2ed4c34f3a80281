/* Policy files, whole, through the production reader (policy_load_mem: our line reader,
 * libinih, the key table). A file that loads must survive the round trip that `corral policy
 * check` promises: every profile printed key by key (profile_format_key) parses back to a
 * policy that prints the same. Each loaded profile's seccomp filter is compiled, as the
 * supervisor would. */
#include <errno.h>

#include "../../policy/policy.h"
#include "../../policy/seccomp_policy.h"
#include "fuzz.h"

/* Policy files are small; long inputs only slow the search down. */
#define FUZZ_POLICY_MAX (64 * 1024)

struct text {
        char *s;
        size_t len, cap;
};

static void text_add(struct text *t, const char *a, const char *b, const char *c)
{
        size_t n = strlen(a) + strlen(b) + strlen(c);

        if (t->len + n + 1 > t->cap) {
                size_t cap = (t->len + n + 1) * 2;
                char *s = realloc(t->s, cap);

                FUZZ_CHECK(s, "out of memory");
                t->s = s;
                t->cap = cap;
        }
        t->len += (size_t)sprintf(t->s + t->len, "%s%s%s", a, b, c);
}

/* The policy as `corral policy check` prints it (without comments). */
static void print_policy(const struct policy *pol, struct text *out)
{
        struct cerr err = {0};

        out->len = 0;
        text_add(out, "", "", "");
        for (size_t i = 0; i < pol->n; i++) {
                const struct profile *p = &pol->profiles[i];

                text_add(out, "[profile ", p->name, "]\n");
                for (size_t k = 0; k < policy_key_count(); k++) {
                        const char *key = policy_key_name(k);
                        struct strlist vals = {0};

                        FUZZ_CHECK(profile_format_key(p, key, &vals, &err) == 0, "%s: %s", key,
                                   err.msg);
                        for (size_t v = 0; v < vals.n; v++) {
                                text_add(out, key, " =", vals.v[v][0] ? " " : "");
                                text_add(out, vals.v[v], "\n", "");
                        }
                        strlist_clear(&vals);
                }
        }
}

static bool too_long_for_a_line(const struct cerr *err)
{
        return strstr(err->msg, "line too long") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct policy pol, again;
        struct cerr err = {0};
        struct text first = {0}, second = {0};

        if (size > FUZZ_POLICY_MAX)
                return 0;
        if (policy_load_mem("fuzz.ini", (const char *)data, size, &pol, &err) < 0) {
                /* every failure says what and, for the file's own errors, where */
                FUZZ_CHECK(err.msg[0], "an error without a message");
                FUZZ_CHECK(err.errnum == ENOMEM || strncmp(err.msg, "fuzz.ini:", 9) == 0,
                           "error does not name the file: %s", err.msg);
                FUZZ_CHECK(pol.n == 0 && !pol.profiles && !pol.name, "failed load left a policy");
                return 0;
        }
        FUZZ_CHECK(pol.n > 0, "a loaded policy without profiles");
        for (size_t i = 0; i < pol.n; i++) {
                struct sock_fprog prog = {0};

                FUZZ_CHECK(policy_profile_name_valid(pol.profiles[i].name), "profile name '%s'",
                           pol.profiles[i].name);
                FUZZ_CHECK(policy_find(&pol, pol.profiles[i].name) == &pol.profiles[i],
                           "duplicate profile %s", pol.profiles[i].name);
                if (seccomp_compile(&pol.profiles[i], &prog, &err) == 0)
                        seccomp_fprog_free(&prog);
        }
        print_policy(&pol, &first);
        if (policy_load_mem("printed.ini", first.s, first.len, &again, &err) < 0) {
                /* "Key = value" is two bytes longer than "Key=value": a line at the limit may
                 * not fit once printed. Anything else is a formatter/parser mismatch. */
                FUZZ_CHECK(too_long_for_a_line(&err), "printed policy does not load: %s\n%s",
                           err.msg, first.s);
        } else {
                print_policy(&again, &second);
                FUZZ_CHECK(first.len == second.len && memcmp(first.s, second.s, first.len) == 0,
                           "round trip changed the policy:\n%s\n---\n%s", first.s, second.s);
                policy_free(&again);
        }
        free(first.s);
        free(second.s);
        policy_free(&pol);
        return 0;
}

/* Samples shared by the policy suites: a policy of forty syscall names over repeated lines,
 * and loading a policy from a string. */
#ifndef CORRAL_TESTS_POLICY_SAMPLES_H
#define CORRAL_TESTS_POLICY_SAMPLES_H

#include "../policy/policy.h"

extern const char *const forty[40];

/* A profile "many" whose SystemCallFilter= names forty[] over five lines (malloc'd). */
char *forty_policy(void);

/* policy_load_mem() of a NUL-terminated string, named mem.ini. */
int load_str(const char *text, struct policy *pol, struct cerr *err);

/* profile_set_key() that fails the test when the value is rejected. */
void set_ok(struct profile *p, const char *key, const char *value);

#endif

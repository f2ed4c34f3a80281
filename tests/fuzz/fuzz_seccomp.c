/* SystemCallFilter= entries: syscall names (libseccomp's resolver) and @groups, each with an
 * optional :ERRNO. */
#include "../../policy/seccomp_policy.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cerr err = {0};
        char *s, *colon;
        bool name_ok;
        int rc;

        if (size > 128)
                return 0;
        s = fuzz_cstring(data, size);
        if (!s)
                return 0;
        rc = syscall_filter_entry_check(s, &err);
        FUZZ_CHECK(rc == 0 || err.msg[0], "'%s' refused without a message", s);
        colon = strchr(s, ':');
        if (colon) {
                /* NAME:ERRNO: accepted exactly when both halves are */
                bool errno_ok = syscall_errno_parse(colon + 1) > 0;

                *colon = '\0';
                name_ok = s[0] == '@' ? syscall_group_find(s) != NULL : syscall_name_valid(s);
                FUZZ_CHECK((rc == 0) == (name_ok && errno_ok), "'%s:%s': entry check %d", s,
                           colon + 1, rc);
        } else if (s[0] == '@') {
                FUZZ_CHECK((rc == 0) == (syscall_group_find(s) != NULL), "group '%s'", s);
        } else {
                name_ok = syscall_name_valid(s);
                FUZZ_CHECK((rc == 0) == name_ok, "'%s': entry check %d, name valid %d", s, rc,
                           name_ok);
        }
        free(s);
        return 0;
}

/* SystemCallFilter= entries: syscall names (libseccomp's resolver) and @groups. */
#include "../../policy/seccomp_policy.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cerr err = {0};
        char *s;
        bool name_ok;
        int rc;

        if (size > 128)
                return 0;
        s = fuzz_cstring(data, size);
        if (!s)
                return 0;
        name_ok = syscall_name_valid(s);
        rc = syscall_filter_entry_check(s, &err);
        FUZZ_CHECK(rc == 0 || err.msg[0], "'%s' refused without a message", s);
        if (s[0] == '@')
                FUZZ_CHECK((rc == 0) == (syscall_group_find(s) != NULL), "group '%s'", s);
        else if (!strchr(s, ':'))
                FUZZ_CHECK((rc == 0) == name_ok, "'%s': entry check %d, name valid %d", s, rc,
                           name_ok);
        else
                FUZZ_CHECK(rc < 0, "'%s' with ':' accepted", s);
        free(s);
        return 0;
}

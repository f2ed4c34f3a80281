#include "policy_samples.h"

#include <check.h>

#include <stdio.h>
#include <string.h>

/* 40 names spread over repeated lines all end up in the filter. */
const char *const forty[40] = {
    "swapoff",       "swapon",         "mount",           "umount2",
    "pivot_root",    "ptrace",         "kexec_load",      "kexec_file_load",
    "reboot",        "init_module",    "finit_module",    "acct",
    "bpf",           "settimeofday",   "clock_settime",   "adjtimex",
    "ioperm",        "iopl",           "perf_event_open", "chroot",
    "add_key",       "keyctl",         "request_key",     "fsopen",
    "fsmount",       "fspick",         "move_mount",      "open_tree",
    "mount_setattr", "setdomainname",  "sethostname",     "vhangup",
    "quotactl",      "lookup_dcookie", "modify_ldt",      "personality",
    "userfaultfd",   "syslog",         "uselib",          "delete_module"};

char *forty_policy(void)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        fprintf(f, "[profile many]\nSystemCallErrorNumber = EHOSTDOWN\n");
        for (size_t i = 0; i < 40; i++)
                fprintf(f, "%s%s%s", i % 8 == 0 ? "SystemCallFilter = ~" : " ", forty[i],
                        i % 8 == 7 ? "\n" : "");
        fclose(f);
        return text;
}

int load_str(const char *text, struct policy *pol, struct cerr *err)
{
        return policy_load_mem("mem.ini", text, strlen(text), pol, err);
}

void set_ok(struct profile *p, const char *key, const char *value)
{
        struct cerr err = {0};

        if (profile_set_key(p, key, value, &err) < 0)
                ck_abort_msg("%s = %s rejected: %s", key, value, err.msg);
}

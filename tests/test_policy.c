/* Unit tests of policy files (policy/parse.c): good ones, a corpus of broken ones under
 * tests/data/policy/ each with its line and message, the line-length limit of libinih,
 * host warnings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../policy/seccomp_policy.h"
#include "../policy/units.h"
#include "harness.h"
#include "policy_samples.h"

/* ---- policy files ---- */

static void load_bad_str(const char *text, const char *where, const char *why)
{
        struct policy pol;
        struct cerr err = {0};

        if (load_str(text, &pol, &err) == 0)
                ck_abort_msg("accepted:\n%s", text);
        if (strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, why))
                ck_abort_msg("message '%s' does not start with '%s' or lacks '%s'", err.msg, where,
                             why);
        ck_assert_uint_eq(pol.n, 0);
}

/* How many entries the default profile's deny list has (a profile's deny list adds to it). */
static size_t default_deny_count(void)
{
        struct profile p;
        size_t n;

        profile_default(&p, "t");
        n = p.syscall_filter.names.n;
        profile_free(&p);
        return n;
}

START_TEST(design_example)
{
        struct policy pol;
        struct cerr err = {0};
        const struct profile *w;

        ck_assert_msg(policy_load_file("tests/data/policy/good/design.ini", &pol, &err) == 0, "%s",
                      err.msg);
        ck_assert_uint_eq(pol.n, 1);
        w = policy_find(&pol, "worker");
        ck_assert_ptr_nonnull(w);
        ck_assert_ptr_null(policy_find(&pol, "nope"));
        ck_assert_uint_eq(w->namespaces, PROFILE_NS_IPC | PROFILE_NS_UTS | PROFILE_NS_CGROUP);
        ck_assert_int_eq(w->private_network, PRIVATE_NETWORK_TREE);
        ck_assert_str_eq(w->user, "nobody");
        ck_assert_uint_eq(w->memory_max.value, 256ULL << 20);
        ck_assert_uint_eq(w->tasks_max.value, 64);
        ck_assert_uint_eq(w->cpu_quota.value, 5000);
        ck_assert(w->syscall_filter.deny_list);
        /* the default deny list, and the file's 6 after it */
        ck_assert_uint_eq(w->syscall_filter.names.n, default_deny_count() + 6);
        ck_assert_int_eq(w->syscall_filter.error_number, EPERM);
        ck_assert_uint_eq(w->timeout_cancel, 2000000);
        ck_assert_uint_eq(w->timeout_kill, 5000000);
        ck_assert_uint_eq(w->timeout_hold, 60000000);
        ck_assert_uint_eq(w->max_actors, 256);
        ck_assert_str_eq(w->spawn_profiles.v[0], "worker");
        /* keys the file did not name keep the defaults */
        ck_assert(w->protect_control_groups);
        ck_assert_int_eq(w->std_in.mode, STDIO_AUTO);
        /* PrivateNetwork = tree (line 4) is applied now: no key of the file is pending */
        ck_assert_int_eq(w->private_network, PRIVATE_NETWORK_TREE);
        ck_assert_uint_eq(pol.notes.n, 0);
        policy_free(&pol);
}
END_TEST

START_TEST(good_corpus)
{
        const char *dir = "tests/data/policy/good";
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        ck_assert_msg(d != NULL, "%s: %s (tests run from the repository root)", dir,
                      strerror(errno));
        while ((e = readdir(d))) {
                char path[512];
                struct policy pol;
                struct cerr err = {0};
                size_t l = strlen(e->d_name);

                if (l < 5 || strcmp(e->d_name + l - 4, ".ini") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                if (policy_load_file(path, &pol, &err) < 0)
                        ck_abort_msg("%s rejected: %s", path, err.msg);
                if (pol.n == 0)
                        ck_abort_msg("%s: no profiles", path);
                policy_free(&pol);
                n++;
        }
        closedir(d);
        ck_assert_int_ge(n, 4);
}
END_TEST

static char *read_all(const char *path, size_t *len)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t cap = 0;

        if (!f)
                return NULL;
        *len = 0;
        for (;;) {
                if (*len + 4096 > cap) {
                        char *nb = realloc(buf, *len + 4096 + 1);

                        ck_assert_ptr_nonnull(nb);
                        buf = nb;
                        cap = *len + 4096;
                }
                size_t n = fread(buf + *len, 1, 4096, f);

                *len += n;
                if (n == 0)
                        break;
        }
        fclose(f);
        buf[*len] = '\0';
        return buf;
}

/* Every file in bad/ fails with one error naming FILE:LINE and the fragment its .expect
 * file holds ("LINE:FRAGMENT"). */
START_TEST(bad_corpus)
{
        const char *dir = "tests/data/policy/bad";
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        ck_assert_msg(d != NULL, "%s: %s (tests run from the repository root)", dir,
                      strerror(errno));
        while ((e = readdir(d))) {
                char path[512], expect_path[512], prefix[600];
                struct policy pol;
                struct cerr err = {0};
                size_t l = strlen(e->d_name), elen;
                char *expect, *colon;

                if (l < 5 || strcmp(e->d_name + l - 4, ".ini") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                snprintf(expect_path, sizeof expect_path, "%s/%.*s.expect", dir, (int)(l - 4),
                         e->d_name);
                expect = read_all(expect_path, &elen);
                if (!expect)
                        ck_abort_msg("%s: no %s", path, expect_path);
                while (elen > 0 && expect[elen - 1] == '\n')
                        expect[--elen] = '\0';
                colon = strchr(expect, ':');
                if (!colon)
                        ck_abort_msg("%s: expected LINE:FRAGMENT", expect_path);
                *colon = '\0';
                snprintf(prefix, sizeof prefix, "%s:%s: ", path, expect);
                if (policy_load_file(path, &pol, &err) == 0)
                        ck_abort_msg("%s was accepted", path);
                if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
                        ck_abort_msg("%s: message '%s' does not start with '%s'", path, err.msg,
                                     prefix);
                if (!strstr(err.msg, colon + 1))
                        ck_abort_msg("%s: message '%s' lacks '%s'", path, err.msg, colon + 1);
                if (strchr(err.msg, '\n'))
                        ck_abort_msg("%s: message spans lines: '%s'", path, err.msg);
                if (pol.n != 0 || pol.profiles || pol.name)
                        ck_abort_msg("%s: the failed policy was not emptied", path);
                free(expect);
                n++;
        }
        closedir(d);
        ck_assert_int_ge(n, 20);
}
END_TEST

START_TEST(line_length)
{
        size_t max = policy_max_line();
        struct policy pol;
        struct cerr err = {0};
        char line[400], text[1200], *path;
        int k;

        /* Debian's libinih: INI_MAX_LINE 200, so 199 bytes and the NUL */
        ck_assert_uint_eq(max, 199);
        ck_assert_uint_eq(max, INI_MAX_LINE - 1);
        for (size_t len = max - 1; len <= max + 1; len++) {
                k = snprintf(line, sizeof line, "ReadWritePaths = /");
                while ((size_t)k < len)
                        line[k++] = 'a';
                line[k] = '\0';
                snprintf(text, sizeof text, "# comment\n[profile x]\n%s\nMemoryMax = 1G\n", line);
                if (len <= max) {
                        ck_assert_msg(load_str(text, &pol, &err) == 0, "%zu: %s", len, err.msg);
                        path = pol.profiles[0].read_write_paths.v[0];
                        /* intact: not split into a path and a stray line */
                        ck_assert_uint_eq(strlen(path), len - strlen("ReadWritePaths = "));
                        ck_assert_uint_eq(pol.profiles[0].read_write_paths.n, 1);
                        ck_assert(pol.profiles[0].memory_max.set);
                        policy_free(&pol);
                } else {
                        char want[80];

                        snprintf(want, sizeof want,
                                 "mem.ini:3: line too long (%zu bytes; at most %zu)", len, max);
                        load_bad_str(text, want, "line too long");
                }
        }
        /* the 250-character line of the issue: rejected with its line number, never split */
        k = snprintf(line, sizeof line, "ReadWritePaths = /srv");
        while (k < 250)
                k += snprintf(line + k, sizeof line - (size_t)k, "/dir%02d", k % 100);
        line[250] = '\0';
        snprintf(text, sizeof text, "[profile x]\nPrivateTmp = yes\n\n%s\n", line);
        load_bad_str(text, "mem.ini:4: line too long (250 bytes; at most 199)", "");
        /* a CRLF terminator does not count, a comment line does */
        snprintf(text, sizeof text, "[profile x]\r\n# %0300d\r\n", 0);
        load_bad_str(text, "mem.ini:2: line too long (302 bytes", "");
}
END_TEST

START_TEST(forty_entries)
{
        char *text = forty_policy();
        struct policy pol;
        struct cerr err = {0};
        const struct syscall_filter *f;

        ck_assert_msg(load_str(text, &pol, &err) == 0, "%s", err.msg);
        f = &pol.profiles[0].syscall_filter;
        ck_assert(f->set && f->deny_list);
        ck_assert_uint_eq(f->names.n, default_deny_count() + 40);
        for (size_t i = 0; i < 40; i++) {
                if (strcmp(f->names.v[default_deny_count() + i], forty[i]) != 0)
                        ck_abort_msg("entry %zu is '%s', expected '%s'", i,
                                     f->names.v[default_deny_count() + i], forty[i]);
        }
        policy_free(&pol);
        free(text);
}
END_TEST

START_TEST(file_forms)
{
        struct policy pol;
        struct cerr err = {0};

        /* BOM, CRLF, indentation, both comment styles, inline ';' comments */
        ck_assert_msg(load_str("\xef\xbb\xbf[profile a]\r\n"
                               "  MemoryMax = 1G ; one gig\r\n"
                               "\t# a comment\r\n"
                               "; another\r\n"
                               "[ profile   b ]\n"
                               "    TasksMax=8\n",
                               &pol, &err) == 0,
                      "%s", err.msg);
        ck_assert_uint_eq(pol.n, 2);
        ck_assert_uint_eq(pol.profiles[0].memory_max.value, 1ULL << 30);
        ck_assert_str_eq(pol.profiles[1].name, "b");
        ck_assert_uint_eq(pol.profiles[1].tasks_max.value, 8);
        policy_free(&pol);
        /* a 64-character profile name survives (inih alone would cut section names at 49) */
        ck_assert_msg(load_str("[profile "
                               "n234567890123456789012345678901234567890123456789012345678901234]"
                               "\nTasksMax = 1\n",
                               &pol, &err) == 0,
                      "%s", err.msg);
        ck_assert_uint_eq(strlen(pol.profiles[0].name), 64);
        policy_free(&pol);
        /* an indented line is a key of its own, not a continuation of the previous value */
        ck_assert_int_eq(
            load_str("[profile a]\nReadWritePaths = /a\n  ReadWritePaths = /b\n", &pol, &err), 0);
        ck_assert_uint_eq(pol.profiles[0].read_write_paths.n, 2);
        policy_free(&pol);
}
END_TEST

START_TEST(file_errors)
{
        struct policy pol;
        struct cerr err = {0};
        static const char nul[] = "[profile a]\nMemoryMax = 1G\0junk\n";

        load_bad_str("", "mem.ini: no [profile NAME] section", "");
        load_bad_str("# only a comment\n\n", "mem.ini: no [profile NAME] section", "");
        load_bad_str("MemoryMax = 1G\n[profile a]\n", "mem.ini:1: MemoryMax: key outside a section",
                     "");
        load_bad_str("[profile a]\n[profile b]\n[profile a]\n",
                     "mem.ini:3: duplicate profile 'a' (first defined at line 1)", "");
        load_bad_str("[profile a]\nTasksMax = 1\n[profile b]\nTasksMax = 0\n",
                     "mem.ini:4: TasksMax: '0'", "at least 1");
        load_bad_str("[profile a]\nSpawnProfiles = a\nSpawnProfiles = ghost\n[profile b]\n",
                     "mem.ini:3: SpawnProfiles: 'ghost': no [profile ghost]", "");
        /* a reset forgets the earlier reference */
        ck_assert_int_eq(load_str("[profile a]\nSpawnProfiles = ghost\nSpawnProfiles =\n"
                                  "SpawnProfiles = b\n[profile b]\n",
                                  &pol, &err),
                         0);
        policy_free(&pol);
        ck_assert_int_eq(policy_load_mem("nul.ini", nul, sizeof nul - 1, &pol, &err), -1);
        ck_assert_str_eq(err.msg, "nul.ini:2: NUL byte at column 15; a policy file is text");
        ck_assert_int_eq(policy_load_file("tests/data/policy/does-not-exist.ini", &pol, &err), -1);
        ck_assert_int_eq(err.errnum, ENOENT);
        ck_assert_int_eq(policy_load_file("tests/data/policy", &pol, &err), -1);
        ck_assert_int_eq(err.errnum, EISDIR);
}
END_TEST

START_TEST(host_warnings)
{
        struct profile p;
        struct cg_mounts h;
        struct strlist w = {0};
        struct cerr err = {0};
        bool swap;

        memset(&h, 0, sizeof h);
        for (int c = 0; c < CG_NCTRL; c++)
                h.ctrl[c].src = CG_SRC_V2;
        h.ctrl[CG_IO].src = CG_SRC_NONE;
        profile_default(&p, "t");
        ck_assert_int_eq(policy_host_warnings(&p, &h, false, &w, &err), 0);
        ck_assert_uint_eq(w.n, 0); /* no limits: nothing to warn about */
        set_ok(&p, "IOWeight", "50");
        set_ok(&p, "MemorySwapMax", "0");
        set_ok(&p, "MemoryMax", "1G");
        ck_assert_int_eq(policy_host_warnings(&p, &h, false, &w, &err), 0);
        ck_assert_uint_eq(w.n, 2);
        ck_assert_str_eq(w.v[0], "IOWeight: no io controller on this host: not applied");
        ck_assert_ptr_nonnull(strstr(w.v[1], "MemorySwapMax: no swap on this host"));
        strlist_clear(&w);
        ck_assert_int_eq(policy_host_warnings(&p, &h, true, &w, &err), 0);
        ck_assert_uint_eq(w.n, 1);
        strlist_clear(&w);
        h.ctrl[CG_MEMORY].src = CG_SRC_NONE;
        ck_assert_int_eq(policy_host_warnings(&p, &h, true, &w, &err), 0);
        ck_assert_uint_eq(w.n, 3);
        ck_assert_str_eq(w.v[0], "MemoryMax: no memory controller on this host: not applied");
        strlist_clear(&w);
        profile_free(&p);
        ck_assert_int_eq(policy_host_has_swap(&swap, &err), 0);
}
END_TEST

static Suite *files_suite(void)
{
        Suite *s = suite_create("policy-files");
        TCase *tc = tcase_create("files");

        tcase_add_test(tc, design_example);
        tcase_add_test(tc, good_corpus);
        tcase_add_test(tc, bad_corpus);
        tcase_add_test(tc, line_length);
        tcase_add_test(tc, forty_entries);
        tcase_add_test(tc, file_forms);
        tcase_add_test(tc, file_errors);
        tcase_add_test(tc, host_warnings);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {files_suite};

        return th_run("test_policy", TH_UNIT, suites, 1);
}

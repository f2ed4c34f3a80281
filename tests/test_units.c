/* Unit tests of policy/units.c: durations, sizes, percentages, counts and booleans, each
 * error message checked. */
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

static uint64_t dur(const char *s)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_duration(s, false, &v, &err) == 0, "'%s' rejected: %s", s,
                      err.msg);
        return v;
}

static void dur_bad(const char *s, const char *why)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_duration(s, false, &v, &err) == -1, "'%s' accepted", s);
        ck_assert_msg(strstr(err.msg, why) != NULL, "'%s': message '%s' lacks '%s'", s, err.msg,
                      why);
}

START_TEST(durations)
{
        ck_assert_uint_eq(dur("5s"), 5000000);
        ck_assert_uint_eq(dur("5"), 5000000);
        ck_assert_uint_eq(dur("500ms"), 500000);
        ck_assert_uint_eq(dur("250us"), 250);
        ck_assert_uint_eq(dur("1min 30s"), 90000000);
        ck_assert_uint_eq(dur("1min30s"), 90000000);
        ck_assert_uint_eq(dur("2.5s"), 2500000);
        ck_assert_uint_eq(dur("0.001s"), 1000);
        ck_assert_uint_eq(dur("1h"), 3600000000ULL);
        ck_assert_uint_eq(dur("2 min"), 120000000);
        ck_assert_uint_eq(dur("1d 1h"), 90000000000ULL);
        ck_assert_uint_eq(dur("0"), 0);
        ck_assert_uint_eq(dur(" 3s "), 3000000);
}
END_TEST

START_TEST(duration_errors)
{
        struct cerr err = {0};
        uint64_t v;

        dur_bad("-5s", "negative");
        dur_bad("5 parsecs", "unknown unit");
        dur_bad("5x", "unknown unit");
        dur_bad("", "empty");
        dur_bad("s", "expected a duration");
        dur_bad("1min 30", "every part needs a unit");
        dur_bad("1.s", "expected a duration");
        dur_bad("99999999999999999999s", "too large");
        dur_bad("300000000w", "too large");
        dur_bad("infinity", "not allowed");
        ck_assert_int_eq(units_parse_duration("infinity", true, &v, &err), 0);
        ck_assert_uint_eq(v, UNITS_INFINITY);
}
END_TEST

static uint64_t size(const char *s)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_size(s, false, &v, &err) == 0, "'%s' rejected: %s", s, err.msg);
        return v;
}

static void size_bad(const char *s, const char *why)
{
        struct cerr err = {0};
        uint64_t v = 0;

        ck_assert_msg(units_parse_size(s, false, &v, &err) == -1, "'%s' accepted", s);
        ck_assert_msg(strstr(err.msg, why) != NULL, "'%s': message '%s' lacks '%s'", s, err.msg,
                      why);
}

START_TEST(sizes)
{
        struct cerr err = {0};
        uint64_t v;
        char buf[32];

        ck_assert_uint_eq(size("4096"), 4096);
        ck_assert_uint_eq(size("512K"), 512 * 1024);
        ck_assert_uint_eq(size("256M"), 256ULL << 20);
        ck_assert_uint_eq(size("1G"), 1ULL << 30);
        ck_assert_uint_eq(size("1.5G"), 3ULL << 29);
        ck_assert_uint_eq(size("2T"), 2ULL << 40);
        ck_assert_uint_eq(size("0"), 0);
        ck_assert_int_eq(units_parse_size("infinity", true, &v, &err), 0);
        ck_assert_uint_eq(v, UNITS_INFINITY);
        ck_assert_str_eq(units_format_size(256ULL << 20, buf, sizeof buf), "256M");
        ck_assert_str_eq(units_format_size(1000, buf, sizeof buf), "1000");
}
END_TEST

START_TEST(size_errors)
{
        size_bad("-1M", "negative");
        size_bad("12Q", "unknown suffix");
        size_bad("12MB", "unknown suffix");
        size_bad("1.5", "fraction");
        size_bad("M", "expected a size");
        size_bad("", "expected a size");
        size_bad("99999999999E", "too large");
        size_bad("infinity", "not allowed");
}
END_TEST

START_TEST(percentages)
{
        struct cerr err = {0};
        uint64_t v;

        ck_assert_int_eq(units_parse_percent("20%", &v, &err), 0);
        ck_assert_uint_eq(v, 2000);
        ck_assert_int_eq(units_parse_percent("150%", &v, &err), 0);
        ck_assert_uint_eq(v, 15000);
        ck_assert_int_eq(units_parse_percent("12.5%", &v, &err), 0);
        ck_assert_uint_eq(v, 1250);
        ck_assert_int_eq(units_parse_percent("0.25%", &v, &err), 0);
        ck_assert_uint_eq(v, 25);
        ck_assert_int_eq(units_parse_percent("20", &v, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "percentage"));
        ck_assert_int_eq(units_parse_percent("-5%", &v, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "negative"));
        ck_assert_int_eq(units_parse_percent("1.125%", &v, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "two decimals"));
        ck_assert_int_eq(units_parse_percent("%", &v, &err), -1);
        ck_assert_int_eq(units_parse_percent("20%%", &v, &err), -1);
}
END_TEST

START_TEST(counts_and_bools)
{
        struct cerr err = {0};
        uint64_t v;
        bool b;
        char buf[64];

        ck_assert_int_eq(units_parse_count("64", false, &v, &err), 0);
        ck_assert_uint_eq(v, 64);
        ck_assert_int_eq(units_parse_count("infinity", true, &v, &err), 0);
        ck_assert_uint_eq(v, UNITS_INFINITY);
        ck_assert_int_eq(units_parse_count("infinity", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_count("6x", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_count("-6", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_count("184467440737095516150", false, &v, &err), -1);
        ck_assert_int_eq(units_parse_bool("yes", &b, &err), 0);
        ck_assert(b);
        ck_assert_int_eq(units_parse_bool("off", &b, &err), 0);
        ck_assert(!b);
        ck_assert_int_eq(units_parse_bool("maybe", &b, &err), -1);
        ck_assert_str_eq(units_format_duration(90000000, buf, sizeof buf), "1min 30s");
        ck_assert_str_eq(units_format_duration(500000, buf, sizeof buf), "500ms");
}
END_TEST

static Suite *units_suite(void)
{
        Suite *s = suite_create("policy-units");
        TCase *tc = tcase_create("parsers");

        tcase_add_test(tc, durations);
        tcase_add_test(tc, duration_errors);
        tcase_add_test(tc, sizes);
        tcase_add_test(tc, size_errors);
        tcase_add_test(tc, percentages);
        tcase_add_test(tc, counts_and_bools);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {units_suite};

        return th_run("test_units", TH_UNIT, suites, 1);
}

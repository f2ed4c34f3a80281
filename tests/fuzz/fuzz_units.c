/* The value parsers of policy/units.h: durations, sizes, percentages, counts, booleans, all
 * on the same text. What parses and can be printed must parse back to the same value. */
#include <ctype.h>
#include <strings.h>

#include "../../policy/units.h"
#include "fuzz.h"

static void duration(const char *s)
{
        struct cerr err = {0};
        uint64_t v, w;
        char buf[128];

        for (int inf = 0; inf < 2; inf++) {
                if (units_parse_duration(s, inf, &v, &err) < 0) {
                        FUZZ_CHECK(err.msg[0], "no message");
                        continue;
                }
                FUZZ_CHECK(inf || v != UNITS_INFINITY, "infinity where not allowed");
                units_format_duration(v, buf, sizeof buf);
                FUZZ_CHECK(units_parse_duration(buf, true, &w, &err) == 0 && w == v,
                           "'%s' -> %llu -> '%s' -> %llu (%s)", s, (unsigned long long)v, buf,
                           (unsigned long long)w, err.msg);
        }
}

static void size(const char *s)
{
        struct cerr err = {0};
        uint64_t v, w;
        char buf[64];

        for (int inf = 0; inf < 2; inf++) {
                if (units_parse_size(s, inf, &v, &err) < 0) {
                        FUZZ_CHECK(err.msg[0], "no message");
                        continue;
                }
                FUZZ_CHECK(inf || v != UNITS_INFINITY, "infinity where not allowed");
                units_format_size(v, buf, sizeof buf);
                FUZZ_CHECK(units_parse_size(buf, true, &w, &err) == 0 && w == v,
                           "'%s' -> %llu -> '%s' -> %llu (%s)", s, (unsigned long long)v, buf,
                           (unsigned long long)w, err.msg);
        }
}

static void percent(const char *s)
{
        struct cerr err = {0};
        uint64_t v = 0;

        if (units_parse_percent(s, &v, &err) < 0) {
                FUZZ_CHECK(err.msg[0], "no message");
                return;
        }
        /* at most a million percent, two decimals */
        FUZZ_CHECK(v <= 100000000ULL + 99, "'%s' -> %llu", s, (unsigned long long)v);
}

static void count(const char *s)
{
        struct cerr err = {0};
        uint64_t v;

        for (int inf = 0; inf < 2; inf++) {
                const char *t = s;

                if (units_parse_count(s, inf, &v, &err) < 0) {
                        FUZZ_CHECK(err.msg[0], "no message");
                        continue;
                }
                while (*t == ' ' || *t == '\t')
                        t++;
                if (v == UNITS_INFINITY && strcmp(t, "infinity") == 0)
                        continue;
                /* only digits, and the same value strtoull reads */
                for (const char *c = t; *c; c++)
                        FUZZ_CHECK(isdigit((unsigned char)*c), "'%s' accepted", s);
                FUZZ_CHECK(strtoull(t, NULL, 10) == v, "'%s' -> %llu", s, (unsigned long long)v);
        }
}

static void boolean(const char *s)
{
        static const char *const words[] = {"yes", "true",  "on",  "1", "y", "t",
                                            "no",  "false", "off", "0", "n", "f"};
        struct cerr err = {0};
        bool v, known = false;

        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                known |= strcasecmp(s, words[i]) == 0;
        FUZZ_CHECK((units_parse_bool(s, &v, &err) == 0) == known, "'%s'", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size_)
{
        char *s;

        if (size_ > 256)
                return 0;
        s = fuzz_cstring(data, size_);
        if (!s)
                return 0;
        duration(s);
        size(s);
        percent(s);
        count(s);
        boolean(s);
        free(s);
        return 0;
}

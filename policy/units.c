#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *skip_space(const char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

/* A non-negative decimal with an optional fraction: whole part and the fraction scaled to
 * `scale` (a power of ten, e.g. 1000000 keeps six digits). */
static int parse_decimal(const char **sp, uint64_t *whole, uint64_t *frac, uint64_t scale,
                         int *frac_digits)
{
        const char *s = *sp;
        uint64_t w = 0, f = 0, mul = scale;
        int nd = 0, nf = 0;

        if (*s == '-' || *s == '+')
                return -1;
        while (isdigit((unsigned char)*s)) {
                if (w > (UINT64_MAX - 9) / 10)
                        return -2;
                w = w * 10 + (uint64_t)(*s - '0');
                s++;
                nd++;
        }
        if (*s == '.') {
                s++;
                while (isdigit((unsigned char)*s)) {
                        mul /= 10;
                        if (mul == 0)
                                return -3; /* more digits than we keep */
                        f += (uint64_t)(*s - '0') * mul;
                        s++;
                        nf++;
                }
                if (nf == 0)
                        return -1;
        }
        if (nd == 0 && nf == 0)
                return -1;
        *whole = w;
        *frac = f;
        if (frac_digits)
                *frac_digits = nf;
        *sp = s;
        return 0;
}

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
    {"usec", 1ULL},
    {"us", 1ULL},
    {"µs", 1ULL},
    {"msec", 1000ULL},
    {"ms", 1000ULL},
    {"seconds", 1000000ULL},
    {"second", 1000000ULL},
    {"sec", 1000000ULL},
    {"s", 1000000ULL},
    {"minutes", 60000000ULL},
    {"minute", 60000000ULL},
    {"min", 60000000ULL},
    {"m", 60000000ULL},
    {"hours", 3600000000ULL},
    {"hour", 3600000000ULL},
    {"hr", 3600000000ULL},
    {"h", 3600000000ULL},
    {"days", 86400000000ULL},
    {"day", 86400000000ULL},
    {"d", 86400000000ULL},
    {"weeks", 604800000000ULL},
    {"week", 604800000000ULL},
    {"w", 604800000000ULL},
};

static int mul_add(uint64_t *acc, uint64_t whole, uint64_t frac_scaled, uint64_t unit)
{
        uint64_t v;

        if (whole && unit > UINT64_MAX / whole)
                return -1;
        v = whole * unit;
        /* frac_scaled is in millionths of one unit */
        v += (unit >= 1000000 ? frac_scaled * (unit / 1000000) : frac_scaled * unit / 1000000);
        if (v < whole * unit || *acc > UINT64_MAX - v)
                return -1;
        *acc += v;
        return 0;
}

static const char duration_expect[] =
    "expected a duration such as 5s, 500ms, 1min 30s or 2.5s (a bare number is seconds)";

int units_parse_duration(const char *text, bool allow_infinity, uint64_t *usec, struct cerr *err)
{
        const char *s = skip_space(text);
        uint64_t acc = 0;
        int parts = 0;

        if (strcmp(s, "infinity") == 0) {
                if (!allow_infinity)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': infinity is not allowed here; %s", text,
                                        duration_expect);
                *usec = UNITS_INFINITY;
                return 0;
        }
        while (*s) {
                uint64_t whole, frac, unit = 0;
                size_t best = 0;
                int rc;

                if (*s == '-')
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': a duration cannot be negative", text);
                rc = parse_decimal(&s, &whole, &frac, 1000000, NULL);
                if (rc == -2)
                        return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
                if (rc < 0)
                        return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", text, duration_expect);
                s = skip_space(s);
                for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
                        size_t l = strlen(duration_units[i].suffix);

                        if (l > best && strncmp(s, duration_units[i].suffix, l) == 0 &&
                            !isalpha((unsigned char)s[l])) {
                                best = l;
                                unit = duration_units[i].usec;
                        }
                }
                if (!best) {
                        if (*s && !isdigit((unsigned char)*s))
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': unknown unit '%s'; %s", text, s,
                                                duration_expect);
                        if (parts > 0 || *s)
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s': every part needs a unit; %s", text,
                                                duration_expect);
                        unit = 1000000; /* bare number: seconds */
                }
                s = skip_space(s + best);
                if (mul_add(&acc, whole, frac, unit) < 0)
                        return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
                parts++;
        }
        if (parts == 0)
                return cerr_set(err, EINVAL, CERR_PARSE, "empty value; %s", duration_expect);
        if (acc == UNITS_INFINITY)
                return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
        *usec = acc;
        return 0;
}

static const char size_expect[] =
    "expected a size such as 256M, 1G, 1.5G or 4096 (bytes; K M G T P E are powers of 1024)";

int units_parse_size(const char *text, bool allow_infinity, uint64_t *bytes, struct cerr *err)
{
        static const char suffixes[] = "KMGTPE";
        const char *s = skip_space(text);
        uint64_t whole, frac, mul = 1, v;
        int rc;

        if (strcmp(s, "infinity") == 0) {
                if (!allow_infinity)
                        return cerr_set(err, EINVAL, CERR_PARSE,
                                        "'%s': infinity is not allowed here; %s", text,
                                        size_expect);
                *bytes = UNITS_INFINITY;
                return 0;
        }
        if (*s == '-')
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': a size cannot be negative", text);
        rc = parse_decimal(&s, &whole, &frac, 1000000, NULL);
        if (rc == -2)
                return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
        if (rc < 0)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", text, size_expect);
        if (*s) {
                const char *p = strchr(suffixes, *s);

                if (!p || s[1] != '\0')
                        return cerr_set(err, EINVAL, CERR_PARSE, "'%s': unknown suffix '%s'; %s",
                                        text, s, size_expect);
                for (const char *q = suffixes; q <= p; q++)
                        mul *= 1024;
        } else if (frac) {
                return cerr_set(err, EINVAL, CERR_PARSE,
                                "'%s': a byte count cannot have a fraction", text);
        }
        if (whole && mul > UINT64_MAX / whole)
                return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
        v = whole * mul;
        /* frac is in millionths; mul is at least 1024 here */
        if (frac) {
                uint64_t add = mul / 1000000 * frac + (mul % 1000000) * frac / 1000000;

                if (v > UINT64_MAX - add)
                        return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
                v += add;
        }
        if (v == UNITS_INFINITY)
                return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
        *bytes = v;
        return 0;
}

int units_parse_percent(const char *text, uint64_t *basis_points, struct cerr *err)
{
        static const char expect[] = "expected a percentage such as 20%, 150% or 12.5%";
        const char *s = skip_space(text);
        uint64_t whole, frac;
        int nf, rc;

        if (*s == '-')
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': a percentage cannot be negative",
                                text);
        rc = parse_decimal(&s, &whole, &frac, 100, &nf);
        if (rc == -3)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': at most two decimals; %s", text,
                                expect);
        if (rc < 0 || strcmp(s, "%") != 0)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': %s", text, expect);
        if (whole > 1000000)
                return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
        *basis_points = whole * 100 + frac;
        return 0;
}

int units_parse_count(const char *text, bool allow_infinity, uint64_t *value, struct cerr *err)
{
        const char *s = skip_space(text);
        uint64_t v = 0;

        if (strcmp(s, "infinity") == 0 && allow_infinity) {
                *value = UNITS_INFINITY;
                return 0;
        }
        if (!isdigit((unsigned char)*s))
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected a whole number%s", text,
                                allow_infinity ? " or infinity" : "");
        for (; isdigit((unsigned char)*s); s++) {
                if (v > (UINT64_MAX - 10) / 10)
                        return cerr_set(err, ERANGE, CERR_PARSE, "'%s' is too large", text);
                v = v * 10 + (uint64_t)(*s - '0');
        }
        if (*s)
                return cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected a whole number%s", text,
                                allow_infinity ? " or infinity" : "");
        *value = v;
        return 0;
}

int units_parse_bool(const char *text, bool *value, struct cerr *err)
{
        static const char *const yes[] = {"yes", "true", "on", "1", "y", "t"};
        static const char *const no[] = {"no", "false", "off", "0", "n", "f"};

        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
                if (strcasecmp(text, yes[i]) == 0) {
                        *value = true;
                        return 0;
                }
                if (strcasecmp(text, no[i]) == 0) {
                        *value = false;
                        return 0;
                }
        }
        return cerr_set(err, EINVAL, CERR_PARSE, "'%s': expected yes or no", text);
}

const char *units_format_duration(uint64_t usec, char *buf, size_t len)
{
        static const struct {
                const char *name;
                uint64_t usec;
        } parts[] = {{"d", 86400000000ULL}, {"h", 3600000000ULL}, {"min", 60000000ULL},
                     {"s", 1000000ULL},     {"ms", 1000ULL},      {"us", 1ULL}};
        size_t off = 0;

        if (usec == UNITS_INFINITY) {
                snprintf(buf, len, "infinity");
                return buf;
        }
        if (usec == 0) {
                snprintf(buf, len, "0");
                return buf;
        }
        buf[0] = '\0';
        for (size_t i = 0; i < sizeof parts / sizeof parts[0] && off < len; i++) {
                if (usec >= parts[i].usec) {
                        off += (size_t)snprintf(buf + off, len - off, "%s%llu%s", off ? " " : "",
                                                (unsigned long long)(usec / parts[i].usec),
                                                parts[i].name);
                        usec %= parts[i].usec;
                }
        }
        return buf;
}

const char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
        static const char suffixes[] = "KMGTPE";
        int i = -1;

        if (bytes == UNITS_INFINITY) {
                snprintf(buf, len, "infinity");
                return buf;
        }
        while (i < 5 && bytes && bytes % 1024 == 0) {
                bytes /= 1024;
                i++;
        }
        if (i < 0)
                snprintf(buf, len, "%llu", (unsigned long long)bytes);
        else
                snprintf(buf, len, "%llu%c", (unsigned long long)bytes, suffixes[i]);
        return buf;
}

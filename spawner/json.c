#include "json.h"

#include <math.h>
#include <string.h>

void json_init(struct json *j, FILE *f)
{
        j->f = f;
        j->depth = 0;
        j->need_comma[0] = false;
}

void json_write_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                default:
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

static void prefix(struct json *j, const char *key)
{
        if (j->need_comma[j->depth])
                fputc(',', j->f);
        j->need_comma[j->depth] = true;
        if (key) {
                json_write_string(j->f, key);
                fputc(':', j->f);
        }
}

static void open_(struct json *j, const char *key, char c)
{
        prefix(j, key);
        fputc(c, j->f);
        if (j->depth < 31)
                j->depth++;
        j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
        fputc(c, j->f);
        if (j->depth > 0)
                j->depth--;
        if (j->depth == 0)
                fputc('\n', j->f);
}

void json_begin_object(struct json *j, const char *key)
{
        open_(j, key, '{');
}

void json_end_object(struct json *j)
{
        close_(j, '}');
}

void json_begin_array(struct json *j, const char *key)
{
        open_(j, key, '[');
}

void json_end_array(struct json *j)
{
        close_(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
        prefix(j, key);
        json_write_string(j->f, value);
}

void json_int(struct json *j, const char *key, long long value)
{
        prefix(j, key);
        fprintf(j->f, "%lld", value);
}

void json_bool(struct json *j, const char *key, bool value)
{
        prefix(j, key);
        fputs(value ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
        prefix(j, key);
        fputs("null", j->f);
}

size_t json_escape(const char *s, char *out, size_t len)
{
        size_t n = 0;

        if (len == 0)
                return 0;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                char tmp[8];
                const char *add = tmp;

                switch (*p) {
                case '"':
                        add = "\\\"";
                        break;
                case '\\':
                        add = "\\\\";
                        break;
                case '\n':
                        add = "\\n";
                        break;
                case '\t':
                        add = "\\t";
                        break;
                case '\r':
                        add = "\\r";
                        break;
                default:
                        if (*p < 0x20)
                                snprintf(tmp, sizeof tmp, "\\u%04x", *p);
                        else {
                                tmp[0] = (char)*p;
                                tmp[1] = '\0';
                        }
                }
                size_t al = strlen(add);

                if (n + al >= len)
                        break;
                memcpy(out + n, add, al);
                n += al;
        }
        out[n] = '\0';
        return n;
}

void json_number(struct json *j, const char *key, double value, int decimals)
{
        prefix(j, key);
        if (isnan(value) || isinf(value))
                fputs("null", j->f);
        else
                fprintf(j->f, "%.*f", decimals, value);
}

/* Values in systemd's syntax (policy files, --set): whitespace-separated words, "..." and
 * '...' quote, a backslash escapes in and out of double quotes (\\ \" \' \n \t \r \xHH and
 * "\ "); and the way back, words quoted so that reading them gives them back, as few lines as
 * a policy file's line limit allows. Plus the UTF-8 test both directions need. */
#include "words.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t policy_utf8_len(const unsigned char *s, size_t n)
{
        size_t len;
        unsigned cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4;
                cp = s[0] & 0x07;
        } else {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* The next word of a list value into buf (at least strlen(value) + 1 bytes). Returns 1 for a
 * word, 0 at the end, -1 on a quoting error. */
int words_next(const char **sp, char *buf, struct cerr *err)
{
        const char *s = *sp;
        size_t n = 0;
        char quote = 0;

        while (*s == ' ' || *s == '\t')
                s++;
        if (!*s) {
                *sp = s;
                return 0;
        }
        for (; *s; s++) {
                char c = *s;

                if (quote == '\'') {
                        if (c == '\'')
                                quote = 0;
                        else
                                buf[n++] = c;
                        continue;
                }
                if (!quote && (c == ' ' || c == '\t'))
                        break;
                if (c == '"') {
                        quote = quote ? 0 : '"';
                        continue;
                }
                if (c == '\'' && !quote) {
                        quote = '\'';
                        continue;
                }
                if (c == '\\') {
                        int hi, lo;

                        s++;
                        switch (*s) {
                        case '\\':
                        case '"':
                        case '\'':
                        case ' ':
                                buf[n++] = *s;
                                break;
                        case 'n':
                                buf[n++] = '\n';
                                break;
                        case 't':
                                buf[n++] = '\t';
                                break;
                        case 'r':
                                buf[n++] = '\r';
                                break;
                        case 'x':
                                hi = s[1] ? hexval(s[1]) : -1;
                                lo = hi >= 0 && s[2] ? hexval(s[2]) : -1;
                                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                        return cerr_set(err, EINVAL, CERR_PARSE,
                                                        "bad escape in '%s': \\x needs two hex "
                                                        "digits other than 00",
                                                        *sp);
                                buf[n++] = (char)(hi * 16 + lo);
                                s += 2;
                                break;
                        case '\0':
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "'%s' ends in a lone backslash", *sp);
                        default:
                                return cerr_set(err, EINVAL, CERR_PARSE,
                                                "unknown escape '\\%c' in '%s'; expected \\\\ "
                                                "\\\" \\' \\n \\t \\r \\xHH or a backslash-space",
                                                *s, *sp);
                        }
                        continue;
                }
                buf[n++] = c;
        }
        if (quote)
                return cerr_set(err, EINVAL, CERR_PARSE, "unterminated %s quote in '%s'",
                                quote == '"' ? "double" : "single", *sp);
        buf[n] = '\0';
        *sp = s;
        return 1;
}

/* Split a list value into words, checking each; on error nothing is returned. */
int words_split(const char *value, int (*check)(const char *w, struct cerr *err),
                struct strlist *words, struct cerr *err)
{
        char *buf = calloc(1, strlen(value) + 1); /* zeroed: see .clang-tidy */
        const char *s = value;
        int rc;

        memset(words, 0, sizeof *words);
        if (!buf)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "splitting a list");
        while ((rc = words_next(&s, buf, err)) > 0) {
                if ((check && check(buf, err) < 0) || strlist_add(words, buf, err) < 0) {
                        rc = -1;
                        break;
                }
        }
        free(buf);
        if (rc < 0)
                strlist_clear(words);
        return rc;
}

bool strlist_has(const struct strlist *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++) {
                if (strcmp(l->v[i], s) == 0)
                        return true;
        }
        return false;
}

/* Move words onto the end of l, skipping entries l already holds. */
int words_append(struct strlist *l, struct strlist *words, struct cerr *err)
{
        int rc = 0;

        for (size_t i = 0; i < words->n && rc == 0; i++) {
                if (!strlist_has(l, words->v[i]))
                        rc = strlist_add(l, words->v[i], err);
        }
        strlist_clear(words);
        return rc;
}

/* A \xHH escape may have made a byte that is not UTF-8; a policy file is UTF-8 text, so such
 * a byte is written back as its escape. The length of the valid sequence at c, or 0. */
static size_t utf8_seq(const unsigned char *c)
{
        return policy_utf8_len(c, strnlen((const char *)c, 4));
}

static bool word_needs_quotes(const char *w)
{
        if (!*w)
                return true;
        for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
                /* ';' after whitespace starts an inline comment for libinih */
                if (*c <= ' ' || *c == 0x7f || *c == '"' || *c == '\'' || *c == '\\' || *c == ';')
                        return true;
                if (*c >= 0x80) {
                        size_t l = utf8_seq(c);

                        if (l == 0)
                                return true;
                        c += l - 1;
                }
        }
        return false;
}

/* A word as it must be written so word_next() gives it back. */
char *words_quote(const char *w)
{
        char *q, *o;

        if (!word_needs_quotes(w))
                return strdup(w);
        q = malloc(strlen(w) * 4 + 3);
        if (!q)
                return NULL;
        o = q;
        *o++ = '"';
        for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
                if (*c == '"' || *c == '\\') {
                        *o++ = '\\';
                        *o++ = (char)*c;
                } else if (*c == '\n') {
                        o += sprintf(o, "\\n");
                } else if (*c == '\t') {
                        o += sprintf(o, "\\t");
                } else if (*c < ' ' || *c == 0x7f || *c == ';' ||
                           (*c >= 0x80 && utf8_seq(c) == 0)) {
                        o += sprintf(o, "\\x%02x", *c);
                } else if (*c >= 0x80) {
                        for (size_t l = utf8_seq(c); l > 1; l--)
                                *o++ = (char)*c++;
                        *o++ = (char)*c;
                } else {
                        *o++ = (char)*c;
                }
        }
        *o++ = '"';
        *o = '\0';
        return q;
}

/* Words joined into as few lines as LIST_LINE_MAX allows, each line starting with
 * `prefix` ("~" for inverted lists). */
int words_format(const char *const *w, size_t n, const char *prefix, struct strlist *out,
                 struct cerr *err)
{
        char *line = NULL;
        size_t len = 0;
        int rc = 0;

        for (size_t i = 0; i < n && rc == 0; i++) {
                char *q = words_quote(w[i]), *nl;
                size_t ql;

                if (!q) {
                        free(line);
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "formatting a list");
                }
                ql = strlen(q);
                if (line && len + 1 + ql > LIST_LINE_MAX) {
                        rc = strlist_add(out, line, err);
                        free(line);
                        line = NULL;
                }
                if (rc == 0) {
                        /* a word longer than LIST_LINE_MAX gets a line of its own */
                        nl = realloc(line, (line ? len + 1 : strlen(prefix)) + ql + 1);
                        if (!nl) {
                                rc = cerr_set(err, ENOMEM, CERR_ALLOC, "formatting a list");
                        } else {
                                len = line ? len + (size_t)sprintf(nl + len, " %s", q)
                                           : (size_t)sprintf(nl, "%s%s", prefix, q);
                                line = nl;
                        }
                }
                free(q);
        }
        if (rc == 0 && line)
                rc = strlist_add(out, line, err);
        free(line);
        return rc;
}

int words_format_list(const struct strlist *l, const char *prefix, struct strlist *out,
                      struct cerr *err)
{
        size_t before = out->n;

        if (words_format((const char *const *)l->v, l->n, prefix, out, err) < 0)
                return -1;
        if (out->n == before)
                return strlist_add(out, prefix, err);
        return 0;
}

/* ---- value checks ---- */

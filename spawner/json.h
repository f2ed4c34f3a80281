/* A small JSON writer for --json output: objects, arrays, escaped strings. */
#ifndef CORRAL_SPAWNER_JSON_H
#define CORRAL_SPAWNER_JSON_H

#include <stdbool.h>
#include <stdio.h>

struct json {
        FILE *f;
        int depth;
        bool need_comma[32];
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_int(struct json *j, const char *key, long long value);
/* A number with that many decimals; null when it is not finite (NaN: "not measured"). */
void json_number(struct json *j, const char *key, double value, int decimals);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* Writes s as a JSON string literal (with quotes). */
void json_write_string(FILE *f, const char *s);

/* Escape s as the inside of a JSON string into out (always NUL-terminated, truncates).
 * Returns the length written. */
size_t json_escape(const char *s, char *out, size_t len);
#endif

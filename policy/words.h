/* Values in systemd's syntax: words, quoting, and the lines they are written back as
 * (words.c). Used by the key table (keys.c) and the policy file reader (parse.c). */
#ifndef CORRAL_POLICY_WORDS_H
#define CORRAL_POLICY_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "../ns/err.h"
#include "profile.h"

/* A formatted list line stays well below the line limit of libinih (policy_max_line()). */
#define LIST_LINE_MAX 120

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not valid UTF-8. */
size_t policy_utf8_len(const unsigned char *s, size_t n);

/* The next word of a value into buf (at least strlen(value) + 1 bytes). Returns 1 for a
 * word, 0 at the end, -1 on a quoting error. */
int words_next(const char **sp, char *buf, struct cerr *err);
/* Split a value into words, checking each; on error nothing is returned. */
int words_split(const char *value, int (*check)(const char *w, struct cerr *err),
                struct strlist *words, struct cerr *err);
bool strlist_has(const struct strlist *l, const char *s);
/* Move words onto the end of l, skipping entries l already holds. */
int words_append(struct strlist *l, struct strlist *words, struct cerr *err);
/* A word as it must be written so words_next() gives it back (malloc'd). */
char *words_quote(const char *w);
/* Words joined into as few lines as LIST_LINE_MAX allows, each starting with `prefix`. */
int words_format(const char *const *w, size_t n, const char *prefix, struct strlist *out,
                 struct cerr *err);
/* A list as such lines; an empty list is one line holding only the prefix. */
int words_format_list(const struct strlist *l, const char *prefix, struct strlist *out,
                      struct cerr *err);

#endif

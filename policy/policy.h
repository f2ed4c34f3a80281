/* Policy files (DESIGN §9): the key table that turns `Key = value` into profile fields, the
 * loader for files of `[profile NAME]` sections, and the warnings a host produces for a
 * profile it cannot fully apply.
 *
 * Library code: nothing here prints. Errors come back in a struct cerr whose message starts
 * with "FILE:LINE: " for anything found in a file; warnings and notes come back as lists. */
#ifndef CORRAL_POLICY_POLICY_H
#define CORRAL_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "../ns/cgroup_mounts.h"
#include "../ns/err.h"
#include "profile.h"

/* ---- the key table (policy/keys.c) ---- */

/* Set one key from its textual value, as a policy file line `key = value` would (value
 * already stripped of surrounding whitespace). Every key of DESIGN §9 is known; unknown keys
 * are errors. List keys accumulate; an empty value resets a list to empty and any other key
 * to its built-in default (systemd's rule; `Namespaces =` means no new namespaces).
 * The error message names the key and what was expected. On error p is unchanged except
 * for list keys whose line was partly applied: the caller discards the profile. */
int profile_set_key(struct profile *p, const char *key, const char *value, struct cerr *err);

/* Keys validated now whose behaviour comes later: a short note, or NULL when the key is
 * applied (or unknown). */
const char *policy_key_pending(const char *key);

/* The same for one profile's effective value: NULL when the value asks for nothing that is
 * still pending (a key may be pending for some of its values only). */
const char *profile_key_pending(const struct profile *p, const char *key);

/* All keys, in the order `corral policy check` prints them. */
size_t policy_key_count(void);
const char *policy_key_name(size_t i);
bool policy_key_is_list(const char *key);
/* Its value is a set of words (a list key, Namespaces=, RestrictNamespaces=): JSON shows them
 * as an array of words. */
bool policy_key_is_words(const char *key);

/* The effective value of one key as policy-file values, appended to out: one entry per
 * `key = value` line (list keys may need several; an unset key gives one empty value).
 * Parsing the lines back yields the same profile. */
int profile_format_key(const struct profile *p, const char *key, struct strlist *out,
                       struct cerr *err);

/* ---- policy files (policy/parse.c) ---- */

struct policy {
        char *name; /* the file name used in messages */
        struct profile *profiles;
        size_t n;
        /* "FILE:LINE: Key: note" for every line that set a key whose behaviour is pending
         * (policy_key_pending), so a caller can say so. */
        struct strlist notes;
};

/* Loaders. A file holds at least one `[profile NAME]` section (an empty file is an error);
 * each profile starts from profile_default(). The first error stops the parse: err then
 * reads "NAME:LINE: what was wrong; what was expected" and pol is left empty. */
int policy_load_mem(const char *name, const char *buf, size_t len, struct policy *pol,
                    struct cerr *err);
int policy_load_file(const char *path, struct policy *pol, struct cerr *err);

const struct profile *policy_find(const struct policy *pol, const char *name);
void policy_free(struct policy *pol);

/* The longest physical line (bytes, without its line terminator) the installed libinih
 * parses without splitting it. Longer lines are errors. */
size_t policy_max_line(void);

/* ---- host warnings (policy/warnings.c) ---- */

/* The options of a TemporaryFileSystem= entry ("ro,mode=0700,size=64M"), checked when the
 * policy is read and parsed again by the spawner. size 0: the profile's PrivateTmpSize=. */
struct tmpfs_options {
        bool ro, noexec;
        unsigned mode; /* default 0755, as systemd's */
        uint64_t size, nr_inodes;
};

int tmpfs_options_parse(const char *opts, struct tmpfs_options *o, struct cerr *err);

/* Keys of p this host cannot apply, one message each ("IOWeight: no io controller on this
 * host: not applied"), appended to out. */
int policy_host_warnings(const struct profile *p, const struct cg_mounts *h, bool have_swap,
                         struct strlist *out, struct cerr *err);

/* Whether any swap is configured (/proc/swaps lists a device or file). */
int policy_host_has_swap(bool *have_swap, struct cerr *err);

#endif

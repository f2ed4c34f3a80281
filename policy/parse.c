/* Policy files: systemd-style INI through libinih, one `[profile NAME]` section per profile.
 *
 * libinih is fed through our own reader, which sees every physical line first:
 * - Debian builds libinih with a fixed line buffer (INI_MAX_LINE 200, on the stack) and
 *   splits a longer line silently, the tail parsing as a line of its own. The reader
 *   rejects any line that does not fit the buffer inih hands it, with its line number.
 * - It rejects what is not text (NUL bytes, control characters, broken UTF-8), lines
 *   inih would mis-read (a ':' before the '=', a trailing '\' that systemd would take as a
 *   continuation) and section headers, which it parses itself: inih truncates section
 *   names to 49 bytes, and a profile name may have 64.
 * - It strips leading whitespace, so an indented line is never inih's multi-line
 *   continuation of the previous value (systemd has no such thing).
 * The handler then only ever sees `key = value` lines, applied with profile_set_key(). One
 * error stops the parse: the reader returns EOF after it. */
#include <errno.h>
#include <sys/stat.h>
#include <poll.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "policy.h"
#include "words.h"

/* Larger files are not policies; reading stops here. */
#define POLICY_FILE_MAX (1 << 20)

struct spawn_ref {
        size_t profile;
        unsigned line;
        char *name;
};

struct parse_state {
        const char *name;
        const char *buf;
        size_t len, pos;
        unsigned line; /* the physical line last handed to inih */
        struct policy *pol;
        struct cerr *err;
        bool failed;
        long cur;               /* current profile, -1 before the first section */
        unsigned *header_lines; /* per profile: the line of its [profile NAME] */
        struct spawn_ref *refs; /* SpawnProfiles= entries, checked once all are known */
        size_t nrefs;
};

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *st, const char *fmt, ...)
{
        char msg[CERR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        st->failed = true;
        return cerr_set(st->err, 0, CERR_PARSE, "%s:%u: %s", st->name, st->line, msg);
}

static int check_text(struct parse_state *st, const char *line, size_t n)
{
        const unsigned char *s = (const unsigned char *)line;

        for (size_t i = 0; i < n;) {
                size_t l;

                if (s[i] == '\0')
                        return fail(st, "NUL byte at column %zu; a policy file is text", i + 1);
                if ((s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
                        return fail(st,
                                    "control character 0x%02x at column %zu; a policy file is text",
                                    s[i], i + 1);
                l = policy_utf8_len(s + i, n - i);
                if (l == 0)
                        return fail(st, "invalid UTF-8 at column %zu; a policy file is UTF-8 text",
                                    i + 1);
                i += l;
        }
        return 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

static int new_profile(struct parse_state *st, const char *name)
{
        struct policy *pol = st->pol;
        struct profile *v;
        unsigned *lines;

        for (size_t i = 0; i < pol->n; i++) {
                if (strcmp(pol->profiles[i].name, name) == 0)
                        return fail(st,
                                    "duplicate profile '%s' (first defined at line %u); each "
                                    "[profile NAME] appears once",
                                    name, st->header_lines[i]);
        }
        v = realloc(pol->profiles, (pol->n + 1) * sizeof *v);
        if (!v)
                return fail(st, "out of memory");
        pol->profiles = v;
        lines = realloc(st->header_lines, (pol->n + 1) * sizeof *lines);
        if (!lines)
                return fail(st, "out of memory");
        st->header_lines = lines;
        profile_default(&pol->profiles[pol->n], name);
        st->header_lines[pol->n] = st->line;
        st->cur = (long)pol->n++;
        return 0;
}

/* "[profile NAME]", whitespace allowed inside the brackets and around NAME. */
static int section_line(struct parse_state *st, const char *s, size_t n)
{
        static const char expect[] = "expected [profile NAME] with NAME made of A-Z a-z 0-9 _ . - "
                                     "(at most 64 characters)";
        char name[PROFILE_NAME_MAX + 1];
        size_t a = 1, b;

        while (n > 0 && is_space(s[n - 1]))
                n--;
        if (n < 2 || s[n - 1] != ']')
                return fail(st, "bad section header '%.*s': %s", (int)n, s, expect);
        b = n - 1;
        while (a < b && is_space(s[a]))
                a++;
        while (b > a && is_space(s[b - 1]))
                b--;
        if (b - a < 7 || strncmp(s + a, "profile", 7) != 0 || (b - a > 7 && !is_space(s[a + 7])))
                return fail(st, "unknown section '%.*s': %s", (int)n, s, expect);
        a += 7;
        while (a < b && is_space(s[a]))
                a++;
        if (a == b)
                return fail(st, "section '%.*s' has no profile name: %s", (int)n, s, expect);
        if (b - a > PROFILE_NAME_MAX)
                return fail(st, "profile name '%.*s' is longer than %d characters", (int)(b - a),
                            s + a, PROFILE_NAME_MAX);
        memcpy(name, s + a, b - a);
        name[b - a] = '\0';
        if (!policy_profile_name_valid(name))
                return fail(st, "bad profile name '%s': %s", name, expect);
        return new_profile(st, name);
}

/* What inih would split a key line at: the first '=' or ':', or an inline comment (';'
 * after whitespace). Only '=' is ours. */
static int key_line(struct parse_state *st, const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && s[i] != '=' && s[i] != ':' && !(s[i] == ';' && i > 0 && is_space(s[i - 1])))
                i++;
        if (i == n || s[i] != '=')
                return fail(st,
                            "'%.*s': expected KEY = VALUE, a [profile NAME] header or a "
                            "comment (# or ;)",
                            (int)(n > 60 ? 60 : n), s);
        if (i == 0)
                return fail(st, "'%.*s': expected a key before '='", (int)(n > 60 ? 60 : n), s);
        if (s[n - 1] == '\\')
                return fail(st, "the line ends in '\\', which systemd reads as a continuation: "
                                "continuation lines are not supported; repeat the key on the "
                                "next line instead (list keys accumulate)");
        return 0;
}

static char *reader(char *str, int num, void *stream)
{
        struct parse_state *st = stream;
        const char *line, *nl;
        size_t n, max = num > 1 ? (size_t)num - 1 : 0;

        if (st->failed || st->pos >= st->len)
                return NULL;
        line = st->buf + st->pos;
        nl = memchr(line, '\n', st->len - st->pos);
        n = nl ? (size_t)(nl - line) : st->len - st->pos;
        st->pos += n + (nl ? 1 : 0);
        st->line++;
        if (n > 0 && line[n - 1] == '\r')
                n--; /* CRLF files */
        if (check_text(st, line, n) < 0)
                return NULL;
        /* inih copies at most num - 1 bytes and would hand over the rest as the next line;
         * we hand over the line without its terminator, so num - 1 bytes fit exactly. */
        if (n > max) {
                fail(st,
                     "line too long (%zu bytes; at most %zu): libinih would split it; use "
                     "several lines (list keys accumulate)",
                     n, max);
                return NULL;
        }
        if (st->line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
                line += 3;
                n -= 3;
        }
        while (n > 0 && is_space(*line)) {
                line++;
                n--;
        }
        if (n > 0 && line[0] == '[') {
                if (section_line(st, line, n) < 0)
                        return NULL;
        } else if (n > 0 && line[0] != '#' && line[0] != ';') {
                if (key_line(st, line, n) < 0)
                        return NULL;
        }
        memcpy(str, line, n);
        str[n] = '\0';
        return str;
}

static int add_ref(struct parse_state *st, size_t profile, const char *name)
{
        struct spawn_ref *r = realloc(st->refs, (st->nrefs + 1) * sizeof *r);

        if (!r)
                return fail(st, "out of memory");
        st->refs = r;
        r[st->nrefs].profile = profile;
        r[st->nrefs].line = st->line;
        r[st->nrefs].name = strdup(name);
        if (!r[st->nrefs].name)
                return fail(st, "out of memory");
        st->nrefs++;
        return 0;
}

static void drop_refs(struct parse_state *st, size_t profile)
{
        size_t j = 0;

        for (size_t i = 0; i < st->nrefs; i++) {
                if (st->refs[i].profile == profile)
                        free(st->refs[i].name);
                else
                        st->refs[j++] = st->refs[i];
        }
        st->nrefs = j;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
        struct parse_state *st = user;
        struct profile *p;
        struct cerr e = {0};
        const char *note;
        size_t nspawn;

        (void)section; /* ours, from the reader: inih's copy is truncated */
        if (st->failed)
                return 0;
        if (st->cur < 0) {
                fail(st, "%s: key outside a section; a policy file starts with [profile NAME]",
                     key);
                return 0;
        }
        p = &st->pol->profiles[st->cur];
        nspawn = p->spawn_profiles.n;
        if (profile_set_key(p, key, value, &e) < 0) {
                fail(st, "%s", e.msg);
                st->err->errnum = e.errnum == ENOMEM ? ENOMEM : 0;
                return 0;
        }
        if (strcmp(key, "SpawnProfiles") == 0) {
                if (p->spawn_profiles.n < nspawn || !*value)
                        drop_refs(st, (size_t)st->cur);
                for (size_t i = nspawn; i < p->spawn_profiles.n; i++) {
                        if (add_ref(st, (size_t)st->cur, p->spawn_profiles.v[i]) < 0)
                                return 0;
                }
        }
        note = profile_key_pending(p, key);
        if (note) {
                char buf[CERR_MSG_MAX];

                snprintf(buf, sizeof buf, "%s:%u: [profile %s] %s: %s", st->name, st->line, p->name,
                         key, note);
                if (strlist_add(&st->pol->notes, buf, &e) < 0) {
                        fail(st, "out of memory");
                        return 0;
                }
        }
        return 1;
}

static int check_refs(struct parse_state *st)
{
        for (size_t i = 0; i < st->nrefs; i++) {
                if (!policy_find(st->pol, st->refs[i].name)) {
                        st->line = st->refs[i].line;
                        return fail(st,
                                    "SpawnProfiles: '%s': no [profile %s] in this file; "
                                    "expected names of profiles defined in %s",
                                    st->refs[i].name, st->refs[i].name, st->name);
                }
        }
        return 0;
}

int policy_load_mem(const char *name, const char *buf, size_t len, struct policy *pol,
                    struct cerr *err)
{
        struct parse_state st = {
            .name = name, .buf = buf, .len = len, .pol = pol, .err = err, .cur = -1};
        int rc;

        memset(pol, 0, sizeof *pol);
        pol->name = strdup(name);
        if (!pol->name)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "loading %s", name);
        rc = ini_parse_stream(reader, &st, handler, &st);
        if (!st.failed) {
                if (rc == -2) {
                        cerr_set(err, ENOMEM, CERR_ALLOC, "%s: libinih ran out of memory", name);
                        st.failed = true;
                } else if (rc != 0) {
                        /* The reader lets through only lines inih accepts; this is a net. */
                        st.line = rc > 0 ? (unsigned)rc : st.line;
                        fail(&st, "syntax error; expected KEY = VALUE or [profile NAME]");
                } else if (pol->n == 0) {
                        cerr_set(err, 0, CERR_PARSE,
                                 "%s: no [profile NAME] section; a policy file defines at least "
                                 "one profile",
                                 name);
                        st.failed = true;
                } else {
                        check_refs(&st);
                }
        }
        for (size_t i = 0; i < st.nrefs; i++)
                free(st.refs[i].name);
        free(st.refs);
        free(st.header_lines);
        if (st.failed) {
                policy_free(pol);
                return -1;
        }
        return 0;
}

/* A policy file is a regular file or a pipe (`-p <(...)`); anything else is refused at once,
 * and a pipe must start within POLICY_IDLE_MS and end within POLICY_READ_MS (a FIFO nobody
 * writes would otherwise hang corral before it printed a word). */
#define POLICY_IDLE_MS 1000
#define POLICY_READ_MS 5000

static int policy_fd(const char *path, int *out, bool *pipe, struct cerr *err)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return cerr_set(err, errno, CERR_OPEN, "%s: opening the policy file", path);
        if (fstat(fd, &st) < 0) {
                int e = errno;

                close(fd);
                return cerr_set(err, e, CERR_OPEN, "%s: examining the policy file", path);
        }
        if (!(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
                int e = 0;
                const char *what = S_ISDIR(st.st_mode)                          ? "a directory"
                                   : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                   : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                                : "not a file";

                close(fd);
                return cerr_set(err,
                                e                     ? e
                                : S_ISDIR(st.st_mode) ? EISDIR
                                                      : EINVAL,
                                CERR_OPEN,
                                "%s: %s, not a policy file (a file, or a pipe such as <(...))",
                                path, what);
        }
        *pipe = S_ISFIFO(st.st_mode);
        *out = fd;
        return 0;
}

int policy_load_file(const char *path, struct policy *pol, struct cerr *err)
{
        size_t len = 0, cap = 4096;
        char *buf = NULL;
        int fd = -1, rc;
        bool pipe = false, waited = false;
        int64_t start = mono_ms();

        memset(pol, 0, sizeof *pol);
        if (policy_fd(path, &fd, &pipe, err) < 0)
                return -1;
        buf = malloc(cap);
        if (!buf) {
                rc = cerr_set(err, ENOMEM, CERR_ALLOC, "%s: reading", path);
                goto out;
        }
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nb = realloc(buf, cap * 2);

                        if (!nb) {
                                rc = cerr_set(err, ENOMEM, CERR_ALLOC, "%s: reading", path);
                                goto out;
                        }
                        buf = nb;
                        cap *= 2;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        /* a pipe whose writer has not written yet, or is still writing */
                        int64_t limit = len ? POLICY_READ_MS : POLICY_IDLE_MS;
                        int64_t left = start + limit - mono_ms();
                        struct pollfd pf = {.fd = fd, .events = POLLIN};

                        if (left > 0 && poll(&pf, 1, (int)left) > 0)
                                continue;
                        rc = cerr_set(err, ETIMEDOUT, CERR_READ,
                                      len ? "%s: still being written after %d ms"
                                          : "%s: nothing written to it within %d ms",
                                      path, (int)limit);
                        goto out;
                }
                if (n < 0) {
                        rc = cerr_set(err, errno, CERR_READ, "%s: reading the policy file", path);
                        goto out;
                }
                if (n == 0 && pipe && len == 0 && !waited) {
                        /* EOF at once: no writer yet (a FIFO someone will open), or one that
                         * came and went; the kernel reports a writer's arrival (POLLIN) or
                         * departure (POLLHUP) from now on */
                        struct pollfd pf = {.fd = fd, .events = POLLIN};

                        waited = true;
                        if (poll(&pf, 1, POLICY_IDLE_MS) > 0)
                                continue;
                        rc = cerr_set(err, ETIMEDOUT, CERR_READ,
                                      "%s: nobody wrote to it within %d ms (a FIFO without a "
                                      "writer?)",
                                      path, POLICY_IDLE_MS);
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > POLICY_FILE_MAX) {
                        rc = cerr_set(err, EFBIG, CERR_READ,
                                      "%s: larger than %d bytes; not a policy file", path,
                                      POLICY_FILE_MAX);
                        goto out;
                }
        }
        rc = policy_load_mem(path, buf, len, pol, err);
out:
        free(buf);
        close(fd);
        return rc;
}

const struct profile *policy_find(const struct policy *pol, const char *name)
{
        for (size_t i = 0; i < pol->n; i++) {
                if (strcmp(pol->profiles[i].name, name) == 0)
                        return &pol->profiles[i];
        }
        return NULL;
}

void policy_free(struct policy *pol)
{
        for (size_t i = 0; i < pol->n; i++)
                profile_free(&pol->profiles[i]);
        free(pol->profiles);
        free(pol->name);
        strlist_clear(&pol->notes);
        memset(pol, 0, sizeof *pol);
}

static char *probe_reader(char *str, int num, void *stream)
{
        (void)str;
        *(int *)stream = num;
        return NULL;
}

static int probe_handler(void *user, const char *section, const char *key, const char *value)
{
        (void)user;
        (void)section;
        (void)key;
        (void)value;
        return 1;
}

size_t policy_max_line(void)
{
        int num = 0;

        /* Ask the library actually loaded rather than trusting INI_MAX_LINE from the header:
         * the buffer size is a build option of libinih. */
        ini_parse_stream(probe_reader, &num, probe_handler, NULL);
        return num > 1 ? (size_t)num - 1 : 0;
}

/* The event log: one line per lifecycle event on the caller's stderr, as text
 * ("corral: tree/actor: started pid=... node=...") or JSON lines (--events json). Written
 * through the non-blocking output stream: an event that cannot be written is dropped and
 * counted, never waited for. */
#include <stdio.h>
#include <string.h>

#include "../ns/timeutil.h"
#include "json.h"
#include "sup.h"

static void add(char *buf, size_t cap, size_t *len, const char *fmt, const char *a, const char *b)
{
        int n;

        if (*len >= cap)
                return;
        n = snprintf(buf + *len, cap - *len, fmt, a, b);
        if (n > 0)
                *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

void ev_begin(struct ev *e, struct supervisor *s, const char *event, const struct actor *a)
{
        char esc[256], t[32];

        e->s = s;
        e->tl = e->jl = 0;
        e->text[0] = e->json[0] = '\0';
        snprintf(t, sizeof t, "%.6f", (double)(mono_us() - s->t0_us) / 1e6);
        if (a) {
                char who[2 * PROFILE_NAME_MAX + 4];

                snprintf(who, sizeof who, "%s/%s", s->tree, a->name);
                add(e->text, sizeof e->text, &e->tl, "corral: %s: %s", who, event);
        } else {
                add(e->text, sizeof e->text, &e->tl, "corral: %s: %s", s->tree, event);
        }
        add(e->json, sizeof e->json, &e->jl, "{\"time\":%s,\"event\":\"%s\"", t, event);
        json_escape(s->tree, esc, sizeof esc);
        add(e->json, sizeof e->json, &e->jl, ",\"tree\":\"%s\"%s", esc, "");
        if (a) {
                char id[16];

                json_escape(a->name, esc, sizeof esc);
                add(e->json, sizeof e->json, &e->jl, ",\"actor\":\"%s\"%s", esc, "");
                snprintf(id, sizeof id, "%u", a->id);
                add(e->json, sizeof e->json, &e->jl, ",\"id\":%s%s", id, "");
        }
}

void ev_str(struct ev *e, const char *key, const char *value)
{
        char esc[1024];
        bool quote = strpbrk(value, " \t\"=") != NULL || !*value;

        add(e->text, sizeof e->text, &e->tl, quote ? " %s=\"%s\"" : " %s=%s", key, value);
        json_escape(value, esc, sizeof esc);
        add(e->json, sizeof e->json, &e->jl, ",\"%s\":\"%s\"", key, esc);
}

void ev_int(struct ev *e, const char *key, long long value)
{
        char v[32];

        snprintf(v, sizeof v, "%lld", value);
        add(e->text, sizeof e->text, &e->tl, " %s=%s", key, v);
        add(e->json, sizeof e->json, &e->jl, ",\"%s\":%s", key, v);
}

void ev_end(struct ev *e)
{
        if (e->s->opt->events_json) {
                add(e->json, sizeof e->json, &e->jl, "%s%s", "}", "\n");
                outstream_write(&e->s->errs, e->json, e->jl);
        } else {
                add(e->text, sizeof e->text, &e->tl, "%s%s", "", "\n");
                outstream_write(&e->s->errs, e->text, e->tl);
        }
}

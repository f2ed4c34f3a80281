#include "events_fmt.h"

#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "../ns/clone.h"
#include "../ns/signals.h"
#include "../spawner/json.h"

const char *event_name(const struct corral_event *e)
{
        switch (e->type) {
        case CORRAL_EV_STARTED:
                return "started";
        case CORRAL_EV_SPAWN_FAILED:
                return "spawn-failed";
        case CORRAL_EV_EXITED:
                return "exited";
        case CORRAL_EV_CASCADE:
                return "cascade";
        case CORRAL_EV_OUTPUT_DROPPED:
                return "output-dropped";
        case CORRAL_EV_STUCK:
                return "stuck";
        case CORRAL_EV_REMOVED:
                return "removed";
        case CORRAL_EV_ORPHAN:
                return e->u.orphan.removed ? "orphan-removed" : "orphan-left";
        case CORRAL_EV_WARNING:
                return "warning";
        case CORRAL_EV_HOST:
                return "host";
        case CORRAL_EV_ERROR:
                return "error";
        case CORRAL_EV_SIGNAL:
                return "signal";
        case CORRAL_EV_CHANNEL_CLOSED:
                return "channel-closed";
        case CORRAL_EV_FREEZE:
                return e->u.freeze.frozen ? "frozen" : "thawed";
        case CORRAL_EV_EVENTS_LOST:
                break;
        }
        return "events-lost";
}

/* A line being built in both forms at once; the one asked for is kept. */
struct line {
        char text[2048];
        size_t tl;
        char json[EVENT_LINE_MAX];
        size_t jl;
};

static void add(char *buf, size_t cap, size_t *len, const char *fmt, const char *a, const char *b)
{
        int n;

        if (*len >= cap)
                return;
        n = snprintf(buf + *len, cap - *len, fmt, a, b);
        if (n > 0)
                *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void begin(struct line *l, const struct corral_event *e)
{
        char esc[256], t[32];

        l->tl = l->jl = 0;
        l->text[0] = l->json[0] = '\0';
        snprintf(t, sizeof t, "%.6f", (double)e->time_us / 1e6);
        if (e->actor) {
                char who[2 * PROFILE_NAME_MAX + 4];

                snprintf(who, sizeof who, "%s/%s", e->tree, e->actor);
                add(l->text, sizeof l->text, &l->tl, "corral: %s: %s", who, event_name(e));
        } else {
                add(l->text, sizeof l->text, &l->tl, "corral: %s: %s", e->tree, event_name(e));
        }
        add(l->json, sizeof l->json, &l->jl, "{\"time\":%s,\"event\":\"%s\"", t, event_name(e));
        json_escape(e->tree, esc, sizeof esc);
        add(l->json, sizeof l->json, &l->jl, ",\"tree\":\"%s\"%s", esc, "");
        if (e->actor) {
                char id[16];

                json_escape(e->actor, esc, sizeof esc);
                add(l->json, sizeof l->json, &l->jl, ",\"actor\":\"%s\"%s", esc, "");
                snprintf(id, sizeof id, "%u", e->actor_id);
                add(l->json, sizeof l->json, &l->jl, ",\"id\":%s%s", id, "");
                if (e->parent_id) {
                        snprintf(id, sizeof id, "%u", e->parent_id);
                        add(l->json, sizeof l->json, &l->jl, ",\"parent\":%s%s", id, "");
                }
        }
}

static void str(struct line *l, const char *key, const char *value)
{
        char esc[1024];
        bool quote = strpbrk(value, " \t\"=") != NULL || !*value;

        add(l->text, sizeof l->text, &l->tl, quote ? " %s=\"%s\"" : " %s=%s", key, value);
        json_escape(value, esc, sizeof esc);
        add(l->json, sizeof l->json, &l->jl, ",\"%s\":\"%s\"", key, esc);
}

static void num(struct line *l, const char *key, long long value)
{
        char v[32];

        snprintf(v, sizeof v, "%lld", value);
        add(l->text, sizeof l->text, &l->tl, " %s=%s", key, v);
        add(l->json, sizeof l->json, &l->jl, ",\"%s\":%s", key, v);
}

static void fields(struct line *l, const struct corral_event *e)
{
        char st[80];

        switch (e->type) {
        case CORRAL_EV_STARTED:
                num(l, "pid", e->u.started.pid);
                str(l, "node", e->u.started.node);
                str(l, "spawn", e->u.started.fallback ? "clone-fallback" : "clone3");
                if (e->u.started.v1_moves)
                        num(l, "v1_moves", e->u.started.v1_moves);
                /* only where filters stack (a child under an ancestor's filter other than
                 * its own): what the nesting costs, and how near the kernel's limit it is */
                if (e->u.started.seccomp_stacked) {
                        num(l, "seccomp_filters", e->u.started.seccomp_filters);
                        num(l, "seccomp_insns", e->u.started.seccomp_insns);
                }
                break;
        case CORRAL_EV_SPAWN_FAILED:
                str(l, "stage", e->u.spawn_failed.stage);
                str(l, "error", strerror(e->u.spawn_failed.errnum));
                break;
        case CORRAL_EV_EXITED:
                str(l, "reason", e->u.exited.reason);
                str(l, "status", wstatus_describe(e->u.exited.wstatus, st, sizeof st));
                num(l, "exit_code", e->u.exited.exit_code);
                num(l, "duration_ms", e->u.exited.duration_us / 1000);
                break;
        case CORRAL_EV_CASCADE:
                str(l, "stage", cstage_name(e->u.cascade.stage));
                if (e->u.cascade.hold)
                        str(l, "hold", e->u.cascade.hold);
                if (e->u.cascade.why && *e->u.cascade.why)
                        str(l, "why", e->u.cascade.why);
                break;
        case CORRAL_EV_OUTPUT_DROPPED:
                str(l, "stream", e->u.output_dropped.stream);
                num(l, "bytes", (long long)e->u.output_dropped.bytes);
                num(l, "of", (long long)e->u.output_dropped.of);
                break;
        case CORRAL_EV_STUCK:
                str(l, "node", e->u.stuck.node);
                str(l, "pids", e->u.stuck.pids);
                break;
        case CORRAL_EV_REMOVED:
                str(l, "node", e->u.removed.node);
                if (e->u.removed.teardown_us >= 0)
                        num(l, "teardown_ms", e->u.removed.teardown_us / 1000);
                break;
        case CORRAL_EV_ORPHAN:
                if (e->u.orphan.orphan) {
                        str(l, "orphan", e->u.orphan.orphan);
                        num(l, "supervisor_pid", e->u.orphan.supervisor_pid);
                } else {
                        str(l, "record", e->u.orphan.record);
                }
                if (e->u.orphan.populated)
                        str(l, "hint",
                            "processes remain: `corral gc --kill` ends and removes them");
                else if (e->u.orphan.error)
                        str(l, "error", e->u.orphan.error);
                break;
        case CORRAL_EV_WARNING:
                str(l, "profile", e->u.warning.profile);
                str(l, "message", e->u.warning.message);
                break;
        case CORRAL_EV_HOST:
                str(l, "message", e->u.host.message);
                str(l, "v1", e->u.host.v1);
                break;
        case CORRAL_EV_ERROR:
                str(l, "message", e->u.error.message);
                break;
        case CORRAL_EV_EVENTS_LOST:
                num(l, "count", (long long)e->u.events_lost.count);
                break;
        case CORRAL_EV_CHANNEL_CLOSED:
                str(l, "why", e->u.channel_closed.why);
                break;
        case CORRAL_EV_SIGNAL:
                str(l, "signal", sig_name(e->u.signal.signo));
                str(l, "action", e->u.signal.action);
                if (e->u.signal.why)
                        str(l, "why", e->u.signal.why);
                break;
        case CORRAL_EV_FREEZE:
                str(l, "why", e->u.freeze.why);
                break;
        }
}

/* An end a shell would remark on: the kernel's OOM killer, seccomp, a signal other than
 * those of an ordinary stop (INT, TERM, HUP, PIPE). */
static bool abnormal_end(const struct corral_event *e)
{
        const char *r = e->u.exited.reason;
        int st = e->u.exited.wstatus;

        if (strncmp(r, "oom-killed", 10) == 0 || strncmp(r, "seccomp", 7) == 0)
                return true;
        if (strncmp(r, "spawn-failed", 12) == 0)
                return false; /* its spawn-failed record said it */
        return WIFSIGNALED(st) && WTERMSIG(st) != SIGINT && WTERMSIG(st) != SIGTERM &&
               WTERMSIG(st) != SIGHUP && WTERMSIG(st) != SIGPIPE;
}

bool event_is_problem(const struct corral_event *e)
{
        switch (e->type) {
        case CORRAL_EV_STARTED:
        case CORRAL_EV_REMOVED:
        case CORRAL_EV_SIGNAL:
        case CORRAL_EV_FREEZE:
                return false;
        case CORRAL_EV_EXITED:
                return abnormal_end(e);
        case CORRAL_EV_CASCADE:
                /* the graceful stage is the ordinary end; past it something did not stop */
                return e->u.cascade.stage >= CS_TERMINATE || e->u.cascade.hold;
        case CORRAL_EV_ORPHAN:
                return !e->u.orphan.removed;
        case CORRAL_EV_SPAWN_FAILED:
        case CORRAL_EV_OUTPUT_DROPPED:
        case CORRAL_EV_STUCK:
        case CORRAL_EV_WARNING:
        case CORRAL_EV_HOST:
        case CORRAL_EV_ERROR:
        case CORRAL_EV_EVENTS_LOST:
        case CORRAL_EV_CHANNEL_CLOSED:
                break;
        }
        return true;
}

size_t event_format(const struct corral_event *e, bool json, char *buf, size_t len)
{
        struct line l;
        size_t n;

        begin(&l, e);
        fields(&l, e);
        if (json)
                add(l.json, sizeof l.json, &l.jl, "%s%s", "}", "\n");
        else
                add(l.text, sizeof l.text, &l.tl, "%s%s", "", "\n");
        n = json ? l.jl : l.tl;
        if (n >= len)
                n = len - 1;
        memcpy(buf, json ? l.json : l.text, n);
        buf[n] = '\0';
        return n;
}

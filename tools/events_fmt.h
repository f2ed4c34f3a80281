/* How corral's event records read (spawner/supervisor.h: struct corral_event): one line per
 * event, as text ("corral: tree/actor: started pid=... node=...") or as a JSON object per line
 * (--events json). The library produces records; only here are they given a form. */
#ifndef CORRAL_TOOLS_EVENTS_FMT_H
#define CORRAL_TOOLS_EVENTS_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "../spawner/supervisor.h"

#define EVENT_LINE_MAX 4096

/* The event's name as it reads ("started", "orphan-removed"). */
const char *event_name(const struct corral_event *e);

/* What `corral run` prints by default (quiet, like a shell): spawn failures, abnormal ends
 * (oom-killed, seccomp, a signal other than INT, TERM, HUP or PIPE), cascades past their
 * graceful stage, stuck trees, orphans left, warnings, how a hybrid host is used, errors, lost
 * output and lost events. Not: started, an ordinary exit, removed, signals passed on. */
bool event_is_problem(const struct corral_event *e);

/* One line (with its newline) into buf; returns its length. */
size_t event_format(const struct corral_event *e, bool json, char *buf, size_t len);

#endif

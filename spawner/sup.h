/* Internals of the supervisor, shared by supervisor.c, actor.c, cascade.c and events.c. */
#ifndef CORRAL_SPAWNER_SUP_H
#define CORRAL_SPAWNER_SUP_H

#include <stdint.h>

#include "../ns/cgdeleg.h"
#include "../ns/cghost.h"
#include "../ns/cgroup.h"
#include "../policy/seccomp_policy.h"
#include "output.h"
#include "registry.h"
#include "supervisor.h"
#include "zygote.h"

enum watch_kind {
        W_ZYGOTE,
        W_ZYGOTE_PID,
        W_SIGNAL,
        W_TIMER,
        W_TREE_EVENTS,
        W_PIDFD,
        W_EXEC,
        W_REPORT,
        W_OUT,
        W_ERR
};

struct actor;

struct watch {
        enum watch_kind kind;
        struct actor *a;
};

/* Stages of the cascade (DESIGN §6). */
enum cstage { CS_IDLE, CS_CANCEL, CS_INTERRUPT, CS_TERMINATE, CS_KILL, CS_STUCK, CS_DONE };

const char *cstage_name(enum cstage s);    /* "interrupt" */
const char *cstage_outcome(enum cstage s); /* "interrupted" */

struct actor {
        uint32_t id;
        char name[PROFILE_NAME_MAX + 1];
        struct profile prof;
        struct cg_node node, self;
        uint32_t req_id;
        pid_t pid; /* the shim, in our namespace */
        int pidfd, exec_rd, report_rd;
        struct drain out, err;
        struct watch w_pidfd, w_exec, w_report, w_out, w_err;
        bool replied, exec_done, started, dead, finished, fallback;
        bool spawn_failed, said_hello;
        int fail_stage, fail_errno;
        char fail_msg[200];
        bool have_report;
        int wstatus;          /* the program's (from the shim's report) */
        int shim_status;      /* the shim's own */
        enum cstage ended_in; /* the cascade stage during which it ended */
        /* v1 groups of the controllers the profile limits on a hybrid host */
        struct cg_node v1node[CG_NCTRL];
        bool oom_killed;
        int64_t t_spawn, t_exit;
        char reason[160];
};

struct supervisor {
        const struct sup_options *opt;
        struct cghost host;
        struct cg_deleg deleg;
        struct zygote zy;
        int epfd, sfd, tfd;
        struct watch w_zygote, w_zygote_pid, w_signal, w_timer, w_tree;
        struct outstream out, errs;
        struct registry reg;
        char tree[PROFILE_NAME_MAX + 1];
        char tree_node_name[PROFILE_NAME_MAX + 16]; /* "<tree>.<random id>" */
        struct cg_node base, tree_node;
        int tree_events_fd;
        bool tree_created;
        char v1_tree[CG_NCTRL][PATH_MAX];      /* <v1 own>/corral/<tree>.<id>, "" when not v1 */
        struct cg_node v1_tree_node[CG_NCTRL]; /* that group, once a profile limited it */
        bool said_v1;                          /* the hybrid-host event was logged */
        struct sock_fprog bpf;                 /* the root profile's filter, compiled once */
        int cap_last;                          /* /proc/sys/kernel/cap_last_cap */
        struct actor *root;
        uint32_t next_id, next_req;
        /* the cascade on the tree */
        enum cstage stage;
        int64_t deadline_us; /* when the current stage escalates */
        int64_t kill_recheck_us;
        int64_t casc_start_us;
        int signals_seen;
        struct rlimit caller_nofile; /* restored for programs after we raise ours */
        bool done, stuck;
        int64_t t0_us;
};

/* events.c */
struct ev {
        struct supervisor *s;
        char text[2048];
        size_t tl;
        char json[4096];
        size_t jl;
};
void ev_begin(struct ev *e, struct supervisor *s, const char *event, const struct actor *a);
void ev_str(struct ev *e, const char *key, const char *value);
void ev_int(struct ev *e, const char *key, long long value);
void ev_end(struct ev *e);

/* actor.c */
int actor_spawn(struct supervisor *s, struct actor *a, char *const *argv, struct cerr *err);
void actor_on_reply(struct supervisor *s);
/* A spawn that failed before any clone (the program was not found): reported as the child
 * would have reported it. */
void actor_fail_before_clone(struct supervisor *s, struct actor *a, int stage, int e);
void actor_on_exec(struct supervisor *s, struct actor *a);
void actor_on_pidfd(struct supervisor *s, struct actor *a);
void actor_on_report(struct supervisor *s, struct actor *a);
void actor_on_output(struct supervisor *s, struct actor *a, bool is_err);
void actor_zygote_lost(struct supervisor *s);
/* The zygote's pidfd became readable: it died while the supervisor still needs it. */
void actor_zygote_exited(struct supervisor *s);
/* A shim that stopped (SIGSTOP from outside: the only signal that can stop it) cannot forward
 * signals or report the program's end: its actor's cascade starts, and its deadlines bound
 * what follows. */
void actor_check_stopped(struct supervisor *s);
bool actor_live(const struct actor *a);
void actor_close(struct supervisor *s, struct actor *a);
int actor_exit_code(const struct actor *a);

/* cascade.c */
void cascade_on_signal(struct supervisor *s, int sig);
void cascade_on_timer(struct supervisor *s);
void cascade_on_tree_event(struct supervisor *s);
void cascade_progress(struct supervisor *s);
void cascade_arm_timer(struct supervisor *s);
void cascade_kill_now(struct supervisor *s, const char *why);
/* Start the cascade (when none runs) for a reason other than a signal to corral. */
void cascade_start(struct supervisor *s, const char *why);

/* supervisor.c */
int sup_watch(struct supervisor *s, int fd, uint32_t events, struct watch *w, enum watch_kind kind,
              struct actor *a);
void sup_unwatch(struct supervisor *s, int fd);
int sup_tree_populated(struct supervisor *s);
/* A zeroed supervisor to the state "nothing open yet" (every fd -1). */
void sup_init(struct supervisor *s, const struct sup_options *o);
/* Host discovery, the pure-v2 leaf move, the seccomp filter, the zygote, epoll and the cascade
 * timer: everything but signals and the tree. */
int sup_start(struct supervisor *s, const struct profile *p, struct cerr *err);
/* One epoll event, to the handler of its watch. */
void sup_dispatch(struct supervisor *s, struct watch *w, uint32_t events);
/* The tree's node, its cgroup.events watch and its registry record (after sweeping orphans
 * when asked). */
int sup_setup_tree(struct supervisor *s, bool sweep_orphans, struct cerr *err);

#endif

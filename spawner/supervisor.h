/* The supervisor: `corral run` in the foreground. It clones (through its zygote) the root
 * actor of one tree, holds its pidfd and pipes, drains its output, and tears the tree down
 * with the cancel cascade of DESIGN §6 when the program exits or a signal asks. */
#ifndef CORRAL_SPAWNER_SUPERVISOR_H
#define CORRAL_SPAWNER_SUPERVISOR_H

#include <stdbool.h>

#include "../ns/err.h"
#include "../policy/profile.h"
#include "spec.h"

struct sup_fd {
        int fd;
        char name[64]; /* LISTEN_FDNAMES entry ("unknown" when not named) */
};

struct sup_options {
        const char *tree_name; /* NULL: the program's basename plus a short id */
        char *const *argv;     /* the program */
        const struct profile *profile;
        struct sup_fd pass[SPEC_MAX_PASS];
        int npass;
        bool events_json;         /* JSON lines instead of text */
        int out_fd, err_fd;       /* the caller's stdout and stderr (actor output, events) */
        const char *registry_dir; /* NULL: /run/corral */
        /* test hooks: force the fallback paths so tests can prove they work */
        bool force_clone_fallback;
        bool force_fd_walk;
        bool share_keyring;   /* keep the caller's session keyring: the keyring test's control */
        int loopback_ifindex; /* 0: lo (1); tests name a missing device to prove the error path */
};

/* The fewest open files (RLIMIT_NOFILE, after the soft limit is raised to the hard one) a
 * supervisor runs one actor with: a plain run holds about 22 (epoll, signalfd, timerfd, the
 * zygote's socket and pidfd, the registry lock, cgroup nodes and cgroup.events, the actor's
 * pidfd and pipes), more with v1 limits, `log` stdio and --fd. Below it corral refuses at
 * start with EMFILE rather than fail half-way through a spawn. */
#define CORRAL_MIN_NOFILE 64

/* corral run's exit status (DESIGN §10): the program's, 128+N when it died of signal N;
 * 125 corral could not run (or could not clean up: `stuck`), 126 not executable, 127 not
 * found. */
struct sup_result {
        int exit_code;
        bool stuck;
        bool spawn_failed;
        char spawn_error[200]; /* "spawn failed at execve: No such file or directory" */
};

/* Returns 0 when the tree ran (res filled), -1 when corral could not run it (err filled;
 * the exit code is then 125). */
int supervisor_run(const struct sup_options *o, struct sup_result *res, struct cerr *err);

/* Tree and actor names: [A-Za-z0-9_.-]{1,64}, not starting with '.', and not a cgroup
 * controller prefix (cgroup.*, memory.* ...) that could collide with an interface file. */
bool sup_name_valid(const char *name);

#endif

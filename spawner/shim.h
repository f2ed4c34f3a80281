/* The child side of a spawn: corral's PID 1 in the actor's namespace, and the actor child it
 * forks and execs. Runs in a clone child of the zygote, or of the supervisor itself (a
 * tree's first spawn); never returns. */
#ifndef CORRAL_SPAWNER_SHIM_H
#define CORRAL_SPAWNER_SHIM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

/* What the shim writes on the report pipe when the program exits. */
struct shim_report {
        uint32_t magic;
        int32_t wstatus; /* as waitpid(2) encodes it */
        int32_t pid;     /* the program's pid inside the namespace */
};

#define SHIM_REPORT_MAGIC 0x73686d31u /* "shm1" */

/* The signals the zygote (the shim's parent in clone) ignores, every other one at its
 * default there: what each actor child must give back to SIG_DFL, since CLONE_CLEAR_SIGHAND
 * keeps ignored signals ignored. The zygote sets them from this list. */
extern const int shim_inherited_ignored[];
extern const int shim_ninherited_ignored;

/* The signals a shim passes on to its program when they come from outside its namespace. */
bool shim_forwards(int sig);

/* What the zygote does once for all the shims it clones, and a shim the supervisor cloned
 * itself does for itself: a session of its own (no controlling terminal), every signal at its
 * default but shim_inherited_ignored, ignored. The mask is left alone (a shim keeps every
 * signal blocked; the zygote empties its own). */
void shim_detach(void);

/* Hide one more directory in every actor (a rootless corral's $XDG_RUNTIME_DIR when it is
 * not below /run/user, which is always hidden): call before the zygote forks. */
void shim_hide_dir(const char *dir);
/* What every actor has hidden (NULL-terminated): the supervisor refuses a mount inside it
 * and leaves out ops its mask makes moot (paths.c). */
char *const *shim_hidden_dirs(void);

/* direct: cloned by the supervisor itself, not by the zygote (see shim.c: step_own_fds). */
__attribute__((noreturn)) void shim_main(struct spec_req *r, int sync_fd, int parent_pidfd,
                                         bool direct);

#endif

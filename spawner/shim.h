/* The child side of a spawn: corral's PID 1 in the actor's namespace, and the actor child it
 * forks and execs. Runs in the zygote's clone child; never returns. */
#ifndef CORRAL_SPAWNER_SHIM_H
#define CORRAL_SPAWNER_SHIM_H

#include <signal.h>
#include <stdint.h>

#include "spec.h"

/* What the shim writes on the report pipe when the program exits. */
struct shim_report {
        uint32_t magic;
        int32_t wstatus; /* as waitpid(2) encodes it */
        int32_t pid;     /* the program's pid inside the namespace */
};

#define SHIM_REPORT_MAGIC 0x73686d31u /* "shm1" */

__attribute__((noreturn)) void shim_main(struct spec_req *r, int sync_fd, int parent_pidfd,
                                         sigset_t saved_mask);

#endif

#include "shim_clone.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/kfile.h"
#include "../ns/netns.h"
#include "../ns/spare_ns.h"
#include "../ns/syscalls.h"
#include "../ns/userns.h"
#include "shim.h"

static int write_pid(int dirfd, pid_t pid)
{
        char v[24];

        snprintf(v, sizeof v, "%d", (int)pid);
        return kfile_write_at(dirfd, "cgroup.procs", v);
}

static void fill_error(struct spec_reply *rep, int e, int stage, const char *msg)
{
        rep->errnum = e;
        rep->stage = stage;
        snprintf(rep->msg, sizeof rep->msg, "%s", msg);
}

static void close_pair(int p[2])
{
        for (int i = 0; i < 2; i++) {
                if (p[i] >= 0)
                        close(p[i]);
                p[i] = -1;
        }
}

int shim_clone(struct spec_req *r, const struct shim_clone_how *how, struct spec_reply *rep,
               bool *stranded)
{
        struct ns_clone_req creq = {
            .flags = r->hdr.clone_flags | CLONE_CLEAR_SIGHAND | (how->direct ? 0 : CLONE_PARENT),
            .cgroup_fd = spec_fd(r, SPEC_FD_CGROUP),
            .force_fallback = r->hdr.flags & SPEC_FORCE_CLONE_FALLBACK,
        };
        struct ns_clone_res res;
        struct cerr err = {0};
        int sync[2] = {-1, -1};
        int tree_net = spec_fd(r, SPEC_FD_NETNS), own_net = -1;
        bool userns = r->hdr.clone_flags & CLONE_NEWUSER;
        bool need_sync = r->hdr.n_v1 > 0 || userns || creq.force_fallback || ns_clone3_state() != 1;
        int saved[SPARE_N], stuck_errno = 0, stuck_stage = STAGE_NETNS;
        unsigned spared = 0;
        const char *stuck = NULL;
        pid_t pid;

        *rep = (struct spec_reply){.magic = SPEC_MAGIC, .req_id = r->hdr.req_id};
        *stranded = false;
        if (how->direct && tree_net >= 0) {
                fill_error(rep, EINVAL, STAGE_NETNS, "a direct clone into the tree's namespace");
                return -1;
        }
        if (need_sync && pipe2(sync, O_CLOEXEC) < 0) {
                fill_error(rep, errno, STAGE_SYNC, "creating the sync pipe");
                return -1;
        }
        /* PrivateNetwork=tree: the child is born in the tree's network namespace (ns/netns.h) */
        if (tree_net >= 0 && ns_enter(tree_net, CLONE_NEWNET, &own_net) < 0) {
                fill_error(rep, errno, STAGE_NETNS, "entering the tree's network namespace");
                close_pair(sync);
                return -1;
        }
        /* a namespace made ahead, for a kind the clone would make (ns/spare_ns.h) */
        if (how->spares)
                spared = ns_spares_enter(how->spares, &creq.flags, saved);
        pid = ns_clone(&creq, &res, &err);
        if (pid == 0) {
                if (how->spares)
                        ns_spares_child(how->spares, saved);
                if (how->close_in_child >= 0)
                        close(how->close_in_child);
                if (sync[1] >= 0)
                        close(sync[1]);
                if (own_net >= 0)
                        close(own_net); /* a handle on the host's namespace stays with us */
                /* born in the tree's namespace: its handle stays the supervisor's alone (the
                 * shim's copy would outlive the program's exec, and `started`, by a moment) */
                if (tree_net >= 0) {
                        close(tree_net);
                        r->fds[r->hdr.fd_index[SPEC_FD_NETNS]] = -1;
                }
                shim_main(r, sync[0], how->parent_pidfd, how->direct);
        }
        /* Back at once: every later clone would be born where we are. If we cannot return, we
         * must clone nothing more; the supervisor fails what is pending when we are gone. */
        if (spared && ns_spares_leave(how->spares, spared, saved) < 0) {
                stuck = "leaving a namespace made ahead";
                stuck_errno = errno;
                stuck_stage = STAGE_NONE; /* (the message says where) */
        }
        if (own_net >= 0 && ns_leave(&own_net, CLONE_NEWNET) < 0 && !stuck) {
                stuck = "leaving the tree's namespace";
                stuck_errno = errno;
        }
        if (stuck) {
                if (pid > 0)
                        sys_pidfd_send_signal(res.pidfd, SIGKILL, NULL, 0);
                *stranded = true;
        }
        if (sync[0] >= 0)
                close(sync[0]);
        if (pid < 0 || *stranded) {
                if (pid < 0)
                        fill_error(rep, err.errnum, STAGE_NONE, cerr_stage_name(err.stage));
                else
                        fill_error(rep, stuck_errno, stuck_stage, stuck);
                if (sync[1] >= 0)
                        close(sync[1]);
                if (pid > 0) {
                        rep->pid = pid;
                        return res.pidfd;
                }
                return -1;
        }
        rep->pid = pid;
        rep->fallback = res.fallback;
        rep->spare_ns = (uint8_t)spared;
        /* Work that must be done before the child runs: on the fallback path it starts in our
         * cgroup and is moved (an RCU grace period, here and not in the event loop); on hybrid
         * hosts each v1 controller needs its own placement. */
        if (!res.placed && creq.cgroup_fd >= 0 && write_pid(creq.cgroup_fd, pid) < 0)
                fill_error(rep, errno, STAGE_SYNC, "moving the child into its cgroup");
        for (uint32_t i = 0; !rep->errnum && i < r->hdr.n_v1; i++) {
                if (write_pid(spec_v1_fd(r, i), pid) < 0)
                        fill_error(rep, errno, STAGE_SYNC, "placing the child in a v1 cgroup");
        }
        /* PrivateUsers=: root inside is one unprivileged id outside; rootless: the caller's
         * own ids, inside as outside (or root inside with PrivateUsers=yes) */
        if (!rep->errnum && userns &&
            userns_write_maps(pid, r->hdr.cred.uid, r->hdr.map_uid, r->hdr.cred.gid,
                              r->hdr.map_gid) < 0)
                fill_error(rep, errno, STAGE_SYNC, "writing the user namespace's id maps");
        if (rep->errnum)
                sys_pidfd_send_signal(res.pidfd, SIGKILL, NULL, 0);
        else if (sync[1] >= 0 && write(sync[1], "g", 1) != 1)
                fill_error(rep, errno, STAGE_SYNC, "releasing the child");
        if (sync[1] >= 0)
                close(sync[1]);
        return res.pidfd;
}

/* What to spawn: the request the supervisor sends to its zygote, and the child's error record.
 *
 * The supervisor forks a zygote while it is still small and holds little (at start, or at its
 * second spawn with zygote_on_demand, when it clones the first one itself from the same
 * request: spec_local, shim_clone.h), and sends it one request per actor over a
 * SOCK_SEQPACKET socket: a fixed header,
 * a string blob (argv, env, hostname, cwd) inline or in a memfd when large, and the fds the
 * child needs as SCM_RIGHTS, in the order of enum spec_fd. The zygote clones the child with
 * CLONE_PARENT (the supervisor is its parent: waitid on its pidfd works there), finishes
 * what must happen before the child may run (cgroup.procs on the fallback path, v1
 * placement), releases it, and answers with the pid and the pidfd. */
#ifndef CORRAL_SPAWNER_SPEC_H
#define CORRAL_SPAWNER_SPEC_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "../ns/creds.h"
#include "../ns/err.h"
#include "../ns/mounts.h"

#define SPEC_MAGIC      0x636f7231u /* "cor1" */
#define SPEC_INLINE_MAX (48 * 1024)
#define SPEC_BLOB_MAX   (8 * 1024 * 1024) /* argv + env + strings, total */
#define SPEC_MAX_PASS   64                /* fds passed to a program (--fd) */
#define SPEC_MAX_V1     4
#define SPEC_MAX_RW     64 /* ReadWritePaths= that exist, each a detached mount */
#define SPEC_MAX_OPS    64 /* TemporaryFileSystem=, InaccessiblePaths=, ProtectHome= mounts */
/* seccomp filters: the kernel's cap on a chain (SECCOMP_CHAIN_INSNS_MAX), which bounds their
 * number too (each has an instruction and costs 4 more) */
#define SPEC_MAX_BPF_INSNS 32768
#define SPEC_MAX_FILTERS   (SPEC_MAX_BPF_INSNS / 5 + 1)

/* Fixed fd slots; the variable parts follow: v1 groups, ReadWritePaths= mounts, then passed
 * fds. */
enum spec_fd {
        SPEC_FD_CGROUP,    /* the actor's self/ leaf, O_PATH */
        SPEC_FD_EXEC_PIPE, /* write end: error record, or EOF when execve succeeded */
        SPEC_FD_REPORT,    /* write end: the shim reports the program's wait status */
        SPEC_FD_STDIN,     /* -1 in the header when absent */
        SPEC_FD_STDOUT,
        SPEC_FD_STDERR,
        SPEC_FD_BLOB,    /* memfd with the string blob, when it is not inline */
        SPEC_FD_PROGRAM, /* the program, O_PATH, resolved and opened by the supervisor */
        SPEC_FD_CTL,     /* the actor's end of its control channel: fd 3+n_pass */
        SPEC_FD_PTY,     /* a socket: the shim sends the pty's master back on it (-t) */
        SPEC_FD_NETNS,   /* PrivateNetwork=tree: the tree's network namespace, entered by the
                          * zygote for the clone (the child is born in it) */

        SPEC_FD_FIXED_COUNT
};

#define SPEC_MAX_FDS (SPEC_FD_FIXED_COUNT + SPEC_MAX_V1 + SPEC_MAX_RW + SPEC_MAX_PASS)

enum spec_flag {
        SPEC_FORCE_CLONE_FALLBACK = 1u << 0, /* tests: clone() + cgroup.procs */
        SPEC_FORCE_FD_WALK = 1u << 1,        /* tests: /proc/self/fd walk instead of close_range */
        SPEC_STDIN_NULL = 1u << 2,           /* no stdin fd passed: open /dev/null */
        SPEC_STDOUT_NULL = 1u << 3,
        SPEC_STDERR_NULL = 1u << 4,
        SPEC_PROTECT_KERNEL = 1u << 5, /* /proc/sys, /sys read-only; /proc files masked */
        SPEC_PRIVATE_TMP = 1u << 6,
        SPEC_CGROUP_VIEW_RW = 1u << 7, /* ProtectControlGroups=no */
        SPEC_LOOPBACK = 1u << 8,       /* a new network namespace: bring lo up */
        SPEC_CWD_EXPLICIT = 1u << 9,   /* WorkingDirectory=: failing to enter it is an error */
        SPEC_SHARE_KEYRING = 1u << 10, /* KeyringMode=inherit: keep the caller's session keyring */
        SPEC_PRIVATE_DEVICES = 1u << 11,
        SPEC_PTY = 1u << 12,      /* stdio is a pty of the actor's own devpts (corral run -t) */
        SPEC_PTY_MODE = 1u << 13, /* with the caller's terminal modes (pty_mode) */
};

struct spec_hdr {
        uint32_t magic;
        uint32_t req_id;
        uint64_t clone_flags; /* namespaces; CLONE_PIDFD etc. are added by the zygote */
        uint32_t flags;       /* enum spec_flag */
        int32_t fd_index[SPEC_FD_FIXED_COUNT]; /* position of each fixed fd in SCM_RIGHTS, or -1 */
        uint32_t n_v1;                         /* v1 group dirfds follow the fixed ones */
        uint64_t rw_bind;    /* bit i: rw path i is a bind (BindPaths=, another target path) */
        uint64_t rw_create;  /* bit i: its target is in a tmpfs of the actor's: made there */
        uint32_t n_ops;      /* struct mount_op each, as two strings after the rw paths */
        uint32_t n_rw_paths; /* then one detached mount (open_tree) per ReadWritePaths= entry;
                              * its path, where the shim mounts it, is in the blob */
        uint32_t n_pass;     /* then the passed fds, which land at 3..3+n_pass-1 */
        uint32_t nfds;       /* total fds in SCM_RIGHTS */
        uint32_t argc, envc;
        uint32_t blob_len;
        uint32_t actor_id;
        uint64_t tmp_size;    /* PrivateTmpSize= in bytes (0: the kernel's default) */
        struct rlimit nofile; /* the caller's RLIMIT_NOFILE, restored for the program */
        uint32_t n_rlimits;   /* the profile's Limit*= settings */
        struct {
                uint32_t resource;
                uint32_t pad;
                uint64_t soft, hard;
        } rlimits[RLIMIT_NLIMITS];
        uint32_t bpf_len;          /* seccomp filters: instructions in all, after the strings */
        uint32_t n_bpf;            /* the filters, in the order they are loaded */
        uint32_t protect_system;   /* enum mounts_protect_system */
        int32_t loopback_ifindex;  /* 1; tests give a bogus one to prove the error path */
        struct cred_plan cred;     /* identity and capabilities of the program */
        uint32_t map_uid, map_gid; /* PrivateUsers=: who uid/gid 0 inside is outside */
        struct termios pty_mode;   /* SPEC_PTY: the slave's modes and size, from the caller's */
        struct winsize pty_size;
        /* blob: hostname \0 cwd \0 cgroup-view \0 program-path \0 argv[0] \0 ... env[0] \0 ...
         * rw_path \0 ... (op path \0 "KIND FLAGS DEV INO DATA" \0) ... then, 8-byte aligned,
         * n_bpf filters, each a struct spec_bpf and its struct sock_filter instructions */
};

/* One seccomp filter in the blob: its length, then its instructions (8 bytes each, so the
 * next record stays aligned). */
struct spec_bpf {
        uint32_t len;
        uint32_t pad;
};

/* The child's error record on the exec pipe. */
struct spec_child_error {
        int32_t stage; /* enum spawn_stage */
        int32_t errnum;
        char detail[32]; /* the sub-step, for mounts and credentials ("mount-proc") */
};

enum spawn_stage {
        STAGE_NONE,
        STAGE_PDEATHSIG,
        STAGE_SYNC,
        STAGE_MOUNTS, /* reported with its step ("mount-proc", "mount-read-write-paths") */
        STAGE_HOSTNAME,
        STAGE_SIGNALFD,
        STAGE_FORK,
        STAGE_STDIO,
        STAGE_FDS,
        STAGE_SIGNALS,
        STAGE_RLIMITS,
        STAGE_CHDIR,
        STAGE_ENV,
        STAGE_LOOPBACK,
        STAGE_CREDENTIALS,
        STAGE_NO_NEW_PRIVS,
        STAGE_SECCOMP,
        STAGE_EXECVE,
        STAGE_KEYRING,
        STAGE_PGID,
        STAGE_PTY,
        STAGE_NETNS, /* the zygote could not enter the tree's network namespace */
        STAGE_COUNT
};

const char *spawn_stage_name(int stage);

/* The zygote's answer. A pidfd travels with it when pid > 0 (even if errnum is set: then
 * the child was killed and the supervisor, its parent, must reap it). */
struct spec_reply {
        uint32_t magic;
        uint32_t req_id;
        int32_t pid;
        int32_t errnum;
        int32_t stage;
        uint8_t fallback; /* clone() + cgroup.procs was used */
        uint8_t spare_ns; /* born in namespaces made ahead: bit 1 << SPARE_NET, SPARE_IPC */
        uint8_t pad[2];
        char msg[200];
};

/* Builder on the supervisor side. */
struct spec_builder {
        struct spec_hdr hdr;
        char *blob;
        size_t blob_len, blob_cap;
        int fds[SPEC_MAX_FDS]; /* not owned: the caller keeps them until the send returns */
        int nfds;
        int v1_fds[SPEC_MAX_V1];
        int rw_fds[SPEC_MAX_RW];
        int pass_fds[SPEC_MAX_PASS];
};

void spec_init(struct spec_builder *b, uint32_t req_id, uint32_t actor_id);
int spec_add_string(struct spec_builder *b, const char *s, struct cerr *err);
void spec_set_fd(struct spec_builder *b, enum spec_fd slot, int fd);
int spec_add_v1(struct spec_builder *b, int fd, struct cerr *err);
/* A ReadWritePaths= entry: its path (where the shim mounts it) and its detached mount. Call
 * after the environment's strings. */
int spec_add_rw(struct spec_builder *b, const char *path, int mount_fd, struct cerr *err);
/* A mount op (after the rw paths): op->path and op->data are copied. */
int spec_add_op(struct spec_builder *b, const struct mount_op *op, struct cerr *err);
int spec_add_pass(struct spec_builder *b, int fd, struct cerr *err);
/* Append a seccomp filter after the strings (call after the last string), once per filter
 * in the order the child loads them. */
int spec_add_bpf(struct spec_builder *b, const void *insns, uint32_t count, struct cerr *err);
/* Send the request (blob inline or in a memfd). Non-blocking; EAGAIN is an error. */
int spec_send(struct spec_builder *b, int sock, struct cerr *err);
void spec_free(struct spec_builder *b);

/* Zygote side: the received request, with its fds (CLOEXEC) in fds[]. */
struct spec_req {
        struct spec_hdr hdr;
        char *blob;       /* owned, with the arrays below in the same block; or, */
        bool blob_static; /* parsed where it was received (spec_recv's buffer): not freed */
        int fds[SPEC_MAX_FDS];
        int nfds;
        /* parsed from the blob */
        const char *hostname, *cwd;
        const char *cgroup_view; /* the actor's node, by path: a bind mount cannot take an fd
                                  * from another mount namespace */
        const char *program;     /* the resolved path of argv[0] (scripts are run by it) */
        char **argv;             /* arrays in blob's block, strings in blob */
        char **envp;
        char **rw_paths;
        struct mount_op *ops;       /* n_ops, strings in blob */
        struct sock_fprog *filters; /* n_bpf; the programs are inside blob */
};

/* Receive and validate one request. Returns 1 on a request, 0 on EOF, -1 on error (err). */
int spec_recv(int sock, struct spec_req *r, struct cerr *err);
/* The request as the child would receive it, built in this process for a clone of its own
 * (spawn.c: the supervisor clones the tree's first shim itself): the same header checks and
 * parser, the builder's fds at their own numbers (not owned: the child's copies are the
 * child's, ours stay the caller's). spec_req_release() frees it without closing them. */
int spec_local(struct spec_builder *b, struct spec_req *r, struct cerr *err);
void spec_req_release(struct spec_req *r);
int spec_fd(const struct spec_req *r, enum spec_fd slot); /* -1 when absent */
int spec_v1_fd(const struct spec_req *r, uint32_t i);
int spec_rw_fd(const struct spec_req *r, uint32_t i);
int spec_pass_fd(const struct spec_req *r, uint32_t i);
void spec_req_close_fds(struct spec_req *r);
void spec_req_free(struct spec_req *r);

#endif

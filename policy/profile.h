/* The profile model: one named set of limits and sandbox settings, as a policy file's
 * `[profile NAME]` section describes it (DESIGN §9, §4a). The spawner reads these fields;
 * policy/ fills them from a file (or the built-in default) and validates them. */
#ifndef CORRAL_POLICY_PROFILE_H
#define CORRAL_POLICY_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "../ns/err.h"

#define PROFILE_NAME_MAX 64

/* A list key. Repeated lines accumulate; an empty assignment resets (systemd's rule). */
struct strlist {
        char **v;
        size_t n;
};

/* STDIO_AUTO: the caller's own stdio (as STDIO_INHERIT) for a top-level actor, the root of
 * `corral run`; for a child actor null (stdin) or log (stdout, stderr). */
enum stdio_mode { STDIO_AUTO, STDIO_INHERIT, STDIO_NULL, STDIO_FILE, STDIO_LOG };

/* LogOverflow=: what `log` output does when its queue is full outside a cascade. */
enum log_overflow {
        LOG_OVERFLOW_BLOCK, /* stop reading the actor's pipe until the queue drains */
        LOG_OVERFLOW_DROP,  /* keep reading; what does not fit is dropped, each drop an event */
};

struct stdio_spec {
        enum stdio_mode mode;
        char *path; /* STDIO_FILE */
};

enum protect_system {
        PROTECT_SYSTEM_NO,
        PROTECT_SYSTEM_YES,
        PROTECT_SYSTEM_FULL,
        PROTECT_SYSTEM_STRICT
};

/* ProtectHome= (systemd's): /home, /root and /run/user left alone, made inaccessible, read-only,
 * or each an empty read-only tmpfs (into which BindPaths= may mount). */
enum protect_home { PROTECT_HOME_NO, PROTECT_HOME_YES, PROTECT_HOME_READ_ONLY, PROTECT_HOME_TMPFS };

enum private_network { PRIVATE_NETWORK_NO, PRIVATE_NETWORK_TREE, PRIVATE_NETWORK_ACTOR };

/* KeyringMode= (systemd's): a fresh session keyring, or the caller's own. */
enum keyring_mode { KEYRING_MODE_PRIVATE, KEYRING_MODE_INHERIT };

enum on_child_failure {
        ON_CHILD_FAILURE_NOTIFY,
        ON_CHILD_FAILURE_CANCEL_SIBLINGS,
        ON_CHILD_FAILURE_CANCEL_PARENT
};

/* RestrictNamespaces=: the namespace types an actor's program may not create (or join). */
enum {
        RESTRICT_NS_CGROUP = 1u << 0,
        RESTRICT_NS_IPC = 1u << 1,
        RESTRICT_NS_NET = 1u << 2,
        RESTRICT_NS_MNT = 1u << 3,
        RESTRICT_NS_PID = 1u << 4,
        RESTRICT_NS_USER = 1u << 5,
        RESTRICT_NS_UTS = 1u << 6,
        RESTRICT_NS_TIME = 1u << 7,
        RESTRICT_NS_ALL = (1u << 8) - 1,
};

/* Namespaces= (pid and mount are always new; user is PrivateUsers=, net PrivateNetwork=). */
enum { PROFILE_NS_IPC = 1u << 0, PROFILE_NS_UTS = 1u << 1, PROFILE_NS_CGROUP = 1u << 2 };

/* A numeric limit that may be unset (no limit written) or explicitly infinity. */
struct limit {
        bool set;
        uint64_t value; /* UNITS_INFINITY for "infinity" */
};

struct rlimit_setting {
        bool set;
        uint64_t soft, hard; /* UNITS_INFINITY for "infinity" */
};

struct syscall_filter {
        bool set;
        bool is_default;      /* still the default profile's deny list: an allow list replaces it */
        bool deny_list;       /* "~a b c": deny these, allow the rest */
        struct strlist names; /* syscall names and @groups, as written */
        int error_number;     /* SystemCallErrorNumber=; 0 = kill the process (systemd's default) */
};

struct profile {
        char name[PROFILE_NAME_MAX + 1];

        /* namespaces and mounts (§4a); the small fields together (no padding between them) */
        bool private_users;
        bool private_tmp;
        bool private_devices;
        bool protect_control_groups;
        bool pass_environment_all;    /* PassEnvironment= (default): every caller variable */
        unsigned namespaces;          /* PROFILE_NS_* */
        unsigned restrict_namespaces; /* RESTRICT_NS_*: types that may not be created */
        enum private_network private_network;
        enum keyring_mode keyring_mode;
        enum protect_system protect_system;
        enum protect_home protect_home;
        enum log_overflow log_overflow;
        enum on_child_failure on_child_failure;
        struct limit private_tmp_size;            /* size= of the /tmp and /var/tmp tmpfs */
        struct strlist read_write_paths;          /* "[-]PATH" */
        struct strlist temporary_fs;              /* "[-]PATH[:OPTIONS]" (TemporaryFileSystem=) */
        struct strlist inaccessible_paths;        /* "[-]PATH" */
        struct strlist bind_paths, bind_ro_paths; /* "[-]SRC[:DST]" (BindPaths=, ...ReadOnly...) */

        /* credentials */
        char *user;  /* NULL: the invoking user (SUDO_UID) or the caller */
        char *group; /* NULL: the user's primary group */
        struct strlist supplementary_groups;
        uint64_t capability_bounding_set; /* bit = capability number */
        uint64_t ambient_capabilities;

        /* resources (§7) */
        struct limit memory_max, memory_high, memory_swap_max;
        struct limit tasks_max;
        struct limit cpu_quota; /* basis points: 5000 = 50% of one CPU */
        struct limit cpu_weight, io_weight;
        struct rlimit_setting rlimits[RLIMIT_NLIMITS];

        /* seccomp */
        struct syscall_filter syscall_filter;

        /* the program's environment */
        char *hostname; /* NULL: the actor's name */
        struct stdio_spec std_in, std_out, std_err;
        struct strlist environment;       /* "KEY=VALUE", added to the caller's */
        struct strlist pass_environment;  /* else only these names of the caller's */
        struct strlist unset_environment; /* NAME or NAME=VALUE: removed (caller's, Environment=) */
        char *working_directory;          /* NULL: the caller's */

        /* the cascade (§6), microseconds */
        uint64_t timeout_cancel, timeout_interrupt, timeout_terminate, timeout_kill, timeout_hold;
        uint64_t runtime_max; /* RuntimeMaxSec=: the cascade once it ran this long (0: never) */

        /* trees */
        uint64_t max_children, max_depth, max_actors;
        struct strlist spawn_profiles;
};

/* The built-in default profile (§9): full confinement, ProtectSystem=full, PrivateTmp=yes,
 * the caller's environment, Hostname= the actor's name, PrivateNetwork=no, no resource
 * limits, timeouts 5s/3s/3s/10s, stdio `auto` (the caller's own for the root actor). */
void profile_default(struct profile *p, const char *name);
/* The clone flags of its namespaces: pid and mount always, ipc/uts/cgroup as Namespaces=
 * says, net for PrivateNetwork=actor (tree: entered, not created), user for PrivateUsers=. */
uint64_t profile_clone_flags(const struct profile *p);
/* A deny list that starts with the default one, in its order: what a profile's own '~' lines
 * make of the default (they add to it). Anything else was reset by an empty line. */
bool profile_filter_keeps_default(const struct syscall_filter *f);

int profile_copy(struct profile *dst, const struct profile *src, struct cerr *err);

/* A profile's name: `[A-Za-z0-9_.-]{1,64}` */
bool policy_profile_name_valid(const char *name);
void profile_free(struct profile *p);

int strlist_add(struct strlist *l, const char *s, struct cerr *err);
int strlist_addf(struct strlist *l, struct cerr *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void strlist_clear(struct strlist *l);

#endif

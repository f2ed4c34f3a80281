/* systemd's syscall groups for SystemCallFilter=, so a unit file's filter reads the same in a
 * corral policy. Modeled on the groups systemd documents in systemd.exec(5) (and defines in
 * src/shared/seccomp-util.c), as of systemd 252-254. Members are syscall names on any
 * architecture (a name absent on this one is skipped when compiling, as systemd does) or
 * other groups.
 *
 * Group members that this libseccomp does not know are skipped when compiling, so a group
 * can list calls newer than the library; a name the user writes must be known. */
#include <string.h>

#include "seccomp_policy.h"

#define MEMBERS(...)                                                                               \
        (const char *const[])                                                                      \
        {                                                                                          \
                __VA_ARGS__, NULL                                                                  \
        }

static const struct syscall_group groups[] = {
    /* Every allow list includes these (systemd does the same): without them a process
     * cannot exec, exit, or ask the basic questions libc asks at startup. */
    {"@default", "calls every process needs; included in every allow list",
     MEMBERS("arch_prctl", "brk", "cacheflush", "clock_getres", "clock_getres_time64",
             "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
             "execve", "exit", "exit_group", "futex", "futex_time64", "futex_waitv",
             "get_robust_list", "get_thread_area", "getegid", "getegid32", "geteuid", "geteuid32",
             "getgid", "getgid32", "getgroups", "getgroups32", "getpgid", "getpgrp", "getpid",
             "getppid", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
             "getrlimit", "getsid", "gettid", "gettimeofday", "getuid", "getuid32", "membarrier",
             "mmap", "mmap2", "mprotect", "munmap", "nanosleep", "pause", "prlimit64",
             "restart_syscall", "riscv_flush_icache", "rseq", "rt_sigreturn", "sched_getaffinity",
             "sched_yield", "set_robust_list", "set_thread_area", "set_tid_address", "set_tls",
             "sigreturn", "time", "ugetrlimit")},
    {"@aio", "asynchronous I/O",
     MEMBERS("io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
             "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup")},
    {"@basic-io", "reading and writing open file descriptors",
     MEMBERS("_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv",
             "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev")},
    {"@chown", "changing file ownership",
     MEMBERS("chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32")},
    {"@clock", "changing the system clock",
     MEMBERS("adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64",
             "settimeofday", "stime")},
    {"@cpu-emulation", "CPU emulation (vm86, LDT changes)",
     MEMBERS("modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old")},
    {"@debug", "debugging, tracing, performance monitoring",
     MEMBERS("lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", "rtas",
             "s390_runtime_instr", "sys_debug_setcontext")},
    {"@file-system", "file system access",
     MEMBERS("access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate",
             "fchdir", "fchmod", "fchmodat", "fcntl", "fcntl64", "fgetxattr", "flistxattr",
             "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
             "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents", "getdents64",
             "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
             "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr",
             "lstat", "lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "mmap", "mmap2", "munmap",
             "newfstatat", "oldfstat", "oldlstat", "oldstat", "open", "openat", "openat2",
             "readlink", "readlinkat", "removexattr", "rename", "renameat", "renameat2", "rmdir",
             "setxattr", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat",
             "truncate", "truncate64", "unlink", "unlinkat", "utime", "utimensat",
             "utimensat_time64", "utimes")},
    {"@io-event", "event loops",
     MEMBERS("_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
             "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
             "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64", "select")},
    {"@ipc", "SysV IPC, POSIX message queues, pipes, cross-process memory",
     MEMBERS("ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
             "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl",
             "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "process_madvise", "process_vm_readv",
             "process_vm_writev", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
             "shmat", "shmctl", "shmdt", "shmget")},
    {"@keyring", "the kernel keyring", MEMBERS("add_key", "keyctl", "request_key")},
    {"@memlock", "locking memory", MEMBERS("mlock", "mlock2", "mlockall", "munlock", "munlockall")},
    {"@module", "loading and unloading kernel modules",
     MEMBERS("delete_module", "finit_module", "init_module")},
    {"@mount", "mounting, unmounting, changing the root",
     MEMBERS("chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
             "move_mount", "open_tree", "pivot_root", "umount", "umount2")},
    {"@network-io", "sockets",
     MEMBERS("accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
             "listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send",
             "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socket", "socketcall",
             "socketpair")},
    {"@obsolete", "unusual, obsolete or unimplemented calls",
     MEMBERS("_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime",
             "get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "prof", "profil",
             "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stime", "stty",
             "sysfs", "tuxcall", "ulimit", "uselib", "ustat", "vserver")},
    {"@pkey", "memory protection keys", MEMBERS("pkey_alloc", "pkey_free", "pkey_mprotect")},
    /* What needs a capability to do anything useful. setuid and friends are listed one by
     * one: setgid() alone is not privileged, so @setuid is not included whole. */
    {"@privileged", "calls that need superuser capabilities",
     MEMBERS("@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct", "bpf",
             "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl",
             "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd", "setdomainname",
             "setfsuid", "setfsuid32", "setgroups", "setgroups32", "sethostname", "setresuid",
             "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32", "vhangup")},
    {"@process", "process control, execution, namespaces",
     MEMBERS("arch_prctl", "capget", "clone", "clone3", "execveat", "fork", "getrusage", "kill",
             "pidfd_open", "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
             "setns", "swapcontext", "tgkill", "times", "tkill", "unshare", "vfork", "wait4",
             "waitid", "waitpid")},
    {"@raw-io", "raw I/O port and PCI configuration access",
     MEMBERS("ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
             "s390_pci_mmio_read", "s390_pci_mmio_write")},
    {"@reboot", "rebooting and kexec", MEMBERS("kexec_file_load", "kexec_load", "reboot")},
    {"@resources", "changing resource limits, scheduling and memory placement",
     MEMBERS("ioprio_set", "mbind", "migrate_pages", "move_pages", "nice", "sched_setaffinity",
             "sched_setattr", "sched_setparam", "sched_setscheduler", "set_mempolicy",
             "set_mempolicy_home_node", "setpriority", "setrlimit")},
    {"@setuid", "changing user and group credentials",
     MEMBERS("setgid", "setgid32", "setgroups", "setgroups32", "setregid", "setregid32",
             "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
             "setuid", "setuid32")},
    {"@signal", "signal handling",
     MEMBERS("rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
             "rt_sigtimedwait_time64", "sigaction", "sigaltstack", "signal", "signalfd",
             "signalfd4", "sigpending", "sigprocmask", "sigsuspend")},
    {"@swap", "enabling and disabling swap", MEMBERS("swapoff", "swapon")},
    {"@sync", "flushing files and memory to storage",
     MEMBERS("fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2",
             "syncfs")},
    /* What a typical service needs; a reasonable base for an allow list. */
    {"@system-service", "what a typical system service needs",
     MEMBERS("@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc",
             "@keyring", "@memlock", "@network-io", "@process", "@resources", "@setuid", "@signal",
             "@sync", "@timer", "arm_fadvise64_64", "capget", "capset", "copy_file_range",
             "fadvise64", "fadvise64_64", "flock", "get_mempolicy", "getcpu", "getpriority",
             "ioctl", "ioprio_get", "kcmp", "madvise", "mremap", "name_to_handle_at", "oldolduname",
             "olduname", "personality", "readahead", "readdir", "remap_file_pages",
             "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "sched_getparam",
             "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
             "sendfile", "sendfile64", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
             "setpgid", "setsid", "splice", "sysinfo", "tee", "umask", "uname", "userfaultfd",
             "vmsplice")},
    {"@timer", "timers and alarms",
     MEMBERS("alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
             "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
             "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
             "timerfd_settime64", "times")},
};

const struct syscall_group *syscall_group_find(const char *name)
{
        for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
                if (strcmp(groups[i].name, name) == 0)
                        return &groups[i];
        }
        return NULL;
}

size_t syscall_group_count(void)
{
        return sizeof groups / sizeof groups[0];
}

const struct syscall_group *syscall_group_at(size_t i)
{
        return i < syscall_group_count() ? &groups[i] : NULL;
}

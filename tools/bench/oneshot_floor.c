/* bench-oneshot-floor: the one-shot floor, what `corral run -- prog` costs the kernel and no
 * more. A static program (no dynamic linking, as a fully static corral could be) that does
 * the default profile's kernel work for one program, in the order corral does it: one fresh
 * cgroup below the bench's own (mkdir, O_PATH open), clone3 into it with the profile's
 * namespaces, in the child (PID 1 of the new PID namespace) a session keyring of its own,
 * the mount plan of the shim (ns/mounts.c, compiled in: the same mount calls, so the floor
 * cannot drift from them), the hostname, lo up with a network namespace; then the program
 * started the cheapest correct way (vfork: no page tables copied), with corral's credentials
 * (nobody, no capability: ns/creds.c), no new privileges and the profile's seccomp filter
 * (compiled by the bench, read from an inherited fd, as a corral that shipped its filter
 * precompiled would), exec by fd; PID 1 reaps it, the launcher reaps PID 1 and removes the
 * cgroup. The bench times it as a whole process, next to `corral run` (oneshot.c).
 *
 * usage: bench-oneshot-floor -g CGROUP_DIR [-n CLONE_FLAGS] [-t TMP_SIZE|-T] [-D] [-s PS]
 *                            [-K] [-R] [-f FD] [-c CAP_LAST] [-l] -- PROG [ARGS...]
 *   -n  namespaces, hex CLONE_NEW* (default: pid, mount, ipc, uts, cgroup)
 *   -t  PrivateTmp= size in bytes (default 256 MiB); -T: no private /tmp
 *   -D  no PrivateDevices=;  -s  ProtectSystem= (0 no, 1 yes, 2 full (default), 3 strict)
 *   -K  KeyringMode=inherit;  -R  ProtectControlGroups=no;  -l  bring lo up (net ns)
 *   -f  the seccomp filter: struct sock_filter[] on this fd;  -c  cap_last_cap
 * Exit status: the program's, or 120-127 when a step of the floor failed. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include "../../ns/creds.h"
#include "../../ns/mounts.h"

extern char **environ;

static struct {
        const char *cg_dir;
        uint64_t ns;
        unsigned long long tmp_size;
        bool private_tmp, private_devices, private_keyring, cgroup_rw, loopback;
        int protect_system, filter_fd, cap_last;
        char **argv;
} opt = {.ns = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP,
         .tmp_size = 256ULL << 20,
         .private_tmp = true,
         .private_devices = true,
         .private_keyring = true,
         .protect_system = MOUNTS_PS_FULL,
         .filter_fd = -1,
         .cap_last = -1};

static char node[4096]; /* the fresh cgroup, shown at /sys/fs/cgroup as corral does */
static struct sock_filter insns[32768]; /* the kernel's cap on one chain (BPF_MAXINSNS x 8) */
static struct sock_fprog filter;
static int prog_fd = -1;
static volatile int child_errno; /* set by the vfork child, which shares our memory */

static __attribute__((noreturn)) void usage(void)
{
        fprintf(stderr, "usage: bench-oneshot-floor -g CGROUP_DIR [-n CLONE_FLAGS] [-t SIZE|-T] "
                        "[-D] [-s PS] [-K] [-R] [-l] [-f FD] [-c CAP_LAST] -- PROG [ARGS...]\n");
        exit(2);
}

static void parse(int argc, char **argv)
{
        int c;

        while ((c = getopt(argc, argv, "+g:n:t:TDs:KRlf:c:")) != -1) {
                switch (c) {
                case 'g':
                        opt.cg_dir = optarg;
                        break;
                case 'n':
                        opt.ns = strtoull(optarg, NULL, 16);
                        break;
                case 't':
                        opt.tmp_size = strtoull(optarg, NULL, 10);
                        break;
                case 'T':
                        opt.private_tmp = false;
                        break;
                case 'D':
                        opt.private_devices = false;
                        break;
                case 's':
                        opt.protect_system = atoi(optarg);
                        break;
                case 'K':
                        opt.private_keyring = false;
                        break;
                case 'R':
                        opt.cgroup_rw = true;
                        break;
                case 'l':
                        opt.loopback = true;
                        break;
                case 'f':
                        opt.filter_fd = atoi(optarg);
                        break;
                case 'c':
                        opt.cap_last = atoi(optarg);
                        break;
                default:
                        usage();
                }
        }
        if (optind < argc)
                opt.argv = argv + optind;
}

/* The filter as the bench compiled it: read once, before the clone. */
static void read_filter(void)
{
        size_t got = 0;
        ssize_t n;

        if (opt.filter_fd < 0)
                return;
        /* pread: every launcher shares the one open file (the bench's memfd) and its offset */
        while ((n = pread(opt.filter_fd, (char *)insns + got, sizeof insns - got, (off_t)got)) > 0)
                got += (size_t)n;
        close(opt.filter_fd);
        filter.len = (unsigned short)(got / sizeof insns[0]);
        filter.filter = insns;
        if (!filter.len) /* asked for a filter and got none: no floor without it */
                exit(120);
}

static int loopback_up(void)
{
        struct ifreq ifr = {0};
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return -1;
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return -1;
        return close(s);
}

/* The program's side, in the vfork-like child: corral's credentials, no new privileges, the
 * filter, exec by fd (the private /tmp may hide its path). Only syscalls: the memory is
 * PID 1's until the exec. */
static int program(void *unused)
{
        struct cred_plan creds = {.cap_last = opt.cap_last};
        enum creds_step step;

        (void)unused;
        if (getuid() == 0) /* corral's default for a root caller: nobody */
                creds = (struct cred_plan){.set_ids = true,
                                           .uid = 65534,
                                           .gid = 65534,
                                           .groups = {65534},
                                           .ngroups = 1,
                                           .cap_last = opt.cap_last};
        if (creds_apply(&creds, &step) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            (filter.len && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) < 0))
                child_errno = errno;
        else
                syscall(SYS_execveat, prog_fd, "", opt.argv, environ, AT_EMPTY_PATH);
        if (!child_errno)
                child_errno = errno;
        _exit(127);
}

/* PID 1 of the new namespace: the shim's steps, then the program, reaped. */
static __attribute__((noreturn)) void pid1(void)
{
        char stack[32768] __attribute__((aligned(16))); /* the program's, until its exec */
        struct mount_plan plan = {
            .fresh_proc = true,
            .protect_kernel = true,
            .cgroup_view = node,
            .cgroup_view_rw = opt.cgroup_rw,
            .private_tmp = opt.private_tmp,
            .tmp_size = opt.tmp_size,
            .private_devices = opt.private_devices,
            .private_ipc = opt.ns & CLONE_NEWIPC,
            .protect_system = (enum mounts_protect_system)opt.protect_system,
            .mask_dirs = (char *const[]){MOUNTS_HIDDEN_DIRS, NULL},
        };
        enum mounts_step step;
        int status;
        pid_t pid;

        if (opt.private_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
                _exit(121);
        if (mounts_apply(&plan, &step) < 0 || chdir("/") < 0)
                _exit(122);
        if ((opt.ns & CLONE_NEWUTS) && sethostname("a", 1) < 0)
                _exit(123);
        if ((opt.ns & CLONE_NEWNET) && opt.loopback && loopback_up() < 0)
                _exit(124);
        /* vfork's way (CLONE_VM | CLONE_VFORK: no page tables copied, we wait until the
         * exec), on a stack of its own */
        pid = clone(program, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
        if (pid < 0)
                _exit(125);
        if (child_errno)
                _exit(126);
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        _exit(125);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(int argc, char **argv)
{
        struct clone_args args = {.exit_signal = SIGCHLD};
        char name[32];
        int base, cg, status = 0;
        pid_t pid;
        const char *cg_dir;

        parse(argc, argv);
        cg_dir = opt.cg_dir;
        if (!cg_dir || !opt.argv)
                usage();
        /* the supervisor opens the program before any mount changes: so does the floor */
        prog_fd = open(opt.argv[0], O_PATH | O_CLOEXEC);
        if (opt.cap_last < 0)
                opt.cap_last = creds_cap_last();
        read_filter();
        base = open(cg_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (prog_fd < 0 || base < 0)
                return 120;
        snprintf(name, sizeof name, "o%d", (int)getpid());
        snprintf(node, sizeof node, "%s/%s", cg_dir, name);
        if (mkdirat(base, name, 0755) < 0)
                return 120;
        cg = openat(base, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cg >= 0) {
                args.flags = opt.ns | CLONE_INTO_CGROUP | CLONE_CLEAR_SIGHAND;
                args.cgroup = (uint64_t)cg;
                pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
                if (pid == 0)
                        pid1();
                close(cg);
                while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (pid < 0)
                        status = 120 << 8;
        } else {
                status = 120 << 8;
        }
        for (int i = 0; unlinkat(base, name, AT_REMOVEDIR) < 0 && errno == EBUSY && i < 1000; i++)
                sched_yield();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

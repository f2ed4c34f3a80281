/* The test actor's modes that probe the kernel surface the default profile takes away
 * (tests/test_surface.c): the default deny list, RestrictNamespaces=, the keyrings,
 * PrivateDevices=, PrivateTmpSize=. Each prints one line per result, "NAME ok" or
 * "NAME errno ENAME" (the errno's name), and exits 0 unless it could not run at all.
 *
 *   denylist                   each call of the default deny list once, with harmless
 *                              invalid arguments: without the filter, a caller holding the
 *                              capability gets an error other than EPERM (or success:
 *                              perf_event_open of its own task clock, userfaultfd in user
 *                              mode only, both closed at once). Prints "add_key ...",
 *                              "keyctl ...", "request_key ...", "init_module ...",
 *                              "finit_module ...", "delete_module ...", "bpf ...",
 *                              "perf_event_open ...", "userfaultfd ...", "io_uring_setup ...",
 *                              "io_uring_enter ...", "io_uring_register ...", "kexec_load ...",
 *                              "kexec_file_load ...", "open_by_handle_at ..."
 *   int80 keyctl               keyctl(KEYCTL_GET_KEYRING_ID, session keyring) through the
 *                              i386 table (`int $0x80` from this 64-bit process): prints
 *                              "int80 keyctl ok ID" or "int80 keyctl errno NAME"
 *   ns                         unshare(CLONE_NEWUSER), unshare(CLONE_NEWNET) (each in a child
 *                              of its own), setns() of our own network namespace with
 *                              CLONE_NEWNET and with 0 (any type), and a raw clone3() whose
 *                              child exits at once: "unshare-user", "unshare-net",
 *                              "setns-net", "setns-any", "clone3"
 *   threads N                  start N (at most 64) pthreads, join them: "threads N ok"
 *   keyring-put DESC PAYLOAD   add a "user" key DESC to the user keyring (the uid's, shared by
 *                              every process of that uid): "keyring-put ok ID"
 *   keyring-get DESC           search the user keyring for the "user" key DESC (linking it
 *                              into the thread keyring, which makes it ours to read), read it:
 *                              "keyring-get ok PAYLOAD"
 *   keyring-clear DESC         the same search, then invalidate the key: "keyring-clear ok"
 *   devices                    "dev NAME" for each entry of /dev (sorted), "pts-dev N" (the
 *                              st_dev of /dev/pts), then a pty pair: posix_openpt, grantpt,
 *                              unlockpt, ptsname, the slave opened and made raw, "ping\n"
 *                              written to the slave and read back from the master:
 *                              "pty ok PTSNAME" or "pty errno NAME"
 *   fill PATH MB               write MB MiB (at most 64) of zeros to PATH in 64 KiB chunks:
 *                              "fill ok" or "fill errno NAME at BYTES"
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "modes.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);

        return n ? n : "unknown";
}

/* "NAME ok" for rc >= 0 (closing it when it is an fd), else "NAME errno ENAME". */
static void result(const char *name, long rc, bool is_fd)
{
        int e = errno;

        if (rc >= 0) {
                printf("%s ok\n", name);
                if (is_fd)
                        close((int)rc);
        } else {
                printf("%s errno %s\n", name, ename(e));
        }
        fflush(stdout);
}

static int mode_denylist(void)
{
        struct perf_event_attr pe = {.type = PERF_TYPE_SOFTWARE,
                                     .size = sizeof pe,
                                     .config = PERF_COUNT_SW_TASK_CLOCK,
                                     .disabled = 1,
                                     .exclude_kernel = 1,
                                     .exclude_hv = 1};

        /* "user" keys need a description and a payload: EINVAL */
        result("add_key", syscall(SYS_add_key, "user", NULL, NULL, 0, KEY_SPEC_SESSION_KEYRING),
               false);
        /* -100 is no special keyring id and no key: EINVAL */
        result("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, -100, 0), false);
        /* no type: EFAULT */
        result("request_key", syscall(SYS_request_key, NULL, NULL, NULL, 0), false);
        /* no image, no fd, no such module (ENOSYS without module support) */
        result("init_module", syscall(SYS_init_module, NULL, 0, ""), false);
        result("finit_module", syscall(SYS_finit_module, -1, "", 0), false);
        result("delete_module", syscall(SYS_delete_module, "corral_none", O_NONBLOCK), false);
        result("bpf", syscall(SYS_bpf, -1, NULL, 0), false); /* no such command: EINVAL */
        /* its own task clock, user time only: allowed at perf_event_paranoid 2 */
        result("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0), true);
        result("userfaultfd", syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY | O_CLOEXEC), true);
        /* no parameters, no ring: EFAULT, EBADF, EBADF or EINVAL */
        result("io_uring_setup", syscall(SYS_io_uring_setup, 0, NULL), false);
        result("io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0), false);
        result("io_uring_register", syscall(SYS_io_uring_register, -1, 0, NULL, 0), false);
        /* an architecture that is not ours: EINVAL (ENOSYS without kexec) */
        result("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0xffff0000UL), false);
        result("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0), false);
        /* no mount fd, no handle: EBADF or EFAULT */
        result("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0), false);
        return 0;
}

/* keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) through the i386 table. */
static int mode_int80_keyctl(void)
{
#if defined(__x86_64__)
        long ret;

        /* int $0x80 saves and restores the registers of a 32-bit frame only: r8-r11 (and, on
         * some kernels, r12-r15) come back cleared */
        __asm__ volatile("int $0x80"
                         : "=a"(ret)
                         : "a"(288L /* i386 __NR_keyctl */), "b"((long)KEYCTL_GET_KEYRING_ID),
                           "c"((long)KEY_SPEC_SESSION_KEYRING), "d"(0L)
                         : "memory", "cc", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15");
        if ((int)ret < 0 && (int)ret > -4096)
                printf("int80 keyctl errno %s\n", ename(-(int)ret));
        else
                printf("int80 keyctl ok %d\n", (int)ret);
#else
        printf("int80 keyctl errno %s\n", ename(ENOSYS));
#endif
        fflush(stdout);
        return 0;
}

enum ns_op { NS_UNSHARE_USER, NS_UNSHARE_NET, NS_SETNS_NET, NS_SETNS_ANY };

/* One namespace call in a child of its own, which prints its result: we stay as we are. */
static void ns_try(const char *name, enum ns_op op)
{
        pid_t pid = fork();

        if (pid < 0) {
                result(name, -1, false);
                return;
        }
        if (pid == 0) {
                long rc = -1;
                int fd;

                switch (op) {
                case NS_UNSHARE_USER:
                        rc = unshare(CLONE_NEWUSER);
                        break;
                case NS_UNSHARE_NET:
                        rc = unshare(CLONE_NEWNET);
                        break;
                case NS_SETNS_NET:
                case NS_SETNS_ANY:
                        fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                        rc = fd < 0 ? -1 : setns(fd, op == NS_SETNS_NET ? CLONE_NEWNET : 0);
                        break;
                }
                result(name, rc, false);
                _exit(0);
        }
        waitpid(pid, NULL, 0);
}

static int mode_ns(void)
{
        struct clone_args ca = {.exit_signal = SIGCHLD};
        long pid;

        ns_try("unshare-user", NS_UNSHARE_USER);
        ns_try("unshare-net", NS_UNSHARE_NET);
        ns_try("setns-net", NS_SETNS_NET);
        ns_try("setns-any", NS_SETNS_ANY);
        /* a plain fork through clone3 (the child returns from syscall() on a copy of our
         * stack, as with fork) */
        pid = syscall(SYS_clone3, &ca, CLONE_ARGS_SIZE_VER0);
        if (pid == 0)
                _exit(0);
        result("clone3", pid, false);
        if (pid > 0)
                waitpid((pid_t)pid, NULL, 0);
        return 0;
}

static void *thread_main(void *arg)
{
        return arg;
}

static int mode_threads(int n)
{
        pthread_t t[64];
        int ids[64], started = 0, rc = 0;

        if (n > 64)
                n = 64;
        for (; started < n; started++) {
                ids[started] = started;
                rc = pthread_create(&t[started], NULL, thread_main, &ids[started]);
                if (rc)
                        break;
        }
        for (int i = 0; i < started; i++) {
                void *ret = NULL;

                if (pthread_join(t[i], &ret) != 0 || ret != &ids[i])
                        rc = rc ? rc : EINVAL;
        }
        if (rc)
                printf("threads %d errno %s after %d\n", n, ename(rc), started);
        else
                printf("threads %d ok\n", n);
        fflush(stdout);
        return 0;
}

static int mode_keyring(const char *op, const char *desc, const char *payload)
{
        char buf[128];
        long key, n;
        int e;

        if (strcmp(op, "put") == 0) {
                key = syscall(SYS_add_key, "user", desc, payload, strlen(payload),
                              KEY_SPEC_USER_KEYRING);
                e = errno;
                if (key >= 0)
                        printf("keyring-put ok %ld\n", key);
                else
                        printf("keyring-put errno %s\n", ename(e));
                fflush(stdout);
                return 0;
        }
        /* The key's permissions give its owner (not possessing it) only VIEW: linked into our
         * thread keyring (it goes away with us), it is possessed, hence readable. */
        key = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", desc,
                      KEY_SPEC_THREAD_KEYRING);
        if (key >= 0 && strcmp(op, "get") == 0) {
                n = syscall(SYS_keyctl, KEYCTL_READ, key, buf, sizeof buf - 1);
                if (n >= 0) {
                        buf[n < (long)sizeof buf ? n : (long)sizeof buf - 1] = '\0';
                        printf("keyring-get ok %s\n", buf);
                        fflush(stdout);
                        return 0;
                }
        } else if (key >= 0) {
                n = syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
                if (n >= 0) {
                        printf("keyring-clear ok\n");
                        fflush(stdout);
                        return 0;
                }
        }
        e = errno;
        printf("keyring-%s errno %s\n", op, ename(e));
        fflush(stdout);
        return 0;
}

static int pty_check(char *name, size_t len)
{
        struct termios tio;
        char buf[16] = "";
        size_t got = 0;
        int m, s = -1, rc = -1, e;

        m = posix_openpt(O_RDWR | O_NOCTTY);
        if (m < 0)
                return -1;
        if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, len) != 0)
                goto out;
        s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0 || tcgetattr(s, &tio) < 0)
                goto out;
        cfmakeraw(&tio);
        if (tcsetattr(s, TCSANOW, &tio) < 0 || write(s, "ping\n", 5) != 5)
                goto out;
        while (got < 5) {
                struct pollfd pf = {.fd = m, .events = POLLIN};
                ssize_t n;

                if (poll(&pf, 1, 2000) <= 0) {
                        errno = ETIMEDOUT;
                        goto out;
                }
                n = read(m, buf + got, sizeof buf - 1 - got);
                if (n <= 0)
                        goto out;
                got += (size_t)n;
        }
        if (memcmp(buf, "ping\n", 5) != 0) {
                errno = EIO;
                goto out;
        }
        rc = 0;
out:
        e = errno;
        if (s >= 0)
                close(s);
        close(m);
        errno = e;
        return rc;
}

static int mode_devices(void)
{
        struct dirent **list = NULL;
        struct stat st;
        char name[64];
        int n = scandir("/dev", &list, NULL, alphasort);

        for (int i = 0; i < n; i++) {
                if (strcmp(list[i]->d_name, ".") != 0 && strcmp(list[i]->d_name, "..") != 0)
                        printf("dev %s\n", list[i]->d_name);
                free(list[i]);
        }
        free(list);
        if (n < 0)
                result("scandir", -1, false);
        if (stat("/dev/pts", &st) == 0)
                printf("pts-dev %llu\n", (unsigned long long)st.st_dev);
        else
                result("pts-dev", -1, false);
        if (pty_check(name, sizeof name) == 0)
                printf("pty ok %s\n", name);
        else
                result("pty", -1, false);
        fflush(stdout);
        return 0;
}

static int mode_fill(const char *path, long mb)
{
        static char chunk[64 << 10];
        long long total, done = 0;
        int fd;

        if (mb > 64)
                mb = 64;
        total = (long long)mb << 20;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                printf("fill errno %s at 0\n", ename(errno));
                fflush(stdout);
                return 0;
        }
        while (done < total) {
                ssize_t w = write(fd, chunk, sizeof chunk);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        printf("fill errno %s at %lld\n", ename(w < 0 ? errno : ENOSPC), done);
                        fflush(stdout);
                        close(fd);
                        return 0;
                }
                done += w;
        }
        if (close(fd) < 0) {
                printf("fill errno %s at %lld\n", ename(errno), done);
        } else {
                printf("fill ok\n");
        }
        fflush(stdout);
        return 0;
}

int actor_surface_mode(int argc, char **argv)
{
        const char *m = argv[1];

        if (strcmp(m, "denylist") == 0 && argc == 2)
                return mode_denylist();
        if (strcmp(m, "int80") == 0 && argc == 3 && strcmp(argv[2], "keyctl") == 0)
                return mode_int80_keyctl();
        if (strcmp(m, "ns") == 0 && argc == 2)
                return mode_ns();
        if (strcmp(m, "threads") == 0 && argc == 3)
                return mode_threads(atoi(argv[2]));
        if (strcmp(m, "keyring-put") == 0 && argc == 4)
                return mode_keyring("put", argv[2], argv[3]);
        if (strcmp(m, "keyring-get") == 0 && argc == 3)
                return mode_keyring("get", argv[2], NULL);
        if (strcmp(m, "keyring-clear") == 0 && argc == 3)
                return mode_keyring("clear", argv[2], NULL);
        if (strcmp(m, "devices") == 0 && argc == 2)
                return mode_devices();
        if (strcmp(m, "fill") == 0 && argc == 4)
                return mode_fill(argv[2], atol(argv[3]));
        return -1;
}

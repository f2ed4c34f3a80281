#include "signals.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
        int num;
        const char *name;
} sig_table[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},     {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"}, {SIGSTKFLT, "SIGSTKFLT"},
    {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},
    {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"}, {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},     {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
};

#define NSIG_TABLE (sizeof sig_table / sizeof sig_table[0])

const char *sig_name(int sig)
{
        static __thread char rt[16];

        for (size_t i = 0; i < NSIG_TABLE; i++) {
                if (sig_table[i].num == sig)
                        return sig_table[i].name;
        }
        if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
                snprintf(rt, sizeof rt, "SIGRTMIN+%d", sig - SIGRTMIN);
                return rt;
        }
        return "SIG?";
}

static int parse_small_int(const char *s, int *out)
{
        int v = 0;

        if (!*s)
                return -1;
        for (; *s; s++) {
                if (!isdigit((unsigned char)*s) || v > 1000)
                        return -1;
                v = v * 10 + (*s - '0');
        }
        *out = v;
        return 0;
}

int sig_parse(const char *text)
{
        const char *s = text;
        int n;

        if (!s || !*s)
                return -1;
        if (isdigit((unsigned char)*s)) {
                if (parse_small_int(s, &n) < 0 || n < 1 || n > SIGRTMAX)
                        return -1;
                return n;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < NSIG_TABLE; i++) {
                if (strcasecmp(s, sig_table[i].name + 3) == 0)
                        return sig_table[i].num;
        }
        if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
                int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
                const char *rest = s + 5;
                int sig;

                if (!*rest)
                        return base;
                if ((*rest != '+' && *rest != '-') || parse_small_int(rest + 1, &n) < 0)
                        return -1;
                sig = *rest == '+' ? base + n : base - n;
                if (sig < SIGRTMIN || sig > SIGRTMAX)
                        return -1;
                return sig;
        }
        return -1;
}

static int reset_one(int sig)
{
        struct {
                void (*handler)(int);
                unsigned long flags;
                void (*restorer)(void);
                uint64_t mask;
        } ksa = {.handler = SIG_DFL};

        return (int)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
}

int sig_reset(const int *sigs, int n)
{
        for (int i = 0; i < n; i++) {
                if (reset_one(sigs[i]) < 0)
                        return -1;
        }
        return 0;
}

int sig_reset_all(void)
{
        for (int sig = 1; sig < NSIG; sig++) {
                if (sig != SIGKILL && sig != SIGSTOP && reset_one(sig) < 0)
                        return -1;
        }
        return 0;
}

/* Signal names and numbers, both ways. */
#ifndef CORRAL_NS_SIGNALS_H
#define CORRAL_NS_SIGNALS_H

/* "SIGSEGV"; "SIGRTMIN+3" for real-time signals; "SIG?" when unknown. Never NULL, static. */
const char *sig_name(int sig);

/* Accepts "SIGTERM", "TERM", "term", "15", "SIGRTMIN+2", "RTMAX-1". Returns the number, or -1
 * when the text names no signal. */
int sig_parse(const char *text);

/* Every catchable signal back to SIG_DFL with the raw rt_sigaction: glibc's own refuses its
 * two internal real-time signals (32, 33), which a caller may have left ignored. Returns 0,
 * or -1 with errno. Async-signal-safe. */
int sig_reset(const int *sigs, int n);
int sig_reset_all(void);

#endif

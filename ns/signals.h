/* Signal names and numbers, both ways. */
#ifndef CORRAL_NS_SIGNALS_H
#define CORRAL_NS_SIGNALS_H

/* "SIGSEGV"; "SIGRTMIN+3" for real-time signals; "SIG?" when unknown. Never NULL, static. */
const char *sig_name(int sig);

/* Accepts "SIGTERM", "TERM", "term", "15", "SIGRTMIN+2", "RTMAX-1". Returns the number, or -1
 * when the text names no signal. */
int sig_parse(const char *text);

#endif

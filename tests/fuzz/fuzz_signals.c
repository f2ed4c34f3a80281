/* Signal names and numbers (ns/signals.h): what sig_parse accepts is a real signal, and a
 * signal that sig_name can name parses back from that name. */
#include <signal.h>

#include "../../ns/signals.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;
        int sig;

        if (size > 64)
                return 0;
        s = fuzz_cstring(data, size);
        if (!s)
                return 0;
        sig = sig_parse(s);
        FUZZ_CHECK(sig == -1 || (sig >= 1 && sig <= SIGRTMAX), "'%s' -> %d", s, sig);
        if (sig > 0) {
                const char *name = sig_name(sig);

                if (strcmp(name, "SIG?") != 0)
                        FUZZ_CHECK(sig_parse(name) == sig, "'%s' -> %d -> '%s' -> %d", s, sig, name,
                                   sig_parse(name));
        }
        free(s);
        return 0;
}

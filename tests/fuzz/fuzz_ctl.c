/* The control channel's message decoder (spawner/ctl.c: ctl_decode), as the supervisor runs it
 * on whatever an actor sends: the input is one datagram. It must never read past it, and what
 * it accepts must be what PROTOCOL.md allows: a corral message type, attributes that fit, each
 * of a known type and at most once, lists of NUL-terminated strings. */
#include <linux/netlink.h>

#include "../../spawner/sup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct nlattr *tb[CORRAL_A_MAX + 1];
        struct nlmsghdr *h;

        if (size > CORRAL_MSG_MAX)
                return 0;
        /* its own allocation of exactly size bytes (aligned as a datagram buffer would be) */
        h = malloc(size ? size : 1);
        if (!h)
                return 0;
        memcpy(h, data, size);
        if (ctl_decode(h, size, tb) == 0) {
                FUZZ_CHECK(size >= NLMSG_HDRLEN && h->nlmsg_len == size, "accepted %zu bytes",
                           size);
                FUZZ_CHECK(h->nlmsg_type >= CORRAL_MSG_HELLO && h->nlmsg_type <= CORRAL_MSG_RELEASE,
                           "type %u", h->nlmsg_type);
                for (int t = 1; t <= CORRAL_A_MAX; t++) {
                        const char *base = (const char *)h, *a = (const char *)tb[t];

                        if (!tb[t])
                                continue;
                        FUZZ_CHECK(a >= base + NLMSG_HDRLEN && a + tb[t]->nla_len <= base + size,
                                   "attribute %d outside the message", t);
                }
                if (tb[CORRAL_A_NAME]) {
                        const struct nlattr *a = tb[CORRAL_A_NAME];

                        FUZZ_CHECK(((const char *)a)[a->nla_len - 1] == '\0',
                                   "a name without its NUL");
                }
        }
        free(h);
        return 0;
}

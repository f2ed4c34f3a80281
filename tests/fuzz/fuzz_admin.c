/* The admin socket's request decoder (spawner/admin_wire.c: admin_decode_request), as the
 * supervisor runs it on whatever a client sends: one datagram. It must never read past it, and
 * what it accepts must be a request PROTOCOL.md lists, with only the attributes that request
 * may carry, each once and of its size. */
#include <linux/netlink.h>

#include "../../spawner/admin.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct nlattr *tb[ADM_A_MAX + 1];
        struct nlmsghdr *h;

        if (size > ADM_MSG_MAX)
                return 0;
        h = malloc(size ? size : 1);
        if (!h)
                return 0;
        memcpy(h, data, size);
        if (admin_decode_request(h, size, tb) == 0) {
                FUZZ_CHECK(size >= NLMSG_HDRLEN && h->nlmsg_len == size, "accepted %zu bytes",
                           size);
                FUZZ_CHECK(h->nlmsg_type >= ADM_MSG_LIST && h->nlmsg_type <= ADM_MSG_SIGNAL,
                           "type %u", h->nlmsg_type);
                for (int t = 1; t <= ADM_A_MAX; t++) {
                        const char *base = (const char *)h, *a = (const char *)tb[t];

                        if (!tb[t])
                                continue;
                        FUZZ_CHECK(a >= base + NLMSG_HDRLEN && a + tb[t]->nla_len <= base + size,
                                   "attribute %d outside the message", t);
                        FUZZ_CHECK(t == CORRAL_A_ACTOR_ID || t == CORRAL_A_SIGNAL ||
                                       t == ADM_A_GRACE_US,
                                   "attribute %d is no request's", t);
                }
                if (h->nlmsg_type == ADM_MSG_SIGNAL)
                        FUZZ_CHECK(tb[CORRAL_A_ACTOR_ID] && tb[CORRAL_A_SIGNAL],
                                   "SIGNAL incomplete");
                if (tb[ADM_A_GRACE_US])
                        FUZZ_CHECK(tb[ADM_A_GRACE_US]->nla_len == NLA_HDRLEN + 8, "grace size");
        }
        free(h);
        return 0;
}

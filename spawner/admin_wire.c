/* The admin socket's wire (admin.h): the decoders both ends use, the socket's path, and whether
 * a peer's cgroup lies inside a corral tree. Nothing here does I/O but the tag lookups. */
#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <string.h>

#include "../ns/cgroup.h"
#include "../ns/cgroup_delegation.h"
#include "admin.h"

struct adm_attrs {
        const struct nlattr *tb[ADM_A_MAX + 1];
        bool strict; /* a request: unknown attributes are errors */
};

static int adm_attr_type(int t)
{
        switch (t) {
        case CORRAL_A_ACTOR_ID:
        case CORRAL_A_ERRNO:
        case CORRAL_A_EXIT_CODE:
        case CORRAL_A_SIGNAL:
        case ADM_A_PARENT_ID:
        case ADM_A_PID:
        case ADM_A_NACTORS:
                return MNL_TYPE_U32;
        case CORRAL_A_DURATION_US:
        case CORRAL_A_MEMORY:
        case CORRAL_A_PIDS:
        case CORRAL_A_CPU_US:
        case ADM_A_UPTIME_US:
        case ADM_A_GRACE_US:
                return MNL_TYPE_U64;
        case ADM_A_HOLDS:
        case ADM_A_FROZEN:
                return MNL_TYPE_U8;
        case CORRAL_A_NAME:
        case CORRAL_A_TREE:
        case CORRAL_A_PROFILE:
        case CORRAL_A_STAGE:
        case CORRAL_A_TEXT:
        case CORRAL_A_REASON:
        case ADM_A_STATE:
        case ADM_A_NODE:
                return MNL_TYPE_NUL_STRING;
        default:
                return -1;
        }
}

/* What a request may carry: LIST nothing, CANCEL an actor and a grace, SIGNAL both. */
static bool request_allows(uint16_t type, int t)
{
        switch (type) {
        case ADM_MSG_CANCEL:
                return t == CORRAL_A_ACTOR_ID || t == ADM_A_GRACE_US;
        case ADM_MSG_SIGNAL:
                return t == CORRAL_A_ACTOR_ID || t == CORRAL_A_SIGNAL;
        default:
                return false;
        }
}

struct adm_parse {
        struct adm_attrs a;
        uint16_t type;
};

static int adm_attr_cb(const struct nlattr *attr, void *data)
{
        struct adm_parse *p = data;
        int t = mnl_attr_get_type(attr);
        int kind = t <= ADM_A_MAX ? adm_attr_type(t) : -1;

        if (kind < 0 || (p->a.strict && !request_allows(p->type, t))) {
                if (p->a.strict)
                        return MNL_CB_ERROR;
                return MNL_CB_OK; /* a newer supervisor may say more */
        }
        if (p->a.tb[t] || mnl_attr_validate(attr, (enum mnl_attr_data_type)kind) < 0)
                return MNL_CB_ERROR;
        p->a.tb[t] = attr;
        return MNL_CB_OK;
}

static int adm_decode(const struct nlmsghdr *h, size_t n, const struct nlattr **tb, bool request)
{
        struct adm_parse p;

        memset(&p, 0, sizeof p);
        p.a.strict = request;
        if (n < sizeof *h || n > ADM_MSG_MAX || n != MNL_ALIGN(n) || !mnl_nlmsg_ok(h, (int)n) ||
            h->nlmsg_len != n)
                return -1;
        p.type = h->nlmsg_type;
        if (request && (p.type < ADM_MSG_LIST || p.type > ADM_MSG_SIGNAL))
                return -1;
        if (!request && p.type != ADM_MSG_ERROR && (p.type < ADM_MSG_TREE || p.type > ADM_MSG_DONE))
                return -1;
        if (mnl_attr_parse(h, 0, adm_attr_cb, &p) < 0)
                return -1;
        if (request && p.type == ADM_MSG_SIGNAL &&
            (!p.a.tb[CORRAL_A_ACTOR_ID] || !p.a.tb[CORRAL_A_SIGNAL]))
                return -1;
        memcpy(tb, p.a.tb, sizeof p.a.tb);
        return 0;
}

int admin_decode_request(const struct nlmsghdr *h, size_t n, const struct nlattr **tb)
{
        return adm_decode(h, n, tb, true);
}

int admin_decode_answer(const struct nlmsghdr *h, size_t n, const struct nlattr **tb)
{
        return adm_decode(h, n, tb, false);
}

int admin_socket_path(char *out, size_t len, const char *dir, const char *tree)
{
        int n = snprintf(out, len, "%s/%s.sock", dir, tree);

        if (n < 0 || (size_t)n >= len) {
                errno = ENAMETOOLONG;
                return -1;
        }
        return 0;
}

bool admin_cgroup_in_tree(const char *mnt, const char *cgpath)
{
        char path[PATH_MAX], tag[128];
        size_t ml = strlen(mnt);

        if ((size_t)snprintf(path, sizeof path, "%s%s", mnt, cgpath) >= sizeof path)
                return true; /* cannot tell: refused */
        /* corral tags every node it makes, its bases (<own>/corral) included: a tagged
         * directory at or above the peer's cgroup means a tree (or the base) holds it */
        while (strlen(path) > ml) {
                char *slash;

                slash = strrchr(path, '/');
                /* (but <own>/supervisor, the leaf supervisors move into on a pure v2 host, is
                 * tagged too and holds supervisors and what they start, never an actor: an
                 * actor cannot move there, its cgroup namespace forbids a migration out) */
                if (cg_tag_get(path, tag, sizeof tag) >= 0 &&
                    !(slash && strcmp(slash + 1, CG_SUPERVISOR_LEAF) == 0 &&
                      strcmp(tag, CG_SUPERVISOR_TAG) == 0))
                        return true;
                if (!slash)
                        break;
                *slash = '\0';
        }
        return false;
}

/* PROTOCOL.md cannot drift from spawner/corral.h: its tables of message types and attributes
 * are read here and checked against the header's constants, both ways (every row names a
 * constant with that value, every constant has a row). And the client's encoding is the
 * supervisor's: a SPAWN built by corral_spawn() is read back through a socketpair, and
 * messages the supervisor could send decode in the client. */
#include <check.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../spawner/corral.h"
#include "harness.h"

struct constant {
        const char *name;
        unsigned value;
        bool seen;
};

#define MSG(n)                                                                                     \
        {                                                                                          \
#n, CORRAL_MSG_##n, false                                                          \
        }
#define ATTR(n)                                                                                    \
        {                                                                                          \
#n, CORRAL_A_##n, false                                                            \
        }

static struct constant msgs[] = {
    MSG(HELLO),       MSG(WELCOME),      MSG(SPAWN),        MSG(SPAWNED), MSG(ERROR),
    MSG(CHILD_READY), MSG(CANCEL_CHILD), MSG(CHILD_EXITED), MSG(CANCEL),  MSG(STAT),
    MSG(STATS),       MSG(HOLD),         MSG(RELEASE),
};
static struct constant attrs[] = {
    ATTR(VERSION),   ATTR(CAPS),   ATTR(ACTOR_ID),    ATTR(NAME),         ATTR(TREE),
    ATTR(PROFILE),   ATTR(ARGV),   ATTR(ENV),         ATTR(FD_NAMES),     ATTR(CHILD_ID),
    ATTR(FORCE),     ATTR(STAGE),  ATTR(ERRNO),       ATTR(TEXT),         ATTR(REASON),
    ATTR(EXIT_CODE), ATTR(SIGNAL), ATTR(DURATION_US), ATTR(TIME_LEFT_US), ATTR(MEMORY),
    ATTR(PIDS),      ATTR(CPU_US), ATTR(STRING),
};

/* The rows "| `NAME` | VALUE | ..." of the table under `heading` (the table: the lines that
 * start with '|' right after it); checks each against set, and set against the rows. */
static int check_table(const char *doc, const char *heading, struct constant *set, size_t n)
{
        const char *line = strstr(doc, heading);
        bool in_table = false;
        int rows = 0;

        ck_assert_msg(line, "PROTOCOL.md has no '%s'", heading);
        for (line = strchr(line, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
                const char *l = line + 1;
                char name[64];
                unsigned value;

                if (*l != '|') {
                        if (in_table)
                                break; /* the table ended */
                        continue;
                }
                in_table = true;
                if (sscanf(l, "| `%63[A-Z_0-9]` | %i |", name, (int *)&value) != 2)
                        continue; /* its header and rule */
                rows++;
                for (size_t i = 0; i < n; i++) {
                        if (strcmp(set[i].name, name) != 0)
                                continue;
                        ck_assert_msg(set[i].value == value,
                                      "PROTOCOL.md says %s is %u; corral.h says %u", name, value,
                                      set[i].value);
                        set[i].seen = true;
                        name[0] = '\0';
                }
                ck_assert_msg(!name[0], "PROTOCOL.md names %s, which corral.h does not have", name);
        }
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(set[i].seen, "corral.h's %s has no row in PROTOCOL.md", set[i].name);
        return rows;
}

START_TEST(protocol_md_matches_the_header)
{
        FILE *f = fopen("PROTOCOL.md", "re");
        static char doc[64 * 1024];
        size_t n;

        ck_assert_msg(f, "PROTOCOL.md: %s (run from the repository)", strerror(errno));
        n = fread(doc, 1, sizeof doc - 1, f);
        fclose(f);
        doc[n] = '\0';
        ck_assert_int_eq(check_table(doc, "## Message types", msgs, sizeof msgs / sizeof msgs[0]),
                         (int)(sizeof msgs / sizeof msgs[0]));
        ck_assert_int_eq(check_table(doc, "## Attributes", attrs, sizeof attrs / sizeof attrs[0]),
                         (int)(sizeof attrs / sizeof attrs[0]));
        ck_assert_int_eq(CORRAL_A_MAX, (int)(sizeof attrs / sizeof attrs[0]));
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
                ck_assert_str_eq(corral_msg_name(msgs[i].value), msgs[i].name);
        ck_assert_ptr_null(corral_msg_name(0x0f));
        ck_assert_ptr_null(corral_msg_name(CORRAL_MSG_RELEASE + 1));
}
END_TEST

/* The next attribute of a message after *off, or NULL. */
static const struct nlattr *next_attr(const char *buf, size_t len, size_t *off)
{
        const struct nlattr *a;

        if (*off + NLA_HDRLEN > len)
                return NULL;
        a = (const struct nlattr *)(buf + *off);
        ck_assert_uint_ge(a->nla_len, NLA_HDRLEN);
        ck_assert_uint_le(*off + a->nla_len, len);
        *off += NLA_ALIGN(a->nla_len);
        return a;
}

START_TEST(client_spawn_is_framed_as_documented)
{
        const char *argv[] = {"/bin/true", "x", NULL};
        const char *env[] = {"A=1", NULL};
        struct corral_spawn_req r = {.name = "w1", .argv = argv, .env = env};
        struct corral_ctl *c;
        char buf[4096];
        const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
        const struct nlattr *a;
        size_t off = NLMSG_HDRLEN;
        uint32_t seq = 0;
        ssize_t n;
        int sv[2], strings = 0;

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        ck_assert_int_eq(corral_open_fd(&c, sv[0]), 0);
        ck_assert_int_eq(corral_spawn(c, &r, &seq), 0);
        n = recv(sv[1], buf, sizeof buf, 0);
        ck_assert_int_gt(n, NLMSG_HDRLEN);
        ck_assert_uint_eq(h->nlmsg_len, (uint32_t)n);
        ck_assert_uint_eq(h->nlmsg_type, CORRAL_MSG_SPAWN);
        ck_assert_uint_eq(h->nlmsg_seq, seq);
        ck_assert_uint_ne(seq, 0);
        ck_assert_uint_eq(h->nlmsg_flags, 0);
        ck_assert_uint_eq(h->nlmsg_pid, 0);
        while ((a = next_attr(buf, (size_t)n, &off))) {
                if ((a->nla_type & NLA_TYPE_MASK) == CORRAL_A_NAME)
                        ck_assert_str_eq((const char *)a + NLA_HDRLEN, "w1");
                if ((a->nla_type & NLA_TYPE_MASK) == CORRAL_A_ARGV ||
                    (a->nla_type & NLA_TYPE_MASK) == CORRAL_A_ENV) {
                        size_t in = NLA_HDRLEN;
                        const struct nlattr *e;

                        ck_assert(a->nla_type & NLA_F_NESTED);
                        while ((e = next_attr((const char *)a, a->nla_len, &in))) {
                                ck_assert_uint_eq(e->nla_type, CORRAL_A_STRING);
                                strings++;
                        }
                }
        }
        ck_assert_int_eq(strings, 3);
        /* a reply the supervisor could send decodes, and unknown attributes are skipped */
        {
                struct {
                        struct nlmsghdr h;
                        struct nlattr a1;
                        uint32_t v1;
                        struct nlattr a2;
                        uint32_t v2;
                } m = {{sizeof m, CORRAL_MSG_SPAWNED, 0, seq, 0},
                       {8, CORRAL_A_CHILD_ID},
                       7,
                       {8, 999},
                       1};
                struct corral_msg got;

                ck_assert_int_eq(send(sv[1], &m, sizeof m, 0), (ssize_t)sizeof m);
                ck_assert_int_eq(corral_next(c, &got, 1000), 1);
                ck_assert_int_eq(got.type, CORRAL_MSG_SPAWNED);
                ck_assert_uint_eq(got.seq, seq);
                ck_assert_uint_eq(got.child_id, 7);
                /* a truncated one is refused, never read past */
                m.a1.nla_len = 200;
                ck_assert_int_eq(send(sv[1], &m, sizeof m, 0), (ssize_t)sizeof m);
                ck_assert_int_eq(corral_next(c, &got, 1000), -1);
                ck_assert_int_eq(errno, EBADMSG);
        }
        close(sv[1]);
        corral_close(c);
}
END_TEST

static Suite *protocol_suite(void)
{
        Suite *s = suite_create("protocol");
        TCase *tc = tcase_create("protocol");

        tcase_add_test(tc, protocol_md_matches_the_header);
        tcase_add_test(tc, client_spawn_is_framed_as_documented);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {protocol_suite};

        return th_run("test_protocol", TH_UNIT, suites, 1);
}

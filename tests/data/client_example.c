/* Built by tests/install_check.sh from the installed corral.h and `pkg-config corral` alone:
 * run as an actor, it spawns a child (argv[1...]) and exits 0 once it got that child's
 * CHILD_EXITED (printing it), 1 on anything else. */
#include <corral.h>
#include <stdio.h>

int main(int argc, char **argv)
{
        struct corral_ctl *c;
        struct corral_msg m;
        struct corral_spawn_req r = {.name = "child", .argv = (const char *const *)argv + 1};
        uint32_t req;

        if (argc < 2 || corral_open(&c) < 0 || corral_hello(c) < 0 ||
            corral_spawn(c, &r, &req) < 0)
                return 1;
        while (corral_next(c, &m, 10000) == 1) {
                printf("%s\n", corral_msg_name(m.type));
                if (m.type == CORRAL_MSG_CHILD_EXITED) {
                        printf("child %u %s %u\n", m.child_id, m.reason, m.exit_code);
                        corral_close(c);
                        return 0;
                }
        }
        return 1;
}

/* corral gc: remove what supervisors that died left behind (spawner/gc.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/units.h"
#include "../spawner/gc.h"
#include "../spawner/json.h"
#include "cli.h"

#define GC_DEFAULT_WAIT_MS 2000

#define SYNOPSIS "[--kill] [--wait DURATION] [--json]"

static void gc_usage(FILE *f)
{
        fprintf(f,
                "usage: corral gc " SYNOPSIS "\n\n"
                "Remove what supervisors that died left behind: the cgroup nodes of their trees\n"
                "(in every hierarchy) and their records in " REGISTRY_DIR " (a user's:\n"
                "$XDG_RUNTIME_DIR/corral). A supervisor's death\n"
                "ends its actors, so their nodes are usually empty; a node a crash left untagged\n"
                "is known from the record, which names it before it is created. A tree of a live\n"
                "(or stopped) supervisor is never touched. Prints one line per tree it found and\n"
                "nothing when there was nothing to do.\n\n"
                "  --wait DURATION  how long a tree may take to empty (its shims may still be\n"
                "                   dying; default 2s)\n"
                "  --kill           end what still runs in such a tree (cgroup.kill), then\n"
                "                   remove it\n"
                "  --json           one JSON array, an object per tree\n\n"
                "exit status: 0 nothing is left behind, 1 a tree could not be removed (it still\n"
                "holds processes: --kill ends them), 2 usage error\n");
}

struct gc_out {
        bool json;
        struct json j;
        int left;
};

static void report(const struct gc_report *r, void *ctx)
{
        struct gc_out *o = ctx;
        char buf[CERR_MSG_MAX + 64];

        if (r->outcome != GC_REMOVED)
                o->left++;
        if (o->json) {
                json_begin_object(&o->j, NULL);
                json_string(&o->j, "record", r->record);
                if (r->e) {
                        json_string(&o->j, "tree", r->e->tree);
                        json_int(&o->j, "supervisor_pid", r->e->supervisor_pid);
                        json_begin_array(&o->j, "nodes");
                        for (int i = 0; i < r->e->nnodes; i++)
                                json_string(&o->j, NULL, r->e->nodes[i]);
                        json_end_array(&o->j);
                }
                json_string(&o->j, "outcome", gc_outcome_name(r->outcome));
                json_bool(&o->j, "killed", r->killed);
                json_int(&o->j, "removed", r->nremoved);
                json_int(&o->j, "adopted", r->nadopted);
                if (r->outcome != GC_REMOVED && r->outcome != GC_POPULATED)
                        json_string(&o->j, "error", cerr_str(&r->err, buf, sizeof buf));
                json_end_object(&o->j);
                return;
        }
        if (!r->e) {
                printf("corral gc: kept %s: %s\n", r->record, cerr_str(&r->err, buf, sizeof buf));
                return;
        }
        switch (r->outcome) {
        case GC_REMOVED:
                printf("corral gc: removed tree %s (supervisor pid %d died): %d node%s%s%s\n",
                       r->e->tree, (int)r->e->supervisor_pid, r->nremoved,
                       r->nremoved == 1 ? "" : "s", r->killed ? ", its processes killed" : "",
                       r->nadopted ? ", some untagged (a crash between mkdir and tag)" : "");
                break;
        case GC_POPULATED:
                printf("corral gc: left tree %s (supervisor pid %d died): it still holds "
                       "processes; `corral gc --kill` ends them\n",
                       r->e->tree, (int)r->e->supervisor_pid);
                break;
        default:
                printf("corral gc: could not remove tree %s: %s\n", r->e->tree,
                       cerr_str(&r->err, buf, sizeof buf));
                break;
        }
}

int cmd_gc(int argc, char **argv)
{
        static const struct option opts[] = {
            {"kill", no_argument, NULL, 'k'},
            {"wait", required_argument, NULL, 'w'},
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct gc_options go = {.wait_ms = GC_DEFAULT_WAIT_MS};
        struct gc_out out = {0};
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        int c;

        optind = 0;
        while ((c = cli_getopt(argc, argv, "gc", "h", opts)) != -1) {
                switch (c) {
                case 'k':
                        go.kill = true;
                        break;
                case 'w': {
                        uint64_t us;

                        if (units_parse_duration(optarg, false, &us, &err) < 0) {
                                cli_error("gc", "--wait %s: %s", optarg,
                                          cerr_str(&err, buf, sizeof buf));
                                return EXIT_USAGE;
                        }
                        go.wait_ms = us / 1000 > 600000 ? 600000 : (int)(us / 1000);
                        break;
                }
                case 'j':
                        out.json = true;
                        break;
                case 'h':
                        gc_usage(stdout);
                        return EXIT_OK;
                default: /* getopt has said what was wrong */
                        return cli_usage("gc", SYNOPSIS, EXIT_USAGE);
                }
        }
        if (optind < argc) {
                cli_error("gc", "unexpected argument '%s'", argv[optind]);
                return cli_usage("gc", SYNOPSIS, EXIT_USAGE);
        }
        if (out.json) {
                json_init(&out.j, stdout);
                json_begin_array(&out.j, NULL);
        }
        if (!registry_default_dir()) {
                cli_error("gc", "XDG_RUNTIME_DIR is not set: a user's trees are recorded in "
                                "$XDG_RUNTIME_DIR/corral");
                return EXIT_FAILED;
        }
        if (gc_sweep(registry_default_dir(), &go, report, &out, &err) < 0) {
                cli_error("gc", "%s", cerr_str(&err, buf, sizeof buf));
                return EXIT_FAILED;
        }
        if (out.json)
                json_end_array(&out.j);
        return out.left ? EXIT_FAILED : EXIT_OK;
}

/* corral check: what this host offers and how corral will use it. Exit 0 only when corral can
 * run here. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../ns/probe.h"
#include "cli.h"
#include "../spawner/json.h"

#define SYNOPSIS "[--json]"

static void check_usage(FILE *f)
{
        fprintf(f,
                "usage: corral check " SYNOPSIS "\n\n"
                "Report what this host offers and how corral will use it: cgroup mode and mounts,\n"
                "our own cgroup in each hierarchy, which controller comes from v2 or v1,\n"
                "cgroup.kill, clone3 + CLONE_INTO_CGROUP, CLONE_PIDFD, close_range, user\n"
                "namespaces, seccomp, and whether corral may create its cgroups here (a trial\n"
                "node is created and removed again).\n\n"
                "  --json   one JSON object instead of the table\n\n"
                "exit status: 0 corral can run here, 1 it cannot, 2 usage error\n");
}

static const char *ctrl_where(const struct host_probe *p, int c, char *buf, size_t len)
{
        const struct cg_ctrl_info *ci = &p->host.ctrl[c];

        if (ci->src == CG_SRC_V2)
                snprintf(buf, len, "v2 (enabled for our cgroup)");
        else if (ci->src == CG_SRC_V1 && ci->v1.own_dir[0])
                snprintf(buf, len, "v1 at %s, groups below %s/corral (hybrid host: limits use v1)",
                         ci->v1.mount, ci->v1.own_dir);
        else
                snprintf(buf, len, "unavailable: %s", ci->note);
        return buf;
}

static void print_table(const struct host_probe *p)
{
        char buf[PATH_MAX + 256];

        printf("corral check: %s\n",
               p->usable ? "corral can run on this host" : "corral cannot run on this host");
        if (!p->usable)
                printf("  reason             %s\n", p->verdict);
        printf("  mode               %s\n", p->mode);
        if (p->rootless && !p->rl.ok && p->rl.problem[0])
                printf("  rootless           no: %s\n  fix                %s\n", p->rl.problem,
                       p->rl.fix);
        printf("  cgroup mode        %s", cg_mode_name(p->host.mode));
        if (p->host.has_v2)
                printf(" (v2 mounted at %s)", p->host.v2.mount);
        printf("\n");
        if (p->host_ok) {
                printf("  own cgroup (v2)    %s%s\n", p->host.v2.own,
                       p->host.v2_own_is_root ? " (the root)" : "");
                printf("  trees live below   %s/corral\n", p->deleg.own_dir);
                for (int c = 0; c < CG_NCTRL; c++)
                        printf("  %-18s %s\n", cg_ctrl_name(c), ctrl_where(p, c, buf, sizeof buf));
                if (p->deleg.ok)
                        printf("  delegation         yes%s\n",
                               p->deleg.needs_leaf ? ": the supervisor moves into <own>/supervisor "
                                                     "to enable v2 controllers"
                               : p->host.v2_own_is_root ? " (root cgroup)"
                                                        : "");
                else
                        printf("  delegation         no: %s\n  fix                %s\n",
                               p->deleg.problem, p->deleg.fix);
        }
        for (int f = 0; f < PROBE_NFEAT; f++) {
                const struct feat_result *r = &p->feat[f];

                if (r->state == FEAT_UNKNOWN && !r->note[0])
                        continue;
                printf("  %-18s %s%s%s\n", probe_feature_name(f), feat_name(r->state),
                       r->note[0] ? ": " : "", r->note);
        }
}

static void print_json(const struct host_probe *p)
{
        struct json j;

        json_init(&j, stdout);
        json_begin_object(&j, NULL);
        json_bool(&j, "usable", p->usable);
        if (!p->usable)
                json_string(&j, "reason", p->verdict);
        json_string(&j, "mode", p->rootless ? "rootless" : "root");
        json_string(&j, "mode_note", p->mode);
        if (p->rootless && !p->rl.ok && p->rl.problem[0]) {
                json_begin_object(&j, "rootless");
                json_string(&j, "problem", p->rl.problem);
                json_string(&j, "fix", p->rl.fix);
                json_end_object(&j);
        }
        json_string(&j, "cgroup_mode", cg_mode_name(p->host.mode));
        if (p->host.has_v2) {
                json_begin_object(&j, "v2");
                json_string(&j, "mount", p->host.v2.mount);
                json_string(&j, "own", p->host.v2.own);
                json_string(&j, "own_dir", p->host.v2.own_dir);
                json_bool(&j, "own_is_root", p->host.v2_own_is_root);
                json_end_object(&j);
        }
        if (p->host_ok) {
                {
                        char base[PATH_MAX + 16];

                        snprintf(base, sizeof base, "%s/corral", p->deleg.own_dir);
                        json_string(&j, "trees_below", base);
                }
                json_begin_object(&j, "controllers");
                for (int c = 0; c < CG_NCTRL; c++) {
                        const struct cg_ctrl_info *ci = &p->host.ctrl[c];

                        json_begin_object(&j, cg_ctrl_name(c));
                        json_string(&j, "source", cg_source_name(ci->src));
                        if (ci->src == CG_SRC_V1) {
                                json_string(&j, "mount", ci->v1.mount);
                                json_string(&j, "own", ci->v1.own);
                                json_string(&j, "own_dir", ci->v1.own_dir);
                        }
                        if (ci->note[0])
                                json_string(&j, "note", ci->note);
                        json_end_object(&j);
                }
                json_end_object(&j);
                json_begin_object(&j, "delegation");
                json_bool(&j, "ok", p->deleg.ok);
                json_bool(&j, "needs_leaf", p->deleg.needs_leaf);
                if (!p->deleg.ok) {
                        json_string(&j, "problem", p->deleg.problem);
                        json_string(&j, "fix", p->deleg.fix);
                }
                json_end_object(&j);
        }
        json_begin_object(&j, "features");
        for (int f = 0; f < PROBE_NFEAT; f++) {
                json_begin_object(&j, probe_feature_name(f));
                json_string(&j, "state", feat_name(p->feat[f].state));
                json_string(&j, "note", p->feat[f].note);
                json_end_object(&j);
        }
        json_end_object(&j);
        json_end_object(&j);
}

int cmd_check(int argc, char **argv)
{
        static const struct option opts[] = {
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct host_probe p;
        bool json = false;
        int c;

        optind = 1;
        while ((c = cli_getopt(argc, argv, "check", "h", opts)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        check_usage(stdout);
                        return EXIT_OK;
                default: /* getopt has said what was wrong */
                        return cli_usage("check", SYNOPSIS, EXIT_USAGE);
                }
        }
        if (optind < argc) {
                cli_error("check", "unexpected argument '%s'", argv[optind]);
                return cli_usage("check", SYNOPSIS, EXIT_USAGE);
        }
        probe_host(&p, true);
        if (json)
                print_json(&p);
        else
                print_table(&p);
        cg_mounts_free(&p.host);
        return p.usable ? EXIT_OK : EXIT_FAILED;
}

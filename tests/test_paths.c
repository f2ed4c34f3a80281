/* Privileged tests of the path keys (spawner/paths.c, ns/mounts.c): TemporaryFileSystem=
 * (--tmpfs), InaccessiblePaths=, ProtectHome=, ReadWritePaths= with systemd's `-` prefix, and
 * destinations made inside a tmpfs of the actor's own. Each key acts as asked, seen from inside
 * the actor and checked from the host (the host's files untouched); each has its error path:
 * a missing path without `-`, a symlink another user planted (the safe-path rule), a bad
 * value, a mount inside an inaccessible path. Also the two warnings about paths a user meets
 * first: a working directory that falls back to /, and a script its own mounts hide. Every
 * run ends with the leak check; the scratch trees live under /run (th_scratch). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char name[64];
static char dir[64];

/* `corral run --name NAME -q [-u root] FLAGS... -- /bin/sh -c SCRIPT`; its status. */
static int run_sh(struct th_proc *p, const char *what, bool as_root, const char *const *flags,
                  const char *script)
{
        const char *args[32] = {"run", "--name", name, "-q"};
        size_t n = 4;

        snprintf(name, sizeof name, "%s", th_tree_name(what));
        if (as_root) {
                args[n++] = "-u";
                args[n++] = "root";
        }
        for (size_t i = 0; flags && flags[i] && n < 26; i++)
                args[n++] = flags[i];
        args[n++] = "--";
        args[n++] = "/bin/sh";
        args[n++] = "-c";
        args[n++] = script;
        args[n] = NULL;
        th_corral_start(p, args, -1, NULL, NULL);
        return th_corral_wait(p, 20000);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        ck_assert_msg(f, "%s", path);
        fputs(text, f);
        fclose(f);
}

/* The scratch tree: DIR/f ("host\n"), DIR/sub/g ("sub\n"), DIR/secret ("secret\n"). */
static void make_tree(const char *what)
{
        char path[128];

        th_scratch(what, dir, sizeof dir);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/f", dir);
        write_file(path, "host\n");
        snprintf(path, sizeof path, "%s/secret", dir);
        write_file(path, "secret\n");
        snprintf(path, sizeof path, "%s/sub", dir);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/sub/g", dir);
        write_file(path, "sub\n");
}

/* A symlink owned by nobody, to /etc: what the safe-path rule refuses. */
static const char *planted_link(char *out, size_t len)
{
        snprintf(out, len, "%s/link", dir);
        ck_assert_int_eq(symlink("/etc", out), 0);
        ck_assert_int_eq(lchown(out, 65534, 65534), 0);
        return out;
}

/* --tmpfs (TemporaryFileSystem=): empty, writable or read-only as asked, its size and mode
 * applied; binds may go inside it (their mount points made there, not on the host); the
 * host's directory is untouched. */
START_TEST(tmpfs_is_empty_sized_and_takes_binds)
{
        char t[128], tro[128], tsz[128], bind[256], script[512], path[160];
        const char *plain[] = {"--tmpfs", t, NULL};
        const char *ro[] = {"--tmpfs", tro, "--bind", bind, NULL};
        const char *sized[] = {"--tmpfs", tsz, NULL};
        struct th_proc p;
        struct stat st;

        make_tree("tmpfs");
        snprintf(t, sizeof t, "%s", dir);
        snprintf(script, sizeof script,
                 "ls -A %s | wc -l; echo new > %s/new && cat %s/new; stat -c %%a %s", dir, dir, dir,
                 dir);
        ck_assert_int_eq(run_sh(&p, "tmpfs", true, plain, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "0") && th_has_line(p.outbuf, "new") &&
                          th_has_line(p.outbuf, "755"),
                      "%s%s", p.outbuf, p.errbuf);
        snprintf(path, sizeof path, "%s/new", dir);
        ck_assert_int_eq(access(path, F_OK), -1); /* written in the tmpfs, not on the host */
        snprintf(path, sizeof path, "%s/f", dir);
        ck_assert_int_eq(access(path, F_OK), 0);
        th_assert_tree_gone(name);

        /* read-only, with a read-write bind made inside it */
        snprintf(tro, sizeof tro, "%s:ro,mode=0700", dir);
        snprintf(bind, sizeof bind, "%s/sub:%s/deep/er", dir, dir);
        snprintf(script, sizeof script,
                 "stat -c %%a %s; touch %s/x 2>/dev/null || echo tmpfs-ro; cat %s/deep/er/g; "
                 "echo w > %s/deep/er/w && echo bind-rw",
                 dir, dir, dir, dir);
        ck_assert_int_eq(run_sh(&p, "tmpfsro", true, ro, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "700") && th_has_line(p.outbuf, "tmpfs-ro") &&
                          th_has_line(p.outbuf, "sub") && th_has_line(p.outbuf, "bind-rw"),
                      "%s%s", p.outbuf, p.errbuf);
        snprintf(path, sizeof path, "%s/sub/w", dir); /* the bind was the host's sub/ */
        ck_assert_int_eq(access(path, F_OK), 0);
        unlink(path);
        snprintf(path, sizeof path, "%s/deep", dir); /* no mount point made on the host */
        ck_assert_int_eq(access(path, F_OK), -1);
        th_assert_tree_gone(name);

        /* size= bites: 1 MiB fits in 2M, 3 MiB does not */
        snprintf(tsz, sizeof tsz, "%s:size=2M", dir);
        snprintf(script, sizeof script,
                 "dd if=/dev/zero of=%s/a bs=1M count=1 2>/dev/null && echo fits; "
                 "dd if=/dev/zero of=%s/b bs=1M count=3 2>/dev/null || echo full",
                 dir, dir);
        ck_assert_int_eq(run_sh(&p, "tmpfssize", true, sized, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "fits") && th_has_line(p.outbuf, "full"), "%s%s",
                      p.outbuf, p.errbuf);
        th_assert_tree_gone(name);

        /* errors: a missing path (and `-`), a planted symlink, a bad option, a file */
        snprintf(t, sizeof t, "%s/none", dir);
        ck_assert_int_eq(run_sh(&p, "tmpfsmissing", false, plain, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "TemporaryFileSystem=") && strstr(p.errbuf, "/none"), "%s",
                      p.errbuf);
        snprintf(t, sizeof t, "-%s/none", dir);
        ck_assert_int_eq(run_sh(&p, "tmpfsoptional", false, plain, "true"), 0);
        th_assert_tree_gone(name);
        planted_link(t, sizeof t);
        ck_assert_int_eq(run_sh(&p, "tmpfslink", false, plain, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "refused"), "%s", p.errbuf);
        unlink(t);
        snprintf(t, sizeof t, "%s:size=lots", dir);
        ck_assert_int_eq(run_sh(&p, "tmpfsbad", false, plain, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "TemporaryFileSystem") && strstr(p.errbuf, "size="), "%s",
                      p.errbuf);
        snprintf(t, sizeof t, "%s/f", dir);
        ck_assert_int_eq(run_sh(&p, "tmpfsfile", false, plain, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "not a directory"), "%s", p.errbuf);
        th_assert_tree_gone(name);
        ck_assert_int_eq(stat(dir, &st), 0);
}
END_TEST

/* InaccessiblePaths=: a directory and a file become empty, mode 000 and read-only, for root
 * too (it reads nothing, writes nothing); nothing can be mounted inside one; missing paths,
 * `-` and planted symlinks as for every path key. */
START_TEST(inaccessible_paths_hide_files_and_directories)
{
        char idir[160], ifile[160], bind[256], script[512], link[128];
        const char *both[] = {"--set", idir, "--set", ifile, NULL};
        const char *inside[] = {"--set", idir, "--bind", bind, NULL};
        struct th_proc p;

        make_tree("inacc");
        snprintf(idir, sizeof idir, "InaccessiblePaths=%s/sub", dir);
        snprintf(ifile, sizeof ifile, "InaccessiblePaths=%s/secret", dir);
        snprintf(script, sizeof script,
                 "stat -c '%%a %%s' %s/secret %s/sub; echo \"[$(cat %s/secret)]\"; "
                 "ls -A %s/sub | wc -l; echo x > %s/secret 2>/dev/null || echo file-ro; "
                 "touch %s/sub/x 2>/dev/null || echo dir-ro; cat %s/f",
                 dir, dir, dir, dir, dir, dir, dir);
        ck_assert_int_eq(run_sh(&p, "inacc", true, both, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "0 0") && th_has_line(p.outbuf, "[]") &&
                          th_has_line(p.outbuf, "0") && th_has_line(p.outbuf, "file-ro") &&
                          th_has_line(p.outbuf, "dir-ro") && th_has_line(p.outbuf, "host"),
                      "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        /* as nobody: refused outright (the control: readable without the key) */
        snprintf(script, sizeof script, "cat %s/secret 2>/dev/null || echo denied", dir);
        ck_assert_int_eq(run_sh(&p, "inacccontrol", false, NULL, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "secret"), "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        snprintf(script, sizeof script, "cat %s/secret 2>/dev/null || echo denied", dir);
        ck_assert_int_eq(run_sh(&p, "inaccnobody", false, both, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "denied"), "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        /* the host's files are as they were */
        snprintf(script, sizeof script, "%s/secret", dir);
        ck_assert_int_eq(access(script, R_OK), 0);

        /* a bind inside an inaccessible directory: refused, naming both */
        snprintf(bind, sizeof bind, "%s/f:%s/sub/g", dir, dir);
        ck_assert_int_eq(run_sh(&p, "inaccbind", true, inside, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "BindPaths=") && strstr(p.errbuf, "InaccessiblePaths="),
                      "%s", p.errbuf);
        /* errors: missing, `-`, a planted symlink */
        snprintf(idir, sizeof idir, "InaccessiblePaths=%s/none", dir);
        ck_assert_int_eq(run_sh(&p, "inaccmissing", false, both, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "InaccessiblePaths=") && strstr(p.errbuf, "/none"), "%s",
                      p.errbuf);
        snprintf(idir, sizeof idir, "InaccessiblePaths=-%s/none", dir);
        ck_assert_int_eq(run_sh(&p, "inaccoptional", false, both, "true"), 0);
        th_assert_tree_gone(name);
        planted_link(link, sizeof link);
        snprintf(idir, sizeof idir, "InaccessiblePaths=%s/etc-ish", link);
        ck_assert_int_eq(run_sh(&p, "inacclink", false, both, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "refused"), "%s", p.errbuf);
        unlink(link);
        snprintf(idir, sizeof idir, "InaccessiblePaths=relative");
        ck_assert_int_eq(run_sh(&p, "inaccbad", false, both, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "absolute path"), "%s", p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

/* ProtectHome=: /root (every host has it) inaccessible (mode 000, empty), read-only, or an
 * empty read-only tmpfs into which a bind may go; with yes, a bind there is refused. */
START_TEST(protect_home_modes)
{
        char bind[256], script[512];
        const char *yes[] = {"--set", "ProtectHome=yes", NULL};
        const char *ro[] = {"--set", "ProtectHome=read-only", NULL};
        const char *tmpfs[] = {"--set", "ProtectHome=tmpfs", "--bind", bind, NULL};
        const char *yes_bind[] = {"--set", "ProtectHome=yes", "--bind", bind, NULL};
        const char *bad[] = {"--set", "ProtectHome=sometimes", NULL};
        struct th_proc p;
        struct stat st;

        ck_assert_int_eq(stat("/root", &st), 0);
        make_tree("home");
        ck_assert_int_eq(run_sh(&p, "homeyes", true, yes,
                                "stat -c %a /root; ls -A /root | wc -l; touch /root/corral-x "
                                "2>/dev/null || echo refused"),
                         0);
        ck_assert_msg(th_has_line(p.outbuf, "0") && th_has_line(p.outbuf, "refused") &&
                          !th_has_line(p.outbuf, "700"),
                      "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        ck_assert_int_eq(run_sh(&p, "homero", true, ro,
                                "stat -c %a /root; touch /root/corral-x 2>&1 || echo refused"),
                         0);
        ck_assert_msg(strstr(p.outbuf, "Read-only file system") && th_has_line(p.outbuf, "refused"),
                      "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        ck_assert_int_eq(access("/root/corral-x", F_OK), -1);

        snprintf(bind, sizeof bind, "%s/sub:/root/work", dir);
        snprintf(script, sizeof script,
                 "ls -A /root; cat /root/work/g; touch /root/y 2>/dev/null || echo tmpfs-ro");
        ck_assert_int_eq(run_sh(&p, "hometmpfs", true, tmpfs, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "work") && th_has_line(p.outbuf, "sub") &&
                          th_has_line(p.outbuf, "tmpfs-ro") && !strstr(p.outbuf, ".bashrc"),
                      "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        ck_assert_int_eq(access("/root/work", F_OK), -1); /* made in the tmpfs, not the host */

        ck_assert_int_eq(run_sh(&p, "homeyesbind", true, yes_bind, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "ProtectHome=yes") && strstr(p.errbuf, "ProtectHome=tmpfs"),
                      "%s", p.errbuf);
        ck_assert_int_eq(run_sh(&p, "homebad", false, bad, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "ProtectHome") && strstr(p.errbuf, "read-only"), "%s",
                      p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

/* ReadWritePaths=: a missing path is an error now, unless written with `-` (it was skipped
 * silently); a path under the actor's private /tmp goes into it (made there). */
START_TEST(read_write_paths_prefix_and_private_tmp)
{
        char rw[160], bind[256], script[256];
        const char *flags[] = {"--set", rw, NULL};
        const char *tmpbind[] = {"--bind", bind, NULL};
        struct th_proc p;

        make_tree("rw");
        snprintf(rw, sizeof rw, "ReadWritePaths=%s/none", dir);
        ck_assert_int_eq(run_sh(&p, "rwmissing", false, flags, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "ReadWritePaths=") && strstr(p.errbuf, "/none"), "%s",
                      p.errbuf);
        snprintf(rw, sizeof rw, "ReadWritePaths=-%s/none", dir);
        ck_assert_int_eq(run_sh(&p, "rwoptional", false, flags, "true"), 0);
        th_assert_tree_gone(name);
        /* into the private /tmp: the host's /tmp gets nothing */
        snprintf(bind, sizeof bind, "%s/sub:/tmp/corral-test-work-%d", dir, (int)getpid());
        snprintf(script, sizeof script, "cat /tmp/corral-test-work-%d/g", (int)getpid());
        ck_assert_int_eq(run_sh(&p, "rwtmp", false, tmpbind, script), 0);
        ck_assert_msg(th_has_line(p.outbuf, "sub"), "%s%s", p.outbuf, p.errbuf);
        snprintf(script, sizeof script, "/tmp/corral-test-work-%d", (int)getpid());
        ck_assert_int_eq(access(script, F_OK), -1);
        th_assert_tree_gone(name);
}
END_TEST

static void chdir_to(void *ctx)
{
        if (chdir(ctx) < 0)
                _exit(99);
}

/* The caller's working directory, closed to the program's user: a warning, and the program
 * runs in /. A script that the actor's own mounts hide: the error says so. */
START_TEST(cwd_fallback_warns_and_hidden_script_says_so)
{
        char closed[128], script[160], t[128];
        const char *pwd[] = {"run", "--name", name, "--", "/bin/pwd", NULL};
        const char *hidden[] = {"run", "--name", name, "--tmpfs", t, "--", script, NULL};
        struct th_proc p;

        make_tree("cwd");
        snprintf(closed, sizeof closed, "%s/closed", dir);
        ck_assert_int_eq(mkdir(closed, 0700), 0);
        snprintf(name, sizeof name, "%s", th_tree_name("cwd"));
        th_corral_start(&p, pwd, -1, chdir_to, closed);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "/"), "%s", p.outbuf);
        ck_assert_msg(strstr(p.errbuf, "warning") && strstr(p.errbuf, closed) &&
                          strstr(p.errbuf, "starts in /"),
                      "%s", p.errbuf);
        th_assert_tree_gone(name);
        /* the control: a directory it may enter, and no warning */
        th_corral_start(&p, pwd, -1, chdir_to, dir);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, dir) && !strstr(p.errbuf, "warning"), "%s%s", p.outbuf,
                      p.errbuf);
        th_assert_tree_gone(name);

        snprintf(script, sizeof script, "%s/s.sh", dir);
        write_file(script, "#!/bin/sh\necho ran\n");
        ck_assert_int_eq(chmod(script, 0755), 0);
        snprintf(t, sizeof t, "%s", dir);
        th_corral_start(&p, hidden, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 127);
        ck_assert_msg(strstr(p.errbuf, script) && strstr(p.errbuf, "own mounts hide"), "%s",
                      p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *paths_suite(void)
{
        Suite *s = suite_create("corral-paths-privileged");
        TCase *tc = tcase_create("paths");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, tmpfs_is_empty_sized_and_takes_binds);
        tcase_add_test(tc, inaccessible_paths_hide_files_and_directories);
        tcase_add_test(tc, protect_home_modes);
        tcase_add_test(tc, read_write_paths_prefix_and_private_tmp);
        tcase_add_test(tc, cwd_fallback_warns_and_hidden_script_says_so);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {paths_suite};

        return th_run("test_paths", TH_PRIVILEGED, suites, 1);
}

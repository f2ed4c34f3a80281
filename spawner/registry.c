#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

unsigned long long proc_start_time(pid_t pid)
{
        char path[64], buf[1024];
        unsigned long long start = 0;
        char *p;
        int fd;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* the command may contain anything, including ") ": count from the last ')' */
        p = strrchr(buf, ')');
        if (!p)
                return 0;
        p += 2;
        for (int field = 3; field < 22 && p; field++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        if (p)
                start = strtoull(p, NULL, 10);
        return start;
}

const char *registry_default_dir(void)
{
        static char dir[PATH_MAX];
        const char *run = getenv("XDG_RUNTIME_DIR");

        if (geteuid() == 0)
                return REGISTRY_DIR;
        if (!dir[0] && run && run[0] == '/')
                snprintf(dir, sizeof dir, "%s/corral", run);
        return dir[0] ? dir : NULL;
}

static int make_dir(const char *dir, struct cerr *err)
{
        /* a user's records stay the user's: nobody else may read their node paths */
        if (mkdir(dir, geteuid() == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
                return cerr_set(err, errno, CERR_REGISTRY, "creating %s", dir);
        return 0;
}

static int read_all(int fd, char *buf, size_t len)
{
        ssize_t n = pread(fd, buf, len - 1, 0);

        if (n < 0)
                return -1;
        buf[n] = '\0';
        return 0;
}

static int claim_once(const char *dir, const char *tree, struct registry *r, struct cerr *err);

int registry_claim(const char *dir, const char *tree, struct registry *r, struct cerr *err)
{
        for (int attempt = 0;; attempt++) {
                int rc = claim_once(dir, tree, r, err);

                if (rc <= 0)
                        return rc;
                close(r->fd); /* swept between our open and our lock: claim it afresh */
                r->fd = -1;
                if (attempt == 4)
                        return cerr_set(err, EAGAIN, CERR_REGISTRY, "%s keeps disappearing",
                                        r->path);
        }
}

/* The supervisor pid a record names (0 when it cannot be read). */
static pid_t record_pid(int fd)
{
        char buf[8192];
        struct registry_entry e; /* 64 KiB: registry_parse sets what it reads */

        e.supervisor_pid = 0;
        if (read_all(fd, buf, sizeof buf) == 0)
                registry_parse(buf, &e);
        return e.supervisor_pid;
}

/* 0: claimed; 1: the file was unlinked (swept) between our open and our lock. */
static int claim_once(const char *dir, const char *tree, struct registry *r, struct cerr *err)
{
        struct stat st;
        pid_t pid;
        int e_no;

        r->fd = -1;
        r->written = 0;
        if ((size_t)snprintf(r->path, sizeof r->path, "%s/%s.json", dir, tree) >= sizeof r->path)
                return cerr_set(err, ENAMETOOLONG, CERR_REGISTRY, "tree name too long");
        r->fd = open(r->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (r->fd < 0 && errno == ENOENT) { /* the directory only on the first run */
                if (make_dir(dir, err) < 0)
                        return -1;
                r->fd = open(r->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        }
        if (r->fd < 0)
                return cerr_set(err, errno, CERR_REGISTRY, "opening %s", r->path);
        e_no = flock(r->fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
        if (!e_no && fstat(r->fd, &st) < 0)
                e_no = errno;
        /* Our lock is on a file a sweep unlinked meanwhile (it found it empty and free): no
         * link count, and the path may name another claimer's file by now. */
        if (!e_no && st.st_nlink == 0)
                return 1;
        /* Locked and empty: ours. Locked with a dead supervisor's record still in it: that
         * record names nodes only a sweep may remove, so it is never overwritten. */
        if (!e_no && st.st_size == 0)
                return 0;
        pid = record_pid(r->fd);
        close(r->fd);
        r->fd = -1;
        if (!e_no)
                return cerr_set(err, EEXIST, CERR_REGISTRY,
                                "a tree named '%s' was left behind by a supervisor that died "
                                "(pid %d) and could not be removed: `corral gc` says why",
                                tree, (int)pid);
        if (e_no == EWOULDBLOCK)
                return cerr_set(err, EEXIST, CERR_REGISTRY,
                                "a tree named '%s' is already running (supervisor pid %d)", tree,
                                (int)pid);
        return cerr_set(err, e_no, CERR_REGISTRY, "locking %s", r->path);
}

int registry_write(struct registry *r, const struct registry_entry *e, struct cerr *err)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct json j;
        int rc = 0;

        if (!f)
                return cerr_set(err, ENOMEM, CERR_REGISTRY, "formatting the registry record");
        json_init(&j, f);
        json_begin_object(&j, NULL);
        json_string(&j, "tree", e->tree);
        json_int(&j, "supervisor_pid", e->supervisor_pid);
        json_int(&j, "supervisor_start", (long long)e->supervisor_start);
        json_begin_array(&j, "nodes");
        for (int i = 0; i < e->nnodes; i++)
                json_string(&j, NULL, e->nodes[i]);
        json_end_array(&j);
        json_begin_array(&j, "bases");
        for (int i = 0; i < e->nbases; i++)
                json_string(&j, NULL, e->bases[i]);
        json_end_array(&j);
        json_end_object(&j);
        /* In place: a rename would replace the inode our lock is on. Never truncated: a
         * record shorter than the one before it is padded with spaces (JSON whitespace) to
         * that one's length. On ext4 with discard, a truncation to 0 makes the later unlink
         * and close wait for the freed blocks' discards and writeback (~500 us per run
         * here), and one to the same length is a syscall for nothing: so the record costs
         * the same on a disk-backed /run as on tmpfs. */
        fflush(f);
        for (size_t pad = len; pad < r->written; pad++)
                fputc(' ', f);
        fclose(f);
        if (pwrite(r->fd, buf, len, 0) != (ssize_t)len)
                rc = cerr_set(err, errno ? errno : EIO, CERR_REGISTRY, "writing %s", r->path);
        else if (len > r->written)
                r->written = len;
        free(buf);
        return rc;
}

void registry_release(struct registry *r)
{
        if (r->fd < 0)
                return;
        unlink(r->path);
        close(r->fd);
        r->fd = -1;
}

/* Our own writer's output: "key":value pairs and one array of strings. */
static const char *json_find(const char *text, const char *key)
{
        char pat[64];
        const char *p;

        snprintf(pat, sizeof pat, "\"%s\":", key);
        p = strstr(text, pat);
        return p ? p + strlen(pat) : NULL;
}

static const char *json_copy_string(const char *p, char *out, size_t len)
{
        size_t n = 0;

        if (*p != '"')
                return NULL;
        for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                        p++;
                if (n + 1 < len)
                        out[n++] = *p;
        }
        out[n] = '\0';
        return *p == '"' ? p + 1 : NULL;
}

/* "key":["a","b"] into out (at most REGISTRY_MAX_NODES); absent: none. -1 when malformed. */
static int parse_paths(const char *text, const char *key, char (*out)[PATH_MAX], int *n)
{
        const char *p = json_find(text, key);

        *n = 0;
        if (!p)
                return 0;
        if (*p != '[')
                return -1;
        p++;
        while (*p == '"' && *n < REGISTRY_MAX_NODES) {
                p = json_copy_string(p, out[*n], PATH_MAX);
                if (!p)
                        return -1;
                (*n)++;
                if (*p == ',')
                        p++;
        }
        return 0;
}

int registry_parse(const char *text, struct registry_entry *e)
{
        const char *p;

        /* The fields, not the whole entry: its paths are 64 KiB that only a record's nnodes
         * and nbases of are read (a memset of all of it was 16 page faults per record). */
        e->tree[0] = '\0';
        e->supervisor_pid = 0;
        e->supervisor_start = 0;
        e->nnodes = e->nbases = 0;
        if ((p = json_find(text, "tree")) && !json_copy_string(p, e->tree, sizeof e->tree))
                return -1;
        if ((p = json_find(text, "supervisor_pid")))
                e->supervisor_pid = (pid_t)atoi(p);
        if ((p = json_find(text, "supervisor_start")))
                e->supervisor_start = strtoull(p, NULL, 10);
        if (!json_find(text, "nodes") || parse_paths(text, "nodes", e->nodes, &e->nnodes) < 0 ||
            parse_paths(text, "bases", e->bases, &e->nbases) < 0)
                return -1;
        return e->tree[0] ? 0 : -1;
}

/* A record and the admin socket beside it (<tree>.sock), which a supervisor that died left. */
static void unlink_record(const char *path)
{
        char sock[PATH_MAX];
        size_t n = strlen(path);

        unlink(path);
        if (n > 5 && n < sizeof sock) {
                snprintf(sock, sizeof sock, "%.*s.sock", (int)(n - 5), path);
                unlink(sock);
        }
}

int registry_sweep(const char *dir, registry_orphan_fn fn, void *ctx, struct cerr *err)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int orphans = 0;

        if (!d)
                return errno == ENOENT ? 0 : cerr_set(err, errno, CERR_REGISTRY, "listing %s", dir);
        while ((de = readdir(d))) {
                char path[PATH_MAX], buf[8192]; /* (read_all ends it: never zeroed, 8 KiB a name) */
                struct stat st;
                size_t nl = strlen(de->d_name);
                struct registry_entry e;
                int fd;

                if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        continue;
                if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        close(fd); /* a live (or stopped) supervisor holds it */
                        continue;
                }
                /* Empty: a claim that died before its first write, so before any mkdir (the
                 * record comes first). Not one being written now: its claimer holds the lock,
                 * or will find the file unlinked and claim afresh (registry_claim). */
                if (fstat(fd, &st) == 0 && st.st_size == 0) {
                        unlink_record(path);
                        close(fd);
                        continue;
                }
                orphans++;
                if (read_all(fd, buf, sizeof buf) == 0 && registry_parse(buf, &e) == 0) {
                        if (fn(&e, path, ctx))
                                unlink_record(path);
                } else {
                        fn(NULL, path, ctx); /* unreadable: reported, kept for a human */
                }
                close(fd);
        }
        closedir(d);
        return orphans;
}

#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const stage_names[STAGE_COUNT] = {
    [STAGE_NONE] = "none",
    [STAGE_PDEATHSIG] = "parent-death-watch",
    [STAGE_SYNC] = "sync",
    [STAGE_MOUNTS] = "mounts",
    [STAGE_HOSTNAME] = "hostname",
    [STAGE_SIGNALFD] = "signalfd",
    [STAGE_FORK] = "fork",
    [STAGE_STDIO] = "stdio",
    [STAGE_FDS] = "fds",
    [STAGE_SIGNALS] = "signals",
    [STAGE_RLIMITS] = "rlimits",
    [STAGE_CHDIR] = "chdir",
    [STAGE_ENV] = "environment",
    [STAGE_LOOPBACK] = "loopback",
    [STAGE_CREDENTIALS] = "credentials",
    [STAGE_NO_NEW_PRIVS] = "no-new-privs",
    [STAGE_SECCOMP] = "seccomp",
    [STAGE_EXECVE] = "execve",
    [STAGE_KEYRING] = "keyring",
    [STAGE_PGID] = "process-group",
    [STAGE_PTY] = "pty",
    [STAGE_NETNS] = "tree-network-namespace",
};

const char *spawn_stage_name(int stage)
{
        if (stage < 0 || stage >= STAGE_COUNT || !stage_names[stage])
                return "unknown";
        return stage_names[stage];
}

void spec_init(struct spec_builder *b, uint32_t req_id, uint32_t actor_id)
{
        memset(b, 0, sizeof *b);
        b->hdr.magic = SPEC_MAGIC;
        b->hdr.req_id = req_id;
        b->hdr.actor_id = actor_id;
        for (int i = 0; i < SPEC_FD_FIXED_COUNT; i++)
                b->hdr.fd_index[i] = -1;
        for (int i = 0; i < SPEC_FD_FIXED_COUNT; i++)
                b->fds[i] = -1;
}

int spec_add_string(struct spec_builder *b, const char *s, struct cerr *err)
{
        size_t n = strlen(s) + 1;

        if (b->blob_len + n > SPEC_BLOB_MAX)
                return cerr_set(err, E2BIG, CERR_SPAWN, "arguments and environment exceed %d bytes",
                                SPEC_BLOB_MAX);
        if (b->blob_len + n > b->blob_cap) {
                size_t cap = b->blob_cap ? b->blob_cap : 4096;
                char *nb;

                while (cap < b->blob_len + n)
                        cap *= 2;
                nb = realloc(b->blob, cap);
                if (!nb)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "building a spawn request");
                b->blob = nb;
                b->blob_cap = cap;
        }
        memcpy(b->blob + b->blob_len, s, n);
        b->blob_len += n;
        return 0;
}

int spec_add_bpf(struct spec_builder *b, const void *insns, uint32_t count, struct cerr *err)
{
        size_t pad = (8 - b->blob_len % 8) % 8;
        size_t len = (size_t)count * sizeof(struct sock_filter);
        struct spec_bpf rec = {.len = count};

        if (count == 0)
                return 0;
        if (b->hdr.bpf_len + count > SPEC_MAX_BPF_INSNS || b->hdr.n_bpf == SPEC_MAX_FILTERS ||
            b->blob_len + pad + sizeof rec + len > SPEC_BLOB_MAX)
                return cerr_set(err, E2BIG, CERR_SPAWN, "seccomp filters too large");
        for (size_t i = 0; i < pad; i++) {
                if (spec_add_string(b, "", err) < 0) /* one NUL byte each */
                        return -1;
        }
        if (b->blob_len + sizeof rec + len > b->blob_cap) {
                char *nb = realloc(b->blob, b->blob_len + sizeof rec + len);

                if (!nb)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "building a spawn request");
                b->blob = nb;
                b->blob_cap = b->blob_len + sizeof rec + len;
        }
        memcpy(b->blob + b->blob_len, &rec, sizeof rec);
        memcpy(b->blob + b->blob_len + sizeof rec, insns, len);
        b->blob_len += sizeof rec + len;
        b->hdr.bpf_len += count;
        b->hdr.n_bpf++;
        return 0;
}

void spec_set_fd(struct spec_builder *b, enum spec_fd slot, int fd)
{
        b->fds[slot] = fd;
}

int spec_add_v1(struct spec_builder *b, int fd, struct cerr *err)
{
        if (b->hdr.n_v1 == SPEC_MAX_V1)
                return cerr_set(err, E2BIG, CERR_SPAWN, "too many v1 groups");
        b->v1_fds[b->hdr.n_v1++] = fd;
        return 0;
}

int spec_add_rw(struct spec_builder *b, const char *path, int mount_fd, struct cerr *err)
{
        if (b->hdr.n_rw_paths == SPEC_MAX_RW)
                return cerr_set(err, E2BIG, CERR_SPAWN, "at most %d ReadWritePaths= can be mounted",
                                SPEC_MAX_RW);
        if (spec_add_string(b, path, err) < 0)
                return -1;
        b->rw_fds[b->hdr.n_rw_paths++] = mount_fd;
        return 0;
}

int spec_add_op(struct spec_builder *b, const struct mount_op *op, struct cerr *err)
{
        char rec[4200];

        if (b->hdr.n_ops == SPEC_MAX_OPS)
                return cerr_set(err, E2BIG, CERR_SPAWN,
                                "at most %d TemporaryFileSystem=, InaccessiblePaths= and "
                                "ProtectHome= mounts",
                                SPEC_MAX_OPS);
        snprintf(rec, sizeof rec, "%d %lu %llu %llu %s", (int)op->kind, op->flags, op->dev, op->ino,
                 op->data ? op->data : "");
        if (spec_add_string(b, op->path, err) < 0 || spec_add_string(b, rec, err) < 0)
                return -1;
        b->hdr.n_ops++;
        return 0;
}

int spec_add_pass(struct spec_builder *b, int fd, struct cerr *err)
{
        if (b->hdr.n_pass == SPEC_MAX_PASS)
                return cerr_set(err, E2BIG, CERR_SPAWN, "at most %d fds can be passed",
                                SPEC_MAX_PASS);
        b->pass_fds[b->hdr.n_pass++] = fd;
        return 0;
}

/* The fds in the order the child reads them (enum spec_fd's, then v1 groups, mounts, passed
 * fds), their positions in the header. */
static int order_fds(struct spec_builder *b, int order[SPEC_MAX_FDS])
{
        int n = 0;

        for (int i = 0; i < SPEC_FD_FIXED_COUNT; i++) {
                b->hdr.fd_index[i] = b->fds[i] >= 0 ? n : -1;
                if (b->fds[i] >= 0)
                        order[n++] = b->fds[i];
        }
        for (uint32_t i = 0; i < b->hdr.n_v1; i++)
                order[n++] = b->v1_fds[i];
        for (uint32_t i = 0; i < b->hdr.n_rw_paths; i++)
                order[n++] = b->rw_fds[i];
        for (uint32_t i = 0; i < b->hdr.n_pass; i++)
                order[n++] = b->pass_fds[i];
        b->hdr.nfds = (uint32_t)n;
        return n;
}

int spec_send(struct spec_builder *b, int sock, struct cerr *err)
{
        int order[SPEC_MAX_FDS];
        int n = 0, memfd = -1, rc = 0;
        struct iovec iov[2];
        struct msghdr msg = {0};
        union {
                char buf[CMSG_SPACE(sizeof(int) * SPEC_MAX_FDS)];
                struct cmsghdr align;
        } u;

        b->hdr.blob_len = (uint32_t)b->blob_len;
        if (b->blob_len > SPEC_INLINE_MAX) {
                /* too large for one datagram: the blob travels in a sealed-size memfd */
                memfd = memfd_create("corral-spec", MFD_CLOEXEC);
                if (memfd < 0)
                        return cerr_set(err, errno, CERR_SPAWN, "memfd_create for a large request");
                if (write(memfd, b->blob, b->blob_len) != (ssize_t)b->blob_len) {
                        close(memfd);
                        return cerr_set(err, errno ? errno : EIO, CERR_SPAWN,
                                        "writing a large request");
                }
                b->fds[SPEC_FD_BLOB] = memfd;
        }
        n = order_fds(b, order);

        iov[0] = (struct iovec){.iov_base = &b->hdr, .iov_len = sizeof b->hdr};
        iov[1] = (struct iovec){.iov_base = b->blob, .iov_len = memfd >= 0 ? 0 : b->blob_len};
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        if (n > 0) {
                struct cmsghdr *c;

                msg.msg_control = u.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
                c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
                memcpy(CMSG_DATA(c), order, sizeof(int) * (size_t)n);
        }
        if (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                rc = cerr_set(err, errno, CERR_SPAWN, "sending the request to the zygote");
        if (memfd >= 0) {
                close(memfd);
                b->fds[SPEC_FD_BLOB] = -1;
        }
        return rc;
}

void spec_free(struct spec_builder *b)
{
        free(b->blob);
        b->blob = NULL;
}

static void close_fds(int *fds, int n)
{
        for (int i = 0; i < n; i++) {
                if (fds[i] >= 0)
                        close(fds[i]);
                fds[i] = -1;
        }
}

int spec_fd(const struct spec_req *r, enum spec_fd slot)
{
        int i = r->hdr.fd_index[slot];

        return i >= 0 && i < r->nfds ? r->fds[i] : -1;
}

/* "KIND FLAGS DEV INO DATA" (spec_add_op); the data is the rest of the string. */
static int parse_op(const char *path, const char *rec, struct mount_op *op)
{
        unsigned long long v[4];
        const char *p = rec;
        char *end;

        for (int i = 0; i < 4; i++) {
                errno = 0;
                v[i] = strtoull(p, &end, 10);
                if (errno || end == p || *end != ' ')
                        return -1;
                p = end + 1;
        }
        if (v[0] > MOUNT_OP_INACCESSIBLE || path[0] != '/')
                return -1;
        *op = (struct mount_op){.kind = (enum mount_op_kind)v[0],
                                .flags = (unsigned long)v[1],
                                .dev = v[2],
                                .ino = v[3],
                                .path = path,
                                .data = p};
        return 0;
}

/* The filters after the strings (from off, aligned): n_bpf records that hold bpf_len
 * instructions in all and end the blob. */
static int parse_filters(struct spec_req *r, size_t off)
{
        uint32_t total = 0;

        off += (8 - off % 8) % 8;
        for (uint32_t i = 0; i < r->hdr.n_bpf; i++) {
                struct spec_bpf rec;

                if (off + sizeof rec > r->hdr.blob_len)
                        return -1;
                memcpy(&rec, r->blob + off, sizeof rec);
                off += sizeof rec;
                if (rec.len == 0 || rec.len > BPF_MAXINSNS || rec.len > r->hdr.bpf_len - total ||
                    off + (size_t)rec.len * sizeof(struct sock_filter) > r->hdr.blob_len)
                        return -1;
                r->filters[i] =
                    (struct sock_fprog){.len = (unsigned short)rec.len,
                                        .filter = (struct sock_filter *)(r->blob + off)};
                off += (size_t)rec.len * sizeof(struct sock_filter);
                total += rec.len;
        }
        return total == r->hdr.bpf_len && off == r->hdr.blob_len ? 0 : -1;
}

/* The arrays of a request, carved from the allocation that holds its blob (read_blob), so
 * that a request is one block: the zygote writes few pages per request, and each page it
 * writes after a clone is copied once more (the shim it cloned still shares it). */
struct req_arrays {
        size_t strs, argv, envp, rw_paths, ops, filters, end;
};

static size_t place(size_t *at, size_t n, size_t size)
{
        size_t here = *at;

        *at += n * size;
        return here;
}

static struct req_arrays req_layout(const struct spec_hdr *h)
{
        struct req_arrays l;
        size_t at = ((size_t)h->blob_len + 1 + 15) & ~(size_t)15;

        l.strs = place(&at, 4 + (size_t)h->argc + h->envc + h->n_rw_paths + 2 * (size_t)h->n_ops,
                       sizeof(char *));
        l.argv = place(&at, (size_t)h->argc + 1, sizeof(char *));
        /* one slot more than the NULL: the shim's LISTEN_PID (shim.c: actor_child), so that
         * nothing after the clone allocates */
        l.envp = place(&at, (size_t)h->envc + 2, sizeof(char *));
        l.rw_paths = place(&at, (size_t)h->n_rw_paths + 1, sizeof(char *));
        at = (at + 15) & ~(size_t)15;
        l.ops = place(&at, (size_t)h->n_ops + 1, sizeof(struct mount_op));
        l.filters = place(&at, (size_t)h->n_bpf + 1, sizeof(struct sock_fprog));
        l.end = at;
        return l;
}

static int parse_blob(struct spec_req *r, struct cerr *err)
{
        struct req_arrays l = req_layout(&r->hdr);
        size_t need = 4 + (size_t)r->hdr.argc + r->hdr.envc + r->hdr.n_rw_paths + 2 * r->hdr.n_ops;
        const char *p = r->blob, *end = r->blob + r->hdr.blob_len;
        const char **strs = (const char **)(void *)(r->blob + l.strs);

        if (r->hdr.blob_len == 0 || (!r->hdr.bpf_len && r->blob[r->hdr.blob_len - 1] != '\0'))
                return cerr_set(err, EINVAL, CERR_SPAWN, "request blob is not NUL-terminated");
        r->argv = (char **)(void *)(r->blob + l.argv);
        r->envp = (char **)(void *)(r->blob + l.envp);
        r->rw_paths = (char **)(void *)(r->blob + l.rw_paths);
        r->ops = (struct mount_op *)(void *)(r->blob + l.ops);
        r->filters = (struct sock_fprog *)(void *)(r->blob + l.filters);
        for (size_t i = 0; i < need; i++) {
                if (p >= end)
                        return cerr_set(err, EINVAL, CERR_SPAWN,
                                        "request blob has too few strings");
                strs[i] = p;
                p += strlen(p) + 1;
        }
        if (r->hdr.n_bpf && parse_filters(r, (size_t)(p - r->blob)) < 0)
                return cerr_set(err, EINVAL, CERR_SPAWN, "malformed seccomp filters");
        r->hostname = strs[0];
        r->cwd = strs[1];
        r->cgroup_view = strs[2];
        r->program = strs[3];
        for (uint32_t i = 0; i < r->hdr.argc; i++)
                r->argv[i] = (char *)strs[4 + i];
        r->argv[r->hdr.argc] = NULL;
        for (uint32_t i = 0; i < r->hdr.envc; i++)
                r->envp[i] = (char *)strs[4 + r->hdr.argc + i];
        r->envp[r->hdr.envc] = r->envp[r->hdr.envc + 1] = NULL;
        for (uint32_t i = 0; i < r->hdr.n_rw_paths; i++)
                r->rw_paths[i] = (char *)strs[4 + r->hdr.argc + r->hdr.envc + i];
        r->rw_paths[r->hdr.n_rw_paths] = NULL;
        for (uint32_t i = 0; i < r->hdr.n_ops; i++) {
                size_t at = 4 + (size_t)r->hdr.argc + r->hdr.envc + r->hdr.n_rw_paths + 2 * i;

                if (parse_op(strs[at], strs[at + 1], &r->ops[i]) < 0)
                        return cerr_set(err, EINVAL, CERR_SPAWN, "malformed mount in a request");
        }
        r->ops[r->hdr.n_ops] = (struct mount_op){0};
        return 0;
}

/* The header against the fds that came with it: every count bounded, and the fixed fds, the
 * v1 groups, the mounts and the passed fds disjoint regions, in that order (a setup fd must
 * never be mistaken for one the program may keep). */
static int check_header(const struct spec_req *r, struct cerr *err)
{
        const struct spec_hdr *h = &r->hdr;
        int nfixed = r->nfds - (int)h->n_v1 - (int)h->n_rw_paths - (int)h->n_pass;

        if (h->magic != SPEC_MAGIC || h->nfds != (uint32_t)r->nfds || h->n_v1 > SPEC_MAX_V1 ||
            h->n_pass > SPEC_MAX_PASS || h->blob_len > SPEC_BLOB_MAX || h->argc == 0 ||
            h->argc > SPEC_BLOB_MAX / 2 || h->envc > SPEC_BLOB_MAX / 2 ||
            h->n_rlimits > RLIMIT_NLIMITS || h->bpf_len > SPEC_MAX_BPF_INSNS ||
            h->n_bpf > SPEC_MAX_FILTERS || (h->n_bpf == 0) != (h->bpf_len == 0) ||
            h->n_rw_paths > SPEC_MAX_RW || h->n_ops > SPEC_MAX_OPS || h->cred.ngroups < 0 ||
            h->cred.ngroups > CREDS_MAX_GROUPS || h->cred.cap_last < 0 || h->cred.cap_last > 63)
                return cerr_set(err, EPROTO, CERR_SPAWN, "malformed request");
        for (int i = 0; i < SPEC_FD_FIXED_COUNT; i++) {
                bool dup = false;

                for (int j = 0; j < i; j++)
                        dup |= h->fd_index[i] >= 0 && h->fd_index[j] == h->fd_index[i];
                if (nfixed < 0 || h->fd_index[i] >= nfixed || h->fd_index[i] < -1 || dup)
                        return cerr_set(err, EPROTO, CERR_SPAWN, "malformed request fd table");
        }
        return 0;
}

/* The blob: inline after the header, or in the memfd a large request came with; copied into
 * the request's one allocation, which also holds its parsed arrays (req_layout). */
static int read_blob(struct spec_req *r, const char *inline_buf, size_t blob_in, struct cerr *err)
{
        r->blob = malloc(req_layout(&r->hdr).end);
        if (!r->blob)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "receiving a request");
        if (spec_fd(r, SPEC_FD_BLOB) >= 0) {
                if (pread(spec_fd(r, SPEC_FD_BLOB), r->blob, r->hdr.blob_len, 0) !=
                    (ssize_t)r->hdr.blob_len)
                        return cerr_set(err, EPROTO, CERR_SPAWN, "short large request");
        } else if (blob_in == r->hdr.blob_len) {
                memcpy(r->blob, inline_buf, blob_in);
        } else {
                return cerr_set(err, EPROTO, CERR_SPAWN, "request length mismatch");
        }
        r->blob[r->hdr.blob_len] = '\0';
        return 0;
}

/* Where requests land: one buffer for the process, reused (only the zygote receives, one
 * request at a time). Every page the zygote writes after a clone is copied once more (the
 * shim it cloned still shares it), so a request that fits is parsed where it landed, its
 * arrays after its blob: one or two pages per spawn, where a 48 KiB malloc, a copy of the
 * blob and five arrays wrote ten (zygote page faults per spawn 16 -> 7). The header sits
 * where the blob after it starts 16-byte aligned (req_layout's offsets assume it). */
#define RECV_PAD ((16 - sizeof(struct spec_hdr) % 16) % 16)
static char recv_buf[RECV_PAD + sizeof(struct spec_hdr) + 64 * 1024] __attribute__((aligned(16)));

int spec_recv(int sock, struct spec_req *r, struct cerr *err)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * SPEC_MAX_FDS)];
                struct cmsghdr align;
        } u;
        char *inline_buf = recv_buf + RECV_PAD;
        size_t blob_in;
        struct iovec iov;
        struct msghdr msg = {0};
        ssize_t n;

        memset(r, 0, sizeof *r);
        for (int i = 0; i < SPEC_MAX_FDS; i++)
                r->fds[i] = -1;
        iov = (struct iovec){.iov_base = inline_buf, .iov_len = sizeof r->hdr + SPEC_INLINE_MAX};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof u.buf;
        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n == 0 ? 0 : cerr_set(err, errno, CERR_SPAWN, "receiving a request");
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

                        if (r->nfds + k > SPEC_MAX_FDS)
                                k = SPEC_MAX_FDS - r->nfds;
                        memcpy(r->fds + r->nfds, CMSG_DATA(c), sizeof(int) * (size_t)k);
                        r->nfds += k;
                }
        }
        if ((size_t)n < sizeof r->hdr || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                cerr_set(err, EPROTO, CERR_SPAWN, "truncated request");
                goto fail;
        }
        /* from here on an error reply can name the request it refuses */
        memcpy(&r->hdr, inline_buf, sizeof r->hdr);
        if (check_header(r, err) < 0)
                goto fail;
        blob_in = (size_t)n - sizeof r->hdr;
        if (spec_fd(r, SPEC_FD_BLOB) < 0 && blob_in == r->hdr.blob_len &&
            req_layout(&r->hdr).end <= sizeof recv_buf - RECV_PAD - sizeof r->hdr) {
                r->blob = inline_buf + sizeof r->hdr; /* parsed in place */
                r->blob_static = true;
                r->blob[r->hdr.blob_len] = '\0';
        } else if (read_blob(r, inline_buf + sizeof r->hdr, blob_in, err) < 0) {
                goto fail;
        }
        if (parse_blob(r, err) < 0)
                goto fail;
        return 1;
fail:
        spec_req_free(r); /* its fds closed, whatever was allocated freed */
        return -1;
}

int spec_local(struct spec_builder *b, struct spec_req *r, struct cerr *err)
{
        int order[SPEC_MAX_FDS];
        int n = order_fds(b, order);

        memset(r, 0, sizeof *r);
        for (int i = 0; i < SPEC_MAX_FDS; i++)
                r->fds[i] = i < n ? order[i] : -1;
        r->nfds = n;
        b->hdr.blob_len = (uint32_t)b->blob_len;
        r->hdr = b->hdr;
        /* the same checks and parser as a request that came over the socket */
        if (check_header(r, err) < 0 || read_blob(r, b->blob, b->blob_len, err) < 0 ||
            parse_blob(r, err) < 0) {
                spec_req_release(r);
                return -1;
        }
        return 0;
}

void spec_req_release(struct spec_req *r)
{
        r->nfds = 0; /* the builder's */
        spec_req_free(r);
}

void spec_req_close_fds(struct spec_req *r)
{
        close_fds(r->fds, r->nfds);
}

void spec_req_free(struct spec_req *r)
{
        close_fds(r->fds, r->nfds);
        if (!r->blob_static)
                free(r->blob); /* the arrays live in the same block (req_layout) */
        r->blob = NULL;
        r->blob_static = false;
        r->argv = r->envp = r->rw_paths = NULL;
        r->ops = NULL;
        r->filters = NULL;
}

int spec_v1_fd(const struct spec_req *r, uint32_t i)
{
        int base = r->nfds - (int)r->hdr.n_pass - (int)r->hdr.n_rw_paths - (int)r->hdr.n_v1;

        return i < r->hdr.n_v1 && base >= 0 ? r->fds[base + (int)i] : -1;
}

int spec_rw_fd(const struct spec_req *r, uint32_t i)
{
        int base = r->nfds - (int)r->hdr.n_pass - (int)r->hdr.n_rw_paths;

        return i < r->hdr.n_rw_paths && base >= 0 ? r->fds[base + (int)i] : -1;
}

int spec_pass_fd(const struct spec_req *r, uint32_t i)
{
        int base = r->nfds - (int)r->hdr.n_pass;

        return i < r->hdr.n_pass && base >= 0 ? r->fds[base + (int)i] : -1;
}

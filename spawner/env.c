/* An actor's environment (DESIGN §4): the caller's, as PassEnvironment= and
 * UnsetEnvironment= let it through, then Environment=, the spawner's own variables, HOME of
 * the program's user and the socket-activation ones. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "sup.h"

extern char **environ;

/* Does list (KEY=VALUE entries, NULL-terminated or n long) set the variable of entry e? */
static bool sets_var(char *const *list, size_t n, const char *e)
{
        const char *eq = strchr(e, '=');

        for (size_t i = 0; list && (n == SIZE_MAX ? list[i] != NULL : i < n); i++) {
                if (strncmp(list[i], e, (size_t)(eq - e) + 1) == 0)
                        return true;
        }
        return false;
}

/* PassEnvironment=: is the caller's variable e ("NAME=VALUE") passed on? */
static bool passed(const struct profile *p, const char *e)
{
        size_t n = (size_t)(strchr(e, '=') - e);

        if (p->pass_environment_all)
                return true;
        for (size_t i = 0; i < p->pass_environment.n; i++) {
                if (strlen(p->pass_environment.v[i]) == n &&
                    strncmp(p->pass_environment.v[i], e, n) == 0)
                        return true;
        }
        return false;
}

/* UnsetEnvironment=: NAME removes every assignment of it, NAME=VALUE only that one. */
static bool unset(const struct profile *p, const char *e)
{
        size_t n = (size_t)(strchr(e, '=') - e);

        for (size_t i = 0; i < p->unset_environment.n; i++) {
                const char *u = p->unset_environment.v[i];

                if (strchr(u, '=') ? strcmp(u, e) == 0 : strlen(u) == n && strncmp(u, e, n) == 0)
                        return true;
        }
        return false;
}

/* corral's own variables, never taken from a caller or a request */
static bool ours(const char *e)
{
        return strncmp(e, "CORRAL_", 7) == 0 || strncmp(e, "LISTEN_", 7) == 0;
}

static int add_env(struct spec_builder *b, uint32_t *n, struct cerr *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_env(struct spec_builder *b, uint32_t *n, struct cerr *err, const char *fmt, ...)
{
        char buf[PATH_MAX + 64];
        va_list ap;
        int len;

        va_start(ap, fmt);
        len = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (len < 0 || (size_t)len >= sizeof buf) /* never cut short: refused whole */
                return cerr_set(err, E2BIG, CERR_SPAWN,
                                "an environment variable of %d bytes "
                                "(corral's own are at most %zu)",
                                len, sizeof buf - 1);
        (*n)++;
        return spec_add_string(b, buf, err);
}

/* One variable as it was given (the caller's, the profile's, a SPAWN's): any length the
 * request's limit allows, as execve(2) would take it. */
static int add_var(struct spec_builder *b, uint32_t *n, struct cerr *err, const char *var)
{
        (*n)++;
        return spec_add_string(b, var, err);
}

/* The caller's environment minus corral's own variables and socket-activation variables that
 * were meant for corral, then the profile's Environment=, then the request's (a SPAWN's env:
 * each layer overrides the ones before), then what corral tells the program. */
int spawn_build_env(struct corral_sup *s, struct actor *a, const struct corral_spawn *req,
                    const struct identity *id, struct spec_builder *b, uint32_t *envc,
                    struct cerr *err)
{
        const struct strlist *pe = &a->prof->p.environment;
        char buf[PATH_MAX + 64];
        uint32_t n = 0;

        for (char **e = environ; e && *e; e++) {
                if (!strchr(*e, '=') || ours(*e) || sets_var(pe->v, pe->n, *e) ||
                    sets_var(req->env, SIZE_MAX, *e) || strncmp(*e, "HOME=", 5) == 0 ||
                    !passed(&a->prof->p, *e) || unset(&a->prof->p, *e))
                        continue;
                if (add_var(b, &n, err, *e) < 0)
                        return -1;
        }
        /* the program user's home, not the caller's: a root caller's HOME=/root names files
         * nobody cannot read (Environment= or the SPAWN's env may set it, UnsetEnvironment=
         * remove it) */
        snprintf(buf, sizeof buf, "HOME=%s", id->home);
        if (!sets_var(pe->v, pe->n, buf) && !sets_var(req->env, SIZE_MAX, buf) &&
            !unset(&a->prof->p, buf) && add_env(b, &n, err, "%s", buf) < 0)
                return -1;
        for (size_t i = 0; i < pe->n; i++) {
                if (!sets_var(req->env, SIZE_MAX, pe->v[i]) && !unset(&a->prof->p, pe->v[i]) &&
                    add_var(b, &n, err, pe->v[i]) < 0)
                        return -1;
        }
        for (size_t i = 0; req->env && req->env[i]; i++) {
                if (strchr(req->env[i], '=') && !ours(req->env[i]) &&
                    add_var(b, &n, err, req->env[i]) < 0)
                        return -1;
        }
        if (add_env(b, &n, err, "CORRAL_ACTOR_ID=%u", a->id) < 0 ||
            add_env(b, &n, err, "CORRAL_ACTOR_NAME=%s", a->name) < 0 ||
            add_env(b, &n, err, "CORRAL_TREE=%s", s->tree) < 0 ||
            /* the control channel follows the passed fds (the shim puts it there) */
            add_env(b, &n, err, "CORRAL_CTL_FD=%d", 3 + req->npass) < 0)
                return -1;
        if (req->npass > 0) {
                /* (64 names of up to 63 bytes: more than any fixed buffer here, so sized) */
                size_t need = sizeof "LISTEN_FDNAMES=", off;
                char *names;
                int rc;

                if (add_env(b, &n, err, "LISTEN_FDS=%d", req->npass) < 0)
                        return -1;
                for (int i = 0; i < req->npass; i++)
                        need += strlen(req->pass[i].name) + 1;
                names = malloc(need);
                if (!names)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "LISTEN_FDNAMES");
                off = (size_t)snprintf(names, need, "LISTEN_FDNAMES=");
                for (int i = 0; i < req->npass; i++)
                        off += (size_t)snprintf(names + off, need - off, "%s%s", i ? ":" : "",
                                                req->pass[i].name);
                rc = add_var(b, &n, err, names);
                free(names);
                if (rc < 0)
                        return -1;
        }
        *envc = n;
        return 0;
}

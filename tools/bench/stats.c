/* Samples, their summary (median, nearest-rank p90/p99) and the table's rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

void add_sample(struct samples *s, double us)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                double *v = realloc(s->v, cap * sizeof *v);

                if (!v)
                        die("out of memory");
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = us;
}

int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

struct stat_sum summarize(const struct samples *s)
{
        struct stat_sum r = {0};
        double *v, sum = 0;

        if (!s->n)
                return r;
        v = malloc(s->n * sizeof *v);
        if (!v)
                die("out of memory");
        memcpy(v, s->v, s->n * sizeof *v);
        qsort(v, s->n, sizeof *v, cmp_double);
        for (size_t i = 0; i < s->n; i++)
                sum += v[i];
        r.n = s->n;
        r.min = v[0];
        r.max = v[s->n - 1];
        r.mean = sum / (double)s->n;
        r.median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
        /* nearest rank */
        r.p90 = v[(size_t)ceil(0.90 * (double)s->n) - 1];
        r.p99 = v[(size_t)ceil(0.99 * (double)s->n) - 1];
        free(v);
        return r;
}

struct row rows[MAX_ROWS];
int nrows;

struct row *row_new(const char *key, const char *section, const char *label, const char *ma,
                    const char *mb, struct row *base)
{
        struct row *r;

        if (nrows == MAX_ROWS)
                die("too many rows");
        r = &rows[nrows++];
        r->key = key;
        r->section = section;
        r->label = label;
        r->metric[M_A] = ma;
        r->metric[M_B] = mb;
        r->base = base;
        return r;
}

double row_median(const struct row *r, int m)
{
        if (!r || r->na[0] || !r->m[m].n)
                return NAN;
        return summarize(&r->m[m]).median;
}

double ratio(const struct row *r, int m)
{
        return row_median(r, m) / row_median(r->base, m);
}

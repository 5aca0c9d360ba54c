/* The speed reference for `objstore bench codec`: Intel ISA-L's ec_encode_data on the same layouts, shard sizes and
 * method (one thread, buffers reused, median of 7 batches, reconstruct = m data shards missing), printing the same
 * JSON lines. Build and compare with tests/isal-reference/compare.sh. */
#include <isa-l/erasure_code.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct { int len, k, rows; unsigned char *tables; unsigned char **in, **out; } job;

static void run(job *j) { ec_encode_data(j->len, j->k, j->rows, j->tables, j->in, j->out); }

static double rate(job *j, double budget) {
    double start = now();
    long calls = 0;
    while (now() - start < 0.05 || calls < 3) { run(j); calls++; }
    long batch = (long)(calls * (budget / 7) / (now() - start));
    if (batch < 1) batch = 1;
    double rates[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (long i = 0; i < batch; i++) run(j);
        rates[r] = (double)batch * j->k * j->len / (now() - t0) / 1e9;
    }
    qsort(rates, 7, sizeof(double), cmp);
    return rates[3];
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 0.4;
    int layouts[][2] = {{4, 2}, {8, 4}, {12, 4}, {16, 4}};
    int sizes[] = {64 << 10, 1 << 20};
    for (int l = 0; l < 4; l++) {
        for (int s = 0; s < 2; s++) {
            int k = layouts[l][0], m = layouts[l][1], n = k + m, len = sizes[s];
            unsigned char *matrix = malloc(n * k), *tables = malloc(32 * k * m);
            unsigned char *buffers[256];
            for (int i = 0; i < n; i++) {
                if (posix_memalign((void **)&buffers[i], 64, len)) return 1;
                for (int b = 0; b < len; b++) buffers[i][b] = rand();
            }
            gf_gen_cauchy1_matrix(matrix, n, k);
            ec_init_tables(k, m, matrix + k * k, tables);
            job enc = {len, k, m, tables, buffers, buffers + k};
            double encode = rate(&enc, budget);

            /* Reconstruct data shards 0..m-1 from shards m..n-1: invert the surviving rows once, as a decoder
             * with a cached plan would. */
            unsigned char sub[256 * 256], inv[256 * 256], decode[256 * 256], dtables[32 * 256 * 4];
            for (int r = 0; r < k; r++) memcpy(sub + r * k, matrix + (m + r) * k, k);
            if (gf_invert_matrix(sub, inv, k) < 0) return 1;
            for (int r = 0; r < m; r++) memcpy(decode + r * k, inv + r * k, k);
            ec_init_tables(k, m, decode, dtables);
            job dec = {len, k, m, dtables, buffers + m, buffers};
            double reconstruct = rate(&dec, budget);
            printf("{\"k\":%d,\"m\":%d,\"shard_bytes\":%d,\"encode_gbps\":%.3f,\"reconstruct_gbps\":%.3f,\"simd\":\"isa-l\"}\n",
                   k, m, len, encode, reconstruct);
            for (int i = 0; i < n; i++) free(buffers[i]);
            free(matrix);
            free(tables);
        }
    }
    return 0;
}

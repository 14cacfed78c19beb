/* The libmaxminddb peer of benches/lookup.rs: lookups per second on one core, for the
 * addresses of a file (one per line), either walking the tree only or also decoding the whole
 * record (MMDB_get_entry_data_list), as a C reader must to hand a record on. Prints the
 * mean rate over the rounds.
 *
 *   cc -O2 -o mmdb_bench mmdb_bench.c -lmaxminddb
 *   mmdb_bench DB IPS walk|decode ROUNDS
 */
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s DB IPS walk|decode ROUNDS\n", argv[0]);
        return 2;
    }
    MMDB_s db;
    if (MMDB_open(argv[1], MMDB_MODE_MMAP, &db) != MMDB_SUCCESS) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) return 1;
    size_t cap = 1 << 17, n = 0;
    char (*ips)[64] = malloc(cap * 64);
    while (n < cap && fgets(ips[n], 64, f)) {
        ips[n][strcspn(ips[n], "\r\n")] = 0;
        n++;
    }
    fclose(f);
    int decode = strcmp(argv[3], "decode") == 0;
    int rounds = atoi(argv[4]);
    long found = 0;
    double best = 1e30, total = 0;
    for (int r = 0; r < rounds; r++) {
        double start = now();
        for (size_t i = 0; i < n; i++) {
            int gai, err;
            MMDB_lookup_result_s res = MMDB_lookup_string(&db, ips[i], &gai, &err);
            if (gai == 0 && err == MMDB_SUCCESS && res.found_entry) {
                found++;
                if (decode) {
                    MMDB_entry_data_list_s *list = NULL;
                    if (MMDB_get_entry_data_list(&res.entry, &list) == MMDB_SUCCESS) {
                        MMDB_free_entry_data_list(list);
                    }
                }
            }
        }
        double took = now() - start;
        if (took < best) best = took;
        total += took;
    }
    /* The mean of the rounds, as criterion reports ours (the mean of its samples); the best
     * round goes to stderr. */
    printf("%.0f\n", n / (total / rounds));
    fprintf(stderr, "%zu addresses, %ld found over %d rounds; best round %.0f/s\n", n, found,
            rounds, n / best);
    MMDB_close(&db);
    return 0;
}

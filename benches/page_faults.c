/* What this machine charges for fresh memory: maps MIB mebibytes, writes one byte per 4 KiB
 * page, and prints how long that took. The README's figure for a page fault comes from it.
 *
 *   cc -O2 benches/page_faults.c -o target/page_faults
 *   target/page_faults 138            one fault per page
 *   target/page_faults 138 populate   the pages populated by mmap (MAP_POPULATE)
 *   target/page_faults 138 huge       transparent huge pages asked for (MADV_HUGEPAGE)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MIB [populate|huge]\n", argv[0]);
        return 2;
    }
    size_t size = (size_t)atol(argv[1]) << 20;
    const char *mode = argc > 2 ? argv[2] : "";
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (strcmp(mode, "populate") == 0) flags |= MAP_POPULATE;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (strcmp(mode, "huge") == 0) madvise(p, size, MADV_HUGEPAGE);
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ms = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
    printf("%zu MiB, %s: %.1f ms, %.2f us a page\n", size >> 20, *mode ? mode : "faults", ms,
           ms * 1e3 / (double)(size / 4096));
    return 0;
}

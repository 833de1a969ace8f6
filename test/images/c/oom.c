/* Allocates and touches memory 1 MiB at a time until the kernel stops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    for (size_t mb = 0;; mb++) {
        char *p = malloc(1 << 20);
        if (!p) { fprintf(stderr, "malloc failed at %zu MiB\n", mb); return 2; }
        memset(p, 1, 1 << 20);
    }
}

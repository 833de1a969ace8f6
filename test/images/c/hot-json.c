/*
 * Hot json hello-world: one JSON request per line on stdin, one JSON response per line on stdout:
 *   {"status":202,"headers":{"X-Call":["<call_id>"],"X-Method":["<method>"]},"body":"Hello <body or World>"}
 * Body "garbage" answers a line that is not JSON; body "crash" exits 4 without answering.
 * String values are copied still JSON-escaped, so the answer stays valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char line[1 << 20];

/* Points at the escaped value of "key":"..." and sets its length; "" when absent. */
static const char *field(const char *key, size_t *len) {
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    *len = 0;
    if (!p) return "";
    p += strlen(pat);
    const char *q = p;
    while (*q && *q != '"') q += (*q == '\\' && q[1]) ? 2 : 1;
    *len = (size_t)(q - p);
    return p;
}

int main(void) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    while (fgets(line, sizeof(line), stdin)) {
        size_t blen, ilen, mlen;
        const char *body = field("body", &blen), *id = field("call_id", &ilen), *method = field("method", &mlen);
        if (blen == 7 && strncmp(body, "garbage", 7) == 0) puts("this is not json");
        else if (blen == 5 && strncmp(body, "crash", 5) == 0) exit(4);
        else printf("{\"status\":202,\"headers\":{\"X-Call\":[\"%.*s\"],\"X-Method\":[\"%.*s\"]},\"body\":\"Hello %.*s\"}\n",
                    (int)ilen, id, (int)mlen, method, blen ? (int)blen : 5, blen ? body : "World");
        fflush(stdout);
    }
    return 0;
}

/*
 * hello-json: a function in Fresco's json format (a hot container serves many calls, one at a
 * time). For each call Fresco writes one JSON object on one line to stdin:
 *   {"call_id": "...", "method": "POST", "request_url": "...", "headers": {...}, "body": "Bob", ...}
 * and we answer one JSON object on one line on stdout:
 *   {"status": 200, "headers": {"Content-Type": ["text/plain"]}, "body": "Hello Bob\n"}
 * stderr is the log of the call being served.
 *   body "Bob" -> "Hello Bob", empty body -> "Hello World"
 * To stay short this reads the body string as it is escaped in the request and writes it back
 * escaped the same way, so the answer is valid JSON without decoding it.
 */
#include <stdio.h>
#include <string.h>

static char line[1 << 20];

/* The still-escaped string value of "key":"..." in line, and its length; "" when absent. */
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
    while (fgets(line, sizeof(line), stdin)) {
        size_t blen, ilen;
        const char *body = field("body", &blen), *id = field("call_id", &ilen);
        while (blen >= 2 && body[blen - 2] == '\\' && strchr("nr", body[blen - 1])) blen -= 2;
        while (blen > 0 && body[blen - 1] == ' ') blen--;
        fprintf(stderr, "hello-json: call %.*s\n", (int)ilen, id);
        printf("{\"status\":200,\"headers\":{\"Content-Type\":[\"text/plain\"]},\"body\":\"Hello %.*s\\n\"}\n",
               blen ? (int)blen : 5, blen ? body : "World");
        fflush(stdout);
    }
    return 0;
}

/*
 * hello-http: a function in Fresco's http format (a hot container serves many calls, one at a
 * time). For each call Fresco writes an HTTP/1.1 request to stdin: the caller's method, path and
 * headers, Content-Length, then the body. We answer on stdout with an HTTP/1.1 response that
 * must carry Content-Length; its status and headers reach the caller of /r/{app}/{route}.
 * stderr is the log of the call being served. The app's and route's config are in the
 * environment; per-call data comes in the request (the Task-Id header is the call id).
 *   body "Bob" -> 200 "Hello Bob", empty body -> "Hello World"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t have;

/* Reads more of stdin into buf; 0 when stdin is closed (Fresco stops the container). */
static int more(void) {
    if (have == sizeof(buf) - 1) return 0;
    ssize_t n = read(0, buf + have, sizeof(buf) - 1 - have);
    if (n <= 0) return 0;
    have += (size_t)n;
    buf[have] = '\0';
    return 1;
}

/* The value of header `name` in the request head, or NULL. */
static const char *header(const char *head, const char *name, size_t *len) {
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ') v++;
            *len = (size_t)(strstr(v, "\r\n") - v);
            return v;
        }
    }
    return NULL;
}

static void answer(const char *body, size_t len) {
    printf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", len);
    fwrite(body, 1, len, stdout);
    fflush(stdout);
}

int main(void) {
    for (;;) {
        char *end;
        while ((end = strstr(buf, "\r\n\r\n")) == NULL) if (!more()) return 0;
        size_t head = (size_t)(end - buf) + 4, vlen = 0, clen = 0;
        const char *cl = header(buf, "Content-Length", &vlen);
        if (cl) clen = (size_t)strtoul(cl, NULL, 10);
        while (have < head + clen) if (!more()) return 0;
        size_t tlen = 0;
        const char *task = header(buf, "Task-Id", &tlen);
        fprintf(stderr, "hello-http: call %.*s\n", (int)tlen, task ? task : "?");
        size_t blen = clen;
        while (blen > 0 && strchr("\r\n ", buf[head + blen - 1])) blen--;
        char out[8192];
        int n = snprintf(out, sizeof(out), "Hello %.*s\n", blen ? (int)(blen < 4096 ? blen : 4096) : 5, blen ? buf + head : "World");
        answer(out, (size_t)n);
        memmove(buf, buf + head + clen, have - head - clen + 1);
        have -= head + clen;
    }
}

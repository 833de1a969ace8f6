/*
 * Hot http hello-world: reads HTTP/1.1 requests framed by Content-Length on stdin and answers
 * each on stdout. The path's last segment (before any query) selects a test behaviour, so that
 * /r/<app>/status and /status both answer 201:
 *   /dump     body = the exact request bytes received (head + body)
 *   /status   answers 201 with header X-Fn: hot
 *   /sleep    sleeps 5 s before answering (timeouts)
 *   /crash    exits 3 without answering
 *   /garbage  answers bytes that are not HTTP
 *   /stderr   writes "log line for <Task-Id>" to stderr first
 *   /pid      body = this process's pid (to tell containers apart)
 *   /lf       answers with bare LF line ends (as some IronFunctions images do)
 *   /chunked  answers Transfer-Encoding: chunked, with a chunk extension and a trailer
 *   /http10   answers "HTTP/1.0 200" (no reason phrase) with a folded header
 *   /nolength answers without Content-Length or chunked (no determinable end)
 *   /twice    answers a 64 KiB response followed by a stray one ("stray\n") in the same write
 *   anything else: "Hello <body or World>\n"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t have;

static int fill(void) {
    if (have == sizeof(buf)) return -1;
    ssize_t n = read(0, buf + have, sizeof(buf) - have);
    if (n <= 0) return -1;
    have += (size_t)n;
    return 0;
}

static void write_all(const char *p, size_t len) {
    while (len > 0) {
        ssize_t n = write(1, p, len);
        if (n <= 0) exit(1);
        p += n;
        len -= (size_t)n;
    }
}

static const char *header(const char *head, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ') v++;
            *vlen = (size_t)(strstr(v, "\r\n") - v);
            return v;
        }
    }
    return NULL;
}

static void answer(int status, const char *extra, const char *body, size_t blen) {
    char head[512];
    int hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n%sContent-Length: %zu\r\n\r\n",
                      status, status == 201 ? "Created" : "OK", extra, blen);
    static char out[sizeof(buf) + 512];
    memcpy(out, head, (size_t)hl);
    memcpy(out + hl, body, blen);
    write_all(out, (size_t)hl + blen);
}

/* Whether the request path (up to a space or '?') ends with `what`. */
static int is(const char *path, const char *what) {
    size_t plen = strcspn(path, " ?"), wl = strlen(what);
    return plen >= wl && memcmp(path + plen - wl, what, wl) == 0;
}

static void serve(char *req, size_t headlen, size_t total) {
    char *path = strchr(req, ' ') + 1;
    char body[8192];
    size_t blen = total - headlen;
    const char *b = req + headlen;
    if (is(path, "/dump")) return answer(200, "", req, total);
    if (is(path, "/status")) return answer(201, "X-Fn: hot\r\n", "created\n", 8);
    if (is(path, "/crash")) exit(3);
    if (is(path, "/garbage")) { write_all("NOT HTTP AT ALL\r\n\r\n", 19); return; }
    if (is(path, "/sleep")) sleep(5);
    if (is(path, "/lf")) { write_all("HTTP/1.1 200 OK\nContent-Length: 12\n\nHello LF ok\n", 48); return; }
    if (is(path, "/chunked")) {
        static const char c[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Fn: chunked\r\n\r\n"
                                "6;ext=1\r\nHello \r\n8\r\nchunked\n\r\n0\r\nX-Trailer: t\r\n\r\n";
        write_all(c, sizeof(c) - 1);
        return;
    }
    if (is(path, "/http10")) {
        static const char c[] = "HTTP/1.0 200\r\nX-Folded: a\r\n b\r\nContent-Length: 7\r\n\r\nold ok\n";
        write_all(c, sizeof(c) - 1);
        return;
    }
    if (is(path, "/nolength")) { write_all("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno end", 51); return; }
    if (is(path, "/twice")) {
        /* One write: a response of exactly 64 KiB, the size of the engine's socket reads, then a
         * stray one, which the engine thus reads separately but at once, as it would when a
         * function wrote it a moment later. */
        static char out2[65536 + 128];
        static const char stray[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstray\n";
        int hl = snprintf(out2, sizeof(out2), "HTTP/1.1 200 OK\r\nContent-Length: 65000\r\n\r\n");
        snprintf(out2, sizeof(out2), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 65536 - hl);
        memset(out2 + hl, 'x', (size_t)(65536 - hl));
        memcpy(out2 + 65536, stray, sizeof(stray) - 1);
        write_all(out2, 65536 + sizeof(stray) - 1);
        return;
    }
    if (is(path, "/pid")) {
        int n = snprintf(body, sizeof(body), "%d", (int)getpid());
        return answer(200, "", body, (size_t)n);
    }
    if (is(path, "/stderr")) {
        size_t tl = 0;
        const char *t = header(req, "Task-Id", &tl);
        dprintf(2, "log line for %.*s\n", (int)tl, t ? t : "");
    }
    if (blen > sizeof(body) - 16) blen = sizeof(body) - 16;
    int n = blen ? snprintf(body, sizeof(body), "Hello %.*s\n", (int)blen, b) : snprintf(body, sizeof(body), "Hello World\n");
    answer(200, "", body, (size_t)n);
}

int main(void) {
    for (;;) {
        char *end;
        buf[have] = '\0';
        while ((end = strstr(buf, "\r\n\r\n")) == NULL) {
            if (fill() != 0) return 0;
            buf[have] = '\0';
        }
        size_t headlen = (size_t)(end - buf) + 4;
        size_t vlen = 0, clen = 0;
        const char *cl = header(buf, "Content-Length", &vlen);
        if (cl) clen = (size_t)strtoul(cl, NULL, 10);
        while (have < headlen + clen) if (fill() != 0) return 0;
        static char req[sizeof(buf) + 1];
        memcpy(req, buf, headlen + clen);
        req[headlen + clen] = '\0';
        serve(req, headlen, headlen + clen);
        memmove(buf, buf + headlen + clen, have - headlen - clen);
        have -= headlen + clen;
    }
}

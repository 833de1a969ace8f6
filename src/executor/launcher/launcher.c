/*
 * fresco-launcher: the static entrypoint Fresco mounts read-only into pre-started and hot
 * containers, so that any image's own entrypoint/cmd (passed as argv[1..]) still runs as-is.
 *
 * Header mode (pre-started default-format containers): the container is started ahead of its
 * call and blocks here on stdin. The call's environment arrives first on stdin as
 *   8 hex digits (length L) then L bytes of "NAME=value\0" entries,
 * applied in order (later wins), then we run the function; the rest of stdin is its body.
 * We read exactly the header's bytes so the body is left untouched for the function.
 * An entry FRESCO_NONCE=<nonce> is not exported: we run the function as our child and, once it
 * has exited, append "<nonce><3-digit exit status>" to stdout and stderr. The engine sees the end of the
 * call there at once, instead of waiting ~30 ms for Docker to notice the container's exit.
 *
 * Socket mode (hot containers, FRESCO_IO_SOCKET set): connect to the engine's unix socket
 * twice, in order: the first connection becomes the function's stdin and stdout, the second
 * its stderr. That avoids Docker's attach copy loop on the hot path, and stderr written before
 * a response reaches the engine no later than the response (so it is logged with its call).
 *
 * Exit codes of our own: 125 bad header / socket, 127 exec failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_full(int fd, char *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

static char nonce[64];

static int apply_env_header(void) {
    char hex[9] = {0};
    if (read_full(0, hex, 8) != 0) return -1;
    char *end = NULL;
    unsigned long len = strtoul(hex, &end, 16);
    if (end != hex + 8 || len > (64UL << 20)) return -2;
    char *buf = malloc(len + 1);
    if (!buf) return -2;
    if (len && read_full(0, buf, len) != 0) return -2;
    buf[len] = '\0';
    for (char *p = buf; p < buf + len; p += strlen(p) + 1) {
        char *eq = strchr(p, '=');
        if (!eq || eq == p) continue;
        *eq = '\0';
        if (strcmp(p, "FRESCO_NONCE") == 0) snprintf(nonce, sizeof(nonce), "%s", eq + 1);
        else setenv(p, eq + 1, 1);
    }
    return 0;
}

static int connect_socket(const char *path, int to1, int to2) {
    struct sockaddr_un addr;
    if (strlen(path) >= sizeof(addr.sun_path)) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) return -1;
    if (dup2(fd, to1) < 0 || (to2 >= 0 && dup2(fd, to2) < 0)) return -1;
    if (fd > 2) close(fd);
    return 0;
}

static int run_and_report(char **argv) {
    pid_t pid = fork();
    if (pid < 0) {
        perror("fresco-launcher: fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "fresco-launcher: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    close(0); /* the function alone holds stdin, so its EOF semantics are unchanged */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    char trailer[80];
    int n = snprintf(trailer, sizeof(trailer), "%s%03d", nonce, code);
    /* On both streams: Docker reads them separately, so the stdout trailer may overtake the
     * function's last stderr bytes; the engine waits for the stderr trailer too. */
    if (write(1, trailer, (size_t)n) < 0) return code;
    if (write(2, trailer, (size_t)n) < 0) return code;
    return code;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("fresco-launcher: no command to run (image has no entrypoint or cmd)\n", stderr);
        return 125;
    }
    const char *sock = getenv("FRESCO_IO_SOCKET");
    if (sock && *sock) {
        if (connect_socket(sock, 0, 1) != 0 || connect_socket(sock, 2, -1) != 0) {
            perror("fresco-launcher: cannot connect to the engine");
            return 125;
        }
        unsetenv("FRESCO_IO_SOCKET");
    } else {
        int rc = apply_env_header();
        if (rc == -1) return 0; /* stdin closed before a call came: retired unused */
        if (rc != 0) {
            fputs("fresco-launcher: malformed call header\n", stderr);
            return 125;
        }
    }
    if (nonce[0]) return run_and_report(argv);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "fresco-launcher: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}

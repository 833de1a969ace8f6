/*
 * hello: a function in Fresco's default format (one container per call).
 * The request body is on stdin (closed at its end); what we print on stdout is the answer;
 * what we print on stderr is the call's log (GET /v1/{project}/calls/{id}/log); exit code 0
 * means success. The call's details are in the environment (CALL_ID, APP_NAME, ROUTE, METHOD,
 * HEADER_*, and the app's and route's config).
 *   body "Bob" -> "Hello Bob", empty body -> "Hello World"
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    char name[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(name) - 1 && (n = read(0, name + len, sizeof(name) - 1 - len)) > 0) len += (size_t)n;
    while (len > 0 && (name[len - 1] == '\n' || name[len - 1] == '\r' || name[len - 1] == ' ')) len--;
    name[len] = '\0';
    const char *call = getenv("CALL_ID");
    fprintf(stderr, "hello: call %s of app %s\n", call ? call : "?", getenv("APP_NAME") ? getenv("APP_NAME") : "?");
    printf("Hello %s\n", len ? name : "World");
    return 0;
}

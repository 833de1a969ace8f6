/* Cold hello-world: reads stdin, prints "Hello <name>" ("World" when stdin is empty). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char name[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(name) - 1 && (n = read(0, name + len, sizeof(name) - 1 - len)) > 0) len += (size_t)n;
    while (len > 0 && (name[len - 1] == '\n' || name[len - 1] == '\r' || name[len - 1] == ' ')) len--;
    name[len] = '\0';
    printf("Hello %s\n", len ? name : "World");
    return 0;
}

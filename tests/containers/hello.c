/* A tiny static program for container tests: no shell, no libc in the image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { printf("hello from xaas\n"); return 0; }
    const char *mode = argv[1];
    if (!strcmp(mode, "id")) { printf("uid=%d gid=%d\n", (int)getuid(), (int)getgid()); return 0; }
    if (!strcmp(mode, "exit") && argc > 2) { return atoi(argv[2]); }
    if (!strcmp(mode, "env") && argc > 2) { const char *v = getenv(argv[2]); printf("%s\n", v ? v : "(unset)"); return 0; }
    if ((!strcmp(mode, "cat") || !strcmp(mode, "netdev")) ) {
        const char *path = !strcmp(mode, "cat") && argc > 2 ? argv[2] : "/proc/net/dev";
        FILE *f = fopen(path, "r");
        if (!f) { printf("open %s: %s\n", path, strerror(errno)); return 3; }
        char buf[4096]; size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
        fclose(f); return 0;
    }
    if (!strcmp(mode, "write") && argc > 2) {
        FILE *f = fopen(argv[2], "w");
        if (!f) { printf("write %s: %s\n", argv[2], strerror(errno)); return 4; }
        fputs("x", f); fclose(f); printf("wrote %s\n", argv[2]); return 0;
    }
    fprintf(stderr, "usage: hello [id|exit N|env NAME|cat FILE|netdev|write FILE]\n");
    return 2;
}

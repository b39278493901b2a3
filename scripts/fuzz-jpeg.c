/* Mutation fuzzer for the JPEG reader shim (Sources/CJPEGShim), built with AddressSanitizer and
   UBSan by scripts/fuzz-jpeg.sh. Each case: one seed file, a few deterministic mutations (bit
   flips, byte writes, inserted markers, truncation, copied ranges), written to a temporary
   file and read with jpgc_read. A memory error or a crash stops the run; every case must end in
   JPGC_OK with a valid image or in an error status with a message. */
#include "jpegshim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;
static uint64_t next(void) { /* splitmix64 */
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned char *load(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*len);
    if (fread(b, 1, *len, f) != *len) { perror(path); exit(2); }
    fclose(f);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s CASES SEED TMPFILE SEED.jpg...\n", argv[0]);
        return 2;
    }
    long cases = atol(argv[1]);
    state = strtoull(argv[2], NULL, 10);
    const char *tmp = argv[3];
    int nseeds = argc - 4;
    size_t lens[64];
    unsigned char *seeds[64];
    for (int i = 0; i < nseeds && i < 64; i++) seeds[i] = load(argv[4 + i], &lens[i]);
    long ok = 0, failed = 0;
    for (long c = 0; c < cases; c++) {
        int s = (int)(next() % (uint64_t)nseeds);
        size_t len = lens[s];
        unsigned char *b = malloc(len + 64);
        memcpy(b, seeds[s], len);
        int muts = 1 + (int)(next() % 4);
        for (int m = 0; m < muts && len > 4; m++) {
            size_t at = (size_t)(next() % len);
            switch (next() % 6) {
            case 0: b[at] ^= (unsigned char)(1u << (next() % 8)); break;
            case 1: b[at] = (unsigned char)next(); break;
            case 2: b[at] = 0xFF; if (at + 1 < len) b[at + 1] = (unsigned char)(0xC0 + next() % 0x40); break;
            case 3: len = 2 + (size_t)(next() % (len - 2)); break;
            case 4: { size_t from = (size_t)(next() % len), n = 1 + (size_t)(next() % 16);
                      if (from + n <= len && at + n <= len) memmove(b + at, b + from, n); } break;
            case 5: { uint16_t v = (uint16_t)next(); if (at + 1 < len) { b[at] = (unsigned char)(v >> 8); b[at + 1] = (unsigned char)v; } } break;
            }
        }
        FILE *f = fopen(tmp, "wb");
        fwrite(b, 1, len, f);
        fclose(f);
        free(b);
        jpgc_image im;
        char err[256];
        jpgc_status st = jpgc_read(tmp, 4000000, &im, err, sizeof err);
        if (st == JPGC_OK) {
            if (!im.pixels || im.width == 0 || im.height == 0) { fprintf(stderr, "case %ld: OK without an image\n", c); return 1; }
            volatile unsigned sum = 0;
            for (size_t i = 0; i < (size_t)im.width * im.height * 3; i++) sum += im.pixels[i];
            ok++;
        } else {
            if (im.pixels || err[0] == 0) { fprintf(stderr, "case %ld: status %d with pixels or no message\n", c, st); return 1; }
            failed++;
        }
        jpgc_free(&im);
    }
    for (int i = 0; i < nseeds && i < 64; i++) free(seeds[i]);
    printf("%ld cases: %ld decoded, %ld refused with a message, no crash, no sanitizer report\n", cases, ok, failed);
    return 0;
}

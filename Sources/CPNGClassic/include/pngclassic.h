#ifndef PNGCLASSIC_H
#define PNGCLASSIC_H
/*
 * Raw PNG read/write through libpng's classic API.
 *
 * libpng reports errors with longjmp; Swift cannot survive a longjmp through its frames,
 * so setjmp/longjmp stay inside this C file and Swift only sees a status code plus a
 * NUL-terminated message.
 *
 * Reading expands every PNG flavour (1/2/4/8/16-bit; gray, gray+alpha, RGB, RGBA,
 * palette; tRNS; Adam7 interlace) to interleaved RGB or RGBA at 8 or 16 bits per sample.
 * Samples are the file's raw values: no gamma, sBIT or colour-space conversion.
 *
 * Pixel layout of pngc_image.pixels: height rows of width * channels samples, no padding;
 * a sample is one uint8_t (bit_depth 8) or one host-endian uint16_t (bit_depth 16).
 */
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t width, height;
    int channels;  /* 3 (RGB) or 4 (RGBA) */
    int bit_depth; /* 8 or 16 */
    void *pixels;  /* malloc'd by pngc_read, release with pngc_free; caller-owned for pngc_write */
} pngc_image;

/* Status codes. On an error the message buffer says what went wrong in a few words. */
typedef enum {
    PNGC_OK = 0,
    PNGC_ERR_OPEN = 1,      /* fopen failed; errno text in the message */
    PNGC_ERR_NOT_PNG = 2,   /* the first 8 bytes are not the PNG signature (or the file is empty) */
    PNGC_ERR_EMPTY = 3,     /* IHDR declares width or height 0 */
    PNGC_ERR_TOO_LARGE = 4, /* width * height over the caller's limit; width/height are filled in */
    PNGC_ERR_TRUNCATED = 5, /* the file ends before the image does */
    PNGC_ERR_CORRUPT = 6,   /* bad CRC, bad chunk, bad compressed data, bad IHDR field */
    PNGC_ERR_NOMEM = 7,
    PNGC_ERR_WRITE = 8,     /* an I/O error while writing */
    PNGC_ERR_ARGUMENT = 9   /* pngc_write was given an unsupported image description */
} pngc_status;

/* Reads `path`. The declared width * height is checked against max_pixels (and against 0)
   from the file's first 24 bytes, before libpng allocates anything. On success `out` owns
   a pixel buffer; on failure `out->pixels` is NULL (and, for PNGC_ERR_TOO_LARGE or
   PNGC_ERR_EMPTY, `out->width`/`out->height` hold the declared size). */
pngc_status pngc_read(const char *path, uint64_t max_pixels, pngc_image *out, char *err, size_t errlen);

/* Writes `img` (channels 3 or 4, bit_depth 8 or 16, non-interlaced) to `path`,
   creating or truncating it. */
pngc_status pngc_write(const char *path, const pngc_image *img, char *err, size_t errlen);

void pngc_free(pngc_image *img);

#endif

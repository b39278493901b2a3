#ifndef JPEGSHIM_H
#define JPEGSHIM_H
/*
 * JPEG read/write through libjpeg (libjpeg-turbo).
 *
 * libjpeg reports errors by calling error_exit, whose default prints and calls exit();
 * this shim installs an error manager that longjmps back into this file instead, so the
 * process never exits and Swift never sees a longjmp. Warnings that mean the data is
 * damaged (premature end of file, bad Huffman code, ...) are errors here too: libjpeg would
 * otherwise pad the image with grey and carry on.
 *
 * Reading accepts 8-bit baseline, extended and progressive JPEG with one (greyscale) or three
 * (YCbCr or RGB) components and returns interleaved 8-bit RGB. CMYK/YCCK and precisions
 * other than 8 bits are refused with JPGC_ERR_UNSUPPORTED. The EXIF APP1 payload (from the
 * TIFF header on), if any, is returned so the caller can apply the orientation.
 */
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t width, height; /* as stored in the file (before any EXIF orientation) */
    int components;         /* in the file: 1 (greyscale) or 3 */
    int progressive;        /* 1 for a progressive file */
    uint8_t *pixels;        /* width * height * 3 bytes, RGB; malloc'd, release with jpgc_free */
    uint8_t *exif;          /* the first "Exif\0\0" APP1 payload after those 6 bytes, or NULL */
    size_t exif_len;
} jpgc_image;

typedef enum {
    JPGC_OK = 0,
    JPGC_ERR_OPEN = 1,        /* fopen failed; errno text in the message */
    JPGC_ERR_NOT_JPEG = 2,    /* does not start with a JPEG SOI marker (or the file is empty) */
    JPGC_ERR_EMPTY = 3,       /* the frame header declares width or height 0 */
    JPGC_ERR_TOO_LARGE = 4,   /* width * height over the caller's limit; width/height filled in */
    JPGC_ERR_TRUNCATED = 5,   /* the file ends before the image does */
    JPGC_ERR_CORRUPT = 6,     /* bad markers, bad entropy-coded data */
    JPGC_ERR_NOMEM = 7,
    JPGC_ERR_WRITE = 8,       /* an I/O error while writing */
    JPGC_ERR_ARGUMENT = 9,    /* jpgc_write was given an unsupported image description */
    JPGC_ERR_UNSUPPORTED = 10 /* a valid JPEG this reader does not decode (CMYK, 12-bit, ...) */
} jpgc_status;

/* Reads `path`. The declared width * height is checked against max_pixels from the frame
   header, before any pixel memory is allocated. On failure `out->pixels` and `out->exif` are
   NULL (for JPGC_ERR_TOO_LARGE, `out->width`/`out->height` hold the declared size). */
jpgc_status jpgc_read(const char *path, uint64_t max_pixels, jpgc_image *out, char *err, size_t errlen);

/* Writes interleaved 8-bit RGB (width * height * 3 bytes) to `path`, creating or truncating
   it, at `quality` 1...100 (4:4:4 chroma at quality 90 and above, 4:2:0 below; optimised
   Huffman tables; baseline). */
jpgc_status jpgc_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       char *err, size_t errlen);

void jpgc_free(jpgc_image *img);

#endif

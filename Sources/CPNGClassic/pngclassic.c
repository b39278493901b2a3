#include "pngclassic.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything the libpng callbacks need: where to put the message, how to classify the
   failure, and the bytes we already read ourselves to check the header. */
typedef struct {
    char *err;
    size_t errlen;
    pngc_status status; /* set before png_error when the cause is known; else CORRUPT */
    FILE *fp;
    unsigned char prefix[24]; /* signature + IHDR length, type, width, height */
    size_t prefix_len, prefix_pos;
} pngc_ctx;

static void set_message(pngc_ctx *c, const char *msg) {
    if (c->err && c->errlen) {
        strncpy(c->err, msg, c->errlen - 1);
        c->err[c->errlen - 1] = 0;
    }
}

static void on_error(png_structp png, png_const_charp msg) {
    pngc_ctx *c = (pngc_ctx *)png_get_error_ptr(png);
    if (c->status == PNGC_OK) {
        c->status = strstr(msg, "memory") ? PNGC_ERR_NOMEM : PNGC_ERR_CORRUPT;
    }
    set_message(c, msg);
    png_longjmp(png, 1);
}

/* Warnings (unknown chunks, ancillary CRC errors, benign errors) do not stop a read. */
static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

/* Serves the header bytes we consumed first, then the file. A short read means the file
   ends early, which we report as truncation rather than libpng's generic "Read Error". */
static void read_fn(png_structp png, png_bytep data, size_t length) {
    pngc_ctx *c = (pngc_ctx *)png_get_io_ptr(png);
    size_t from_prefix = c->prefix_len - c->prefix_pos;
    if (from_prefix > length) from_prefix = length;
    memcpy(data, c->prefix + c->prefix_pos, from_prefix);
    c->prefix_pos += from_prefix;
    size_t rest = length - from_prefix;
    if (rest && fread(data + from_prefix, 1, rest, c->fp) != rest) {
        c->status = ferror(c->fp) ? PNGC_ERR_CORRUPT : PNGC_ERR_TRUNCATED;
        png_error(png, ferror(c->fp) ? "read error" : "file ends before the image does");
    }
}

static void write_fn(png_structp png, png_bytep data, size_t length) {
    pngc_ctx *c = (pngc_ctx *)png_get_io_ptr(png);
    if (fwrite(data, 1, length, c->fp) != length) {
        c->status = PNGC_ERR_WRITE;
        png_error(png, strerror(errno));
    }
}

static void flush_fn(png_structp png) {
    pngc_ctx *c = (pngc_ctx *)png_get_io_ptr(png);
    if (fflush(c->fp) != 0) {
        c->status = PNGC_ERR_WRITE;
        png_error(png, strerror(errno));
    }
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Reads the signature and the IHDR's width/height into c->prefix and checks them.
   Runs before libpng exists, so a hostile header costs 24 bytes of stack and nothing else. */
static pngc_status check_header(pngc_ctx *c, uint64_t max_pixels, pngc_image *out) {
    c->prefix_len = fread(c->prefix, 1, sizeof c->prefix, c->fp);
    if (c->prefix_len < 8 || png_sig_cmp(c->prefix, 0, 8) != 0) {
        if (ferror(c->fp)) {
            set_message(c, strerror(errno));
            return PNGC_ERR_OPEN;
        }
        set_message(c, c->prefix_len == 0 ? "the file is empty, not a PNG file" : "not a PNG file");
        return PNGC_ERR_NOT_PNG;
    }
    if (c->prefix_len < sizeof c->prefix) {
        set_message(c, "file ends inside the PNG header");
        return PNGC_ERR_TRUNCATED;
    }
    if (memcmp(c->prefix + 12, "IHDR", 4) != 0 || be32(c->prefix + 8) != 13) {
        set_message(c, "the first chunk is not a valid IHDR");
        return PNGC_ERR_CORRUPT;
    }
    uint32_t w = be32(c->prefix + 16), h = be32(c->prefix + 20);
    out->width = w;
    out->height = h;
    if (w == 0 || h == 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "declares a %ux%u image (width and height must be at least 1)", w, h);
        set_message(c, msg);
        return PNGC_ERR_EMPTY;
    }
    if (w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX) {
        set_message(c, "IHDR width or height exceeds 2^31-1");
        return PNGC_ERR_CORRUPT;
    }
    if ((uint64_t)w * (uint64_t)h > max_pixels) {
        char msg[128];
        snprintf(msg, sizeof msg, "declares %ux%u pixels, over the limit of %llu", w, h,
                 (unsigned long long)max_pixels);
        set_message(c, msg);
        return PNGC_ERR_TOO_LARGE;
    }
    return PNGC_OK;
}

pngc_status pngc_read(const char *path, uint64_t max_pixels, pngc_image *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    pngc_ctx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    c.errlen = errlen;
    set_message(&c, "");

    c.fp = fopen(path, "rb");
    if (!c.fp) {
        set_message(&c, strerror(errno));
        return PNGC_ERR_OPEN;
    }
    pngc_status st = check_header(&c, max_pixels, out);
    if (st != PNGC_OK) {
        fclose(c.fp);
        return st;
    }

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(c.fp);
        set_message(&c, "out of memory");
        return PNGC_ERR_NOMEM;
    }
    /* Modified after setjmp and read in the error path, hence volatile. */
    png_bytep *volatile rows = NULL;
    void *volatile pixels = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(pixels);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(c.fp);
        out->pixels = NULL;
        return c.status == PNGC_OK ? PNGC_ERR_CORRUPT : c.status;
    }
    png_set_read_fn(png, &c, read_fn);
    /* Our own limit (checked above) is the one that counts; lift libpng's 1e6-per-side cap. */
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_read_info(png, info);

    /* Expansion to RGB(A) at 8 or 16 bits, in libpng's documented order. */
    int ct = png_get_color_type(png, info);
    int bd = png_get_bit_depth(png, info);
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && bd < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (bd == 16 && host_is_little_endian()) png_set_swap(png); /* PNG is big-endian */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->channels = png_get_channels(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    if ((out->channels != 3 && out->channels != 4) || (out->bit_depth != 8 && out->bit_depth != 16)) {
        c.status = PNGC_ERR_CORRUPT;
        png_error(png, "unsupported pixel format after expansion");
    }
    size_t rowbytes = png_get_rowbytes(png, info);
    if (rowbytes != (size_t)out->width * (size_t)out->channels * (size_t)(out->bit_depth / 8)) {
        c.status = PNGC_ERR_CORRUPT;
        png_error(png, "unexpected row size after expansion");
    }
    pixels = malloc(rowbytes * out->height);
    rows = malloc(sizeof(png_bytep) * out->height);
    if (!pixels || !rows) {
        c.status = PNGC_ERR_NOMEM;
        png_error(png, "out of memory for the pixel buffer");
    }
    for (uint32_t y = 0; y < out->height; y++) rows[y] = (png_bytep)pixels + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL); /* reads up to IEND, so a missing tail is reported as truncation */

    free(rows);
    out->pixels = pixels;
    png_destroy_read_struct(&png, &info, NULL);
    fclose(c.fp);
    return PNGC_OK;
}

pngc_status pngc_write(const char *path, const pngc_image *img, char *err, size_t errlen) {
    pngc_ctx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    c.errlen = errlen;
    set_message(&c, "");
    if ((img->channels != 3 && img->channels != 4) || (img->bit_depth != 8 && img->bit_depth != 16) ||
        img->width == 0 || img->height == 0 || img->width > PNG_UINT_31_MAX || img->height > PNG_UINT_31_MAX ||
        !img->pixels) {
        set_message(&c, "unsupported image for writing (need 3 or 4 channels, 8 or 16 bits, non-empty)");
        return PNGC_ERR_ARGUMENT;
    }
    c.fp = fopen(path, "wb");
    if (!c.fp) {
        set_message(&c, strerror(errno));
        return PNGC_ERR_OPEN;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(c.fp);
        set_message(&c, "out of memory");
        return PNGC_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(c.fp);
        return c.status == PNGC_OK ? PNGC_ERR_WRITE : c.status;
    }
    png_set_write_fn(png, &c, write_fn, flush_fn);
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_IHDR(png, info, img->width, img->height, img->bit_depth,
                 img->channels == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (img->bit_depth == 16 && host_is_little_endian()) png_set_swap(png);
    size_t rowbytes = (size_t)img->width * (size_t)img->channels * (size_t)(img->bit_depth / 8);
    for (uint32_t y = 0; y < img->height; y++) png_write_row(png, (png_const_bytep)img->pixels + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    /* fclose flushes the last buffer: a full disk can first show up here. */
    if (fclose(c.fp) != 0) {
        set_message(&c, strerror(errno));
        return PNGC_ERR_WRITE;
    }
    return PNGC_OK;
}

void pngc_free(pngc_image *img) {
    free(img->pixels);
    img->pixels = NULL;
}

#include "jpegshim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* libjpeg's error manager plus where to jump and what to report. */
typedef struct {
    struct jpeg_error_mgr pub; /* first, so a j_common_ptr's err can be cast to this */
    jmp_buf jump;
    jpgc_status status; /* set before jumping */
    char *err;
    size_t errlen;
} jpgc_error_mgr;

static void set_message(char *err, size_t errlen, const char *msg) {
    if (err && errlen) {
        strncpy(err, msg, errlen - 1);
        err[errlen - 1] = 0;
    }
}

/* Maps libjpeg's message code to a status and a message, then leaves through longjmp. */
static void fail_with_message(j_common_ptr cinfo, jpgc_status fallback) {
    jpgc_error_mgr *m = (jpgc_error_mgr *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    jpgc_status st = fallback;
    switch (cinfo->err->msg_code) {
    case JERR_BAD_PRECISION: {
        char msg[160];
        snprintf(msg, sizeof msg, "%d-bit JPEG is not supported (only 8-bit samples)", cinfo->err->msg_parm.i[0]);
        set_message(m->err, m->errlen, msg);
        m->status = JPGC_ERR_UNSUPPORTED;
        longjmp(m->jump, 1);
    }
    case JERR_SOF_UNSUPPORTED:
    case JERR_NOT_COMPILED:
    case JERR_ARITH_NOTIMPL: st = JPGC_ERR_UNSUPPORTED; break;
    case JERR_OUT_OF_MEMORY: st = JPGC_ERR_NOMEM; break;
    case JERR_NO_SOI: st = JPGC_ERR_NOT_JPEG; break;
    case JERR_EMPTY_IMAGE: st = JPGC_ERR_EMPTY; break;
    case JERR_INPUT_EMPTY:
    case JWRN_JPEG_EOF:
        st = JPGC_ERR_TRUNCATED;
        strcpy(text, "file ends before the image does");
        break;
    default: break;
    }
    set_message(m->err, m->errlen, text);
    m->status = st;
    longjmp(m->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo) { fail_with_message(cinfo, JPGC_ERR_CORRUPT); }

/* msg_level -1 is a warning: the data is damaged and libjpeg would carry on with grey fill.
   Those that only describe metadata are let through; everything else fails the read.
   Levels >= 0 are trace messages, ignored. */
static void on_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) return;
    switch (cinfo->err->msg_code) {
    case JWRN_JFIF_MAJOR:  /* unknown JFIF revision: harmless */
    case JWRN_ADOBE_XFORM: /* unknown Adobe transform code: libjpeg guesses from the components */
    case JWRN_BOGUS_ICC:   /* a broken ICC profile marker: we do not use ICC profiles */
        return;
    default: fail_with_message(cinfo, JPGC_ERR_CORRUPT);
    }
}

static void no_output(j_common_ptr cinfo) { (void)cinfo; }

static void install_errors(jpgc_error_mgr *m, char *err, size_t errlen) {
    jpeg_std_error(&m->pub);
    m->pub.error_exit = on_error_exit;
    m->pub.emit_message = on_emit_message;
    m->pub.output_message = no_output;
    m->status = JPGC_OK;
    m->err = err;
    m->errlen = errlen;
}

jpgc_status jpgc_read(const char *path, uint64_t max_pixels, jpgc_image *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    set_message(err, errlen, "");
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        set_message(err, errlen, strerror(errno));
        return JPGC_ERR_OPEN;
    }
    /* SOI check before libjpeg: an empty or foreign file gets a plain message. */
    unsigned char soi[3];
    size_t got = fread(soi, 1, 3, fp);
    if (got < 3 || soi[0] != 0xFF || soi[1] != 0xD8 || soi[2] != 0xFF) {
        int e = ferror(fp) ? errno : 0;
        fclose(fp);
        if (e) {
            set_message(err, errlen, strerror(e));
            return JPGC_ERR_OPEN;
        }
        set_message(err, errlen, got == 0 ? "the file is empty, not a JPEG file" : "not a JPEG file");
        return JPGC_ERR_NOT_JPEG;
    }
    rewind(fp);

    struct jpeg_decompress_struct cinfo;
    jpgc_error_mgr jerr;
    install_errors(&jerr, err, errlen);
    cinfo.err = &jerr.pub;
    /* Modified after setjmp and read in the error path, hence volatile. */
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile exif = NULL;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        free(pixels);
        free(exif);
        out->pixels = NULL;
        out->exif = NULL;
        out->exif_len = 0;
        return jerr.status == JPGC_OK ? JPGC_ERR_CORRUPT : jerr.status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    out->width = cinfo.image_width;
    out->height = cinfo.image_height;
    out->components = cinfo.num_components;
    out->progressive = jpeg_has_multiple_scans(&cinfo) ? 1 : 0;
    if (cinfo.image_width == 0 || cinfo.image_height == 0) {
        jerr.status = JPGC_ERR_EMPTY;
        set_message(err, errlen, "the frame header declares an empty image");
        longjmp(jerr.jump, 1);
    }
    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        char msg[128];
        snprintf(msg, sizeof msg, "declares %ux%u pixels, over the limit of %llu", cinfo.image_width,
                 cinfo.image_height, (unsigned long long)max_pixels);
        jerr.status = JPGC_ERR_TOO_LARGE;
        set_message(err, errlen, msg);
        longjmp(jerr.jump, 1);
    }
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB: break;
    case JCS_CMYK:
    case JCS_YCCK:
        jerr.status = JPGC_ERR_UNSUPPORTED;
        set_message(err, errlen,
                    cinfo.jpeg_color_space == JCS_CMYK
                        ? "CMYK JPEG is not supported (convert it to RGB first)"
                        : "YCCK (CMYK) JPEG is not supported (convert it to RGB first)");
        longjmp(jerr.jump, 1);
    default: {
        char msg[128];
        snprintf(msg, sizeof msg, "JPEG with %d components of unknown colour space is not supported",
                 cinfo.num_components);
        jerr.status = JPGC_ERR_UNSUPPORTED;
        set_message(err, errlen, msg);
        longjmp(jerr.jump, 1);
    }
    }

    for (jpeg_saved_marker_ptr mk = cinfo.marker_list; mk; mk = mk->next) {
        if (mk->marker == JPEG_APP0 + 1 && mk->data_length > 6 && memcmp(mk->data, "Exif\0\0", 6) == 0) {
            exif = malloc(mk->data_length - 6);
            if (!exif) {
                jerr.status = JPGC_ERR_NOMEM;
                set_message(err, errlen, "out of memory for the EXIF block");
                longjmp(jerr.jump, 1);
            }
            memcpy(exif, mk->data + 6, mk->data_length - 6);
            out->exif_len = mk->data_length - 6;
            break;
        }
    }

    cinfo.out_color_space = JCS_RGB; /* libjpeg-turbo converts greyscale to RGB too */
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3 || cinfo.output_width != out->width || cinfo.output_height != out->height) {
        jerr.status = JPGC_ERR_CORRUPT;
        set_message(err, errlen, "unexpected output format after decoding");
        longjmp(jerr.jump, 1);
    }
    size_t rowbytes = (size_t)cinfo.output_width * 3;
    pixels = malloc(rowbytes * cinfo.output_height);
    if (!pixels) {
        jerr.status = JPGC_ERR_NOMEM;
        set_message(err, errlen, "out of memory for the pixel buffer");
        longjmp(jerr.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * rowbytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo); /* reads up to EOI, so a missing tail is reported */
    jpeg_destroy_decompress(&cinfo);
    fclose(fp);
    out->pixels = pixels;
    out->exif = exif;
    return JPGC_OK;
}

jpgc_status jpgc_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       char *err, size_t errlen) {
    set_message(err, errlen, "");
    if (!rgb || width == 0 || height == 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION ||
        quality < 1 || quality > 100) {
        char msg[160];
        snprintf(msg, sizeof msg, "cannot encode a %ux%u image at quality %d as JPEG (sides 1...%ld, quality 1...100)",
                 width, height, quality, (long)JPEG_MAX_DIMENSION);
        set_message(err, errlen, msg);
        return JPGC_ERR_ARGUMENT;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        set_message(err, errlen, strerror(errno));
        return JPGC_ERR_OPEN;
    }
    struct jpeg_compress_struct cinfo;
    jpgc_error_mgr jerr;
    install_errors(&jerr, err, errlen);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_compress(&cinfo);
        fclose(fp);
        return jerr.status == JPGC_OK || jerr.status == JPGC_ERR_CORRUPT ? JPGC_ERR_WRITE : jerr.status;
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, fp);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.optimize_coding = TRUE;
    if (quality >= 90) { /* full-resolution chroma: subsampling would cost more than the quantiser */
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    size_t rowbytes = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * rowbytes);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    /* libjpeg's stdio destination checks fwrite; fclose flushes the last buffer and can still fail. */
    if (ferror(fp)) {
        fclose(fp);
        set_message(err, errlen, "write error");
        return JPGC_ERR_WRITE;
    }
    if (fclose(fp) != 0) {
        set_message(err, errlen, strerror(errno));
        return JPGC_ERR_WRITE;
    }
    return JPGC_OK;
}

void jpgc_free(jpgc_image *img) {
    free(img->pixels);
    img->pixels = NULL;
    free(img->exif);
    img->exif = NULL;
    img->exif_len = 0;
}

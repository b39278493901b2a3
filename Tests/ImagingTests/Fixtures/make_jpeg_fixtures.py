#!/usr/bin/env python3
"""Writes the JPEG fixtures for JPEGCodecTests and the CLI tests, with Pillow (an encoder and an
EXIF implementation independent of ram's).

Run from the repository root: python3 Tests/ImagingTests/Fixtures/make_jpeg_fixtures.py
(needs Pillow). The files are committed; Swift tests never need Python.

    jpeg_rgb.jpg            48x32 smooth colour pattern, baseline, quality 95, 4:2:0
    jpeg_rgb.png            Pillow's decode of jpeg_rgb.jpg (an independent decoder's pixels)
    jpeg_progressive.jpg    the same pixels and quality, progressive (same coefficients, so the
                            same decode as jpeg_rgb.jpg)
    jpeg_gray.jpg / .png    48x32 greyscale (one component), baseline; and Pillow's decode
    jpeg_cmyk.jpg           48x32 CMYK (Adobe APP14 marker, transform 0)
    jpeg_ycck.jpg           jpeg_cmyk.jpg with the Adobe transform byte set to 2 (YCCK): a header
                            that declares YCCK; ram refuses it from the header
    jpeg_12bit.jpg          jpeg_rgb.jpg with its SOF0 turned into SOF1 declaring 12-bit samples
                            (Pillow cannot write 12-bit JPEG); ram refuses it from the header
    jpeg_truncated.jpg      the first half of jpeg_rgb.jpg
    jpeg_corrupt.jpg        jpeg_rgb.jpg with a restart marker (FF D0) written into the middle of
                            its entropy-coded data, which has no restart interval
    orient{1..8}.jpg        24x16 asymmetric pattern with EXIF orientation 1..8 (same pixels,
                            only the tag differs)
    orient{1..8}_upright.png  Pillow's ImageOps.exif_transpose of each
    photo_o6.jpg            a camera-style portrait: a 160x256 crop of Assets/samples/astronaut.png
                            stored turned to 256x160 with EXIF orientation 6, quality 90
    photo_o6_upright.png    Pillow's ImageOps.exif_transpose decode of photo_o6.jpg (160x256)
"""
import io
import os

from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def out(name):
    return os.path.join(HERE, name)


def pattern(w, h):
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255) // (w - 1), (y * 255) // (h - 1), (128 + 40 * ((x // 6 + y // 6) % 3)) % 256)
    return im


def exif(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


def main():
    rgb = pattern(48, 32)
    rgb.save(out("jpeg_rgb.jpg"), quality=95, subsampling=2)
    Image.open(out("jpeg_rgb.jpg")).convert("RGB").save(out("jpeg_rgb.png"))
    rgb.save(out("jpeg_progressive.jpg"), quality=95, subsampling=2, progressive=True)
    gray = rgb.convert("L")
    gray.save(out("jpeg_gray.jpg"), quality=95)
    Image.open(out("jpeg_gray.jpg")).convert("RGB").save(out("jpeg_gray.png"))
    rgb.convert("CMYK").save(out("jpeg_cmyk.jpg"), quality=95)

    cmyk = bytearray(open(out("jpeg_cmyk.jpg"), "rb").read())
    i = cmyk.find(b"\xff\xee")  # APP14 "Adobe": length(2) "Adobe"(5) version(2) flags0(2) flags1(2) transform(1)
    assert i > 0 and cmyk[i + 4:i + 9] == b"Adobe", "no Adobe marker in the CMYK file"
    cmyk[i + 15] = 2
    open(out("jpeg_ycck.jpg"), "wb").write(cmyk)

    base = open(out("jpeg_rgb.jpg"), "rb").read()
    i = base.find(b"\xff\xc0")
    assert i > 0 and base[i + 4] == 8
    twelve = bytearray(base)
    twelve[i + 1] = 0xC1
    twelve[i + 4] = 12
    open(out("jpeg_12bit.jpg"), "wb").write(twelve)

    open(out("jpeg_truncated.jpg"), "wb").write(base[: len(base) // 2])
    sos = base.find(b"\xff\xda")
    data_start = sos + 2 + int.from_bytes(base[sos + 2:sos + 4], "big")
    middle = (data_start + len(base) - 2) // 2
    corrupt = bytearray(base)
    corrupt[middle:middle + 2] = b"\xff\xd0"
    open(out("jpeg_corrupt.jpg"), "wb").write(corrupt)

    small = pattern(24, 16)
    for k in range(1, 9):
        small.save(out(f"orient{k}.jpg"), quality=95, exif=exif(k))
        ImageOps.exif_transpose(Image.open(out(f"orient{k}.jpg"))).convert("RGB").save(out(f"orient{k}_upright.png"))

    astro = Image.open(os.path.join(ROOT, "Assets", "samples", "astronaut.png")).convert("RGB")
    portrait = astro.crop((112, 40, 272, 296))  # 160x256, upright
    stored = portrait.transpose(Image.Transpose.ROTATE_90)  # 256x160; orientation 6 turns it back
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=90, exif=exif(6))
    open(out("photo_o6.jpg"), "wb").write(buf.getvalue())
    upright = ImageOps.exif_transpose(Image.open(out("photo_o6.jpg"))).convert("RGB")
    assert upright.size == (160, 256)
    upright.save(out("photo_o6_upright.png"), optimize=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the PNG fixtures for PNGCodecTests, using only zlib and struct.

Run from anywhere: python3 Tests/ImagingTests/Fixtures/make_png_fixtures.py
The PNGs are committed; Swift tests never need Python.

Every valid fixture is 7x5 pixels (odd sizes exercise sub-byte row padding and all seven
Adam7 passes) with samples given by the formulas below. PNGCodecTests.swift repeats these
formulas and checks every decoded sample exactly: keep the two in step.

    gray(x, y, bits)   = (3x + 5y) mod 2^bits
    gray16(x, y)       = (4099x + 3341y + 1) mod 65536
    graya8(x, y)       = gray (30x + 7y) mod 256, alpha (11x + 50y + 3) mod 256
    graya16(x, y)      = gray gray16(x, y), alpha (60000 - 1234x - 777y) mod 65536
    rgb8(x, y)         = ((40x + 3y) mod 256, (50y + x) mod 256, (9xy + 17) mod 256)
    rgb16(x, y)        = ((5000x + 300y + 1) mod 65536, (7000y + 13x) mod 65536, (1111xy + 255) mod 65536)
    rgba8(x, y)        = rgb8(x, y) with alpha (20x + 30y + 5) mod 256
    palette index      = (x + 2y) mod 2^bits; entry k = ((60k) mod 256, (25k) mod 256, (255 - 10k) mod 256)
    palette tRNS       = alpha 40k for k < 3, 255 beyond
    gray8_trns         = gray(x, y, 4) stored as 8-bit, tRNS gray 3 -> alpha 0 there, 255 elsewhere
    rgb8_trns          = rgb8, tRNS colour rgb8(0, 0) -> alpha 0 where equal, 255 elsewhere
"""
import os
import struct
import zlib

W, H = 7, 5
HERE = os.path.dirname(os.path.abspath(__file__))

# colour types
GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6
CHANNELS = {GRAY: 1, RGB: 3, PALETTE: 1, GRAY_ALPHA: 2, RGBA: 4}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def ihdr(width, height, bits, color_type, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, color_type, 0, 0, interlace))


def pack_row(samples, bits):
    """One scanline's samples (flat, channel-interleaved) -> bytes, MSB first, padded."""
    if bits == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if bits == 8:
        return bytes(samples)
    out, acc, used = bytearray(), 0, 0
    for s in samples:
        acc = (acc << bits) | s
        used += bits
        if used == 8:
            out.append(acc)
            acc, used = 0, 0
    if used:
        out.append(acc << (8 - used))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def raw_data(pixel, bits, interlace):
    """Filter-type-0 scanlines; pixel(x, y) returns that pixel's samples as a tuple."""
    if not interlace:
        passes = [(0, 0, 1, 1)]
    else:
        passes = ADAM7
    out = bytearray()
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, W, dx))
        ys = list(range(y0, H, dy))
        if not xs or not ys:
            continue
        for y in ys:
            samples = [s for x in xs for s in pixel(x, y)]
            out += b"\x00" + pack_row(samples, bits)
    return bytes(out)


def png(pixel, bits, color_type, interlace=0, extra=b""):
    data = zlib.compress(raw_data(pixel, bits, interlace), 9)
    return (b"\x89PNG\r\n\x1a\n" + ihdr(W, H, bits, color_type, interlace) + extra
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def gray(x, y, bits):
    return (3 * x + 5 * y) % (1 << bits)


def gray16(x, y):
    return (4099 * x + 3341 * y + 1) % 65536


def rgb8(x, y):
    return ((40 * x + 3 * y) % 256, (50 * y + x) % 256, (9 * x * y + 17) % 256)


def rgb16(x, y):
    return ((5000 * x + 300 * y + 1) % 65536, (7000 * y + 13 * x) % 65536, (1111 * x * y + 255) % 65536)


def palette_chunk(bits):
    n = 1 << bits
    entries = b"".join(bytes(((60 * k) % 256, (25 * k) % 256, (255 - 10 * k) % 256)) for k in range(n))
    return chunk(b"PLTE", entries)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    fixtures = {}
    for bits in (1, 2, 4, 8):
        fixtures[f"gray{bits}.png"] = png(lambda x, y, b=bits: (gray(x, y, b),), bits, GRAY)
    fixtures["gray16.png"] = png(lambda x, y: (gray16(x, y),), 16, GRAY)
    fixtures["graya8.png"] = png(lambda x, y: ((30 * x + 7 * y) % 256, (11 * x + 50 * y + 3) % 256), 8, GRAY_ALPHA)
    fixtures["graya16.png"] = png(
        lambda x, y: (gray16(x, y), (60000 - 1234 * x - 777 * y) % 65536), 16, GRAY_ALPHA)
    fixtures["rgb8.png"] = png(rgb8, 8, RGB)
    fixtures["rgb16.png"] = png(rgb16, 16, RGB)
    fixtures["rgba8.png"] = png(lambda x, y: rgb8(x, y) + ((20 * x + 30 * y + 5) % 256,), 8, RGBA)
    for bits in (1, 2, 4, 8):
        fixtures[f"palette{bits}.png"] = png(
            lambda x, y, b=bits: ((x + 2 * y) % (1 << b),), bits, PALETTE, extra=palette_chunk(bits))
    trns = chunk(b"tRNS", bytes((0, 40, 80)))
    fixtures["palette8_trns.png"] = png(
        lambda x, y: ((x + 2 * y) % 256,), 8, PALETTE, extra=palette_chunk(8) + trns)
    fixtures["gray8_trns.png"] = png(
        lambda x, y: (gray(x, y, 4),), 8, GRAY, extra=chunk(b"tRNS", struct.pack(">H", 3)))
    fixtures["rgb8_trns.png"] = png(rgb8, 8, RGB, extra=chunk(b"tRNS", struct.pack(">HHH", *rgb8(0, 0))))
    fixtures["rgb8_interlaced.png"] = png(rgb8, 8, RGB, interlace=1)
    fixtures["gray2_interlaced.png"] = png(lambda x, y: (gray(x, y, 2),), 2, GRAY, interlace=1)
    fixtures["rgb16_interlaced.png"] = png(rgb16, 16, RGB, interlace=1)

    # Broken files.
    good = fixtures["rgb8.png"]
    fixtures["truncated.png"] = good[: len(good) // 2]
    fixtures["header_only.png"] = good[:20]
    idat = good.index(b"IDAT")
    length = struct.unpack(">I", good[idat - 4: idat])[0]
    crc_at = idat + 4 + length
    fixtures["bad_crc.png"] = good[:crc_at] + bytes(b ^ 0xFF for b in good[crc_at: crc_at + 4]) + good[crc_at + 4:]
    # Valid CRC, but the zlib stream is garbage.
    garbage = bytes((i * 37 + 11) % 256 for i in range(40))
    fixtures["bad_data.png"] = (b"\x89PNG\r\n\x1a\n" + ihdr(W, H, 8, RGB) + chunk(b"IDAT", garbage)
                                + chunk(b"IEND", b""))
    fixtures["not_png.png"] = b"This is a text file, not a PNG image.\n"
    fixtures["empty.png"] = b""
    tiny = chunk(b"IDAT", zlib.compress(b"\x00" * 4)) + chunk(b"IEND", b"")
    fixtures["zero_width.png"] = b"\x89PNG\r\n\x1a\n" + ihdr(0, 5, 8, RGB) + tiny
    # 100000 x 100000 RGB would need 30 GB: the decoder must refuse it from the header alone.
    fixtures["huge.png"] = b"\x89PNG\r\n\x1a\n" + ihdr(100000, 100000, 8, RGB) + tiny

    for name, data in sorted(fixtures.items()):
        write(name, data)


if __name__ == "__main__":
    main()

"""16-bit RGB PNG I/O without Pillow (which cannot write 16-bit colour): the files `ram degrade`
answers with the same bit depth, so the training scripts read its response to 1/65535.

- `write_png16`: floats in [0, 1] (or uint16 codes) -> 16-bit RGB PNG, filter 0, zlib.
- `read_png16_codes`: -> (H, W, 3) uint16 codes, exactly: the system libpng's simplified API
  through ctypes (a 16-bit file without gAMA/sRGB/iCCP/cHRM is read as linear, i.e. untouched),
  else a pure-numpy decoder (all five filters, non-interlaced).
- `read_png16`: the same as floats in [0, 1].

Used by ram_training.eval (blur kernels for the Wiener baseline) and ram_training.gpu.ramio.
Needs numpy only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
import zlib

import numpy as np


def write_png16(path: str, rgb: np.ndarray, level: int = 1):
    """(H, W, 3) floats in [0, 1] (or uint16 codes) -> 16-bit RGB PNG, filter 0."""
    if rgb.dtype == np.uint16:
        codes = rgb
    else:
        codes = np.round(np.clip(rgb, 0, 1) * 65535).astype(np.uint16)
    h, w, _ = codes.shape
    body = np.empty((h, 1 + w * 6), np.uint8)
    body[:, 0] = 0
    body[:, 1:] = codes.astype(">u2").view(np.uint8).reshape(h, w * 6)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(body.tobytes(), level)) + chunk(b"IEND", b""))


class _PngImage(ctypes.Structure):
    _fields_ = [("opaque", ctypes.c_void_p), ("version", ctypes.c_uint32), ("width", ctypes.c_uint32),
                ("height", ctypes.c_uint32), ("format", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("colormap_entries", ctypes.c_uint32), ("warning_or_error", ctypes.c_uint32),
                ("message", ctypes.c_char * 64)]


_LIBPNG = None


def _libpng():
    global _LIBPNG
    if _LIBPNG is None:
        name = ctypes.util.find_library("png16") or ctypes.util.find_library("png")
        lib = False
        if name:
            try:
                lib = ctypes.CDLL(name)
                lib.png_image_begin_read_from_file.argtypes = [ctypes.POINTER(_PngImage), ctypes.c_char_p]
                lib.png_image_finish_read.argtypes = [ctypes.POINTER(_PngImage), ctypes.c_void_p, ctypes.c_void_p,
                                                      ctypes.c_int32, ctypes.c_void_p]
                lib.png_image_free.argtypes = [ctypes.POINTER(_PngImage)]
            except (OSError, AttributeError):
                lib = False
        _LIBPNG = lib
    return _LIBPNG


def png_chunks(path: str) -> tuple[dict, list[str]]:
    """IHDR fields and the chunk names of a PNG (headers only)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, names, ihdr = 8, [], None
    while pos + 8 <= len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8])
        if tag == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[pos + 8:pos + 21])
            ihdr = {"width": w, "height": h, "depth": depth, "color_type": ctype, "interlace": interlace}
        names.append(tag.decode("latin-1"))
        pos += 12 + n
    return ihdr, names


def read_png16_codes(path: str) -> np.ndarray:
    """A 16-bit RGB PNG -> (H, W, 3) uint16 codes, exactly."""
    ihdr, names = png_chunks(path)
    if ihdr is None or ihdr["depth"] != 16 or ihdr["color_type"] != 2:
        raise ValueError(f"{path}: expected 16-bit RGB, got {ihdr}")
    colour = {"gAMA", "sRGB", "iCCP", "cHRM"} & set(names)
    lib = _libpng()
    if lib and not colour:
        img = _PngImage()
        img.version = 1
        if not lib.png_image_begin_read_from_file(ctypes.byref(img), path.encode()):
            raise ValueError(f"{path}: libpng: {img.message.decode(errors='replace')}")
        img.format = 0x06  # PNG_FORMAT_LINEAR_RGB: 16-bit components, no conversion for a linear file
        out = np.empty((img.height, img.width, 3), np.uint16)
        ok = lib.png_image_finish_read(ctypes.byref(img), None, out.ctypes.data, img.width * 3, None)
        if not ok:
            msg = img.message.decode(errors="replace")
            lib.png_image_free(ctypes.byref(img))
            raise ValueError(f"{path}: libpng: {msg}")
        return out
    return _read_png16_numpy(path)


def _read_png16_numpy(path: str) -> np.ndarray:
    """Slow pure-numpy fallback (all five PNG filters), non-interlaced 16-bit RGB."""
    data = open(path, "rb").read()
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if tag == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 16 or ctype != 2 or interlace:
        raise ValueError(f"{path}: expected non-interlaced 16-bit RGB")
    bpp, stride = 6, w * 6
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(stride, np.int64)
            for x in range(0, stride, bpp):
                a = cur[x - bpp:x] if x else np.zeros(bpp, np.int64)
                b = prev[x:x + bpp]
                c = prev[x - bpp:x] if x else np.zeros(bpp, np.int64)
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
                    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
                cur[x:x + bpp] = (line[x:x + bpp] + pred) & 255
        out[y], prev = cur, cur
    return ((out[:, 0::2] << 8) | out[:, 1::2]).reshape(h, w, 3).astype(np.uint16)


def read_png16(path: str) -> np.ndarray:
    """A 16-bit RGB PNG -> (H, W, 3) float64 in [0, 1]."""
    return read_png16_codes(path).astype(np.float64) / 65535.0

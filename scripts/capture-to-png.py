#!/usr/bin/env python3
"""Render a terminal capture with colours (`tmux capture-pane -e -p`) to a PNG.

Usage: scripts/capture-to-png.py CAPTURE.txt OUT.png [--cell 6] [--colors 256] [--force]

Every terminal cell becomes CELL pixels wide and 2·CELL pixels tall, so the viewer's
half-block pixels (▀ ▄ █, space) come out square, each CELL×CELL. Colours come from the
SGR sequences of the capture: truecolor (38;2;r;g;b / 48;2;r;g;b), 256-colour
(38;5;n / 48;5;n), the 16 basic colours, bold, reverse and the defaults (39 / 49 / 0);
the state carries over line ends, as tmux writes it. Any other character is drawn as text
with DejaVu Sans Mono (Pillow's default font when it is missing) in its cell.

`--colors N` stores the PNG with an adaptive palette of N colours (0 keeps RGB); the
half-block images of the README fit in well under 200 KB that way. The output is written
to a temporary file beside OUT and renamed; an existing OUT is kept unless --force.

Needs Pillow (`pip install pillow`).
"""
import argparse
import os
import re
import sys
import tempfile

from PIL import Image, ImageDraw, ImageFont

DEFAULT_FG = (220, 220, 220)
DEFAULT_BG = (18, 18, 22)
FONT_PATHS = ["/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"]
BASIC = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16),
         (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
         (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
         (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][A-Za-z0-9])")


def xterm256(n):
    """The xterm 256-colour palette: 16 basic, a 6×6×6 cube, 24 greys."""
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    g = 8 + 10 * (n - 232)
    return (g, g, g)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None  # None = the terminal's default
        self.bg = None
        self.bold = False
        self.reverse = False

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 22:
                self.bold = False
            elif c == 7:
                self.reverse = True
            elif c == 27:
                self.reverse = False
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = tuple(max(0, min(255, v)) for v in codes[i + 2:i + 5])
                    i += 4
                elif codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = xterm256(codes[i + 2] % 256)
                    i += 2
                else:
                    colour = None
                if c == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif 30 <= c <= 37:
                self.fg = BASIC[c - 30]
            elif 40 <= c <= 47:
                self.bg = BASIC[c - 40]
            elif 90 <= c <= 97:
                self.fg = BASIC[c - 90 + 8]
            elif 100 <= c <= 107:
                self.bg = BASIC[c - 100 + 8]
            i += 1

    def colours(self):
        fg = self.fg or DEFAULT_FG
        bg = self.bg or DEFAULT_BG
        return (bg, fg) if self.reverse else (fg, bg)


def parse(text):
    """Rows of cells (char, fg, bg, bold), the SGR state carried across lines."""
    style = Style()
    rows = []
    for line in text.split("\n"):
        cells = []
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                style.apply(m.group(1))
                pos = m.end()
                continue
            m = OTHER_ESCAPE.match(line, pos)
            if m:
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            if ch < " ":
                continue
            fg, bg = style.colours()
            cells.append((ch, fg, bg, style.bold))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def load_font(size):
    for path in FONT_PATHS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def render(rows, cell):
    cols = max((len(r) for r in rows), default=1)
    w, h = cell, 2 * cell
    img = Image.new("RGB", (cols * w, len(rows) * h), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    font = load_font(max(6, int(1.6 * cell)))
    for y, row in enumerate(rows):
        for x, (ch, fg, bg, bold) in enumerate(row):
            x0, y0 = x * w, y * h
            if ch == "▀":
                top, bottom = fg, bg
            elif ch == "▄":
                top, bottom = bg, fg
            elif ch == "█":
                top = bottom = fg
            elif ch == " ":
                top = bottom = bg
            else:
                draw.rectangle([x0, y0, x0 + w - 1, y0 + h - 1], fill=bg)
                if bold:
                    fg = tuple(min(255, v + 30) for v in fg)
                draw.text((x0 + w / 2, y0 + h / 2), ch, fill=fg, font=font, anchor="mm")
                continue
            draw.rectangle([x0, y0, x0 + w - 1, y0 + cell - 1], fill=top)
            draw.rectangle([x0, y0 + cell, x0 + w - 1, y0 + h - 1], fill=bottom)
    return img


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture", help="output of `tmux capture-pane -e -p` (- for stdin)")
    ap.add_argument("out", help="PNG to write")
    ap.add_argument("--cell", type=int, default=6, help="cell width in pixels (height is twice that)")
    ap.add_argument("--colors", type=int, default=256, help="palette size of the PNG (0: RGB)")
    ap.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = ap.parse_args()
    if args.cell < 1:
        sys.exit("capture-to-png: --cell must be at least 1")
    if os.path.exists(args.out) and not args.force:
        sys.exit(f"capture-to-png: {args.out} exists (use --force to replace it)")
    try:
        text = sys.stdin.read() if args.capture == "-" else open(args.capture, encoding="utf-8").read()
    except OSError as e:
        sys.exit(f"capture-to-png: cannot read {args.capture}: {e.strerror}")
    rows = parse(text)
    if not rows:
        sys.exit(f"capture-to-png: {args.capture} holds no terminal cells")
    img = render(rows, args.cell)
    if args.colors:
        img = img.quantize(colors=args.colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    directory = os.path.dirname(os.path.abspath(args.out))
    fd, tmp = tempfile.mkstemp(prefix=".capture-", suffix=".png", dir=directory)
    os.close(fd)
    try:
        img.save(tmp, optimize=True)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, args.out)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"{args.out}: {img.width}×{img.height}, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()

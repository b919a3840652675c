#!/usr/bin/env python3
"""Render a terminal capture with ANSI colours (tmux capture-pane -e -p) to PNG.

Usage: tui_render_png.py CAPTURE.ansi OUT.png [--font DejaVuSansMono.ttf] [--cols N]

Needs Pillow (pip install pillow into a throwaway venv) and a monospace font
(Debian: fonts-dejavu-core). Box-drawing lines are drawn as lines so that
borders join across rows whatever the font's line height.
"""

import argparse
import re
import sys

from PIL import Image, ImageDraw, ImageFont

# A dark palette (VS Code's "Dark+" terminal colours) for the 16 ANSI colours.
PALETTE = [
    (0x1E, 0x1E, 0x1E), (0xCD, 0x31, 0x31), (0x0D, 0xBC, 0x79), (0xE5, 0xE5, 0x10),
    (0x24, 0x72, 0xC8), (0xBC, 0x3F, 0xBC), (0x11, 0xA8, 0xCD), (0xE5, 0xE5, 0xE5),
    (0x66, 0x66, 0x66), (0xF1, 0x4C, 0x4C), (0x23, 0xD1, 0x8B), (0xF5, 0xF5, 0x43),
    (0x3B, 0x8E, 0xEA), (0xD6, 0x70, 0xD6), (0x29, 0xB8, 0xDB), (0xFF, 0xFF, 0xFF),
]
BACKGROUND = (0x17, 0x19, 0x1E)
FOREGROUND = (0xD4, 0xD4, 0xD4)
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][0-9A-B])")


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = False
        self.underline = self.reverse = self.strike = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 9:
                self.strike = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif c == 29:
                self.strike = False
            elif 30 <= c <= 37:
                self.fg = PALETTE[c - 30]
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = PALETTE[c - 40]
            elif c == 49:
                self.bg = None
            elif 90 <= c <= 97:
                self.fg = PALETTE[c - 90 + 8]
            elif 100 <= c <= 107:
                self.bg = PALETTE[c - 100 + 8]
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = tuple(codes[i + 2 : i + 5])
                    i += 4
                else:
                    colour = None
                if c == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1


def parse(text, cols):
    rows = []
    for line in text.split("\n"):
        line = OTHER_ESCAPE.sub("", line)
        # tmux carries the attributes of one line into the next.
        style = Style() if not rows else rows[-1][1]
        cells = []
        pos = 0
        for m in SGR.finditer(line):
            for ch in line[pos : m.start()]:
                cells.append((ch, style.copy()))
            style.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            cells.append((ch, style.copy()))
        cells = cells[:cols]
        while len(cells) < cols:
            cells.append((" ", Style()))
        rows.append((cells, style))
    while rows and all(ch == " " for ch, _ in rows[-1][0]):
        rows.pop()
    return [cells for cells, _ in rows]


# Light box drawing: which arms (up, down, left, right) each character has.
BOX = {
    "─": (0, 0, 1, 1), "│": (1, 1, 0, 0), "┌": (0, 1, 0, 1), "┐": (0, 1, 1, 0),
    "└": (1, 0, 0, 1), "┘": (1, 0, 1, 0), "├": (1, 1, 0, 1), "┤": (1, 1, 1, 0),
    "┬": (0, 1, 1, 1), "┴": (1, 0, 1, 1), "┼": (1, 1, 1, 1),
}


def mix(a, b, t):
    return tuple(int(x * (1 - t) + y * t) for x, y in zip(a, b))


def render(rows, out, font_path, bold_path, size):
    font = ImageFont.truetype(font_path, size)
    bold = ImageFont.truetype(bold_path, size)
    ascent, descent = font.getmetrics()
    cw = round(font.getlength("M"))
    ch = ascent + descent + 2
    cols = max(len(r) for r in rows)
    pad = 18
    bar = 30
    width, height = cols * cw + 2 * pad, len(rows) * ch + 2 * pad + bar
    img = Image.new("RGB", (width, height), (0x0E, 0x10, 0x14))
    draw = ImageDraw.Draw(img)
    # A window: rounded panel, title bar with three dots.
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=10, fill=BACKGROUND, outline=(0x30, 0x33, 0x3A))
    for i, colour in enumerate([(0xFF, 0x5F, 0x57), (0xFE, 0xBC, 0x2E), (0x28, 0xC8, 0x40)]):
        x = pad + i * 20
        draw.ellipse((x, 10, x + 12, 22), fill=colour)
    top = pad + bar - 8
    for y, cells in enumerate(rows):
        for x, (glyph, st) in enumerate(cells):
            fg = st.fg or FOREGROUND
            bg = st.bg
            if st.reverse:
                fg, bg = (bg or BACKGROUND), fg
            if st.dim:
                fg = mix(fg, BACKGROUND, 0.45)
            x0, y0 = pad + x * cw, top + y * ch
            if bg is not None:
                draw.rectangle((x0, y0, x0 + cw - 1, y0 + ch - 1), fill=bg)
            if glyph in BOX:
                up, down, left, right = BOX[glyph]
                cx, cy = x0 + cw // 2, y0 + ch // 2
                if left:
                    draw.line((x0, cy, cx, cy), fill=fg)
                if right:
                    draw.line((cx, cy, x0 + cw, cy), fill=fg)
                if up:
                    draw.line((cx, y0, cx, cy), fill=fg)
                if down:
                    draw.line((cx, cy, cx, y0 + ch), fill=fg)
            elif glyph != " ":
                draw.text((x0, y0 + 1), glyph, font=bold if st.bold else font, fill=fg)
            if st.underline:
                draw.line((x0, y0 + ch - 2, x0 + cw, y0 + ch - 2), fill=fg)
            if st.strike:
                draw.line((x0, y0 + ch // 2, x0 + cw, y0 + ch // 2), fill=fg)
    img.save(out)
    return img.size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--font", default="/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    ap.add_argument("--bold-font", default="/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--size", type=int, default=15)
    args = ap.parse_args()
    with open(args.capture, encoding="utf-8") as f:
        rows = parse(f.read(), args.cols)
    size = render(rows, args.out, args.font, args.bold_font, args.size)
    print(f"{args.out}: {size[0]}x{size[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()

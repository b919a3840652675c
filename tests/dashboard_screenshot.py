#!/usr/bin/env python3
"""The README's screenshot of the dashboard: a real run against moto, in tmux,
captured with its colours and rendered to PNG.

Needs Pillow (in a throwaway venv) and DejaVu Sans Mono (Debian:
fonts-dejavu-core); `demo` also needs tmux and the test venv (`.venv`, made by
tests/run.sh: moto server and botocore).

    python3 -m venv /tmp/shot && /tmp/shot/bin/pip install pillow
    # a fresh run: moto, init + apply, the dashboard in tmux fed for ~2 min, captured
    /tmp/shot/bin/python tests/dashboard_screenshot.py demo assets/screenshots/dashboard.png
    # or render any capture (`tmux capture-pane -e -p`), e.g. the one
    # `cargo test --test it dashboard_moto::` leaves behind:
    /tmp/shot/bin/python tests/dashboard_screenshot.py render \\
        target/tmp/dashboard/dashboard.ansi assets/screenshots/dashboard.png
"""

import json
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_SIZE = 15
MARGIN = 14

# A dark palette for the 16 ANSI colours (One Dark-like), then xterm's cube and greys.
BASE16 = [
    "#282c34", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#abb2bf",
    "#5c6370", "#ef7b85", "#a8d38a", "#f0cf8f", "#7cc0f5", "#d290e6", "#6fcbd6", "#ffffff",
]
DEFAULT_FG = "#d7dae0"
DEFAULT_BG = "#1e2127"


def hex_rgb(h):
    return tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))


def xterm(n):
    if n < 16:
        return hex_rgb(BASE16[n])
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return (g, g, g)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
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
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = xterm(c - 30)
            elif 90 <= c <= 97:
                self.fg = xterm(c - 90 + 8)
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = xterm(c - 40)
            elif 100 <= c <= 107:
                self.bg = xterm(c - 100 + 8)
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    color = xterm(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    color = tuple(codes[i + 2 : i + 5])
                    i += 4
                else:
                    color = None
                if c == 38:
                    self.fg = color
                else:
                    self.bg = color
            i += 1


CSI = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")


def parse(text):
    """Rows of (char, Style) cells."""
    rows = []
    style = Style()
    for line in text.rstrip("\n").split("\n"):
        row = []
        pos = 0
        for m in CSI.finditer(line):
            for ch in line[pos : m.start()]:
                row.append((ch, style.copy()))
            if m.group(2) == "m":
                style.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            row.append((ch, style.copy()))
        rows.append(row)
    return rows


def blend(a, b, t):
    return tuple(round(x * (1 - t) + y * t) for x, y in zip(a, b))


def render(ansi_path, png_path, cols=None, rows_n=None):
    from PIL import Image, ImageDraw, ImageFont

    regular = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono.ttf"), FONT_SIZE)
    bold = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), FONT_SIZE)
    ascent, descent = regular.getmetrics()
    cw = round(regular.getlength("M"))
    ch = ascent + descent
    rows = parse(Path(ansi_path).read_text(encoding="utf-8"))
    cols = cols or max(len(r) for r in rows)
    rows_n = rows_n or len(rows)
    fg0, bg0 = hex_rgb(DEFAULT_FG), hex_rgb(DEFAULT_BG)
    img = Image.new("RGB", (cols * cw + 2 * MARGIN, rows_n * ch + 2 * MARGIN), bg0)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows[:rows_n]):
        for x, (char, st) in enumerate(row[:cols]):
            fg = st.fg or fg0
            bg = st.bg or bg0
            if st.reverse:
                fg, bg = bg, fg
            if st.dim:
                fg = blend(fg, bg, 0.45)
            left, top = MARGIN + x * cw, MARGIN + y * ch
            if bg != bg0:
                draw.rectangle([left, top, left + cw - 1, top + ch - 1], fill=bg)
            if char == " ":
                continue
            if not block_glyph(draw, char, left, top, cw, ch, fg):
                draw.text((left, top), char, font=bold if st.bold else regular, fill=fg)
            if st.underline:
                draw.line([left, top + ascent + 1, left + cw - 1, top + ascent + 1], fill=fg)
    Path(png_path).parent.mkdir(parents=True, exist_ok=True)
    img.save(png_path, optimize=True)
    print(f"wrote {png_path} ({img.width}×{img.height})")


def block_glyph(draw, char, left, top, cw, ch, fg):
    """Box drawing and block elements drawn on the cell grid, so they join up."""
    o = ord(char)
    mid_x, mid_y = left + cw // 2, top + ch // 2
    right, bottom = left + cw - 1, top + ch - 1
    lines = {
        "─": [(left, mid_y, right, mid_y)],
        "│": [(mid_x, top, mid_x, bottom)],
        "┌": [(mid_x, mid_y, right, mid_y), (mid_x, mid_y, mid_x, bottom)],
        "┐": [(left, mid_y, mid_x, mid_y), (mid_x, mid_y, mid_x, bottom)],
        "└": [(mid_x, top, mid_x, mid_y), (mid_x, mid_y, right, mid_y)],
        "┘": [(mid_x, top, mid_x, mid_y), (left, mid_y, mid_x, mid_y)],
        "├": [(mid_x, top, mid_x, bottom), (mid_x, mid_y, right, mid_y)],
        "┤": [(mid_x, top, mid_x, bottom), (left, mid_y, mid_x, mid_y)],
        "┬": [(left, mid_y, right, mid_y), (mid_x, mid_y, mid_x, bottom)],
        "┴": [(left, mid_y, right, mid_y), (mid_x, top, mid_x, mid_y)],
        "┼": [(left, mid_y, right, mid_y), (mid_x, top, mid_x, bottom)],
    }
    if char in lines:
        for seg in lines[char]:
            draw.line(seg, fill=fg)
        return True
    if char == "║":
        draw.line((mid_x - 1, top, mid_x - 1, bottom), fill=fg)
        draw.line((mid_x + 1, top, mid_x + 1, bottom), fill=fg)
        return True
    if 0x2581 <= o <= 0x2588:  # ▁..█: lower eighths
        h = round(ch * (o - 0x2580) / 8)
        draw.rectangle([left, bottom - h + 1, right, bottom], fill=fg)
        return True
    if char in "░":
        for yy in range(top, bottom + 1, 2):
            for xx in range(left + (yy // 2) % 2, right + 1, 2):
                draw.point((xx, yy), fill=fg)
        return True
    if 0x2800 <= o <= 0x28FF:  # braille: 2×4 dots
        bits = o - 0x2800
        dots = [(0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (1, 0, 0x08), (1, 1, 0x10),
                (1, 2, 0x20), (0, 3, 0x40), (1, 3, 0x80)]
        for dx, dy, bit in dots:
            if bits & bit:
                cx = left + (cw * (1 + 2 * dx)) // 4
                cy = top + (ch * (1 + 2 * dy)) // 8
                draw.rectangle([cx - 1, cy - 1, cx + 1, cy + 1], fill=fg)
        return True
    return False


# ---- demo: a real run against moto ----------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FEEDER = r"""
import json, random, sys, time, gzip
import botocore.session
s3 = botocore.session.get_session().create_client("s3", endpoint_url=sys.argv[1], region_name="us-west-2")
seconds, start = float(sys.argv[2]), time.time()
random.seed(7)
n = 0
while time.time() - start < seconds:
    t = time.time() - start
    burst = 3 if 40 < t < 60 or t > 100 else 1
    for _ in range(burst + random.randint(0, 2)):
        n += 1
        rows = random.randint(300, 2500)
        body = "".join(json.dumps({"order": f"{n}-{i}", "amount": i * 7 % 1000, "note": "x" * random.randint(20, 120)}) + "\n" for i in range(rows))
        if n % 23 == 0:
            lines = body.splitlines(True)
            lines[rows // 3] = '{"order": "broken", "amount": \n'
            lines[rows // 2] = '{"order": "also broken" "amount": 3}\n'
            body = "".join(lines)
        key = f"in/2026/11/22/orders-{n:05d}.ndjson"
        data = body.encode()
        if n % 4 == 0:
            key += ".gz"
            data = gzip.compress(data, 3)
        s3.put_object(Bucket="acme-ingest-source", Key=key, Body=data)
    time.sleep(0.6)
print(n)
"""


def demo(png_path):
    venv_python = ROOT / ".venv/bin/python"
    if not venv_python.exists():
        sys.exit("no .venv: run ./tests/run.sh once (it installs moto)")
    subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    sluice = ROOT / "target/debug/sluice"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="sluice-shot-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-west-2",
        AWS_DEFAULT_REGION="us-west-2",
        AWS_ENDPOINT_URL=endpoint,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    moto = subprocess.Popen(
        [str(venv_python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tmux = ["tmux", "-L", f"sluice-shot-{os.getpid()}", "-f", "/dev/null"]
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        run = lambda *a: subprocess.run([str(sluice), *a], cwd=work, env=env, check=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run("init", "--name", "acme-ingest", "--region", "us-west-2", "--out", "spec.json",
            "--set", "bucket.deny_insecure_transport=false", "--set", "bucket.prefix=in/")
        run("apply", "--config", "spec.json", "--yes", "--backup-dir", "b")
        pass_env = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("AWS_"))
        command = (f"env {pass_env} NO_COLOR= {shlex.quote(str(sluice))} consume --config spec.json "
                   f"--sink dir:out --concurrency 4 2>stderr.log; sleep 600")
        subprocess.run([*tmux, "new-session", "-d", "-s", "shot", "-x", "120", "-y", "40",
                        "-c", str(work), "sh", "-c", command],
                       env={**env, "TERM": "xterm-256color"}, check=True)
        feeder = subprocess.Popen([str(venv_python), "-c", FEEDER, endpoint, "150"], env=env)
        # A pause builds a backlog that the consumer then drains; the capture
        # is taken while objects still arrive.
        time.sleep(30)
        subprocess.run([*tmux, "send-keys", "-t", "shot", "p"], check=True)
        time.sleep(25)
        subprocess.run([*tmux, "send-keys", "-t", "shot", "p"], check=True)
        time.sleep(85)
        capture = subprocess.run([*tmux, "capture-pane", "-e", "-p", "-t", "shot"],
                                 check=True, capture_output=True, text=True).stdout
        ansi = work / "dashboard.ansi"
        ansi.write_text(capture, encoding="utf-8")
        render(ansi, png_path, 120, 40)
        feeder.wait()
        subprocess.run([*tmux, "send-keys", "-t", "shot", "q"], check=True)
        time.sleep(5)
    finally:
        subprocess.run([*tmux, "kill-server"], stderr=subprocess.DEVNULL)
        moto.terminate()
        moto.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "render":
        render(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "demo":
        demo(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

"""Render an HTML file (e.g. report.html) to a PNG with headless Chromium.

Usage::

    python evaluation/screenshot.py evaluation/reports/ci/report.html /tmp/report.png

Chromium runs with a throw-away profile and every background service off, so it neither needs
nor tries the network. Install it with `apt-get install chromium` (Debian) if it is missing.

`read_png` and `colours` read such a screenshot back (numpy only, no imaging library), so that a
test can check which colours made it onto the page.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(
    html: str | Path, png: str | Path, *, width: int = 1400, height: int = 2000, timeout: float = 120
) -> Path:
    """Write a `width` x `height` PNG of the top of `html` to `png` and return its path.

    Raises FileNotFoundError when no browser is installed or `html` does not exist, and
    RuntimeError when the browser fails or writes nothing.

    Example::

        screenshot("evaluation/reports/ci/report.html", "/tmp/report.png")
    """
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError(
            f"no Chromium found (looked for {', '.join(BROWSERS)}); install it with apt-get install chromium"
        )
    html, png = Path(html).resolve(), Path(png).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"{html}: no such HTML file")
    png.parent.mkdir(parents=True, exist_ok=True)
    # Chromium writes the PNG itself; render into a temporary name so a failed run leaves no
    # half-written file under the requested name.
    tmp_png = png.with_name(f".{png.name}.tmp.png")
    with tempfile.TemporaryDirectory(prefix="netra-chromium-") as profile:
        cmd = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={width},{height}",
            f"--screenshot={tmp_png}", html.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not tmp_png.is_file():
        tmp_png.unlink(missing_ok=True)
        raise RuntimeError(f"{browser} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    tmp_png.replace(png)
    return png


def read_png(path: str | Path) -> np.ndarray:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into RGB pixels.

    Returns a uint8 array of shape (height, width, 3); an alpha channel is dropped. Raises
    ValueError for a file that is not a PNG or a PNG of another kind (palette, 16-bit, interlaced).

    Example::

        pixels = read_png("/tmp/report.png")
        height, width, _ = pixels.shape
    """
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if header is None:
        raise ValueError(f"{path}: PNG without an IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        raise ValueError(f"{path}: only 8-bit RGB(A), non-interlaced PNGs are read "
                         f"(got depth {depth}, colour type {colour_type}, interlace {interlace})")
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8).reshape(height, stride + 1)
    rows = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 1:  # Sub: a running sum per channel
            line = line.reshape(-1, bpp).cumsum(axis=0).reshape(-1) % 256
        elif kind == 2:  # Up
            line = (line + prev) % 256
        elif kind in (3, 4):  # Average, Paeth: each byte depends on the one decoded before it
            out, up = [0] * bpp + line.tolist(), [0] * bpp + prev.tolist()
            for i in range(bpp, stride + bpp):
                a, b, c = out[i - bpp], up[i], up[i - bpp]
                if kind == 3:
                    out[i] = (out[i] + (a + b) // 2) & 255
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            line = np.array(out[bpp:], dtype=np.int32)
        rows[y] = line
        prev = line
    return rows.reshape(height, width, bpp)[:, :, :3].copy()


def colours(pixels: np.ndarray) -> set[tuple[int, int, int]]:
    """The distinct (r, g, b) colours in an (..., 3) array of pixels, e.g. a slice of `read_png`'s.

    Example::

        half = pixels.shape[1] // 2
        assert hex_rgb("#d00000") in colours(pixels[:, half:])   # red somewhere in the right half
    """
    p = pixels.reshape(-1, 3).astype(np.int32)
    packed = np.unique((p[:, 0] << 16) | (p[:, 1] << 8) | p[:, 2])
    return {(int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255) for v in packed}


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """`"#d00000"` -> `(208, 0, 0)`: a CSS colour as `colours` reports it."""
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render an HTML file to PNG with headless Chromium.")
    parser.add_argument("html", help="HTML file to render")
    parser.add_argument("png", help="PNG file to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    try:
        out = screenshot(args.html, args.png, width=args.width, height=args.height)
    except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

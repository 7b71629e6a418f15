"""Render an HTML file (e.g. report.html) to a PNG with headless Chromium.

Usage::

    python evaluation/screenshot.py evaluation/reports/ci/report.html /tmp/report.png

Chromium runs with a throw-away profile and every background service off, so it neither needs
nor tries the network. Install it with `apt-get install chromium` (Debian) if it is missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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

"""Screenshot every report with headless chromium, for a person to look at.

Usage::

    python scripts/screenshot_reports.py [REPORTS_DIR_OR_HTML ...] [--out shots/] [--height 9000]

Each HTML report (``REPORTS_DIR/NAME/RUN/NAME.html``; the newest run of each report when a
folder is given) is rendered by ``chromium --headless`` in a 1400 px wide window tall enough
for the page, then cut into 1400 × 1800 px tiles ``NAME-01.png``, ``NAME-02.png``, … that an
image viewer shows at full size. Chromium must be on PATH (``chromium``, ``chromium-browser``
or ``google-chrome``); the pages are opened from disk and need no network (plotly.js is
embedded in the reports).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TILE = 1800
WIDTH = 1400


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no chromium on PATH: install chromium (or google-chrome) to take screenshots")


def _pages(targets: list[Path]) -> list[Path]:
    pages: list[Path] = []
    for t in targets:
        if t.is_file() and t.suffix == ".html":
            pages.append(t)
            continue
        newest: dict[str, Path] = {}
        for page in sorted(t.glob("*/*/*.html"), key=lambda p: p.parent.name):
            if page.stem == page.parent.parent.name:
                newest[page.stem] = page
        pages.extend(newest.values())
    return pages


def screenshot(page: Path, out_dir: Path, *, height: int, browser: str) -> list[Path]:
    """Render ``page`` and write its tiles to ``out_dir``; return the tile paths."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.png"
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--hide-scrollbars", "--virtual-time-budget=8000", f"--window-size={WIDTH},{height}",
             f"--screenshot={full}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=180,
        )
        image = Image.open(full).convert("RGB")
        # trim the white space below the page's end
        bbox = Image.eval(image, lambda v: 255 - v).getbbox()
        bottom = min(image.height, (bbox[3] + 40) if bbox else image.height)
        tiles = []
        for k, top in enumerate(range(0, bottom, TILE), start=1):
            tile = out_dir / f"{page.stem}-{k:02d}.png"
            image.crop((0, top, WIDTH, min(top + TILE, bottom))).save(tile)
            tiles.append(tile)
    return tiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", type=Path, default=[Path("reports")],
                        help="report HTML files or reports folders (default: reports/)")
    parser.add_argument("--out", type=Path, default=Path("shots"), help="folder for the PNG tiles")
    parser.add_argument("--height", type=int, default=12000, help="window height in px (the page's length)")
    args = parser.parse_args(argv)
    browser = _browser()
    pages = _pages(args.targets)
    if not pages:
        print("no report HTML found", file=sys.stderr)
        return 1
    for page in pages:
        tiles = screenshot(page, args.out, height=args.height, browser=browser)
        print(f"{page}: {len(tiles)} tile(s) -> {args.out}/{page.stem}-NN.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

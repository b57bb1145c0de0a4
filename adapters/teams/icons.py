"""Draws the two Teams app icons with only the standard library (no imaging dependency for two PNGs).

`python -m adapters.teams.icons` rewrites deploy/teams/color.png (192x192, full colour) and
deploy/teams/outline.png (32x32, white on a transparent background), as Teams requires.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

Pixel = tuple[int, int, int, int]
ACCENT = (31, 95, 139, 255)  # manifest accentColor #1F5F8B
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGBA PNG (filter 0 on every row)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _in_bubble(x: float, y: float, size: int) -> bool:
    """A rounded speech bubble with a tail, in a size x size square."""
    s = size
    left, top, right, bottom, r = 0.16 * s, 0.18 * s, 0.84 * s, 0.68 * s, 0.10 * s
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    if (x - cx) ** 2 + (y - cy) ** 2 <= r * r and left <= x <= right and top <= y <= bottom:
        return True
    # tail: triangle below the bubble's left third
    tx0, tx1, ty = 0.28 * s, 0.46 * s, bottom
    return ty <= y <= 0.84 * s and tx0 <= x <= tx1 - (y - ty) * (tx1 - tx0) / (0.84 * s - ty)


def _on_tick(x: float, y: float, size: int, width: float) -> bool:
    """A check mark inside the bubble."""
    s = size
    a, b, c = (0.32 * s, 0.43 * s), (0.45 * s, 0.56 * s), (0.68 * s, 0.31 * s)
    for (x0, y0), (x1, y1) in ((a, b), (b, c)):
        dx, dy = x1 - x0, y1 - y0
        t = max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)))
        if (x - x0 - t * dx) ** 2 + (y - y0 - t * dy) ** 2 <= width * width:
            return True
    return False


def color_icon(size: int = 192) -> bytes:
    def pixel(x: int, y: int) -> Pixel:
        px, py = x + 0.5, y + 0.5
        if _in_bubble(px, py, size):
            return ACCENT if _on_tick(px, py, size, 0.045 * size) else WHITE
        return ACCENT

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """White outline of the bubble and the tick; everything else fully transparent."""

    def pixel(x: int, y: int) -> Pixel:
        px, py = x + 0.5, y + 0.5
        inside = _in_bubble(px, py, size)
        edge = inside and not all(_in_bubble(px + dx, py + dy, size) for dx, dy in ((-1.5, 0), (1.5, 0), (0, -1.5), (0, 1.5)))
        return WHITE if edge or (inside and _on_tick(px, py, size, 1.1)) else CLEAR

    return png(size, size, pixel)


def write_icons(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "color.png").write_bytes(color_icon())
    (folder / "outline.png").write_bytes(outline_icon())


if __name__ == "__main__":
    write_icons(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "deploy" / "teams")

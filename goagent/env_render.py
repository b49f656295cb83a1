"""Pictures of a position for the Gymnasium env's ``rgb_array`` mode, drawn with numpy alone.

``draw_board(colors, last)`` returns ``uint8[H, W, 3]``: a wooden board (a
little grain), grid lines, star points, stones shaded as if lit from the top
left with a soft shadow, and a dot on the last move.  The board, the stone
sprites and their alpha masks depend only on the board size and the picture
size, so they are built once and cached; a picture is then a few small numpy
blends per stone.  Row 0 is the top line, as everywhere in goagent.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from goagent.coords import BLACK, WHITE

DEFAULT_PIXELS = 512  # about this many pixels a side
_WOOD = np.array([219, 178, 104], np.float32)
_LINE = np.array([45, 32, 18], np.float32)


def star_points(size: int) -> list[tuple[int, int]]:
    """(row, col) of the star points (hoshi) drawn on a ``size`` board."""
    if size < 7:
        return [(size // 2, size // 2)] if size % 2 == 1 and size >= 5 else []
    d = 3 if size >= 13 else 2
    lines = [d, size - 1 - d]
    if size % 2 == 1 and size >= 15:
        lines.insert(1, size // 2)
    points = [(r, c) for r in lines for c in lines]
    if size % 2 == 1 and (size // 2, size // 2) not in points:
        points.append((size // 2, size // 2))
    return points


def _cell(size: int, pixels: int) -> int:
    return max(8, round(pixels / (size + 1)))


def _disc(radius: float, extent: int, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """Anti-aliased coverage (float32[2e+1, 2e+1]) of a disc centred at (dx, dy) from the middle."""
    ys, xs = np.mgrid[-extent : extent + 1, -extent : extent + 1].astype(np.float32)
    dist = np.hypot(xs - dx, ys - dy)
    return np.clip(radius - dist + 0.5, 0.0, 1.0)


@lru_cache(maxsize=8)
def _background(size: int, pixels: int) -> np.ndarray:
    """float32[S, S, 3]: wood, grid and star points (cached, never modified)."""
    cell = _cell(size, pixels)
    side = cell * (size + 1)
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) / side
    grain = np.sin(2 * np.pi * (xs * 9.0 + 0.35 * np.sin(2 * np.pi * ys * 1.7) + 0.08 * np.sin(ys * 37.0)))
    shade = 1.0 + 0.045 * grain - 0.05 * (xs + ys - 1.0)  # (S, S)
    image = _WOOD[None, None, :] * shade[:, :, None]
    width = max(1, cell // 22)
    low, high = cell, cell * size  # first and last line
    for i in range(size):
        at = cell * (i + 1) - width // 2
        image[at : at + width, low - width // 2 : high + width - width // 2] = _LINE
        image[low - width // 2 : high + width - width // 2, at : at + width] = _LINE
    extent = max(2, cell // 6)
    dot = _disc(max(1.5, cell * 0.11), extent)[:, :, None]
    for r, c in star_points(size):
        y, x = cell * (r + 1), cell * (c + 1)
        patch = image[y - extent : y + extent + 1, x - extent : x + extent + 1]
        patch[:] = patch * (1 - dot) + _LINE * dot
    image.setflags(write=False)
    return image


@lru_cache(maxsize=8)
def _sprites(size: int, pixels: int) -> dict:
    """Per color: (rgb float32[k, k, 3], alpha float32[k, k, 1]); plus the shadow alpha."""
    cell = _cell(size, pixels)
    extent = cell // 2 + 2
    radius = cell * 0.47
    ys, xs = np.mgrid[-extent : extent + 1, -extent : extent + 1].astype(np.float32)
    alpha = _disc(radius, extent)[:, :, None]
    # Light from the top left: a highlight spot and darkening towards the bottom right.
    spot = np.exp(-((xs + 0.38 * radius) ** 2 + (ys + 0.38 * radius) ** 2) / (0.3 * radius) ** 2)
    rim = np.clip(np.hypot(xs - 0.25 * radius, ys - 0.25 * radius) / (1.3 * radius), 0.0, 1.0)
    black = 28.0 + 95.0 * spot - 18.0 * rim
    white = 238.0 + 17.0 * spot - 70.0 * rim**2
    offset = max(1.0, cell * 0.06)
    shadow = 0.45 * _disc(radius, extent, offset, offset)[:, :, None]
    marker = _disc(max(1.5, cell * 0.14), extent)[:, :, None]
    return {
        BLACK: (np.repeat(black[:, :, None], 3, axis=2), alpha),
        WHITE: (np.repeat(white[:, :, None], 3, axis=2) * np.array([1.0, 0.99, 0.96], np.float32), alpha),
        "shadow": shadow,
        "marker": marker,
        "extent": extent,
    }


def draw_board(colors: np.ndarray, last: int | None = None, pixels: int = DEFAULT_PIXELS) -> np.ndarray:
    """``uint8[S, S, 3]`` picture of ``colors`` (``int[n, n]``, row 0 on top).

    ``last`` is the action of the last move (a dot is drawn on it), or None.
    ``S`` is ``(n + 1)`` times the grid spacing, about ``pixels``.
    """
    colors = np.asarray(colors)
    size = colors.shape[0]
    cell = _cell(size, pixels)
    image = _background(size, pixels).copy()
    sprites = _sprites(size, pixels)
    extent = sprites["extent"]
    padded = np.pad(image, ((extent, extent), (extent, extent), (0, 0)), mode="edge")
    rows, cols = np.nonzero((colors == BLACK) | (colors == WHITE))

    def window(r: int, c: int) -> np.ndarray:
        y, x = cell * (r + 1), cell * (c + 1)  # + extent (pad) - extent (window start)
        return padded[y : y + 2 * extent + 1, x : x + 2 * extent + 1]

    shadow = sprites["shadow"]
    for r, c in zip(rows, cols):
        win = window(r, c)
        win *= 1.0 - shadow
    for r, c in zip(rows, cols):
        rgb, alpha = sprites[int(colors[r, c])]
        win = window(r, c)
        win[:] = win * (1.0 - alpha) + rgb * alpha
    if last is not None and 0 <= last < size * size:
        r, c = divmod(int(last), size)
        if colors[r, c] in (BLACK, WHITE):
            ink = 235.0 if colors[r, c] == BLACK else 30.0
            marker = sprites["marker"]
            win = window(r, c)
            win[:] = win * (1.0 - marker) + ink * marker
    side = image.shape[0]
    return np.clip(padded[extent : extent + side, extent : extent + side], 0, 255).astype(np.uint8)

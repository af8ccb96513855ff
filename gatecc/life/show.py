"""Showing a board: terminal animation and animated GIFs."""

from __future__ import annotations

import shutil
import sys
import time

import numpy as np

# Two board rows per character: (top alive, bottom alive) -> glyph.
_GLYPHS = {(0, 0): " ", (1, 0): "\u2580", (0, 1): "\u2584", (1, 1): "\u2588"}


def render_text(board: np.ndarray, width: int, height: int) -> str:
    """The top-left corner of a bool board that fits width x height characters."""
    b = np.asarray(board, dtype=np.uint8)[: 2 * height, :width]
    if b.shape[0] % 2:
        b = np.vstack([b, np.zeros((1, b.shape[1]), np.uint8)])
    top, bottom = b[0::2], b[1::2]
    return "\n".join("".join(_GLYPHS[(t, d)] for t, d in zip(tr, br)) for tr, br in zip(top, bottom))


def animate_terminal(frames, fps: float = 20.0, out=None) -> None:
    """Draw each board of ``frames`` in place in the terminal (Ctrl-C stops)."""
    out = out or sys.stdout
    cols, lines = shutil.get_terminal_size((80, 24))
    out.write("\x1b[2J")
    try:
        for k, (step, board) in enumerate(frames):
            out.write("\x1b[H" + render_text(board, cols, lines - 2) + f"\nstep {step}   (Ctrl-C to stop)\x1b[K\n")
            out.flush()
            if k:
                time.sleep(1.0 / fps)
    except KeyboardInterrupt:
        out.write("\n")


def write_gif(path: str, boards: list[np.ndarray], fps: float = 20.0, scale: int | None = None) -> None:
    """An animated GIF of the boards (alive cells light on dark)."""
    from PIL import Image

    size = boards[0].shape[0]
    scale = scale or max(1, 512 // size)
    images = []
    for b in boards:
        pixels = np.where(np.asarray(b, dtype=bool), 235, 16).astype(np.uint8)
        if scale > 1:
            pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
        images.append(Image.fromarray(pixels, mode="L").convert("P"))
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0, optimize=False)

"""Showing CA boards: channels mixed into colours with a palette, terminal animation, animated GIFs."""

from __future__ import annotations

import numpy as np

#: One colour per channel (RGB); channels past the palette reuse it cyclically.
PALETTE = np.array([
    (235, 235, 235), (230, 80, 60), (60, 170, 90), (70, 120, 230),
    (240, 190, 50), (170, 90, 200), (60, 200, 210), (240, 130, 180),
], dtype=np.float32)
BACKGROUND = np.array((16, 16, 24), dtype=np.float32)


def palette(channels: int) -> np.ndarray:
    """(C, 3) float32 colours of the channels."""
    return PALETTE[np.arange(channels) % len(PALETTE)]


def board_rgb(board: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the background plus the mean colour of each cell's live channels."""
    b = np.asarray(board, dtype=np.float32)
    on = b.sum(axis=2, keepdims=True)
    mixed = (b @ palette(b.shape[2])) / np.maximum(on, 1)
    return np.where(on > 0, mixed, BACKGROUND).astype(np.uint8)


def write_gif(path: str, boards: list[np.ndarray], fps: float = 10.0, scale: int | None = None) -> None:
    """An animated GIF of (H, W, C) boards, channels mixed with the palette."""
    from PIL import Image

    h, w = boards[0].shape[:2]
    scale = scale or max(1, 512 // max(h, w))
    images = []
    for b in boards:
        pixels = board_rgb(b)
        if scale > 1:
            pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
        images.append(Image.fromarray(pixels, mode="RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT))
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0, optimize=False)

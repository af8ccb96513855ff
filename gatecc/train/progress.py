"""The training progress bar and the ``--plot`` curves."""

from __future__ import annotations

import sys


class NoBar:
    """A progress bar that shows nothing (library use, --quiet, stderr not a terminal)."""

    def update(self, k=1):
        pass

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def progress_bar(total: int, initial: int, enabled: bool):
    """A tqdm bar on stderr when ``enabled`` and stderr is a terminal, else :class:`NoBar`."""
    if not enabled or not sys.stderr.isatty():
        return NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="epoch", file=sys.stderr, dynamic_ncols=True, mininterval=0.5)


def plot_history(history: list[dict], path, metric: str = "hard validation accuracy") -> None:
    """Draw the soft loss and the hard validation metric per epoch into a PNG (Pillow)."""
    from PIL import Image, ImageDraw

    w, h, pad = 720, 420, 50
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    epochs = [e["epoch"] for e in history] or [0]
    lo, hi = min(epochs), max(max(epochs), min(epochs) + 1)

    def px(e, v, vmax):
        return pad + (w - 2 * pad) * (e - lo) / (hi - lo), h - pad - (h - 2 * pad) * (v / vmax if vmax else 0)

    d.rectangle([pad, pad, w - pad, h - pad], outline="black")
    soft_max = max([e["soft"] for e in history] + [1e-9])
    for key, colour, vmax in (("soft", (31, 119, 180), soft_max), ("hard", (214, 39, 40), 1.0)):
        points = [px(e["epoch"], e[key], vmax) for e in history]
        if len(points) > 1:
            d.line(points, fill=colour, width=2)
    d.text((pad, 15), f"blue: soft training loss (max {soft_max:.3g})   red: {metric} (0..1)", fill="black")
    d.text((pad, h - pad + 10), f"epoch {lo}", fill="black")
    d.text((w - pad - 60, h - pad + 10), f"epoch {hi}", fill="black")
    img.save(path, format="PNG")

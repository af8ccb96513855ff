"""Progress on stderr for long compiles: one tqdm bar over the passes and the build.

Shown only where it is wanted: the caller asks (``gatecc.compile(...,
progress=True)``, or a command without ``--quiet``) *and* stderr is a
terminal, so logs and pipes never receive bar updates.  tqdm is imported
only when a bar is drawn.
"""

from __future__ import annotations

import sys


def wanted(quiet: bool = False) -> bool:
    """Whether a command should draw a bar: not ``--quiet`` and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


class Progress:
    """A bar of ``steps`` (pass and build names), drawn only when ``enabled`` and stderr is a terminal."""

    def __init__(self, steps: list[str], desc: str, enabled: bool = True):
        self.steps: list[str] = []
        self.done = 0
        self.desc = desc
        self.enabled = enabled and sys.stderr.isatty()
        self._bar = None
        self.add(steps)

    def add(self, steps: list[str]) -> None:
        """More steps to come (the compiler learns the pipeline after the bar exists)."""
        self.steps += steps
        if self.enabled and self.steps and self._bar is None:
            import shutil

            from tqdm import tqdm

            # A terminal that reports no size (a fresh pty) would hide the bar: fall back to 80x24.
            size = shutil.get_terminal_size()
            self._bar = tqdm(total=len(self.steps), initial=self.done, desc=self.desc, file=sys.stderr, leave=False,
                             unit="step", ncols=size.columns or 80, nrows=size.lines or 24,
                             bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} {postfix}")
        elif self._bar is not None:
            self._bar.total = len(self.steps)
        self._show()

    def skip(self) -> None:
        """Mark every step so far done (a cache hit did them)."""
        while self.done < len(self.steps):
            self.step()

    def _show(self) -> None:
        # The name of the step now running (a pass may take a minute: say which).
        if self._bar is not None and self.done < len(self.steps):
            self._bar.set_postfix_str(self.steps[self.done])

    def step(self, *_ignored) -> None:
        """One step finished (usable as an ``after_pass`` callback)."""
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            self._show()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

"""What the author sees while a build runs: the post and cell, and training progress.

Live lines only on a terminal; in CI (or piped) progress bars stay quiet.
"""

from __future__ import annotations

import os
import sys
import time


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def status(text: str) -> None:
    if interactive():
        sys.stderr.write("\r\033[K" + text[:150])
        sys.stderr.flush()


def clear() -> None:
    if interactive():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


class ProgressBar:
    """A callable ``bar(step, total, loss)`` for training loops: bar, loss and ETA."""

    def __init__(self, label: str, width: int = 24, every: float = 0.1):
        self.label = label
        self.width = width
        self.every = every
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, step: int, total: int, loss: float | None = None) -> None:
        if not interactive():
            return
        now = time.perf_counter()
        done = step >= total
        if not done and now - self.last < self.every:
            return
        self.last = now
        fraction = min(step / total, 1.0) if total else 1.0
        filled = int(fraction * self.width)
        elapsed = now - self.started
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        loss_text = f" loss {loss:.4f}" if loss is not None else ""
        sys.stderr.write(f"\r\033[K  {self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                         f"{step}/{total}{loss_text} ETA {eta:4.0f}s")
        if done:
            sys.stderr.write("\n")
        sys.stderr.flush()


def progress_bar(label: str) -> ProgressBar:
    return ProgressBar(label)

"""Put a woven post in place whole, or not at all.

Outputs are written to a staging folder first, then swapped in under a per-post lock
with SIGINT/SIGTERM held back, so an interrupted or concurrent build never leaves a
half-written post, figure folder or ledger.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from .atomic import locked, write_atomic


@dataclass(frozen=True)
class Outputs:
    content: Path        # folder of <slug>.md
    figures: Path        # folder of <slug>/ figure folders
    scratch: Path        # staging and locks; on the same file system as the two above

    def markdown(self, slug: str) -> Path:
        return self.content / f"{slug}.md"

    def figure_dir(self, slug: str) -> Path:
        return self.figures / slug


@contextlib.contextmanager
def signals_held():
    """Delay Ctrl-C / kill until the few renames below are done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _recover(outputs: Outputs, slug: str) -> None:
    """Finish a swap that a hard kill (SIGKILL) cut between its two renames."""
    current = outputs.figure_dir(slug)
    for old in sorted(outputs.figures.glob(f".{slug}.old-*")):
        if not current.exists():
            os.rename(old, current)
        else:
            shutil.rmtree(old, ignore_errors=True)


def publish(outputs: Outputs, slug: str, markdown: str, files: dict[str, bytes],
            ledger_path: Path | None, ledger_text: str | None,
            retired: str | None = None) -> bool:
    """Swap in the post's markdown, its figure folder and its ledger, and remove the
    markdown and figure folder of ``retired``, the slug the post published before. Returns
    True when anything differs from what was there before."""
    staging = outputs.scratch / "staging" / f"{slug}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staged_figures = staging / "figures"
    try:
        staged_figures.mkdir(parents=True)
        for name, data in sorted(files.items()):
            (staged_figures / name).write_bytes(data)
        (staging / "post.md").write_text(markdown, encoding="utf-8")
        with locked(outputs.scratch / "locks" / f"{slug}.lock"), signals_held():
            _recover(outputs, slug)
            changed = _differs(outputs, slug, markdown, files, ledger_path, ledger_text)
            if retired is not None:
                changed = _remove(outputs, retired) or changed
            if changed:
                outputs.content.mkdir(parents=True, exist_ok=True)
                outputs.figures.mkdir(parents=True, exist_ok=True)
                current = outputs.figure_dir(slug)
                old = outputs.figures / f".{slug}.old-{os.getpid()}"
                if current.exists():
                    os.rename(current, old)
                if files:
                    os.rename(staged_figures, current)
                os.replace(staging / "post.md", outputs.markdown(slug))
                if ledger_path is not None:
                    write_atomic(ledger_path, ledger_text)
                shutil.rmtree(old, ignore_errors=True)
        return changed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove(outputs: Outputs, slug: str) -> bool:
    """Remove a slug's markdown and figure folder; True when there was something to remove."""
    markdown, figures = outputs.markdown(slug), outputs.figure_dir(slug)
    existed = markdown.exists() or figures.exists()
    markdown.unlink(missing_ok=True)
    shutil.rmtree(figures, ignore_errors=True)
    return existed


def _differs(outputs: Outputs, slug: str, markdown: str, files: dict[str, bytes],
             ledger_path: Path | None, ledger_text: str | None) -> bool:
    md = outputs.markdown(slug)
    if not md.exists() or md.read_text(encoding="utf-8") != markdown:
        return True
    if ledger_path is not None and (not ledger_path.exists()
                                    or ledger_path.read_text(encoding="utf-8") != ledger_text):
        return True
    return read_folder(outputs.figure_dir(slug)) != files


def read_folder(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}

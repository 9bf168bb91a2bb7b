"""``scratchbook watch``: rebuild a post when its source or anything it loaded changes.

Each rebuild runs in a process forked from a warm parent (numpy, matplotlib and torch
already imported, under the numeric profile the command started with; the parent never runs
a post, so each child starts from the same clean state), so an edited project module is
imported anew while the libraries cost nothing; the cache keeps unchanged experiments from
running again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from .project import Project


def _dependencies(project: Project, post: Path) -> set[Path]:
    deps_file = project.state / "deps" / f"{post.stem}.json"
    files = {post.resolve()}
    if deps_file.exists():
        files |= {Path(p) for p in json.loads(deps_file.read_text())}
    files |= {p.resolve() for p in project.templates.rglob("*") if p.is_file()}
    return files


def _mtimes(files: set[Path]) -> dict[Path, int]:
    stamps = {}
    for path in files:
        try:
            stamps[path] = path.stat().st_mtime_ns
        except FileNotFoundError:
            stamps[path] = -1
    return stamps


def _preload() -> None:
    """Import the heavy libraries once; each rebuild forks from this warm process."""
    import importlib.util

    for name in ("numpy", "matplotlib.pyplot", "jinja2", "yaml", "torch"):
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            __import__(name)


def _rebuild(project: Project, post: Path, record: dict) -> None:
    """Build in a forked child: project modules load fresh there, libraries are warm."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            from .build import build_post
            summary = build_post(project, post, profile_record=record)
            print(summary.line(), file=sys.stderr, flush=True)
            code = 0 if summary.ok else 1
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def watch(project: Project, interval: float = 0.5, rounds: int | None = None) -> None:
    """Poll the posts and their dependencies; ``rounds`` bounds the loop (for tests)."""
    from .build import profile_report
    record = profile_report(project)
    _preload()
    seen = {post: _mtimes(_dependencies(project, post)) for post in project.post_files()}
    print(f"watching {project.relative(project.posts)} (Ctrl-C to stop)", file=sys.stderr,
          flush=True)
    count = 0
    while rounds is None or count < rounds:
        count += 1
        time.sleep(interval)
        for post in project.post_files():
            stamps = _mtimes(_dependencies(project, post))
            before = seen.get(post, {})
            if before == stamps:
                continue
            changed = sorted(project.relative(p) for p in stamps if before.get(p) != stamps[p])
            print(f"changed: {', '.join(changed)}", file=sys.stderr, flush=True)
            _rebuild(project, post, record)
            seen[post] = _mtimes(_dependencies(project, post))

"""``scratchbook watch``: rebuild a post when its source or anything it loaded changes.

Every rebuild runs in a process forked from a warm parent (numpy, matplotlib and torch
already imported, under the numeric profile the command started with; the parent never runs
a post, so each fork starts from the same clean state). That fork is a post server
(:mod:`.postserver`): it builds the post, then keeps what its code cells left, so a
prose-only edit is woven again without running code or redrawing untouched figures. Any
other change (a code cell, the front matter, a module the post loaded, a template) ends the
server and forks a fresh one, where edited modules are imported anew.
"""

from __future__ import annotations

import json
import signal
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


def _stamps_of_build(project: Project, post: Path, before: dict[Path, int],
                     started_ns: int) -> dict[Path, int]:
    """The stamps a build saw: taken *before* it ran, so an edit saved while it ran (which
    it may or may not have read) differs from them and is built again. A dependency the
    build found only as it ran (a module it imported the first time) keeps its stamp unless
    it changed after the build started; then it is marked changed."""
    now = _mtimes(_dependencies(project, post))
    seen = {}
    for path, stamp in now.items():
        if path in before:
            seen[path] = before[path]
        else:
            seen[path] = stamp if stamp < started_ns else -2
    return seen


def _preload() -> None:
    """Import the heavy libraries once; each rebuild forks from this warm process."""
    import importlib.util

    for name in ("numpy", "matplotlib.pyplot", "matplotlib.figure", "jinja2", "yaml", "torch"):
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            __import__(name)


def watch(project: Project, posts: list[Path] | None = None, interval: float = 0.5,
          rounds: int | None = None, on_ready=None) -> None:
    """Build ``posts`` (default: all) and rebuild each on change; ``rounds`` bounds the loop
    (for tests); ``on_ready()`` is called once the posts are built and watched."""
    from .build import profile_report, stop_on_signals
    from .postserver import PostServer, close_all

    record = profile_report(project)
    _preload()
    named = posts is not None
    servers: dict[Path, PostServer] = {}
    seen: dict[Path, dict] = {}
    previous = stop_on_signals()

    def start(post: Path) -> None:
        server = PostServer(project, post, record)
        summary = server.first_build()
        if summary is not None:
            print(summary.line(), file=sys.stderr, flush=True)
        if server.alive:
            servers[post] = server

    try:
        for post in (posts if named else project.post_files()):
            started, before = time.time_ns(), _mtimes(_dependencies(project, post))
            start(post)
            seen[post] = _stamps_of_build(project, post, before, started)
        print(f"watching {_what(project, posts)} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        if on_ready is not None:
            on_ready()
        count = 0
        while rounds is None or count < rounds:
            count += 1
            time.sleep(interval)
            current = posts if named else project.post_files()
            for gone in set(servers) - set(current):     # a post deleted or renamed
                servers.pop(gone).close()
            for post in current:
                started = time.time_ns()
                stamps = _mtimes(_dependencies(project, post))
                before = seen.get(post, {})
                if before == stamps:
                    continue
                changed = sorted(p for p in stamps if before.get(p) != stamps[p])
                print(f"changed: {', '.join(project.relative(p) for p in changed)}",
                      file=sys.stderr, flush=True)
                server = servers.pop(post, None)
                summary = None
                if server is not None and changed == [post.resolve()]:
                    summary = server.reweave()     # None: more than prose changed
                if summary is not None:
                    servers[post] = server
                    print(summary.line(), file=sys.stderr, flush=True)
                else:
                    if server is not None:
                        server.close()
                    start(post)
                seen[post] = _stamps_of_build(project, post, stamps, started)
    finally:
        close_all(servers)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _what(project: Project, posts: list[Path] | None) -> str:
    if posts is None:
        return project.relative(project.posts)
    return ", ".join(project.relative(p) for p in posts)

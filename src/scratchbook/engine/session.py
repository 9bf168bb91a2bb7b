"""The settings of the build in progress, read by experiments and helpers.

A post also runs as a plain script; then there is no build, and the defaults below
(the project's cache, no reporting) apply.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from .seeding import DEFAULT_THREADS


@dataclass
class Session:
    cache_dir: Path | None = None     # None: find the project from the working folder
    refresh: bool = False             # --no-cache: compute everything, then store it
    refreshed: set = field(default_factory=set)  # (experiment, key) computed in this build: under
                                                 # --no-cache a second call reuses it
    root: Path | None = None
    threads: int = DEFAULT_THREADS
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    corrupted: list[str] = field(default_factory=list)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)  # experiment -> key parts
    post: str = ""                    # the post being built, named in progress lines

    def say(self, message: str) -> None:
        """A progress line of this build, e.g. "  posts/04_x.py: experiment train: computing"
        (posts built side by side share the stream)."""
        say(f"  {self.post}: {message.lstrip()}" if self.post else message)


def say(message: str) -> None:
    """One progress line on stderr, written in one call: posts built side by side (their
    processes and the threads that wait for them) share the stream without splitting lines."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


_current: Session | None = None


def current() -> Session:
    global _current
    if _current is None:
        _current = Session()
    return _current


def start(session: Session) -> Session:
    global _current
    _current = session
    return session

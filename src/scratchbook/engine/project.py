"""Where a project's posts, templates, outputs and cache live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ScratchbookError


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def posts(self) -> Path:
        return self.root / "posts"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def content(self) -> Path:
        """Hugo markdown goes to ``hugo_content/blog/<slug>.md``."""
        return self.root / "hugo_content" / "blog"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def state(self) -> Path:
        """Scratch space the build owns: cache, staging, locks (git-ignored)."""
        return self.root / ".scratchbook"

    @property
    def cache(self) -> Path:
        return Path(os.environ.get("SCRATCHBOOK_CACHE") or self.state / "cache")

    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def post_files(self) -> list[Path]:
        return sorted(p for p in self.posts.glob("*.py") if not p.name.startswith("_"))

    def ledger_path(self, post_path: Path) -> Path:
        return post_path.with_suffix(".ledger.json")

    def resolve_posts(self, names: list[str] | None) -> list[Path]:
        """Posts named on the command line (path, file name, name without its number, or
        slug), or all of them; see :mod:`.selection`."""
        from .selection import select_posts
        return select_posts(self, names)


def find_project(start: Path | None = None) -> Project:
    """The nearest folder at or above ``start`` that holds ``posts/`` and ``templates/``."""
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / "posts").is_dir() and (folder / "templates").is_dir():
            return Project(folder)
    raise ScratchbookError(f"no scratchbook project at or above {here}",
                           hint="run inside a folder with posts/ and templates/ "
                                "(or create one with 'scratchbook new')")

"""The posts named on the command line: by path, file name, name without its number, or slug.

``scratchbook build 03_karpathy_tour.py``, ``build karpathy_tour``, ``build karpathy-tour``
and ``build neural-nets-karpathy-tour`` name the same post. A name that fits no post, or
fits several, is an error that lists the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ScratchbookError
from .frontmatter import STEM_PREFIX, default_slug, validate
from .project import Project
from .source import parse_post


@dataclass(frozen=True)
class Known:
    """One post and the names it answers to."""
    path: Path
    slug: str

    @property
    def names(self) -> set[str]:
        stem = self.path.stem
        plain = STEM_PREFIX.sub("", stem)
        return {self.path.name, stem, plain, plain.replace("_", "-"), self.slug}

    def describe(self, project: Project) -> str:
        return f"{project.relative(self.path)} (slug {self.slug})"


def _known(project: Project) -> list[Known]:
    known = []
    for path in project.post_files():
        try:
            slug = validate(parse_post(path, project.relative(path))).slug
        except ScratchbookError:   # its own build says what is wrong; the default slug names it
            slug = default_slug(path.stem)
        known.append(Known(path.resolve(), slug))
    return known


def select_posts(project: Project, names: list[str] | None) -> list[Path]:
    """The posts ``names`` name, in the order given (each once); every post when empty."""
    if not names:
        return project.post_files()
    known: list[Known] | None = None
    found: list[Path] = []
    for name in names:
        path = _as_file(project, name)
        if path is None:
            known = known if known is not None else _known(project)
            path = _by_name(project, known, name)
        if path not in found:
            found.append(path)
    return found


def _as_file(project: Project, name: str) -> Path | None:
    for candidate in (Path(name), project.root / name):
        if candidate.suffix == ".py" and candidate.is_file():
            return candidate.resolve()
    return None


def _by_name(project: Project, known: list[Known], name: str) -> Path:
    exact = [post for post in known if name in post.names]
    if len(exact) == 1:
        return exact[0].path
    if not exact:
        partial = [post for post in known if any(n.startswith(name) for n in post.names)]
        if len(partial) == 1:
            return partial[0].path
        if not partial:
            listing = "\n".join(f"  {post.describe(project)}" for post in known) or "  (none)"
            raise ScratchbookError(
                f"no post named {name!r}; the posts are:\n{listing}",
                hint="name a post by its file (03_karpathy_tour.py), its name without the "
                     "number (karpathy_tour) or its slug")
        exact = partial
    listing = "\n".join(f"  {post.describe(project)}" for post in exact)
    raise ScratchbookError(f"{name!r} names {len(exact)} posts:\n{listing}",
                           hint="name one of them by its file name or its slug")

"""Which post owns which outputs.

A post owns ``hugo_content/blog/<slug>.md`` and ``figures/<slug>/``; its committed ledger
records the slug and the files in that folder, so a fresh clone knows what each post
published. From that: a slug is claimed by one post only, a renamed slug's old outputs are
removed by the next build, and outputs no post owns are reported by ``check``.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ScratchbookError
from .frontmatter import validate
from .ledger import Ledger
from .project import Project
from .source import parse_post


def slug_owners(project: Project) -> dict[str, list[str]]:
    """Slug -> the posts (as shown) whose front matter publishes it. A post whose front matter
    does not parse is left out: its own build reports why."""
    owners: dict[str, list[str]] = {}
    for path in project.post_files():
        shown = project.relative(path)
        try:
            slug = validate(parse_post(path, shown)).slug
        except ScratchbookError:
            continue
        owners.setdefault(slug, []).append(shown)
    return owners


def refuse_shared_slug(project: Project, path: Path, slug: str) -> None:
    """Fail before anything runs or is written when another post publishes the same slug."""
    post = project.relative(path)
    others = [other for other in slug_owners(project).get(slug, []) if other != post]
    if others:
        raise ScratchbookError(
            f"slug {slug!r} is also the slug of {', '.join(others)}: both would publish "
            f"hugo_content/blog/{slug}.md and figures/{slug}/, so neither is built",
            path=post, line=_slug_line(path),
            hint="give one of them another 'slug:' in its front matter")


def _slug_line(path: Path) -> int | None:
    """The front-matter line that sets the slug (None when the slug comes from the name)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip("# ").startswith("slug:"):
            return number
        if number > 1 and line.strip() == "# ---":
            return None
    return None


def retired_slug(project: Project, committed: Ledger, slug: str) -> str | None:
    """The slug this post published before, when it has changed and no post claims it now."""
    old = committed.slug
    if old and old != slug and old not in slug_owners(project):
        return old
    return None


def orphans(project: Project) -> list[str]:
    """Markdown files and figure folders that no post publishes."""
    owned = set(slug_owners(project))
    found = []
    if project.content.is_dir():
        found += [p for p in sorted(project.content.glob("*.md"))
                  if p.stem not in owned and not p.name.startswith("_")]   # _index.md: Hugo's
    if project.figures.is_dir():
        found += [p for p in sorted(project.figures.iterdir())
                  if p.is_dir() and not p.name.startswith(".") and p.name not in owned]
    return [project.relative(p) + ("/" if p.is_dir() else "") for p in found]

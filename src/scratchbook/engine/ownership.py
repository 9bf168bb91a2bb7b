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


def refuse_shared_slug(project: Project, post: str, slug: str) -> None:
    """Fail before anything runs or is written when another post publishes the same slug."""
    others = [other for other in slug_owners(project).get(slug, []) if other != post]
    if others:
        raise ScratchbookError(
            f"{post} and {others[0]} both publish hugo_content/blog/{slug}.md and "
            f"figures/{slug}/ (slug {slug!r}); neither is built",
            path=post, hint=f"give one of them another 'slug:' in its front matter")


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
        found += [p for p in sorted(project.content.glob("*.md")) if p.stem not in owned]
    if project.figures.is_dir():
        found += [p for p in sorted(project.figures.iterdir())
                  if p.is_dir() and not p.name.startswith(".") and p.name not in owned]
    return [project.relative(p) + ("/" if p.is_dir() else "") for p in found]

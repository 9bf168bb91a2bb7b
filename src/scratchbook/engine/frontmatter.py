"""The series' front matter: which keys a post may carry, and what they must hold."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ScratchbookError
from .source import Post

KNOWN_SKINS = ("chalkboard", "theorem")
ALLOWED_KEYS = ("title", "description", "weight", "series", "skin", "draft", "slug")
FORBIDDEN_KEYS = {
    "date": "the series has no dates: Hugo orders the posts by weight",
    "tags": "the series uses no tags",
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STEM_PREFIX = re.compile(r"^\d+[_-]")


@dataclass(frozen=True)
class FrontMatter:
    title: str
    weight: int
    slug: str
    description: str = ""
    series: str = ""
    skin: str = "chalkboard"
    draft: bool = True

    def as_hugo(self) -> dict:
        """The keys Hugo sees, in a fixed order (no slug: the file name is the slug)."""
        data = {"title": self.title}
        if self.description:
            data["description"] = self.description
        data["weight"] = self.weight
        if self.series:
            data["series"] = self.series
        data["skin"] = self.skin
        data["draft"] = self.draft
        return data


def default_slug(stem: str) -> str:
    """``03_karpathy_tour`` -> ``karpathy-tour``."""
    return STEM_PREFIX.sub("", stem).replace("_", "-").lower()


def validate(post: Post) -> FrontMatter:
    header = post.header
    line = post.header_line or 1

    def fail(message: str, hint: str | None = None) -> ScratchbookError:
        return ScratchbookError(f"front matter: {message}", path=post.display_path, line=line,
                                hint=hint)

    if not header:
        raise fail("missing", hint="start the post with a '# ---' block holding at least "
                                   "title and weight")
    for key, why in FORBIDDEN_KEYS.items():
        if key in header:
            raise fail(f"'{key}' is not allowed: {why}", hint=f"remove the '{key}' line")
    unknown = sorted(set(header) - set(ALLOWED_KEYS))
    if unknown:
        raise fail(f"unknown key(s) {', '.join(map(repr, unknown))}",
                   hint=f"allowed keys: {', '.join(ALLOWED_KEYS)}")
    for key in ("title", "weight"):
        if header.get(key) in (None, ""):
            raise fail(f"'{key}' is required")
    if not isinstance(header["title"], str):
        raise fail("'title' must be text")
    weight = header["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise fail(f"'weight' must be a whole number, not {weight!r}")
    skin = header.get("skin", "chalkboard")
    if skin not in KNOWN_SKINS:
        raise fail(f"unknown skin {skin!r}", hint=f"use one of: {', '.join(KNOWN_SKINS)}")
    draft = header.get("draft", True)
    if not isinstance(draft, bool):
        raise fail("'draft' must be true or false")
    for key in ("description", "series"):
        if not isinstance(header.get(key, ""), str):
            raise fail(f"'{key}' must be text")
    slug = header.get("slug") or default_slug(post.stem)
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise fail(f"slug {slug!r} is not a plain name",
                   hint="use lowercase letters, digits and single dashes (it names the output "
                        "file and must stay inside hugo_content/ and figures/)")
    return FrontMatter(title=header["title"], weight=weight, slug=slug,
                       description=header.get("description", ""),
                       series=header.get("series", ""), skin=skin, draft=draft)

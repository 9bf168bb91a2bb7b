"""The series' front matter: which keys a post may carry, and what they must hold.

Errors name the line of the key at fault (or, for YAML that does not parse, the line where
the author's text goes wrong) and say what to write instead. The ``jupyter:`` block that
Jupytext adds when a post is paired with a notebook is accepted and never published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from .errors import ScratchbookError

if TYPE_CHECKING:
    from .header import Header
    from .source import Post

KNOWN_SKINS = ("chalkboard", "theorem")
ALLOWED_KEYS = ("title", "description", "weight", "series", "skin", "draft", "slug", "aliases")
NEVER_PUBLISHED = ("jupyter",)       # Jupytext's notebook metadata, kept in the source only
FORBIDDEN_KEYS = {
    "date": "the series has no dates: Hugo orders the posts by weight",
    "tags": "the series uses no tags",
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STEM_PREFIX = re.compile(r"^\d+[_-]")
ALIAS = re.compile(r"^/?[A-Za-z0-9._~%/-]+/?$")


@dataclass(frozen=True)
class FrontMatter:
    title: str
    weight: int
    slug: str
    description: str = ""
    series: str = ""
    skin: str = "chalkboard"
    draft: bool = True
    aliases: tuple[str, ...] = ()

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
        if self.aliases:
            data["aliases"] = list(self.aliases)
        return data


def default_slug(stem: str) -> str:
    """``03_karpathy_tour`` -> ``karpathy-tour``."""
    return STEM_PREFIX.sub("", stem).replace("_", "-").lower()


# --------------------------------------------------------------------------- YAML

def load_yaml(header: "Header", shown: str) -> tuple[dict, dict]:
    """The header's mapping and the post line of each top-level key."""
    if not header.first_line or not header.yaml.strip():
        return {}, {}
    try:
        node = yaml.compose(header.yaml, Loader=yaml.SafeLoader)
        mapping = yaml.safe_load(header.yaml)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, header.first_line, shown) from None
    except yaml.YAMLError as exc:
        raise ScratchbookError(f"front matter is not valid YAML: {exc}", path=shown,
                               line=header.first_line) from None
    if not isinstance(mapping, dict) or not isinstance(node, yaml.MappingNode):
        raise ScratchbookError("front matter must be 'key: value' lines", path=shown,
                               line=header.first_line,
                               hint='write e.g. \'# title: "My post"\' and \'# weight: 30\'')
    lines = {key.value: header.first_line + key.start_mark.line for key, _ in node.value
             if isinstance(key, yaml.ScalarNode)}
    return mapping, lines


QUOTE_HINT = ("put the whole value in double quotes, e.g. title: \"It's: a title\" "
              "(inside double quotes write \\\" for a quote)")


def _yaml_error(exc: yaml.MarkedYAMLError, first: int, shown: str) -> ScratchbookError:
    problem, context = exc.problem or "", exc.context or ""
    at_problem = first + exc.problem_mark.line if exc.problem_mark else first
    at_context = first + exc.context_mark.line if exc.context_mark else at_problem
    if "quoted scalar" in context:
        return ScratchbookError("front matter: the quote that opens this value is never closed",
                                path=shown, line=at_context,
                                hint="close the quote at the end of the value, on the same line")
    if "expected <block end>" in problem:
        return ScratchbookError("front matter: text follows a quoted value (a value ends at "
                                "its closing quote)", path=shown, line=at_problem,
                                hint=QUOTE_HINT + "; or write it with single quotes, "
                                                  "doubling any ' inside: 'It''s'")
    if "mapping values are not allowed" in problem:
        return ScratchbookError("front matter: a ':' inside a value, or a line indented under "
                                "the one above", path=shown, line=at_problem,
                                hint=QUOTE_HINT + "; start every key at the left margin")
    if "flow sequence" in context or "flow mapping" in context:
        return ScratchbookError("front matter: a list or mapping opened here is not closed",
                                path=shown, line=at_context,
                                hint="close it on the same line: aliases: [\"/old/\"]")
    if "could not find expected ':'" in problem:
        return ScratchbookError("front matter: this line is not 'key: value'", path=shown,
                                line=at_context, hint="write '# key: value' (a space after ':')")
    if "\\t" in problem or "\t" in problem:
        return ScratchbookError("front matter: a tab character", path=shown, line=at_problem,
                                hint="YAML indents with spaces only")
    return ScratchbookError(f"front matter is not valid YAML: {problem}", path=shown,
                            line=at_problem, hint="write one '# key: value' per line")


# --------------------------------------------------------------------------- validation

def validate(post: "Post") -> FrontMatter:
    header = post.header
    top = post.header_line or 1

    def fail(message: str, key: str | None = None, hint: str | None = None) -> ScratchbookError:
        line = post.header_lines.get(key, top) if key else top
        return ScratchbookError(f"front matter: {message}", path=post.display_path, line=line,
                                hint=hint)

    if not header:
        raise fail("missing", hint="start the post with a '# ---' block holding at least "
                                   "title and weight")
    for key, why in FORBIDDEN_KEYS.items():
        if key in header:
            raise fail(f"'{key}' is not allowed: {why}", key, hint=f"remove the '{key}' line")
    unknown = [key for key in header if key not in ALLOWED_KEYS + NEVER_PUBLISHED]
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}", unknown[0],
                   hint=f"allowed keys: {', '.join(ALLOWED_KEYS)}")
    for key in ("title", "weight"):
        if header.get(key) in (None, ""):
            raise fail(f"'{key}' is required", key if key in header else None,
                       hint=f"add a line '# {key}: ...'")
    if not isinstance(header["title"], str):
        raise fail("'title' must be text", "title", hint='quote it: title: "..."')
    weight = header["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise fail(f"'weight' must be a whole number, not {weight!r}", "weight",
                   hint="e.g. weight: 30 (Hugo orders the series by it)")
    skin = header.get("skin", "chalkboard")
    if skin not in KNOWN_SKINS:
        raise fail(f"unknown skin {skin!r}", "skin", hint=f"use one of: {', '.join(KNOWN_SKINS)}")
    draft = header.get("draft", True)
    if not isinstance(draft, bool):
        raise fail(f"'draft' must be true or false, not {draft!r}", "draft",
                   hint="write draft: true or draft: false")
    for key in ("description", "series"):
        if not isinstance(header.get(key, ""), str):
            raise fail(f"'{key}' must be text", key, hint=f'quote it: {key}: "..."')
    slug = header.get("slug") or default_slug(post.stem)
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise fail(f"slug {slug!r} is not a plain name", "slug" if "slug" in header else None,
                   hint="use lowercase letters, digits and single dashes (it names the output "
                        "file and must stay inside hugo_content/ and figures/)")
    if slug == "index":
        raise fail("slug 'index' would make hugo_content/blog/index.md, which turns the blog "
                   "section into one page and hides every other post",
                   "slug" if "slug" in header else None, hint="choose another slug")
    aliases = header.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(
            isinstance(a, str) and ALIAS.match(a) and ".." not in a.split("/") for a in aliases):
        raise fail(f"'aliases' must be a list of URL paths, not {aliases!r}", "aliases",
                   hint='e.g. aliases: ["/blog/old-name/"] (the old URLs of a renamed post)')
    return FrontMatter(title=header["title"], weight=weight, slug=slug,
                       description=header.get("description", ""),
                       series=header.get("series", ""), skin=skin, draft=draft,
                       aliases=tuple(aliases))

"""Parse a literate post (Jupytext py:percent) into plain data.

A post is a YAML front-matter block in ``# `` comments, then cells::

    # ---
    # title: "..."
    # weight: 30
    # ---

    # %% [markdown]
    # Prose, rendered as a Jinja2 template.

    # %% tags=["hide-input"]
    x = 1

Cells are split where Jupytext splits them (``jupytext.read(path, fmt="py:percent")``):
a ``# %%`` line inside a string, or inside a fenced block of prose, starts no cell, and a
commented cell magic (``# %%time``) is no marker. The few places where a post reads
differently from its notebook on purpose are listed in the README ("Intended differences
from Jupytext") and each has a test. Parsing knows nothing about running or weaving and
imports nothing heavy: it returns a :class:`Post`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .cellmeta import Marker, read_marker
from .errors import ScratchbookError
from .frontmatter import load_yaml
from .header import read_header, uncomment
from .strings import StringParser

START = re.compile(r"^\s*#\s*%%(%*)\s(.*)$")
ALTERNATIVE_START = re.compile(r"^\s*#\s*(%%|<codecell>|In\[[0-9 ]*\]:?)\s*$")
CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True)
class Cell:
    kind: str                 # "code", "markdown" or "raw"
    source: str               # code as written, or the prose with its "# " prefixes removed
    first_line: int           # 1-based line in the post of source's first line
    options: dict = field(default_factory=dict)
    title: str = ""

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.options.get("tags", ()))

    @property
    def active(self) -> bool:
        """Does this cell run when the post runs as Python? (Jupytext's ``active=``)"""
        for tag in self.tags:
            if tag.startswith("active-"):
                return "py" in tag.split("-")
        if "active" not in self.options:
            return True
        return "py" in re.split(r"\.|,", str(self.options["active"]))


@dataclass(frozen=True)
class Post:
    path: Path
    display_path: str         # the path as shown to people (relative to the project)
    header: dict              # the raw front-matter mapping (validated elsewhere)
    header_line: int          # line of the header's first YAML line (0 when absent)
    cells: tuple[Cell, ...]
    header_lines: dict = field(default_factory=dict)   # top-level key -> its post line

    @property
    def stem(self) -> str:
        return self.path.stem


def parse_post(path: Path, display_path: str | None = None) -> Post:
    path = Path(path)
    shown = display_path or str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScratchbookError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=shown,
                               hint="save the post as UTF-8") from None
    return parse_text(text, path, shown)


def parse_text(text: str, path: Path | str = "<post>", display_path: str | None = None) -> Post:
    shown = display_path or str(path)
    lines = text.removeprefix("\ufeff").splitlines()
    header = read_header(lines)
    if header.unclosed:
        raise ScratchbookError("the front matter block opened here is never closed",
                               path=shown, line=header.fence_line,
                               hint="close the header with a '# ---' line, every line "
                                    "in between starting with '#'")
    if header.encoding and header.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ScratchbookError(f"the coding line declares {header.encoding}", path=shown,
                               line=header.coding_line,
                               hint="posts are UTF-8: write '# -*- coding: utf-8 -*-' or "
                                    "remove the line")
    mapping, key_lines = load_yaml(header, shown)
    cells = read_cells(lines, header.body_start, shown)
    return Post(Path(path), shown, mapping, header.first_line, tuple(cells), key_lines)


def read_cells(lines: list[str], start: int, shown: str) -> list[Cell]:
    cells: list[Cell] = []
    pos = start
    while pos < len(lines):
        cell, pos = _read_cell(lines, pos, shown)
        if cell is not None:
            cells.append(cell)
    return cells


def _read_cell(lines: list[str], pos: int, shown: str) -> tuple[Cell | None, int]:
    """Read the cell starting at ``lines[pos]``; return it and where the next one starts."""
    first = lines[pos]
    if START.match(first):
        text = uncomment(first.lstrip())
        marker = read_marker(text[text.find("%%") + 2:])
        if marker.unreadable:
            raise ScratchbookError(f"cannot read the cell options {marker.unreadable!r}",
                                   path=shown, line=pos + 1,
                                   hint='write options as key=<JSON value>, e.g. '
                                        'tags=["hide-input"], or as JSON after the title: '
                                        '# %% Title {"tags": ["hide-input"]}')
        body_start, explicit = pos + 1, True
    else:
        marker = Marker("code")
        explicit = bool(ALTERNATIVE_START.match(first))
        body_start = pos + 1 if explicit else pos
    _check_tags(marker, shown, pos + 1)
    end = _cell_end(lines, pos, marker.kind)
    return _make_cell(marker, lines[body_start:end], body_start + 1, shown, explicit), end


def _cell_end(lines: list[str], pos: int, kind: str) -> int:
    """The index of the next marker that is neither inside a string nor in fenced prose."""
    parser = StringParser()
    fence = None
    for index in range(pos, len(lines)):
        line = lines[index]
        if parser.is_quoted():
            parser.read_line(line)
            continue
        parser.read_line(line)
        if kind in ("markdown", "raw"):
            text = uncomment(line)
            if fence:
                if _closes_fence(text, fence):
                    fence = None
                continue
            opening = _opening_fence(text)
            if opening and any(_closes_fence(uncomment(later), opening)
                               for later in lines[index + 1:]):
                fence = opening
                continue
        if index > pos and (START.match(line) or ALTERNATIVE_START.match(line)):
            return index
    return len(lines)


def _opening_fence(text: str):
    match = CODE_FENCE.match(text)
    if not match or (match.group(1)[0] == "`" and "`" in match.group(2)):
        return None
    return match.group(1)[0], len(match.group(1))


def _closes_fence(text: str, fence) -> bool:
    match = CODE_FENCE.match(text)
    return (bool(match) and match.group(1)[0] == fence[0] and len(match.group(1)) >= fence[1]
            and not match.group(2).strip())


def _check_tags(marker: Marker, shown: str, line: int) -> None:
    tags = marker.options.get("tags", [])
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise ScratchbookError("cell option 'tags' must be a list of strings", path=shown,
                               line=line, hint='write e.g. tags=["hide-input"]')


def _make_cell(marker: Marker, body: list[str], first_line: int, shown: str,
               explicit: bool) -> Cell | None:
    # Blank lines around a cell belong to the layout, not to the cell.
    lead = 0
    while lead < len(body) and not body[lead].strip():
        lead += 1
    trail = len(body)
    while trail > lead and not body[trail - 1].strip():
        trail -= 1
    content = body[lead:trail]
    kind, options = marker.kind, dict(marker.options)
    if not content and not explicit:
        return None         # blank lines before the first marker make no cell
    if kind in ("markdown", "raw"):
        docstring = _docstring(content)
        if docstring is not None:
            content = docstring
        else:
            for offset, line in enumerate(content):
                if line.strip() and not line.startswith("#"):
                    raise ScratchbookError(
                        f"a {kind} cell line must be a '# ' comment", path=shown,
                        line=first_line + lead + offset,
                        hint="prefix prose with '# ', or start a code cell with '# %%' above it")
            content = [uncomment(line) for line in content]
    return Cell(kind, "\n".join(content), first_line + (lead if content else 0), options,
                marker.title)


def _docstring(content: list[str]) -> list[str] | None:
    """Jupytext also reads a prose cell written as one triple-quoted string."""
    text = "\n".join(content).strip()
    for prefix in ("", "r", "R"):
        for quote in ('"""', "'''"):
            left = prefix + quote
            if text.startswith(left) and text.endswith(quote) and len(text) >= len(left) + 3:
                inner = text[len(left):-3]
                inner = inner[1:] if inner.startswith("\n") else inner
                inner = inner[:-1] if inner.endswith("\n") else inner
                return inner.splitlines()
    return None

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

Parsing knows nothing about running or weaving: it returns a :class:`Post`.
Every problem is reported as a :class:`ScratchbookError` naming the line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ScratchbookError

CELL_MARKER = re.compile(r"^#\s?%%(?P<rest>.*)$")
CELL_TYPE = re.compile(r"\[(?P<type>[A-Za-z]+)\]")
OPTION_KEY = re.compile(r"(?P<key>[A-Za-z_][\w-]*)=")
MARKDOWN_TYPES = {"markdown", "md"}
FENCE = "# ---"


@dataclass(frozen=True)
class Cell:
    kind: str                 # "code" or "markdown"
    source: str               # code, or the prose with its "# " prefixes removed
    first_line: int           # 1-based line in the post of source's first line
    options: dict = field(default_factory=dict)
    title: str = ""

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.options.get("tags", ()))


@dataclass(frozen=True)
class Post:
    path: Path
    display_path: str         # the path as shown to people (relative to the project)
    header: dict              # the raw front-matter mapping (validated elsewhere)
    header_line: int          # line of the header's first YAML line (0 when absent)
    cells: tuple[Cell, ...]

    @property
    def stem(self) -> str:
        return self.path.stem


def parse_post(path: Path, display_path: str | None = None) -> Post:
    path = Path(path)
    shown = display_path or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScratchbookError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=shown,
                               hint="save the post as UTF-8") from None
    return parse_text(text, path, shown)


def parse_text(text: str, path: Path | str = "<post>", display_path: str | None = None) -> Post:
    shown = display_path or str(path)
    lines = text.splitlines()
    header, header_line, body_start = _read_header(lines, shown)
    cells = _read_cells(lines, body_start, shown)
    return Post(Path(path), shown, header, header_line, tuple(cells))


def _read_header(lines: list[str], shown: str) -> tuple[dict, int, int]:
    """Return (mapping, line of first YAML line, index of the first body line)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip() != FENCE:
        return {}, 0, 0
    for end in range(first + 1, len(lines)):
        if lines[end].rstrip() == FENCE:
            break
        if not lines[end].startswith("#"):
            raise ScratchbookError("the front matter block is not closed before this line",
                                   path=shown, line=end + 1,
                                   hint=f"close the header with a '{FENCE}' line")
    else:
        raise ScratchbookError("the front matter block opened here is never closed",
                               path=shown, line=first + 1,
                               hint=f"close the header with a '{FENCE}' line")
    yaml_text = "\n".join(_uncomment(line) for line in lines[first + 1:end])
    try:
        header = yaml.safe_load(yaml_text) if yaml_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first + 2 + mark.line if mark is not None else first + 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScratchbookError(f"front matter is not valid YAML: {problem}", path=shown,
                               line=line) from None
    if not isinstance(header, dict):
        raise ScratchbookError("front matter must be a mapping of keys to values",
                               path=shown, line=first + 2)
    return header, first + 2, end + 1


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def _read_cells(lines: list[str], start: int, shown: str) -> list[Cell]:
    cells: list[Cell] = []
    # Jupytext treats text before the first marker as a code cell; so do we.
    kind, options, title, marker_line = "code", {}, "", start
    body: list[str] = []

    def flush() -> None:
        cell = _make_cell(kind, body, marker_line + 1, options, title, shown)
        if cell is not None:
            cells.append(cell)

    for index in range(start, len(lines)):
        match = CELL_MARKER.match(lines[index])
        if match:
            flush()
            kind, options, title = _parse_marker(match["rest"], shown, index + 1)
            marker_line, body = index + 1, []
        else:
            body.append(lines[index])
    flush()
    return cells


def _parse_marker(rest: str, shown: str, line: int) -> tuple[str, dict, str]:
    """``# %% [title] [markdown] key=value ...``: the type sits before the first option."""
    first_option = OPTION_KEY.search(rest)
    cut = first_option.start() if first_option else len(rest)
    head, options_text = rest[:cut], rest[cut:]
    kind = "code"
    type_match = CELL_TYPE.search(head)
    if type_match:
        cell_type = type_match["type"].lower()
        if cell_type in MARKDOWN_TYPES:
            kind = "markdown"
        elif cell_type != "code":
            raise ScratchbookError(f"unsupported cell type [{type_match['type']}]", path=shown,
                                   line=line, hint="use '# %%' for code or '# %% [markdown]'")
        head = head[:type_match.start()] + head[type_match.end():]
    return kind, _parse_options(options_text, shown, line), head.strip()


def _parse_options(text: str, shown: str, line: int) -> dict:
    """Parse Jupytext-style ``key=<json>`` options, e.g. ``tags=["hide-input"]``."""
    options: dict = {}
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return options
        key_match = OPTION_KEY.match(text, pos)
        if not key_match:
            raise ScratchbookError(f"cannot read cell option near {text[pos:pos + 20]!r}",
                                   path=shown, line=line,
                                   hint='options are key=<JSON value>, e.g. tags=["hide-input"]')
        try:
            value, pos = decoder.raw_decode(text, key_match.end())
        except json.JSONDecodeError:
            raise ScratchbookError(f"the value of cell option '{key_match['key']}' is not JSON",
                                   path=shown, line=line,
                                   hint='write e.g. tags=["hide-input"] or echo=false') from None
        if key_match["key"] == "tags" and not (
                isinstance(value, list) and all(isinstance(t, str) for t in value)):
            raise ScratchbookError("cell option 'tags' must be a list of strings", path=shown,
                                   line=line)
        options[key_match["key"]] = value


def _make_cell(kind: str, body: list[str], first_line: int, options: dict, title: str,
               shown: str) -> Cell | None:
    # Blank lines around a cell belong to the layout, not to the cell.
    lead = 0
    while lead < len(body) and not body[lead].strip():
        lead += 1
    trail = len(body)
    while trail > lead and not body[trail - 1].strip():
        trail -= 1
    content = body[lead:trail]
    if not content and kind == "code" and not options:
        return None
    if kind == "markdown":
        for offset, line in enumerate(content):
            if line.strip() and not line.startswith("#"):
                raise ScratchbookError(
                    "a markdown cell line must be a '# ' comment", path=shown,
                    line=first_line + lead + offset,
                    hint="prefix prose with '# ', or start a code cell with '# %%' above it")
        content = [_uncomment(line) if line.strip() else "" for line in content]
    return Cell(kind, "\n".join(content), first_line + lead, dict(options), title)

"""What changed between a committed output and the regenerated one, short enough to read.

Text (markdown, ledgers): a unified diff with a little context, each hunk headed by the place
in the post that produced it. SVG figures: the elements whose attributes or text differ.
Both are capped, ending with a "... N more lines" mark.
"""

from __future__ import annotations

import difflib
import os
import xml.etree.ElementTree as ET
from typing import Callable

CONTEXT = 2
MAX_LINES = 30
MAX_ELEMENTS = 12
MAX_VALUE = 60
MAX_LINE = 200


def cap(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"... {len(lines) - limit} more lines"]


def shorten(text: str, width: int = MAX_VALUE) -> str:
    """Text cut to ``width`` characters, the cut marked with '…'."""
    return text if len(text) <= width else text[:width - 1] + "…"


def text_diff(old: str, new: str, origin: Callable[[int], str] | None = None,
              limit: int = MAX_LINES) -> list[str]:
    """A unified diff of two texts, long lines cut with '…'. ``origin(line)`` names what
    produced line ``line`` (1-based) of the new text; each hunk is headed by the origins of
    its changed lines."""
    a, b = old.splitlines(), new.splitlines()
    lines = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        header = f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@"
        if origin is not None:
            origins = [origin(n + 1) for tag, _, _, n1, n2 in group if tag != "equal"
                       for n in (range(n1, n2) or [n1])]
            header += "  from " + ", ".join(dict.fromkeys(origins))
        lines.append(header)
        for tag, o1, o2, n1, n2 in group:
            if tag == "equal":
                lines += [" " + shorten(line, MAX_LINE) for line in a[o1:o2]]
                continue
            lines += ["-" + shorten(line, MAX_LINE) for line in a[o1:o2]]
            lines += ["+" + shorten(line, MAX_LINE) for line in b[n1:n2]]
    return cap(lines, limit)


def svg_diff(old: bytes, new: bytes, limit: int = MAX_ELEMENTS) -> list[str]:
    """The elements of two SVG documents that differ: path, attribute or text, old -> new."""
    try:
        old_root, new_root = ET.fromstring(old), ET.fromstring(new)
    except ET.ParseError as exc:
        return [f"(not comparable as SVG: {exc})"]
    found: list[str] = []
    _compare(old_root, new_root, _tag(old_root), found)
    return cap(found, limit)


def _tag(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _path(parent: str, element: ET.Element, counts: dict[str, int]) -> str:
    """An element's path: ``#line2d_1`` when it has an id (unique in a document), else its
    parent's path and ``/path[3]``, its position among same-tag siblings."""
    tag = _tag(element)
    counts[tag] = counts.get(tag, 0) + 1
    return f"#{element.get('id')}" if element.get("id") else f"{parent}/{tag}[{counts[tag]}]"


def _compare(old: ET.Element, new: ET.Element, path: str, found: list[str]) -> None:
    if old.tag != new.tag:
        found.append(f"{path}: <{_tag(old)}> -> <{_tag(new)}>")
        return
    for name in sorted(set(old.attrib) | set(new.attrib)):
        before, after = old.attrib.get(name), new.attrib.get(name)
        if before != after:
            found.append(f"{path} @{name.rpartition('}')[2]}: {_change(before, after)}")
    if (old.text or "").strip() != (new.text or "").strip():
        found.append(f"{path} text: {_change((old.text or '').strip(), (new.text or '').strip())}")
    counts: dict[str, int] = {}
    old_children, new_children = list(old), list(new)
    for index in range(max(len(old_children), len(new_children))):
        child = (new_children if index < len(new_children) else old_children)[index]
        child_path = _path(path, child, counts)
        if index >= len(old_children):
            found.append(f"{child_path}: added")
        elif index >= len(new_children):
            found.append(f"{child_path}: removed")
        else:
            _compare(old_children[index], new_children[index], child_path, found)


def _change(before: str | None, after: str | None) -> str:
    """``old -> new``, long values shown from a little before where they start to differ."""
    if before is None or after is None:
        shown = lambda value: "(none)" if value is None else repr(shorten(value))
        return f"{shown(before)} -> {shown(after)}"
    same = len(os.path.commonprefix([before, after]))
    start = max(same - 20, 0)
    cut = lambda value: ("…" if start else "") + shorten(value[start:])
    return f"{cut(before)!r} -> {cut(after)!r}"

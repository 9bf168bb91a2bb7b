"""The comment header of a post: ``# ---`` ... ``# ---`` holding YAML front matter.

As in Jupytext, a shebang (``#!...``) on the first line and a coding line on the first or
second line may stand above the header; they belong to neither the header nor a cell. The
header is returned as text with its line numbers; turning it into keys is YAML's job
(``frontmatter.py``), so this module imports nothing heavy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = re.compile(r"^---\s*$")
CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-_.a-zA-Z0-9]+)")


@dataclass(frozen=True)
class Header:
    yaml: str             # the YAML text, '# ' prefixes removed, one line per post line
    first_line: int       # post line of the YAML's first line (0 when there is no header)
    body_start: int       # index of the first line the cells may use
    fence_line: int = 0   # post line of the opening '# ---' (0 when there is none)
    unclosed: bool = False
    encoding: str = ""    # the coding line's encoding, when there is one
    coding_line: int = 0  # its post line


def uncomment(line: str) -> str:
    """Jupytext's rule: drop '# ', or else '#'."""
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def read_header(lines: list[str]) -> Header:
    start, encoding, coding_line = 0, "", 0
    if lines and lines[0].startswith("#!"):
        start = 1
    if start < len(lines) and (coding := CODING.match(lines[start])):
        start, encoding, coding_line = start + 1, coding.group(1), start + 1
    fence = None
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.startswith("#"):
            break
        text = uncomment(line)
        if fence is None:
            if FENCE.match(text):
                fence = index
                continue
            if text.strip():
                break
            continue
        if FENCE.match(text):
            yaml_text = "\n".join(uncomment(line) for line in lines[fence + 1:index])
            return Header(yaml_text, fence + 2, index + 1, fence + 1, False, encoding,
                          coding_line)
    if fence is not None:
        return Header("", 0, start, fence + 1, True, encoding, coding_line)
    return Header("", 0, start, 0, False, encoding, coding_line)

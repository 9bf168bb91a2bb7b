"""The options on a ``# %%`` line, read the way Jupytext reads them.

``# %% Title [markdown] key=value ...`` and ``# %% Title {"key": value}`` (the JSON form
Jupytext writes when a notebook's cell metadata is JSON). A bare ``key`` means ``key=None``.
This module is a port of the parts of Jupytext's ``cell_metadata`` that the py:percent
format uses, so that a post and its paired notebook agree on every cell's options.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

IDENTIFIER = re.compile(r"^[a-zA-Z_\.]+[a-zA-Z0-9_\.]*$")
METADATA_KEY = re.compile(r"^[a-zA-Z0-9_\.@/-]+$")
CELL_TYPES = ("markdown", "raw", "md")
UNREADABLE = "incorrectly_encoded_metadata"


@dataclass(frozen=True)
class Marker:
    kind: str                        # "code", "markdown" or "raw"
    title: str = ""
    options: dict = field(default_factory=dict)
    unreadable: str = ""             # option text neither key=value nor JSON


def read_marker(text: str) -> Marker:
    """The title, kind and options after ``%%`` on a cell marker line."""
    title, options = _title_and_options(text)
    if not isinstance(options, dict):
        options = {UNREADABLE: text.strip()}
    kind = "code"
    for cell_type in CELL_TYPES:
        code = f"[{cell_type}]"
        if code in title:
            title = title.replace(code, "").strip()
            kind = "markdown" if cell_type == "md" else cell_type
            break
    title = title.lstrip("%").strip()          # Spyder's sub-cells: '# %%% title'
    unreadable = options.pop(UNREADABLE, "")
    return Marker(kind, title, options, unreadable if isinstance(unreadable, str) else "")


def _title_and_options(text: str) -> tuple[str, dict]:
    text = text.strip()
    curly, equal = text.find("{"), text.find("=")
    if curly >= 0 and not 0 <= equal < curly:
        return text[:curly].strip(), _loads(text[curly:], catch=True)
    if equal >= 0:
        words = text[:equal].split(" ")
        while words and not words[-1]:
            words.pop()
        if words:
            words.pop()                              # the key before the '='
    else:
        words = text.split(" ")
    while words and (not words[-1].strip() or words[-1].startswith(".")):
        words.pop()
    title = " ".join(words)
    return title, _key_equal_value(text[len(title):])


def _key_equal_value(text: str) -> dict:
    text = text.strip()
    if not text:
        return {}
    last_space = text.rfind(" ")
    if not text.startswith("--") and IDENTIFIER.match(text[last_space + 1:]):
        result = {text[last_space + 1:]: None}
        if last_space > 0:
            result.update(_key_equal_value(text[:last_space]))
        return result
    equal = None
    while True:
        equal = text.rfind("=", None, equal)
        if equal < 0:
            return {UNREADABLE: text}
        before = text[:equal].rstrip().rfind(" ")
        key = text[before + 1:equal].strip()
        if not METADATA_KEY.match(key):
            continue
        try:
            value = _loads(text[equal + 1:])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        options = _key_equal_value(text[:before]) if before > 0 else {}
        options[key] = value
        return options


def _loads(text: str, catch: bool = False):
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    if not catch:
        return ast.literal_eval(text)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return {UNREADABLE: text}

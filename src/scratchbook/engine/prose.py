"""The rules of prose cells as Jinja templates, and errors in the author's terms.

Jinja is active everywhere in prose: ``{{ ... }}`` inside inline code and inside math is
evaluated on purpose. The escape rule:

* Hugo shortcodes ``{{< ... >}}`` and ``{{% ... %}}`` pass through to Hugo unchanged
  (expressions inside their arguments, ``{{ data_file(d, "x") }}``, are still evaluated).
* To show ``{{``, ``{%`` or ``{#`` literally, write ``{{ '{{' }}``, ``{{ '{%' }}``,
  ``{{ '{#' }}``, or wrap the text in ``{% raw %} ... {% endraw %}``; in math, ``{ {``
  (with a space) means the same to LaTeX. A whole cell written ``# %% [raw]`` is
  published as it is, without Jinja.
* ``{# ... #}`` (a Jinja comment) is refused: it would vanish from the page silently.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping

import jinja2
from jinja2.utils import missing

from .errors import ScratchbookError

SHORTCODE_OPEN = re.compile(r"\{\{([<%])")
RAW_BLOCK = re.compile(r"(\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\})", re.S)
LITERAL_HINT = ("to show it literally write {{ '%s' }}, or wrap the text in "
                "{%% raw %%} ... {%% endraw %%}")


OUTSIDE = re.compile(r"\{\{[<%]|\{\{|\{%")
INSIDE = {"}}": re.compile(r"\}\}|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"),
          "%}": re.compile(r"%\}|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")}


def _protect_shortcodes(text: str) -> str:
    """Wrap each Hugo shortcode opener ``{{<`` / ``{{%`` of the prose in a raw block, so
    Jinja leaves it to Hugo; openers inside a Jinja expression's string literals (an alt
    text naming a shortcode) are the expression's own and stay as written."""
    out, position = [], 0
    while True:
        found = OUTSIDE.search(text, position)
        if found is None:
            return "".join(out) + text[position:]
        out.append(text[position:found.start()])
        if found.group() in ("{{<", "{{%"):
            out.append("{% raw %}" + found.group() + "{% endraw %}")
            position = found.end()
            continue
        closer = "}}" if found.group() == "{{" else "%}"
        scan = found.end()
        while True:   # to the expression's end, past the strings inside it
            match = INSIDE[closer].search(text, scan)
            if match is None:
                scan = len(text)
                break
            scan = match.end()
            if match.group() == closer:
                break
        out.append(text[found.start():scan])
        position = scan


# An expression that opens a line, followed by "." or ")" and a space: "{{ n }}. More".
# Rendered, "3. More" would start an ordered list where the author wrote a sentence.
LINE_START_VALUE = re.compile(
    r"^( {0,3}\{\{(?:[^}\"']|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\}(?!\}))*\}\})([.)])(?=\s|$)",
    re.M)
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _escape_list_markers(text: str) -> str:
    """Escape the "." or ")" after an expression that opens a line, outside fenced code:
    CommonMark shows "\\." as "." whatever the value, and no list starts by accident."""
    out, fence = [], None
    for line in text.split("\n"):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0]
        elif fence is not None and opened and opened.group(1)[0] == fence:
            fence = None
        elif fence is None:
            line = LINE_START_VALUE.sub(r"\1\\\2", line)
        out.append(line)
    return "\n".join(out)


def prepare_prose(env: jinja2.Environment, source: str, shown: str) -> str:
    """The template Jinja renders: shortcode openers protected, comments refused, and no
    value that opens a line followed by "." or ")" able to start a list."""
    pieces = RAW_BLOCK.split(source)           # odd pieces: the author's own raw blocks
    source = "".join(piece if index % 2 else _protect_shortcodes(_escape_list_markers(piece))
                     for index, piece in enumerate(pieces))
    try:
        for line, kind, _value in env.lex(source):
            if kind != "comment_begin":
                continue
            if "#}" not in "\n".join(source.split("\n")[line - 1:]):
                raise _unclosed_comment(line, shown)
            raise ScratchbookError(
                "'{#' starts a Jinja comment: the text up to '#}' would vanish from the "
                "page", path=shown, line=line,
                hint=LITERAL_HINT % "{#" + "; to keep a note out of the page, put it in "
                     "a '#' comment of a code cell")
    except jinja2.TemplateSyntaxError as exc:
        raise syntax_error(exc, source, shown) from None
    return source


def syntax_error(exc: jinja2.TemplateSyntaxError, source: str, shown: str) -> ScratchbookError:
    line = exc.lineno or 1
    text = source.split("\n")[line - 1] if line <= source.count("\n") + 1 else ""
    message = exc.message or ""
    if "comment" in message:
        return _unclosed_comment(line, shown)
    if "{%" in text and "{{" not in text:
        return ScratchbookError(
            f"'{{%' starts a Jinja statement, and what follows is not one ({message})",
            path=shown, line=line, hint=LITERAL_HINT % "{%")
    return ScratchbookError(
        f"'{{{{' starts a Jinja expression, and what follows is not one ({message})",
        path=shown, line=line,
        hint=LITERAL_HINT % "{{" + "; in math, write '{ {' with a space (LaTeX reads it the "
             "same): \\( e^{ {i\\pi} } \\)")


def _unclosed_comment(line: int, shown: str) -> ScratchbookError:
    return ScratchbookError(
        "'{#' opens a Jinja comment that is never closed (a heading id such as {#results} "
        "is one)", path=shown, line=line,
        hint=LITERAL_HINT % "{#" + ", e.g. ## Results {{ '{#' }}results}")


class ProseUndefined(jinja2.StrictUndefined):
    """Says which keys or attributes exist when the prose asks for one that does not."""

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint is None and obj is not missing:
            if isinstance(obj, Mapping):
                keys = ", ".join(repr(k) for k in list(obj)[:30])
                return f"no key {name!r}; the keys are: {keys or '(none)'}"
            names = [n for n in dir(obj) if not n.startswith("_")][:30]
            return (f"a {type(obj).__name__} has no attribute {name!r}; "
                    f"its attributes are: {', '.join(names) or '(none)'}")
        return super()._undefined_message


USAGE = {
    "num": 'num(value, ".3f") or num(count, ",")',
    "pct": "pct(share, 1)",
    "seconds": "seconds(elapsed)",
    "plural": 'plural(n, "task") or plural(n, "child", "children")',
    "count_of": 'count_of(k, n, "letter")',
    "share": "share(fraction, 1)",
    "seeds": 'seeds(values, ".3f")',
    "difference": 'difference(values_a, values_b, ".3f")',
    "claim": 'claim(a > b, "A beats B.", a=a, b=b)',
    "figure": 'figure(fig, "name", alt="what it shows", caption="...")',
    "code": "code(function_or_class)",
    "diff": "diff(Base, Variant) or diff(Base, Variant, also=[NewLayer])",
    "table": 'table(rows, headers=["name", "loss"], formats={"loss": ".3f"})',
    "data_file": 'data_file(data, "name")',
}


def checked_helpers(helpers: dict) -> dict:
    """Each helper, checking its arguments first: a wrong call is named in prose terms."""
    return {name: _checked(name, helper) if name in USAGE else helper
            for name, helper in helpers.items()}


def _checked(name: str, helper):
    signature = inspect.signature(helper)

    def call(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            shown = {k: v for k, v in kwargs.items() if not k.startswith("_")}
            raise ScratchbookError(f"{name}(): {_plain(str(exc))}", line=kwargs.get("_line"),
                                   hint=f"write {USAGE[name]}" if shown or args else None
                                   ) from None
        return helper(*args, **kwargs)

    call.__name__ = name
    return call


def _plain(message: str) -> str:
    return re.sub(r"^\w+(\.\w+)*\(\) ", "", message)

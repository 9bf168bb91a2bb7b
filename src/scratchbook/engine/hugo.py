r"""Text the engine writes from code, made to reach the rendered page exactly as written.

Hugo reads shortcodes (``{{< ... >}}`` and ``{{% ... %}}``) everywhere in a page before
markdown, even inside code fences, and its ``{{</* */>}}`` escape only works for well-formed
shortcodes. So:

* a code block (code cell, output, excerpt, diff) is a markdown fence, longer than any run of
  backticks inside it; when its text holds ``{{<`` or ``{{%`` it is written instead as an
  HTML ``<pre><code>`` block with every ``{`` as ``&#123;`` (Hugo needs
  ``markup.goldmark.renderer.unsafe = true``, which the README's configuration sets);
* inline text (table cells, captions) has its markdown punctuation backslash-escaped, which
  also breaks up ``{{<``, and Hugo's typographer is kept off ``"``, ``'``, ``--`` and ``...``;
  never in a way that writes a math delimiter (``\(``, ``\[``) that the passthrough
  extension would take for math.
"""

from __future__ import annotations

import html
import re

SHORTCODE_OPEN = re.compile(r"\{\{[<%]")
BACKTICKS = re.compile(r"`+")
# Parentheses stay as they are and brackets become entities: a backslash before them would
# write "\\(" or "\\[", the inline and display math delimiters of Hugo's passthrough.
ALWAYS_ESCAPED = set("\\`*_{}<>#+!|~&$\"'")
AS_ENTITIES = {"[": "&#91;", "]": "&#93;"}
# Markdown still reads the text inside inline HTML, so its punctuation becomes entities.
ENTITIES = {ord(c): f"&#{ord(c)};" for c in "{}|`*_\\[]~$!#\"'"}
RUNS = re.compile(r"-{2,}|\.{3,}")


def code_block(text: str, language: str = "") -> str:
    """A block showing ``text`` verbatim, highlighted as ``language`` where Hugo can."""
    if SHORTCODE_OPEN.search(text):
        escaped = html.escape(text, quote=False).replace("{", "&#123;")
        css = f' class="language-{language}"' if language else ""
        return f"<pre><code{css}>{escaped}\n</code></pre>"
    longest = max((len(run) for run in BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def inline_code(text: str) -> str:
    """Inline code that shows exactly ``text``, also in a table cell (HTML: a markdown code
    span cannot hold a '|' inside a table)."""
    text = " ".join(str(text).splitlines())
    escaped = html.escape(text, quote=False).translate(ENTITIES)
    escaped = RUNS.sub(lambda m: "".join(f"&#{ord(c)};" for c in m.group()), escaped)
    return f"<code>{escaped}</code>"


def inline_text(text: str) -> str:
    """Markdown that shows exactly ``text`` on one line (a table cell, a caption)."""
    text = " ".join(str(text).splitlines())
    out = []
    for index, char in enumerate(text):
        out.append("\\" + char if char in ALWAYS_ESCAPED else AS_ENTITIES.get(char, char))
    escaped = RUNS.sub(lambda m: "".join("\\" + c for c in m.group()), "".join(out))
    # A leading "-" or "1." / "1)" would start a list where the text stands alone.
    if escaped.startswith("-"):
        return "\\" + escaped
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)

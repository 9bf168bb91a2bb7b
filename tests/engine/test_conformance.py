"""The reader agrees with Jupytext (the pinned version) on generated posts.

Posts are written by hand (every marker and option form) and by Jupytext's own writer, with
CRLF line ends, a byte-order mark, ``# %%`` inside strings and inside fenced prose. The two
readers must agree on cell boundaries, kinds, sources, titles, tags and options, up to the
intended differences listed in the README; :func:`as_notebook_sees_it` applies exactly those.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scratchbook.engine.source import parse_text

jupytext = pytest.importorskip("jupytext")
from jupytext.magics import uncomment_magic  # noqa: E402
from jupytext.cell_reader import unescape_code_start  # noqa: E402

HEADER = ['# ---', '# title: "Generated"', '# weight: 10', '# ---', '']
JUPYTEXT_KEYS = {"lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_depth", "title",
                 "region_name", "cell_type", "comment_questions", "cell_marker"}

code_units = st.sampled_from([
    ["x = 1"], ["print(x)"], ["# a comment"], [""], ["def f():", "    return 2"],
    ["# %%time"], ["#%%writefile notes.txt"], ["# %%capture"], ["# %time y = 3"],
    ['s = """', "# %% not a marker", '"""'], ["t = '''", "#%%", "'''"],
    ['u = "# %% in a one-line string"'], ["d = {'a': 1}"],
])
prose_units = st.sampled_from([
    ["Some *prose* with {{ x }}."], [""], ["A `code` span and a [link](https://example.org)."],
    ["```mermaid", "stateDiagram", "%% states", "```"], ["~~~", "# %% tilde fence", "~~~"],
    ["$$", "e^{i\\pi}", "$$"], ["- a list", "- of items"],
])
titles = st.sampled_from(["", "Plot", "Results [table]", "A longer title"])
option_sets = st.sampled_from([{}, {"tags": ["hide-input"]}, {"tags": ["remove-cell"]},
                               {"tags": ["hide-output", "x-y"], "custom": {"a": 1}},
                               {"echo": False}, {"jupyter": {"source_hidden": True}}])


@st.composite
def cells(draw):
    kind = draw(st.sampled_from(["code", "markdown", "raw"]))
    units = prose_units if kind != "code" else code_units
    lines = [line for unit in draw(st.lists(units, min_size=0, max_size=4)) for line in unit]
    return kind, lines, draw(titles), draw(option_sets), draw(st.sampled_from(["kv", "json"]))


def marker(kind: str, title: str, options: dict, form: str) -> str:
    head = " ".join(p for p in (title, "" if kind == "code" else f"[{kind}]") if p)
    if not options:
        return f"# %% {head}".rstrip() if head else "# %%"
    text = json.dumps(options) if form == "json" else " ".join(
        f"{key}={json.dumps(value)}" for key, value in options.items())
    return f"# %% {head} {text}".replace("%%  ", "%% ")


def by_hand(generated) -> str:
    lines = list(HEADER)
    for kind, body, title, tags, form in generated:
        lines.append(marker(kind, title, tags, form))
        for line in body:
            lines.append(line if kind == "code" else (f"# {line}" if line else "#"))
        lines.append("")
    return "\n".join(lines) + "\n"


def by_jupytext(generated) -> str:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

    make = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}
    notebook = new_notebook(cells=[], metadata={"jupytext": {"formats": "ipynb,py:percent"}})
    for kind, body, title, tags, _form in generated:
        metadata = {**tags, **({"title": title} if title else {})}
        notebook.cells.append(make[kind](source="\n".join(body), metadata=metadata))
    text = jupytext.writes(notebook, fmt="py:percent")
    return "\n".join(HEADER[:-1]) + "\n\n" + text


def jupytext_cells(text: str) -> list[dict]:
    notebook = jupytext.reads(text, fmt="py:percent")
    cells = list(notebook.cells)
    if cells and cells[0].cell_type == "raw" and cells[0].source.startswith("---"):
        cells = cells[1:]                       # the front matter (ours: Post.header)
    return [{"kind": c.cell_type, "source": _trim(c.source), "title": c.metadata.get("title", ""),
             "options": {k: v for k, v in c.metadata.items() if k not in JUPYTEXT_KEYS}}
            for c in cells]


def as_notebook_sees_it(post) -> list[dict]:
    """Our cells, with the intended differences undone (see the README's table)."""
    out = []
    for cell in post.cells:
        source = cell.source
        if cell.kind == "code":
            lines = source.split("\n")
            uncomment_magic(lines, "python", explicitly_code=True)   # magics stay comments
            source = "\n".join(unescape_code_start(lines, ".py", "python"))
        out.append({"kind": cell.kind, "source": _trim(source), "title": cell.title,
                    "options": dict(cell.options)})
    return out


def _trim(source: str) -> str:
    """Blank lines at a cell's edges are layout (Jupytext keeps some, depending on PEP 8)."""
    return source.strip("\n")


def agree(text: str) -> None:
    ours = as_notebook_sees_it(parse_text(text, "posts/01_generated.py"))
    assert ours == jupytext_cells(text.removeprefix("\ufeff"))


SETTINGS = dict(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(**SETTINGS)
@given(st.lists(cells(), min_size=1, max_size=5), st.booleans(), st.booleans())
def test_hand_written_posts_read_as_jupytext_reads_them(generated, crlf, bom):
    text = by_hand(generated)
    if crlf:
        text = text.replace("\n", "\r\n")
    agree(("\ufeff" if bom else "") + text)


@settings(**SETTINGS)
@given(st.lists(cells(), min_size=1, max_size=5), st.booleans())
def test_posts_written_by_jupytext_read_as_jupytext_reads_them(generated, crlf):
    text = by_jupytext(generated)
    agree(text.replace("\n", "\r\n") if crlf else text)

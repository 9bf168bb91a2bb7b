"""A post is a Jupytext py:percent notebook and a plain script: what each observation in
issue 13 became, and one test per intended difference from Jupytext (README table)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scratchbook.engine.errors import ScratchbookError
from scratchbook.engine.frontmatter import validate
from scratchbook.engine.source import parse_post, parse_text

jupytext = pytest.importorskip("jupytext")

HEADER = '# ---\n# title: "Notebook"\n# weight: 10\n# ---\n\n'
POST = '''
# ---
# title: "Notebook"
# weight: 10
# ---

# %% [markdown]
# Hello {{ x }}.

# %% tags=["hide-input"]
x = 6 * 7
print(x)
'''


def ours(text: str) -> list[tuple]:
    return [(c.kind, c.source, c.tags, c.title) for c in parse_text(text, "posts/01_n.py").cells]


def theirs(text: str) -> list[tuple]:
    cells = jupytext.reads(text, fmt="py:percent").cells
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", ())), c.metadata.get("title", ""))
            for c in cells if not (c.cell_type == "raw" and c.source.startswith("---"))]


# --------------------------------------------------------------------------- reading

def test_jupytext_reads_the_same_cells(project):
    path = project.post("01_notebook", POST)
    notebook = jupytext.read(path, fmt="py:percent")
    cells = [(c.cell_type, c.source) for c in notebook.cells if c.cell_type != "raw"]
    assert cells == [(c.kind, c.source) for c in parse_post(path).cells]


def test_title_with_json_options_gives_the_title_and_the_tags():
    text = HEADER + '# %% Plot {"tags": ["hide-input"]}\nx = 1\n'
    assert ours(text) == theirs(text) == [("code", "x = 1", ("hide-input",), "Plot")]


@pytest.mark.parametrize("magic", ["# %%time", "# %%capture", "# %%bash", "#%%writefile a.txt"])
def test_a_commented_cell_magic_does_not_start_a_cell(magic):
    text = HEADER + f'# %% tags=["remove-cell"]\n{magic}\nsecret = 1\nprint(secret)\n'
    (cell,) = parse_text(text).cells
    assert cell.tags == ("remove-cell",) and cell.source.endswith("print(secret)")
    assert len(theirs(text)) == 1


def test_a_marker_inside_a_triple_quoted_string_does_not_split_the_cell():
    text = HEADER + '# %%\nsql = """\n# %% not a cell\n"""\nprint(len(sql))\n'
    assert [kind for kind, *_ in ours(text)] == ["code"] == [k for k, *_ in theirs(text)]


def test_a_marker_inside_a_fenced_block_of_prose_does_not_split_the_cell():
    text = HEADER + "# %% [markdown]\n# ```mermaid\n# %% states\n# ```\n# n is {{ n }}\n"
    (cell,) = parse_text(text).cells
    assert cell.kind == "markdown" and cell.source.endswith("n is {{ n }}")
    assert ours(text) == theirs(text)


@pytest.mark.parametrize("prefix", ["\ufeff", "# -*- coding: utf-8 -*-\n", "#!/usr/bin/env python\n",
                                    "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n"])
def test_bom_coding_line_and_shebang_above_the_header(prefix):
    post = parse_text(prefix + HEADER + "# %%\nx = 1\n", "posts/01_n.py")
    assert validate(post).title == "Notebook"
    assert [c.source for c in post.cells] == ["x = 1"]


def test_a_post_saved_with_a_bom_is_read_from_disk(tmp_path):
    path = tmp_path / "01_n.py"
    path.write_bytes(("\ufeff" + HEADER + "# %%\nx = 1\n").encode("utf-8"))
    assert validate(parse_post(path)).weight == 10


def test_a_bracketed_word_in_a_title_is_a_title():
    text = HEADER + "# %% Results [table]\nx = 1\n"
    assert ours(text) == theirs(text) == [("code", "x = 1", (), "Results [table]")]


def test_crlf_line_ends_read_like_lf():
    text = HEADER + '# %% [markdown]\n# Hi.\n\n# %% tags=["hide-input"]\nx = 1\n'
    crlf = text.replace("\n", "\r\n")
    assert ours(crlf) == ours(text) == theirs(crlf)
    assert parse_text(crlf).header == {"title": "Notebook", "weight": 10}


# --------------------------------------------------------------------------- intended differences

def test_difference_magics_stay_comments_so_the_post_runs_as_python():
    text = HEADER + "# %%\n# %time y = 3\ny = 3\n"
    assert ours(text)[0][1] == "# %time y = 3\ny = 3"
    assert theirs(text)[0][1] == "%time y = 3\ny = 3"


def test_difference_a_bom_is_dropped_where_jupytext_reads_the_header_as_code():
    text = "\ufeff" + HEADER + "# %%\nx = 1\n"
    assert parse_text(text).header["title"] == "Notebook"
    assert jupytext.reads(text, fmt="py:percent").cells[0].cell_type == "code"


def test_difference_the_front_matter_is_the_header_not_a_raw_cell():
    assert jupytext.reads(HEADER + "x = 1\n", fmt="py:percent").cells[0].cell_type == "raw"
    assert [c.kind for c in parse_text(HEADER + "x = 1\n").cells] == ["code"]


def test_difference_a_notebook_only_cell_is_neither_run_nor_published():
    text = HEADER + '# %% active="ipynb"\n# print("only in Jupyter")\n'
    (cell,) = parse_text(text).cells
    assert not cell.active and cell.source == '# print("only in Jupyter")'
    assert jupytext.reads(text, fmt="py:percent").cells[-1].source == 'print("only in Jupyter")'


def test_difference_a_script_only_cell_runs_and_is_published():
    text = HEADER + '# %% active="py"\nprint("only in the script")\n'
    (cell,) = parse_text(text).cells
    assert cell.kind == "code" and cell.active
    assert jupytext.reads(text, fmt="py:percent").cells[-1].cell_type == "raw"


def test_difference_blank_lines_at_a_cells_edges_are_layout():
    text = HEADER + "# %%\n\nx = 1\n\n\n\n# %%\ny = 2\n"
    assert ours(text)[0][1] == "x = 1"
    assert theirs(text)[0][1] != "x = 1"


def test_difference_an_uncommented_line_in_prose_is_refused():
    text = HEADER + "# %% [markdown]\n# prose\nx = 1\n"
    assert theirs(text)[0][:2] == ("markdown", "prose\nx = 1")
    with pytest.raises(ScratchbookError) as info:
        parse_text(text, "posts/01_n.py")
    assert info.value.line == 8 and "comment" in info.value.message


def test_difference_unreadable_cell_options_are_refused():
    text = HEADER + "# %% tags=[oops\nx = 1\n"
    assert "incorrectly_encoded_metadata" in jupytext.reads(text, fmt="py:percent").cells[-1].metadata
    with pytest.raises(ScratchbookError) as info:
        parse_text(text, "posts/01_n.py")
    assert info.value.line == 6 and "tags=[oops" in info.value.message


def test_difference_an_unclosed_header_is_refused():
    text = '# ---\n# title: "x"\nx = 1\n'
    assert jupytext.reads(text, fmt="py:percent").cells[0].cell_type == "code"
    with pytest.raises(ScratchbookError) as info:
        parse_text(text, "posts/01_n.py")
    assert info.value.line == 1 and "never closed" in info.value.message


# --------------------------------------------------------------------------- the notebook side

def test_a_post_runs_as_a_plain_script(project):
    path = project.post("01_notebook", POST)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "42\n"


def _jupytext_cli(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "jupytext", *args], cwd=cwd, check=True,
                   capture_output=True, text=True)


PAIRED = '''
# ---
# title: "Paired"
# weight: 10
# ---

# %% [markdown]
# Hello {{ x }}: the answer.
#
# ```mermaid
# %% states
# ```

# %% Answer {"tags": ["hide-input"]}
x = 6 * 7
print(x)

# %% tags=["remove-cell"]
# %%time
hidden = "never published"
print(hidden)
'''


def test_pairing_and_saving_through_jupytext_builds_the_same_markdown(project):
    path = project.post("01_paired", PAIRED)
    project.run("build", check=True)
    before = project.read("hugo_content/blog/paired.md")
    _jupytext_cli("--set-formats", "ipynb,py:percent", "posts/01_paired.py", cwd=project.root)
    assert "# jupyter:" in path.read_text()
    notebook = jupytext.read(project.root / "posts/01_paired.ipynb")
    jupytext.write(notebook, path, fmt="py:percent")             # what Jupyter's save does
    paired = path.read_bytes()
    project.run("build", check=True)
    assert project.read("hugo_content/blog/paired.md") == before
    assert path.read_bytes() == paired                           # the jupyter: block kept as is
    assert "jupyter" not in before and "never published" not in before


def test_the_dev_environment_has_a_kernel_for_paired_notebooks():
    result = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "python3" in result.stdout


OBSERVED = '''#!/usr/bin/env python
# -*- coding: utf-8 -*-
# ---
# title: "Observed"
# weight: 10
# ---

# %% [markdown]
# ```mermaid
# stateDiagram
# %% states
# ```
# n is {{ n }}.

# %% Setup {"tags": ["hide-input"]}
n = 3
query = """
# %% not a cell
"""

# %% tags=["remove-cell"]
# %%time
secret = "removed cell"
print(secret)

# %% Results [table]
print("shown", n)
'''


def test_a_post_hitting_each_reading_bug_builds_as_written(project):
    path = project.post("01_observed", OBSERVED)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    project.run("build", check=True)
    page = project.read("hugo_content/blog/observed.md")
    assert "n is 3." in page and "%% states" in page and "{{ n }}" not in page
    assert "n = 3" not in page                          # the hidden input stays hidden
    assert "removed cell" not in page and "%%time" not in page
    assert "shown 3" in page


def test_a_coding_line_other_than_utf8_is_refused_at_its_line():
    with pytest.raises(ScratchbookError) as info:
        parse_text("#!/usr/bin/env python\n# -*- coding: latin-1 -*-\n" + HEADER, "posts/01_n.py")
    assert info.value.line == 2 and "latin-1" in info.value.message


@pytest.mark.parametrize("marker", ["#%%", "# In[3]:", "# <codecell>", "# %%% Sub-cell",
                                    '# %% Notes [md] key="v"', "# %% echo", "    # %% indented"])
def test_every_marker_form_jupytext_reads_splits_the_same_way(marker):
    body = "# y = 2" if "[md]" in marker else "y = 2"
    text = HEADER + "# %%\nx = 1\n" + marker + "\n" + body + "\n"
    assert ours(text) == theirs(text) and len(ours(text)) == 2

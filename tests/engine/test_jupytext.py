"""A post is a Jupytext py:percent notebook and a plain script."""

import subprocess
import sys

import pytest

from scratchbook.engine.source import parse_post

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


def test_jupytext_reads_the_same_cells(project):
    jupytext = pytest.importorskip("jupytext")
    path = project.post("01_notebook", POST)
    notebook = jupytext.read(path, fmt="py:percent")
    cells = [(c.cell_type, c.source) for c in notebook.cells if c.cell_type != "raw"]
    ours = [(c.kind, c.source) for c in parse_post(path).cells]
    assert cells == ours
    code = next(c for c in notebook.cells if c.cell_type == "code")
    assert code.metadata.get("tags") == ["hide-input"]


def test_a_post_runs_as_a_plain_script(project):
    path = project.post("01_notebook", POST)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "42\n"

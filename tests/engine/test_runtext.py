"""Printed text that differs on every run is refused at the cell, before it reaches the page."""

import tempfile
from pathlib import Path

import pytest

from scratchbook.engine.runtext import find

RUN_DEPENDENT = [
    ("seed 0: exact 0.998 (12.3 s)", "a measured time", "12.3 s"),
    ("step 100 | loss 2.31 | 45.2 ms/step", "a measured time", "45.2 ms/step"),
    ("trained in 3min", "a measured time", "3min"),
    ("took 1.5e-3 seconds", "a measured time", "1.5e-3 seconds"),
    ("<__main__.Model object at 0x7f3a5c2b1d90>", "a memory address", "at 0x7f3a5c2b1d90"),
    ("<function loss at 0x10a2b3c4d>", "a memory address", "at 0x10a2b3c4d"),
    ("[2026-12-01 19:14:49] started", "a date and time of day", "2026-12-01 19:14:49"),
    ("run 2026-12-01T07:00", "a date and time of day", "2026-12-01T07:00"),
]
STABLE = [
    "step 500: loss 2.0131 (val 2.0456)",
    "4 experts, top-1, capacity 1.25",
    "ms_per_step is in the ledger",
    "names: emma, olivia, ava",
    "tensor([0.5000, 0.2500])",
    "1 + 2 = 3; 12 heads; 50 steps; 3 seeds",
    "x = 0x1F",
    "date: 2026-12-01",
]


@pytest.mark.parametrize("line,what,text", RUN_DEPENDENT)
def test_run_dependent_text_is_found_and_named(line, what, text):
    found = find(f"first line\n{line}\n")
    assert found is not None and found.what == what and found.text == text
    assert found.line == line.strip()


@pytest.mark.parametrize("line", STABLE)
def test_stable_text_passes(line):
    assert find(line) is None


def test_paths_on_the_build_machine_are_found(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    assert find(f"wrote {root}/figures/a.svg", root).what.endswith("(the project folder)")
    scratch = Path(tempfile.gettempdir()).resolve()
    assert find(f"cache in {scratch}/x", None).what.endswith("(the temporary folder)")
    assert find(f"home {Path.home().resolve()}/.cache", None) is not None
    assert find("wrote figures/a.svg", root) is None


POST = '''
# ---
# title: "Timed"
# weight: 10
# ---

# %% [markdown]
# A result, {{{{ num(result["acc"], ".2f") }}}}.

# %%{tags}
import time
from scratchbook import experiment


@experiment
def train():
    started = time.perf_counter()
    acc = 0.75
    print(f"trained: acc {{acc:.2f}}{timing}")
    return {{"acc": acc}}


result = train()
'''


def timed_post(project, tags="", timing=" ({time.perf_counter() - started:.1f} s)"):
    return project.post("01_timed", POST.format(tags=tags, timing=timing))


def test_a_shown_output_with_a_measured_time_fails_the_build_at_its_cell(project):
    timed_post(project)
    result = project.run("build")
    assert result.returncode == 1
    assert "posts/01_timed.py:10" in result.stderr
    assert "a measured time" in result.stderr and "s)" in result.stderr
    assert "seconds()" in result.stderr and "hide-output" in result.stderr
    assert not (project.root / "hugo_content/blog/timed.md").exists()


def test_a_hidden_output_or_a_stable_one_builds_and_regenerates(project):
    timed_post(project, tags=' tags=["hide-output"]')
    project.run("build", check=True)
    assert "trained: acc 0.75" not in project.read("hugo_content/blog/timed.md")
    assert project.run("check").returncode == 0
    timed_post(project, timing="")
    project.run("build", check=True)
    assert "trained: acc 0.75" in project.read("hugo_content/blog/timed.md")
    assert project.run("check").returncode == 0

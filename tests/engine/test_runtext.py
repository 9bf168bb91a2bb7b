"""Printed text that differs on every run is refused at the cell, before it reaches the page."""

import datetime
import tempfile
from pathlib import Path

import pytest

from scratchbook.engine.runtext import find

NOW = datetime.datetime(2026, 12, 1, 19, 14, 49)   # the build's clock in these cases

RUN_DEPENDENT = [
    ("seed 0: exact 0.998 (12.3 s)", "a measured time", "(12.3 s)"),
    ("step 100 | loss 2.31 | 45.2 ms/step", "a measured time", "45.2 ms/step"),
    ("200/200 - 2s 15ms/step - loss: 0.1", "a measured time", "15ms/step"),
    ("iter 10: loss 2.1, time 1234.56ms", "a measured time", "time 1234.56ms"),
    ("trained in 3 min", "a measured time", "trained in 3 min"),
    ("experiment train: done in 0.0 s", "a measured time", "done in 0.0 s"),
    ("took 1.5e-3 seconds", "a measured time", "took 1.5e-3 seconds"),
    ("Elapsed: 12 s", "a measured time", "Elapsed: 12 s"),
    ("1000 loops, best of 5: 234 nsec per loop", "a measured time", "234 nsec per loop"),
    ("3.2 usec per loop", "a measured time", "3.2 usec per loop"),
    ("forward 12.3 \u03bcs per call", "a measured time", "12.3 \u03bcs per call"),     # Greek mu
    ("forward 12.3 \u00b5s/token", "a measured time", "12.3 \u03bcs/token"),         # micro sign
    ("100%|##########| 50/50 [00:01<00:00, 41.2it/s]", "a measured time", "41.2it/s"),
    ("throughput 1.2k tok/s", "a measured time", "1.2k tok/s"),
    ("wall 0:00:12.345600", "a measured time", "0:00:12.345600"),
    ("0:00:12.345600", "a measured time", "0:00:12.345600"),
    ("<__main__.Model object at 0x7f3a5c2b1d90>", "a memory address", "at 0x7f3a5c2b1d90"),
    ("<function loss at 0x10a2b3c4d>", "a memory address", "at 0x10a2b3c4d"),
    ("[2026-12-01 19:14:49] started", "the date and time of this run", "2026-12-01 19:14:49"),
    ("run 2026-11-30T07:00", "the date and time of this run", "2026-11-30T07:00"),
    ("Tue Dec  1 19:30:44 2026", "the date and time of this run", "Tue Dec  1 19:30:44 2026"),
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
    # a number and a unit that no timing code printed (from a review of the first version)
    "(define (double s) (* 2 s))",
    "(cons 4 h)",
    "t = 0.50 s: x = 25",
    "period T = 0.5 s",
    "e 2091 a 1877 s 1201 h 812",
    "n_layer=4 h=8 k=3 s=2",
    "latency 2 s (modelled)",
    "timeout=30 s",
    "budget: 5 min",
    "tape: 1 0 1 1 h",
    "light travels 3e8 m in 1 s",
    "12 m/s",
    "python 3.11 s",
    "Timestamp('2024-01-01 00:00:00')",          # a date in the data, far from the clock
    "mkdir -p /tmp/data",
    "speed 132 GFLOP/s",
]


@pytest.mark.parametrize("line,what,text", RUN_DEPENDENT)
def test_run_dependent_text_is_found_and_named(line, what, text):
    found = find(f"first line\n{line}\n", now=NOW)
    assert found is not None, line
    assert (found.what, found.text) == (what, text)


@pytest.mark.parametrize("line", STABLE)
def test_stable_text_passes(line):
    assert find(line, now=NOW) is None


def test_paths_on_the_build_machine_are_found(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    assert find(f"wrote {root}/figures/a.svg", root).what.endswith("(the project folder)")
    assert find(f"root: {root}", root) is not None
    made = tempfile.mkdtemp()
    Path(made).rmdir()
    assert find(f"cache in {made}/x").what.endswith("(a temporary folder)")
    assert find(f"home {Path.home().resolve()}") is not None
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


def test_a_cell_tagged_stable_output_keeps_text_that_only_looks_run_dependent(project):
    simulated = " (took 0.5 s on the simulated clock)"
    timed_post(project, timing=simulated)
    result = project.run("build")
    assert result.returncode == 1 and "stable-output" in result.stderr
    timed_post(project, tags=' tags=["stable-output"]', timing=simulated)
    project.run("build", check=True)
    assert "took 0.5 s on the simulated clock" in project.read("hugo_content/blog/timed.md")
    assert project.run("check").returncode == 0

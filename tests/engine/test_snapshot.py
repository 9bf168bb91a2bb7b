"""A build after a prose-only edit weaves from the snapshot of the last run (engine/snapshot.py):
no code cell runs, and the page is the one a full build gives. Anything else the cells read
makes the build run them."""

import json

import pytest

POST = '''
# ---
# title: "Frozen"
# weight: 10
# ---

# %% [markdown]
# INTRO The mean is {{ num(mean, ".2f") }}, the module says {{ frozen_module.VALUE }}, the
# data says {{ data["word"] }}, the folder holds {{ num(files, ",") }} files and the variable
# reads {{ variable }}. Twice the total is {{ num(doubled(), ",") }}; the point is
# {{ num(point.x, ",") }}.
#
# {{ claim(mean > 1, "The mean is above one.") }}
#
# {{ code(doubled) }}
#
# {{ figure(fig, "line", alt="a line", caption="a line") }}

# %%
import json
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

import frozen_module
from scratchbook import experiment

with open("runs.log", "a") as log:    # one line each time the cells run
    log.write("ran\\n")


@experiment
def measure(n: int) -> dict:
    return {"mean": sum(range(n)) / n, "total": sum(range(n))}


@dataclass
class Point:
    x: int


def doubled() -> int:
    return 2 * result["total"]     # reads a global the prose does not name


result = measure(10)
mean = result["mean"]
data = json.loads(Path("data.json").read_text())
files = len(os.listdir("inbox"))
variable = os.environ.get("FROZEN_VARIABLE", "unset")
point = Point(7)
hidden = "kept back"          # no prose names it (until a test's edit does)
fig, ax = plt.subplots()
ax.plot([1, 3, 2])
ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}"))   # does not pickle
'''


@pytest.fixture
def frozen(project):
    project.write("frozen_module.py", "VALUE = 'one'\n")
    project.write("data.json", '{"word": "alpha"}\n')
    project.write("inbox/a.txt", "a\n")
    post = project.post("01_frozen", POST)
    return project, post


def outputs(project) -> dict:
    """Everything a build publishes."""
    return {str(p.relative_to(project.root)): p.read_bytes()
            for folder in ("hugo_content", "figures", "posts") for p in (project.root / folder).rglob("*")
            if p.is_file() and p.suffix != ".py"}


def runs(project) -> int:
    log = project.root / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def build(project, *args, env=None) -> str:
    return project.run("build", *args, check=True, env=env).stderr


def test_a_prose_edit_is_woven_without_running_and_equals_a_full_build(frozen):
    project, post = frozen
    build(project)
    assert runs(project) == 1
    # prose edited, and lines added above the code cell, so every code line moves
    post.write_text(post.read_text().replace("INTRO", "Edited.\n#\n# New paragraph.\n#\n#"))
    said = build(project)
    assert "prose woven again (code cells unchanged, not run)" in said, said
    assert runs(project) == 1
    page = " ".join(project.read("hugo_content/blog/frozen.md").split())
    assert "New paragraph." in page
    assert ("The mean is 4.50, the module says one, the data says alpha, the folder holds 1 "
            "files and the variable reads unset. Twice the total is 90; the point is 7") in page
    fast = outputs(project)
    build(project, "--no-cache")          # runs the cells: never reads a snapshot
    assert runs(project) == 2
    assert outputs(project) == fast       # code excerpt lines, figure, claim, ledger: all equal


@pytest.mark.parametrize("change, shown", [
    ("code", "The mean is 9.50"),
    ("module", "the module says two"),
    ("data", "the data says beta"),
    ("folder", "the folder holds 2 files"),
    ("environment", "the variable reads set"),
    ("new name", "the point is 7 (kept back)"),
    ("front matter", 'title: "Frozen again"'),
    ("cache entry", "The mean is 4.50"),
])
def test_whatever_else_the_cells_read_makes_them_run(frozen, change, shown):
    project, post = frozen
    build(project)
    env = None
    if change == "code":
        post.write_text(post.read_text().replace("measure(10)", "measure(20)"))
    elif change == "module":
        project.write("frozen_module.py", "VALUE = 'two'\n")
    elif change == "data":
        project.write("data.json", '{"word": "beta"}\n')
    elif change == "folder":
        project.write("inbox/b.txt", "b\n")
    elif change == "environment":
        env = {"FROZEN_VARIABLE": "set"}
    elif change == "new name":    # prose names a value no prose named before
        post.write_text(post.read_text().replace("{{ num(point.x, \",\") }}.",
                                                 "{{ num(point.x, \",\") }} ({{ hidden }})."))
    elif change == "front matter":
        post.write_text(post.read_text().replace('title: "Frozen"', 'title: "Frozen again"'))
    else:                         # the experiment's entry cleared from the cache
        for entry in (project.root / ".scratchbook/cache").glob("measure-*"):
            entry.unlink()
    said = build(project, env=env)
    assert runs(project) == 2, said
    assert shown in " ".join(project.read("hugo_content/blog/frozen.md").split())
    # and the run left a snapshot of its own: the next prose edit is served from it
    post.write_text(post.read_text().replace("INTRO", "Again."))
    said = build(project, env=env)
    assert "not run" in said and runs(project) == 2, said


def test_prose_that_draws_on_a_figure_makes_the_cells_run(frozen):
    project, post = frozen
    build(project)
    first = (project.root / "figures/frozen/line.svg").read_bytes()
    post.write_text(post.read_text().replace(
        '{{ figure(fig,', '{{ fig.suptitle("Titled") and "" }}{{ figure(fig,'))
    build(project)
    assert runs(project) == 2
    drawn = (project.root / "figures/frozen/line.svg").read_bytes()
    assert drawn != first and b"Titled" in drawn


def test_a_prose_error_is_reported_at_its_line_after_the_cells_run(frozen):
    project, post = frozen
    build(project)
    post.write_text(post.read_text().replace("{{ variable }}", "{{ varable }}"))
    result = project.run("build")
    assert result.returncode != 0
    assert "posts/01_frozen.py:9" in result.stderr and "varable" in result.stderr
    assert runs(project) == 2


def test_the_snapshot_keeps_only_what_the_prose_can_read(frozen):
    project, _ = frozen
    build(project)
    from scratchbook.engine import snapshot
    from scratchbook.engine.source import parse_post
    post = parse_post(project.root / "posts/01_frozen.py", "posts/01_frozen.py")
    namespace = {"mean": 1, "unused": 2, "doubled": None, "result": 3, "frozen_module": 4,
                 "data": 5, "files": 6, "variable": 7, "point": 8, "fig": 9, "Point": 10}
    names = snapshot.prose_names(post, namespace, "m")
    assert "unused" not in names and "Point" not in names
    assert {"mean", "doubled", "data", "fig", "point"} <= set(names)
    assert json.loads(project.read("posts/01_frozen.ledger.json"))["entries"]

"""``scratchbook watch`` rebuilds a post when its source or a module it uses changes."""

import os
import subprocess
import sys
import time

POST = '''
# ---
# title: "Watched"
# weight: 10
# ---

# %% [markdown]
# Value {{ value }}.

# %%
import watched_module
value = watched_module.VALUE
'''


def wait_for(predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def wait_for_line(process, text, timeout=120.0):
    """Read the process's stderr up to a line holding ``text``; the lines read."""
    lines = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = process.stderr.readline()
        if not line:
            raise AssertionError("the process ended:\n" + "".join(lines))
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"no line with {text!r} within {timeout} s:\n" + "".join(lines))


def start_watch(project, *names):
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    watcher = subprocess.Popen([sys.executable, "-m", "scratchbook", "watch", *names,
                                "--interval", "0.1"], cwd=project.root, env=env,
                               stderr=subprocess.PIPE, text=True)
    wait_for_line(watcher, "watching")
    return watcher


def stop(watcher):
    watcher.terminate()
    watcher.wait(timeout=30)


def test_watch_rebuilds_on_post_and_module_edits(project):
    project.write("watched_module.py", "VALUE = 1\n")
    post = project.post("01_watched", POST)
    project.run("build", check=True)
    page = project.root / "hugo_content/blog/watched.md"
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    watcher = subprocess.Popen([sys.executable, "-m", "scratchbook", "watch", "--interval", "0.2"],
                               cwd=project.root, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(watcher, "watching")  # printed once the posts are built and watched
        post.write_text(post.read_text().replace("Value", "The value is"))
        assert wait_for(lambda: "The value is 1." in page.read_text())
        time.sleep(0.5)
        project.write("watched_module.py", "VALUE = 2\n")
        assert wait_for(lambda: "The value is 2." in page.read_text())
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


COUNTED = '''
# ---
# title: "Counted"
# weight: 10
# ---

# %% [markdown]
# Runs so far: {{ runs }}. {{ shown.append(1) or "" }}Shown {{ shown | length }} time.

# %%
from pathlib import Path

runs = Path("runs.txt").read_text().count("x") + 1 if Path("runs.txt").exists() else 1
Path("runs.txt").write_text("x" * runs)
shown = []


def helper(a):
    return a + 1

# %% [markdown]
# {{ code(helper) }}
'''


def test_a_prose_edit_is_woven_again_without_running_code_cells(project):
    post = project.post("01_counted", COUNTED)
    page = project.root / "hugo_content/blog/counted.md"
    watcher = start_watch(project)
    try:
        assert "Runs so far: 1." in page.read_text()
        post.write_text(post.read_text().replace("Runs so far", "Runs until now"))
        lines = wait_for_line(watcher, "built posts/01_counted.py")
        assert "prose woven again" in lines[-1]
        assert "Runs until now: 1." in page.read_text()       # the code cell did not run again
        # What the prose did to the namespace (a list it appended to) is not kept.
        assert "Shown 1 time." in page.read_text()
    finally:
        stop(watcher)


def test_a_prose_edit_that_moves_code_gives_the_page_a_fresh_build_gives(project):
    post = project.post("01_counted", COUNTED)
    watcher = start_watch(project)
    try:
        assert "lines 17-18" in project.read("hugo_content/blog/counted.md")
        post.write_text(post.read_text().replace("Runs so far", "A new line above.\n# Runs so far"))
        lines = wait_for_line(watcher, "built posts/01_counted.py")
        assert "prose woven again" in lines[-1]
    finally:
        stop(watcher)
    woven = project.read("hugo_content/blog/counted.md")
    (project.root / "runs.txt").unlink()
    project.run("build", check=True)
    assert project.read("hugo_content/blog/counted.md") == woven   # helper's lines moved too
    assert "lines 18-19" in woven


def test_a_code_edit_runs_the_cells_again(project):
    post = project.post("01_counted", COUNTED)
    page = project.root / "hugo_content/blog/counted.md"
    watcher = start_watch(project, "counted")
    try:
        post.write_text(post.read_text().replace("return a + 1", "return a + 2"))
        lines = wait_for_line(watcher, "built posts/01_counted.py")
        assert "1 code cells run" in lines[-1]
        assert "Runs so far: 2." in page.read_text()
    finally:
        stop(watcher)


def test_watch_limited_to_named_posts_ignores_the_others(project):
    project.post("01_counted", COUNTED)
    other = project.post("02_other", COUNTED.replace("Counted", "Other"))
    watcher = start_watch(project, "01_counted.py")
    try:
        assert not (project.root / "hugo_content/blog/other.md").exists()
        other.write_text(other.read_text().replace("Runs so far", "Runs now"))
        time.sleep(1.5)
        assert not (project.root / "hugo_content/blog/other.md").exists()
    finally:
        stop(watcher)


DRAWN = '''
# ---
# title: "Drawn"
# weight: 10
# ---

# %% [markdown]
# A figure: {{ figure(fig, "line", alt="a line") }}

# %%
from pathlib import Path

from matplotlib.figure import Figure


class CountedFigure(Figure):
    def draw(self, renderer):
        with open("draws.txt", "a") as log:
            log.write("x")
        return super().draw(renderer)


fig = CountedFigure(layout="constrained")
fig.subplots().plot([3, 1, 2])
'''


def test_a_figure_nothing_touched_is_not_drawn_again_after_a_prose_edit(project):
    post = project.post("01_drawn", DRAWN)
    draws = project.root / "draws.txt"
    svg = project.root / "figures/drawn/line.svg"
    watcher = start_watch(project)
    try:
        drawn, first = draws.read_text(), svg.read_bytes()
        post.write_text(post.read_text().replace("A figure:", "The figure:"))
        wait_for_line(watcher, "built posts/01_drawn.py")
        assert draws.read_text() == drawn and svg.read_bytes() == first
        # Prose that changes the figure gets it drawn again, as a fresh build would.
        post.write_text(post.read_text().replace(
            "The figure:", '{{ fig.axes[0].set_title("retitled") and "" }}The figure:'))
        wait_for_line(watcher, "built posts/01_drawn.py")
        assert len(draws.read_text()) > len(drawn)
        assert svg.read_bytes() != first
    finally:
        stop(watcher)
    woven = svg.read_bytes()
    project.run("build", check=True)
    assert svg.read_bytes() == woven

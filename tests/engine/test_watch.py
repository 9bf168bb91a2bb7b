"""``scratchbook watch`` rebuilds a post when its source or a module it uses changes."""

import os
import queue
import signal
import subprocess
import sys
import threading
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


def _lines_of(process):
    """A queue the process's stderr lines arrive on (None once it ends): reading them never
    blocks a test past its deadline, whatever the watcher does."""
    if not hasattr(process, "lines"):
        process.lines = queue.Queue()

        def pump():
            for line in process.stderr:
                process.lines.put(line)
            process.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    return process.lines


def wait_for_line(process, text, timeout=120.0):
    """Read the process's stderr up to a line holding ``text``; the lines read."""
    lines, incoming = [], _lines_of(process)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            line = incoming.get(timeout=max(0.0, deadline - time.time()))
        except queue.Empty:
            break
        if line is None:
            raise AssertionError("the process ended:\n" + "".join(lines))
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"no line with {text!r} within {timeout} s:\n" + "".join(lines))


def launch_watch(project, *names, preexec_fn=None):
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    return subprocess.Popen([sys.executable, "-m", "scratchbook", "watch", *names,
                             "--interval", "0.1"], cwd=project.root, env=env,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)


def start_watch(project, *names):
    watcher = launch_watch(project, *names)
    wait_for_line(watcher, "watching")
    return watcher


def stop(watcher):
    watcher.terminate()
    try:
        watcher.wait(timeout=30)
    except subprocess.TimeoutExpired:
        watcher.kill()
        raise


def test_watch_rebuilds_on_post_and_module_edits(project):
    project.write("watched_module.py", "VALUE = 1\n")
    post = project.post("01_watched", POST)
    project.run("build", check=True)
    page = project.root / "hugo_content/blog/watched.md"
    watcher = start_watch(project)    # "watching" is printed once the posts are built
    try:
        post.write_text(post.read_text().replace("Value", "The value is"))
        assert wait_for(lambda: "The value is 1." in page.read_text())
        time.sleep(0.5)
        project.write("watched_module.py", "VALUE = 2\n")
        assert wait_for(lambda: "The value is 2." in page.read_text())
    finally:
        stop(watcher)


SLOW = '''
# ---
# title: "Slow"
# weight: 10
# ---

# %% [markdown]
# Said {{ said }}.

# %%
import time
from pathlib import Path

said = "first"
Path("started.txt").write_text(Path("started.txt").read_text() + "x"
                               if Path("started.txt").exists() else "x")
time.sleep(3)
'''


def test_an_edit_saved_while_a_build_runs_is_built_after_it(project):
    """The build read the source before the edit: the page must not stay on the old text."""
    post = project.post("01_slow", SLOW)
    page = project.root / "hugo_content/blog/slow.md"
    started = project.root / "started.txt"
    watcher = launch_watch(project)
    try:
        assert wait_for(started.exists)              # the first build is running
        post.write_text(post.read_text().replace('said = "first"', 'said = "second"'))
        wait_for_line(watcher, "watching")
        assert wait_for(lambda: page.exists() and "Said second." in page.read_text(),
                        timeout=120)
        assert started.read_text() == "xx"
        # The same during a rebuild, not only the first build.
        post.write_text(post.read_text().replace('said = "second"', 'said = "third"'))
        assert wait_for(lambda: started.read_text() == "xxx")
        post.write_text(post.read_text().replace('said = "third"', 'said = "fourth"'))
        assert wait_for(lambda: "Said fourth." in page.read_text(), timeout=120)
    finally:
        stop(watcher)


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


def test_sigint_stops_a_watcher_started_with_sigint_ignored(project):
    # `scratchbook watch &` from a script (or a CI runner) inherits SIGINT as ignored; the
    # watcher must still stop on `kill -INT`, as it does on Ctrl-C in a terminal.
    project.post("01_watched", POST.replace("import watched_module\nvalue = watched_module.VALUE",
                                            "value = 1"))
    watcher = launch_watch(project, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        wait_for_line(watcher, "watching")
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 130
    finally:
        if watcher.poll() is None:
            watcher.kill()

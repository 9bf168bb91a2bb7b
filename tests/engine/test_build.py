"""Building posts through the real command line: outputs, errors, atomicity, determinism."""

import os
import re
import signal
import subprocess
import sys
import time

POST = '''
# ---
# title: "Fixture"
# description: "A post for tests"
# weight: 10
# series: "Tests"
# ---

# %% [markdown]
# The mean is {{ num(mean, ".2f") }}; n is {{ n }}.
#
# {{ figure(fig, "line", alt="a line", caption="mean " ~ num(mean, ".1f")) }}

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from scratchbook import experiment

@experiment
def measure(n: int) -> dict:
    return {"mean": sum(range(n)) / n}

n = 10
mean = measure(n)["mean"]
fig, ax = plt.subplots()
ax.plot([1, 3, 2])
'''


def test_build_writes_markdown_with_front_matter_figures_and_ledger(project):
    project.post("01_fixture", POST)
    project.run("build", check=True)
    page = project.read("hugo_content/blog/fixture.md")
    assert page.startswith('---\ntitle: "Fixture"\ndescription: "A post for tests"\nweight: 10\n'
                           'series: "Tests"\nskin: "chalkboard"\ndraft: true\n---\n')
    assert "date:" not in page and "tags:" not in page
    assert "The mean is 4.50; n is 10." in page
    assert 'src="../../figures/fixture/line.svg"' in page and "caption=`mean 4.5`" in page
    assert (project.root / "figures/fixture/line.svg").read_bytes().startswith(b"<?xml")
    ledger = project.read("posts/01_fixture.ledger.json")
    assert '"key": "mean"' in ledger and "posts/01_fixture.py:9" in ledger


def test_two_builds_are_byte_identical(project):
    project.post("01_fixture", POST)
    project.run("build", "--no-cache", check=True)
    first = {p: p.read_bytes() for p in project.root.rglob("*")
             if p.is_file() and ".scratchbook" not in p.parts}
    project.run("build", "--no-cache", check=True)
    second = {p: p.read_bytes() for p in project.root.rglob("*")
              if p.is_file() and ".scratchbook" not in p.parts}
    assert first == second


def test_failing_cell_names_post_line_and_keeps_previous_output(project):
    path = project.post("01_fixture", POST)
    project.run("build", check=True)
    before = project.read("hugo_content/blog/fixture.md")
    path.write_text(path.read_text() + "\n# %%\nvalue = 1\nboom = value / 0\n")
    line = path.read_text().splitlines().index("boom = value / 0") + 1
    result = project.run("build")
    assert result.returncode == 1
    assert f"posts/01_fixture.py:{line}: ZeroDivisionError: division by zero" in result.stderr
    assert "site-packages" not in result.stderr and "engine/run.py" not in result.stderr
    assert project.read("hugo_content/blog/fixture.md") == before


def test_other_posts_still_build_when_one_fails(project):
    project.post("01_fixture", POST)
    project.post("02_broken", POST.replace('"Fixture"', '"Broken"').replace("n = 10", "n = 0"))
    result = project.run("build")
    assert result.returncode == 1
    assert "posts/02_broken.py" in result.stderr and "ZeroDivisionError" in result.stderr
    assert (project.root / "hugo_content/blog/fixture.md").exists()
    assert not (project.root / "hugo_content/blog/broken.md").exists()


def test_undefined_name_in_prose_names_line_and_name(project):
    project.post("01_fixture", POST.replace("n is {{ n }}", "n is {{ m }}"))
    result = project.run("build")
    assert result.returncode == 1
    assert "posts/01_fixture.py:9: prose uses an undefined name: 'm' is undefined" in result.stderr


def test_unformatted_float_in_prose_is_refused(project):
    project.post("01_fixture", POST.replace("n is {{ n }}", "n is {{ mean }}"))
    result = project.run("build")
    assert "posts/01_fixture.py:9: prose shows the number 'mean' without a format" in result.stderr


def test_figure_name_outside_figures_is_refused(project):
    project.post("01_fixture", POST.replace('"line"', '"../../escape"'))
    result = project.run("build")
    assert result.returncode == 1 and "not a plain file name" in result.stderr
    assert not list(project.root.rglob("escape*"))


def test_interrupted_build_leaves_previous_output_and_no_partial_files(project):
    path = project.post("01_fixture", POST)
    project.run("build", check=True)
    before = {p: p.read_bytes() for p in (project.root / "figures").rglob("*") if p.is_file()}
    page = project.read("hugo_content/blog/fixture.md")
    path.write_text(path.read_text().replace("n = 10", "n = 20")
                    + "\n# %%\nimport time\nopen('started', 'w').close()\ntime.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    # a shell's background jobs inherit SIGINT ignored, and Python then never turns it into
    # KeyboardInterrupt: give the build the default disposition, as in a terminal
    process = subprocess.Popen([sys.executable, "-m", "scratchbook", "build"], cwd=project.root,
                               env=env, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while not (project.root / "started").exists() and time.time() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and "interrupted" in err
    assert project.read("hugo_content/blog/fixture.md") == page
    after = {p: p.read_bytes() for p in (project.root / "figures").rglob("*") if p.is_file()}
    assert after == before
    leftovers = [p for p in project.root.rglob("*") if p.name.endswith(".tmp")
                 or "staging" in p.parts and p.is_file()]
    assert leftovers == []


def test_two_builds_at_once_produce_one_consistent_post(project):
    project.post("01_fixture", POST)
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "scratchbook", "build", "--no-cache"],
                             cwd=project.root, env=env, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0]
    project.run("check", check=True)


def test_parallel_jobs_build_every_post(project):
    project.post("01_fixture", POST)
    project.post("02_second", POST.replace('"Fixture"', '"Second"'))
    result = project.run("build", "--jobs", "2", check=True)
    assert len(re.findall(r"^built ", result.stderr, re.M)) == 2
    assert (project.root / "hugo_content/blog/second.md").exists()


def test_new_scaffolds_a_post_that_builds(project):
    project.post("01_fixture", POST)
    result = project.run("new", "Mixture of experts", check=True)
    assert "posts/02_mixture_of_experts.py" in result.stdout
    project.run("build", "02_mixture_of_experts", check=True)
    page = project.read("hugo_content/blog/neural-nets-mixture-of-experts.md")
    assert "weight: 20" in page and "the mean is 28.50" in page.lower()


def test_a_post_sees_its_own_path_as_its_command_line(project):
    project.post("01_argv", '''
        # ---
        # title: "Argv"
        # weight: 10
        # ---

        # %% [markdown]
        # Arguments: {{ args }}.

        # %%
        import sys
        args = " ".join(sys.argv)
        ''')
    project.run("build", check=True)
    assert "Arguments: posts/01_argv.py." in project.read("hugo_content/blog/argv.md")


def test_remove_cell_removes_prose_and_raw_cells_too(project):
    project.post("01_removed", '''
        # ---
        # title: "Removed"
        # weight: 10
        # ---

        # %% [markdown]
        # Kept.

        # %% [markdown] tags=["remove-cell"]
        # SECRET prose {{ missing_name }}

        # %% [raw] tags=["hide-cell"]
        # SECRET raw

        # %% [markdown] active="ipynb"
        # SECRET notebook-only

        # %%
        x = 1
        ''')
    project.run("build", check=True)
    page = project.read("hugo_content/blog/removed.md")
    assert "Kept." in page and "SECRET" not in page


def test_the_summary_gives_the_posts_cpu_time_apart_from_its_wall_time(project):
    """The series' budget is CPU time of one core: a post that waits costs wall time, not CPU."""
    project.post("01_spent", '''
        # ---
        # title: "Spent"
        # weight: 1
        # ---

        # %%
        import time

        started = time.process_time()
        while time.process_time() - started < 1.0:   # one second of CPU
            pass
        time.sleep(1.5)                              # and a wait that costs none
        ''')
    result = project.run("build", check=True)
    line = next(line for line in result.stderr.splitlines() if line.startswith("built posts/01_spent.py"))
    wall, cpu = re.search(r"([\d.]+) s \(([\d.]+) s of CPU\)", line).groups()
    assert float(wall) >= 2.5 and 1.0 <= float(cpu) < float(wall) - 1.0, line


FIRST_CELL_DRAWS = '''
# ---
# title: "Draws"
# weight: 10
# ---

# %% [markdown]
# Drawn {{ num(drawn, ".6f") }}, then {{ num(later, ".6f") }}.

# %%
import torch

drawn = torch.rand(1).item()      # in the cell that imports torch

# %%
later = torch.rand(1).item()
'''


def test_a_draw_in_the_cell_that_imports_torch_is_seeded(project):
    """torch starts from a random seed: the build seeds it as the cell imports it."""
    project.post("01_draws", FIRST_CELL_DRAWS)
    pages = []
    for _ in range(2):
        project.run("build", "--no-cache", check=True)
        pages.append(project.read("hugo_content/blog/draws.md"))
    assert pages[0] == pages[1]
    import torch
    torch.manual_seed(0)
    assert f"Drawn {torch.rand(1).item():.6f}" in pages[0]

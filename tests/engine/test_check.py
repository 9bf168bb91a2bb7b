"""``scratchbook check``: a drifted number fails loudly, naming the value and its line."""

POST = '''
# ---
# title: "Checked"
# weight: 10
# ---

# %% [markdown]
# Accuracy {{ num(acc, ".3f") }}, loose {{ num(loose, ".2f", rel=0.05) }},
# took {{ seconds(elapsed) }}.

# %%
import json
from pathlib import Path

settings = json.loads(Path("settings.json").read_text())
acc = settings["acc"]
loose = settings["loose"]
elapsed = settings["elapsed"]
'''


def setup(project, acc=0.912, loose=10.0, elapsed=12.0):
    project.write("settings.json", f'{{"acc": {acc}, "loose": {loose}, "elapsed": {elapsed}}}')
    project.post("01_checked", POST)


def test_check_passes_when_everything_regenerates(project):
    setup(project)
    project.run("build", check=True)
    result = project.run("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed" in result.stdout


def test_check_names_a_drifted_value_its_line_and_fails(project):
    setup(project)
    project.run("build", check=True)
    setup(project, acc=0.871)
    result = project.run("check")
    assert result.returncode == 1
    assert "1 value(s) no longer regenerate" in result.stdout
    row = next(line for line in result.stdout.splitlines() if " acc " in f" {line} ")
    assert "0.912" in row and "0.871" in row and "posts/01_checked.py:7" in row
    assert "same text" in row


def test_values_within_tolerance_keep_their_committed_text(project):
    setup(project)
    project.run("build", check=True)
    setup(project, loose=10.3, elapsed=20.0)   # within 5% and within x3
    assert project.run("check").returncode == 0
    project.run("build", check=True)
    page = project.read("hugo_content/blog/checked.md")
    assert "loose 10.00" in page and "took 12.0 s" in page


def test_values_outside_tolerance_fail(project):
    setup(project)
    project.run("build", check=True)
    setup(project, loose=11.0, elapsed=40.0)
    result = project.run("check")
    assert result.returncode == 1
    assert "loose" in result.stdout and "elapsed" in result.stdout
    assert "±0.05 relative" in result.stdout and "within x3" in result.stdout


def test_check_fails_when_the_post_was_edited_but_not_rebuilt(project):
    setup(project)
    project.run("build", check=True)
    path = project.root / "posts/01_checked.py"
    path.write_text(path.read_text().replace("Accuracy", "Accuracy was"))
    result = project.run("check")
    assert result.returncode == 1
    assert "hugo_content/blog/checked.md (differs)" in result.stdout


def test_check_fails_on_a_value_not_in_the_ledger(project):
    setup(project)
    result = project.run("check")
    assert result.returncode == 1 and "(not in ledger)" in result.stdout

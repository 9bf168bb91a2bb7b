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
    setup(project, loose=10.3, elapsed=60.0)   # within 5% and within x10
    assert project.run("check").returncode == 0
    project.run("build", check=True)
    page = project.read("hugo_content/blog/checked.md")
    assert "loose 10.00" in page and "took 12.0 s" in page


def test_values_outside_tolerance_fail(project):
    setup(project)
    project.run("build", check=True)
    setup(project, loose=11.0, elapsed=130.0)
    result = project.run("check")
    assert result.returncode == 1
    assert "loose" in result.stdout and "elapsed" in result.stdout
    assert "±0.05 relative" in result.stdout and "within x10" in result.stdout


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


# --------------------------------------------------------------------------- explanations

EXPLAINED = '''
# ---
# title: "Explained"
# weight: 10
# ---

# %% [markdown]
# An opening line that stays.
#
# The loss is {{ num(result["loss"], ".2f") }}.
#
# {{ figure(fig, "curve", alt="a curve") }}

# %%
import json
import os
from pathlib import Path
import matplotlib.pyplot as plt
from scratchbook import experiment

@experiment(reads=["inputs.json"])
def train(steps: int) -> dict:
    inputs = json.loads(Path("inputs.json").read_text())
    return {"loss": inputs["loss"] * float(os.environ.get("UNSEEN_FACTOR", "1")) / steps}

result = train(1)
print("words:", Path("words.txt").read_text().strip())
fig, ax = plt.subplots()
ax.plot([1, result["loss"], 2])
ax.set_ylim(0, 5)
'''


def explained(project, loss=2.0, words="apple pear"):
    project.write("inputs.json", f'{{"loss": {loss}}}')
    project.write("words.txt", words)
    project.post("01_explained", EXPLAINED)


def test_a_differing_markdown_is_shown_as_a_diff_headed_by_its_prose_line(project):
    explained(project)
    project.run("build", check=True)
    explained(project, loss=3.0)
    out = project.run("check").stdout
    assert "hugo_content/blog/explained.md (differs):" in out
    assert "from prose at posts/01_explained.py:9" in out
    assert "    -The loss is 2.00." in out and "    +The loss is 3.00." in out


def test_a_changed_printed_output_is_shown_with_its_code_cell(project):
    # a post printing a set shows its items in hash order: the same diff, the same cell
    explained(project)
    project.run("build", check=True)
    explained(project, words="pear apple")
    out = project.run("check").stdout
    assert "from the code cell at posts/01_explained.py:14 (its code or output)" in out
    assert "    -words: apple pear" in out and "    +words: pear apple" in out


def test_a_differing_figure_lists_its_changed_elements_and_figure_call(project):
    explained(project)
    project.run("build", check=True)
    explained(project, loss=3.0)
    out = project.run("check").stdout
    assert ("figures/explained/curve.svg (differs; made by the call at "
            "posts/01_explained.py:11):") in out
    changed = out.split("made by the call at posts/01_explained.py:11):\n")[1].splitlines()
    assert changed[0].startswith("    #line2d_") and "/path[1] @d: '" in changed[0]
    assert " -> " in changed[0] and changed[1].startswith("  to fix:")


def test_a_drift_names_the_experiment_input_that_changed_and_a_plain_rebuild(project):
    explained(project)
    project.run("build", check=True)
    explained(project, loss=3.0)
    out = project.run("check").stdout
    assert ("experiment inputs changed since its ledger was committed: "
            "train: file:inputs.json") in out
    assert "to fix: run 'scratchbook build posts/01_explained.py', review the diff" in out


def test_a_drift_no_input_explains_advises_a_rebuild_without_the_cache(project):
    explained(project)
    project.run("build", check=True)
    result = project.run("check", env={"UNSEEN_FACTOR": "2"})   # the key cannot see it
    assert result.returncode == 1
    assert "no experiment input changed since its ledger was committed" in result.stdout
    assert ("to fix: run 'scratchbook build --no-cache posts/01_explained.py', review the diff"
            in result.stdout)


def test_the_drift_table_marks_cut_cells_and_shows_source_lines_whole(project):
    long_name = "a_very_long_variable_name_for_the_accuracy_of_the_model"
    project.write("settings.json", '{"acc": 0.5, "loose": 1.0, "elapsed": 1.0}')
    project.post("01_checked", POST.replace("{{ num(acc", "{{ num(acc, '.1f') }} {{ num("
                                            + long_name).replace("acc = settings",
                                                                  f"{long_name} = acc = settings"))
    project.run("build", check=True)
    project.write("settings.json", '{"acc": 0.7, "loose": 1.0, "elapsed": 1.0}')
    out = project.run("check").stdout
    row = next(line for line in out.splitlines() if "a_very_long" in line)
    assert long_name[:47] + "…" in row and long_name not in row
    assert row.endswith("posts/01_checked.py:7")


def test_experiment_inputs_recorded_on_another_machine_are_not_a_drift(project):
    explained(project)
    project.run("build", check=True)
    ledger_path = project.root / "posts/01_explained.ledger.json"
    text = ledger_path.read_text()
    versions = text.split('"versions": "')[1][:12]
    ledger_path.write_text(text.replace(versions, "0" * 12))   # e.g. another Python patch
    result = project.run("check")
    assert result.returncode == 0, result.stdout


def test_a_long_diff_is_cut_with_a_count_of_the_lines_left_out(project):
    explained(project, words="\n".join(f"word {n}" for n in range(40)))
    project.run("build", check=True)
    explained(project, words="\n".join(f"other {n}" for n in range(40)))
    out = project.run("check").stdout
    assert "    -word 26" in out and "    -word 27" not in out and "+other" not in out
    assert "    ... 55 more lines" in out   # 27 more removed, 40 added, 2 context


def test_a_drift_against_a_ledger_without_an_inputs_record_advises_no_cache(project):
    explained(project)
    project.run("build", check=True)
    ledger_path = project.root / "posts/01_explained.ledger.json"
    text = ledger_path.read_text()
    start, end = text.index('  "experiments"'), text.index('  "entries"')
    ledger_path.write_text(text[:start] + text[end:])   # as written before the record existed
    explained(project, loss=3.0)
    out = project.run("check").stdout
    assert "its committed ledger does not record the inputs of its experiments" in out
    assert "to fix: run 'scratchbook build --no-cache posts/01_explained.py'" in out


PAUSED = '''
# ---
# title: "Paused {n}"
# weight: {n}
# ---

# %% [markdown]
# Value {{{{ num(value, ".3f") }}}}.

# %%
import json
import os
import time
from pathlib import Path

value = json.loads(Path("settings{n}.json").read_text())["value"]
started = time.time()
time.sleep(1.5)
with open("spans.txt", "a") as log:
    log.write(f"{n} {{started}} {{time.time()}}\\n")
'''


def test_check_with_jobs_rebuilds_posts_side_by_side_and_reports_each(project):
    for n in (1, 2):
        project.write(f"settings{n}.json", '{"value": 0.5}')
        project.post(f"0{n}_paused_{n}", PAUSED.format(n=n))
    project.run("build", check=True)
    (project.root / "spans.txt").unlink()
    project.write("settings2.json", '{"value": 0.25}')   # only the second post drifts
    result = project.run("check", "--jobs", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    drifted = [line for line in result.stdout.splitlines() if " value " in f" {line} "]
    assert len(drifted) == 1 and "posts/02_paused_2.py" in drifted[0], result.stdout
    assert "posts/01_paused_1.py:" not in result.stdout
    spans = sorted(tuple(map(float, line.split()[1:]))
                   for line in (project.root / "spans.txt").read_text().splitlines())
    assert len(spans) == 2
    assert spans[1][0] < spans[0][1], f"the two posts ran one after the other: {spans}"


SHARED = '''
# ---
# title: "Shared {n}"
# weight: {n}
# ---

# %% [markdown]
# Value {{{{ num(value, ".1f") }}}}.

# %%
from lib.shared import train

value = train(50)
'''


def test_posts_side_by_side_compute_a_shared_experiment_once(project):
    """The second post waits for the entry the first is computing, then loads it."""
    project.write("lib/__init__.py", "")
    project.write("lib/shared.py", '''
        import time

        from scratchbook import experiment


        @experiment
        def train(steps: int) -> float:
            time.sleep(2.0)
            return steps - 1.0
        ''')
    for n in (1, 2):
        project.post(f"0{n}_shared_{n}", SHARED.format(n=n))
    result = project.run("build", "--jobs", "2", check=True)
    assert result.stderr.count("experiment train: computing") == 1, result.stderr
    assert "experiments 1 computed / 0 cached" in result.stderr
    assert "experiments 0 computed / 1 cached" in result.stderr
    for n in (1, 2):
        assert "Value 49.0." in project.read(f"hugo_content/blog/shared-{n}.md")
    result = project.run("check", "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("experiment train: computing") == 1, result.stderr


SLOW = '''
# ---
# title: "Slow {n}"
# weight: {n}
# ---

# %%
import os
import time

with open("pid{n}", "w") as f:
    f.write(str(os.getpid()))
time.sleep(60)
'''


def test_sigterm_stops_a_parallel_check_and_its_posts_leaving_nothing_behind(project):
    """What a CI runner or `kill` sends: handled as Ctrl-C is, whatever the parent ignored."""
    import os
    import signal
    import subprocess
    import sys
    import time

    for n in (1, 2):
        project.post(f"0{n}_slow_{n}", SLOW.format(n=n))
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    # started as a shell's background job is: SIGINT ignored, inherited by the posts' processes
    process = subprocess.Popen([sys.executable, "-m", "scratchbook", "check", "--jobs", "2"],
                               cwd=project.root, env=env, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    pids = [project.root / "pid1", project.root / "pid2"]
    deadline = time.time() + 60
    while not all(p.exists() and p.read_text() for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)   # the check's own process only
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and "interrupted" in err, err
    alive = []
    for pid in (int(p.read_text()) for p in pids):
        try:
            os.kill(pid, signal.SIGKILL)   # a survivor is stopped here, then reported
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert not alive, f"posts' processes outlived the check: {alive}"
    assert not list((project.root / ".scratchbook").rglob("check-*"))
    assert not list((project.root / ".scratchbook").rglob("worker-*"))


def test_jobs_must_be_at_least_one(project):
    setup(project)
    for command in ("build", "check"):
        result = project.run(command, "--jobs", "0")
        assert result.returncode == 2 and "at least 1, got '0'" in result.stderr


def test_a_killed_checks_scratch_space_is_cleared_by_the_next_check(project):
    import os
    import subprocess

    setup(project)
    project.run("build", check=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    left = project.root / f".scratchbook/check/check-{gone.pid}-x1y2z3/cache"
    left.mkdir(parents=True)
    (left / "entry.npz").write_bytes(b"0" * 1000)
    running = project.root / f".scratchbook/check/check-{os.getpid()}-a1b2c3"
    running.mkdir()
    assert project.run("check").returncode == 0
    assert not left.parent.exists()
    assert running.exists()   # its process (this test) is alive: maybe a check still running

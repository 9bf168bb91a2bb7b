"""Asserted claims: a sentence stays on the page only while the numbers support it, and
``check`` reports a claim that changed like a drifted value."""

import json

from scratchbook.engine.ledger import Ledger

POST = '''
# ---
# title: "Claimed"
# weight: 10
# ---

# %% [markdown]
# The new model reaches {{ num(loss, ".2f") }}.
# {{ claim(loss < baseline, "It beats the baseline.", loss=loss, baseline=baseline) }}

# %%
import json
from pathlib import Path

settings = json.loads(Path("settings.json").read_text())
loss = settings["loss"]
baseline = settings["baseline"]
'''

OTHERWISE = POST.replace(
    '"It beats the baseline.",',
    '"It beats the baseline.", otherwise="It does not beat the baseline.",')

CODE = '''
# ---
# title: "Claimed"
# weight: 10
# ---

# %%
import json
from pathlib import Path

from scratchbook import claim

settings = json.loads(Path("settings.json").read_text())
verdict = claim(settings["loss"] < settings["baseline"], "It beats the baseline.",
                loss=settings["loss"], baseline=settings["baseline"])

# %% [markdown]
# {{ verdict }}
'''


def setup(project, loss=2.35, baseline=2.5, text=POST):
    project.write("settings.json", json.dumps({"loss": loss, "baseline": baseline}))
    project.post("01_claimed", text)


def entries(project):
    return {e["key"]: e for e in json.loads(project.read("posts/01_claimed.ledger.json"))["entries"]}


def test_a_true_claim_shows_its_sentence_and_is_recorded_with_its_values(project):
    setup(project)
    project.run("build", check=True)
    assert "reaches 2.35.\nIt beats the baseline." in project.read("hugo_content/blog/claimed.md")
    entry = entries(project)["claim: loss<baseline"]
    assert entry["display"] == "true: It beats the baseline."
    assert entry["value"] == {"holds": True, "values": {"baseline": 2.5, "loss": 2.35}}
    assert entry["where"] == ["posts/01_claimed.py:8"]


def test_a_claim_that_becomes_false_fails_the_build_naming_line_sentence_and_values(project):
    setup(project)
    project.run("build", check=True)
    setup(project, loss=2.6)
    result = project.run("build")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert 'posts/01_claimed.py:8: a claim is false (loss<baseline): "It beats the baseline."' \
        in output
    assert "baseline=2.5, loss=2.6" in output
    assert "otherwise=" in output and "rewrite it" in output
    assert "reaches 2.35" in project.read("hugo_content/blog/claimed.md")   # page kept


def test_a_false_claim_with_otherwise_shows_the_other_sentence(project):
    setup(project, loss=2.6, text=OTHERWISE)
    project.run("build", check=True)
    assert "It does not beat the baseline." in project.read("hugo_content/blog/claimed.md")
    entry = entries(project)["claim: loss<baseline"]
    assert entry["display"] == "false: It does not beat the baseline."
    assert entry["value"]["holds"] is False


def test_check_reports_a_claim_that_changed_like_a_drifted_value(project):
    setup(project, text=OTHERWISE)
    project.run("build", check=True)
    setup(project, loss=2.6, text=OTHERWISE)
    result = project.run("check")
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if "claim: loss<baseline" in line)
    assert "true: It beats the baseline." in row
    assert "false: It does not beat the baseline." in row
    assert "posts/01_claimed.py:8" in row


def test_check_fails_on_a_claim_that_became_false(project):
    setup(project)
    project.run("build", check=True)
    setup(project, loss=2.6)
    result = project.run("check")
    assert result.returncode == 1
    assert "FAILED to build: posts/01_claimed.py" in result.stdout
    assert "a claim is false" in result.stdout and "loss=2.6" in result.stdout


def test_a_claim_whose_values_move_but_still_holds_regenerates_exactly(project):
    setup(project)
    project.run("build", check=True)
    before = project.read("posts/01_claimed.ledger.json")
    project.write("settings.json", json.dumps({"loss": 2.35, "baseline": 2.7}))
    result = project.run("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert project.read("posts/01_claimed.ledger.json") == before


def test_a_ledger_with_claims_round_trips(project):
    setup(project)
    project.run("build", check=True)
    path = project.root / "posts/01_claimed.ledger.json"
    assert Ledger.load(path).dumps() == path.read_text(encoding="utf-8")


def test_a_claim_in_a_code_cell_is_recorded_with_its_line(project):
    setup(project, text=CODE)
    project.run("build", check=True)
    assert "It beats the baseline." in project.read("hugo_content/blog/claimed.md")
    entry = entries(project)["claim: It beats the baseline."]
    assert entry["display"] == "true: It beats the baseline."
    assert entry["where"] == ["posts/01_claimed.py:13"]


def test_a_false_claim_in_a_code_cell_fails_the_build_at_its_line(project):
    setup(project, loss=2.6, text=CODE)
    result = project.run("build")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert 'posts/01_claimed.py:13: a claim is false: "It beats the baseline."' in output
    assert "baseline=2.5, loss=2.6" in output
    assert "ScratchbookError" not in output

"""The ledger: one entry per displayed expression, keyed by what the build computes."""

import json

POST = '''
# ---
# title: "Twice"
# weight: 10
# ---

# %% [markdown]
# The loss is {{ num(loss, ".3f", rel=0.001) }}.
#
# As said, the loss is {{ num(loss, ".3f", rel=0.001) }}.
#
# Per step: {% for v in steps %}{{ num(v, ".1f") }} {% endfor %}

# %%
import json
from pathlib import Path

settings = json.loads(Path("settings.json").read_text())
loss = settings["loss"]
steps = [1.5, 2.5, 1.5]
'''


def entries(project):
    return {e["key"]: e for e in json.loads(project.read("posts/01_twice.ledger.json"))["entries"]}


def test_an_expression_shown_twice_is_one_entry_when_the_committed_value_is_older(project):
    project.write("settings.json", '{"loss": 2.0150004}')
    project.post("01_twice", POST)
    project.run("build", check=True)
    project.write("settings.json", '{"loss": 2.0149551}')   # within tolerance of the committed
    project.run("build", check=True)
    loss = entries(project)["loss"]
    assert "loss#2" not in entries(project)
    assert loss["value"] == 2.0150004 and loss["display"] == "2.015"
    assert loss["where"] == ["posts/01_twice.py:7", "posts/01_twice.py:9"]
    assert project.run("check").returncode == 0


def test_an_expression_showing_different_values_gets_numbered_keys(project):
    project.write("settings.json", '{"loss": 2.0}')
    project.post("01_twice", POST)
    project.run("build", check=True)
    shown = {key: e["display"] for key, e in entries(project).items() if key.startswith("v")}
    assert shown == {"v": "1.5", "v#2": "2.5"}


FORMATTED = '''
# ---
# title: "Formatted"
# weight: 10
# ---

# %% [markdown]
# The value is {{ num(x, ".1f", rel=0.01) }}.

# %%
x = 1.23456
'''


def test_a_changed_format_shows_the_fresh_text_even_within_tolerance(project):
    post = project.post("01_formatted", FORMATTED)
    project.run("build", check=True)
    assert "The value is 1.2." in project.read("hugo_content/blog/formatted.md")
    post.write_text(post.read_text().replace('".1f"', '".4f"'))
    project.run("build", check=True)
    assert "The value is 1.2346." in project.read("hugo_content/blog/formatted.md")


TIMED = '''
# ---
# title: "Timed"
# weight: 10
# ---

# %% [markdown]
# Trained in {{ seconds(run["t"]) }}; the clock beside it read {{ seconds(other) }}.
# {{ claim(run["t"] > 1, "Training took over a second.", t=run["t"]) }}

# %%
import json
from pathlib import Path

from scratchbook import experiment


@experiment
def train(n: int) -> dict:
    return {"t": 2.0 * n}


run = train(10)
other = json.loads(Path("settings.json").read_text())["other"]
'''


def test_a_committed_time_is_kept_only_for_the_code_that_was_timed(project):
    """Times differ between machines, so a time within its tolerance keeps its committed text;
    but once an experiment's code changed, a committed time measured other code: all fresh."""
    def shown():
        return {k: e["display"] for k, e in entries_of(project, "01_timed").items()
                if not k.startswith("claim")}

    project.write("settings.json", '{"other": 3.0}')
    post = project.post("01_timed", TIMED)
    project.run("build", check=True)
    assert shown() == {'run["t"]': "20.0 s", "other": "3.0 s"}
    project.write("settings.json", '{"other": 4.0}')   # the same code, another measurement
    project.run("build", check=True)
    assert shown() == {'run["t"]': "20.0 s", "other": "3.0 s"}
    assert project.run("check").returncode == 0
    claim = 'claim: run["t"]>1'
    assert entries_of(project, "01_timed")[claim]["value"]["values"] == {"t": 20.0}
    post.write_text(post.read_text().replace("2.0 * n", "3.0 * n"))   # the timed code changed
    project.run("build", check=True)
    evidence = entries_of(project, "01_timed").pop(claim)
    assert shown() == {'run["t"]': "30.0 s", "other": "4.0 s"}
    assert evidence["value"]["values"] == {"t": 30.0}   # the claim's evidence is this code's
    assert project.run("check").returncode == 0


def entries_of(project, post):
    return {e["key"]: e for e in json.loads(project.read(f"posts/{post}.ledger.json"))["entries"]}

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

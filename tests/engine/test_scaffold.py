"""``scratchbook new``: the title as typed, the series' slug, and no silent weight clash."""

from __future__ import annotations

from scratchbook.engine.frontmatter import validate
from scratchbook.engine.project import Project
from scratchbook.engine.scaffold import new_post
from scratchbook.engine.source import parse_post


def test_new_keeps_the_title_as_typed_and_names_the_slug_for_the_series(project):
    result = project.run("new", "Über GPT-2: attention!", check=True)
    assert "created posts/01_uber_gpt_2_attention.py" in result.stdout
    front = validate(parse_post(project.root / "posts/01_uber_gpt_2_attention.py"))
    assert front.title == "Über GPT-2: attention!"
    assert front.slug == "neural-nets-uber-gpt-2-attention"


def test_new_reports_a_weight_another_post_already_has(project):
    project.post("01_first", '# ---\n# title: "First"\n# weight: 20\n# ---\n')
    made = new_post(Project(project.root), "second post")
    assert made.path.name == "02_second_post.py"
    assert any("weight 20 is taken by posts/01_first.py" in note for note in made.notes)
    assert validate(parse_post(made.path)).weight == 30


def test_new_reports_nothing_when_the_weight_is_free(project):
    project.post("01_first", '# ---\n# title: "First"\n# weight: 10\n# ---\n')
    made = new_post(Project(project.root), "second post")
    assert made.notes == () and validate(parse_post(made.path)).weight == 20

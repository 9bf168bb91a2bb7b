"""Outputs owned by their post: the committed ledger records the slug and the files it made."""

import json

POST = '''
# ---
# title: "Owned"
# weight: 10
# slug: first-name
# ---

# %% [markdown]
# A line.
#
# {{ figure(fig, "curve", alt="a curve") }}
#
# {{ data_file(points, "points") }}

# %%
import matplotlib.pyplot as plt

points = [1, 3, 2]
fig, ax = plt.subplots()
ax.plot(points)
'''


def test_the_ledger_records_the_slug_and_the_line_that_made_each_file(project):
    project.post("01_owned", POST)
    project.run("build", check=True)
    ledger = json.loads(project.read("posts/01_owned.ledger.json"))
    assert ledger["slug"] == "first-name"
    assert ledger["files"] == {"curve.svg": "posts/01_owned.py:10",
                               "points.json": "posts/01_owned.py:12"}


def test_a_renamed_slug_removes_the_old_markdown_and_figures_on_the_next_build(project):
    path = project.post("01_owned", POST)
    project.run("build", check=True)
    path.write_text(path.read_text().replace("slug: first-name", "slug: second-name"))
    project.run("build", check=True)
    assert not (project.root / "hugo_content/blog/first-name.md").exists()
    assert not (project.root / "figures/first-name").exists()
    assert (project.root / "figures/second-name/curve.svg").exists()
    assert project.run("check").returncode == 0


def test_two_posts_with_one_slug_are_refused_naming_both_before_anything_is_written(project):
    project.post("01_owned", POST)
    project.post("02_copy", POST.replace('"Owned"', '"Copy"').replace("[1, 3, 2]", "[5, 5]"))
    result = project.run("build")
    assert result.returncode == 1
    assert ("posts/01_owned.py:4: slug 'first-name' is also the slug of posts/02_copy.py: "
            "both would publish hugo_content/blog/first-name.md") in result.stderr
    assert ("posts/02_copy.py:4: slug 'first-name' is also the slug of posts/01_owned.py"
            in result.stderr)
    assert not (project.root / "hugo_content").exists() and not (project.root / "figures").exists()
    assert not list((project.root / "posts").glob("*.ledger.json"))


def test_a_second_post_taking_a_published_slug_leaves_the_first_ones_outputs(project):
    project.post("01_owned", POST)
    project.run("build", check=True)
    page = project.read("hugo_content/blog/first-name.md")
    project.post("02_copy", POST.replace('"Owned"', '"Copy"'))
    result = project.run("build", "02_copy")
    assert result.returncode == 1 and "both would publish" in result.stderr
    assert project.read("hugo_content/blog/first-name.md") == page
    assert (project.root / "figures/first-name/curve.svg").exists()


def test_two_figures_with_one_name_are_refused_naming_both_lines(project):
    project.post("01_owned", POST.replace("# A line.", '# {{ figure(fig, "curve", alt="again") }}'))
    result = project.run("build")
    assert result.returncode == 1
    assert ("posts/01_owned.py:10: figure(): figures/first-name/curve.svg is already written by "
            "posts/01_owned.py:8") in result.stderr
    assert not (project.root / "figures").exists()


def test_two_data_files_with_one_name_are_refused_naming_both_lines(project):
    project.post("01_owned", POST.replace("# A line.", '# {{ data_file([1], "points") }}'))
    result = project.run("build")
    assert result.returncode == 1
    assert ("posts/01_owned.py:12: data_file(): figures/first-name/points.json is already "
            "written by posts/01_owned.py:8") in result.stderr


def test_check_reports_outputs_that_no_post_publishes(project):
    project.post("01_owned", POST)
    project.run("build", check=True)
    project.write("hugo_content/blog/left-over.md", "old page\n")
    (project.root / "figures/left-over").mkdir()
    result = project.run("check")
    assert result.returncode == 1
    assert "outputs that no post publishes" in result.stdout
    assert "  hugo_content/blog/left-over.md\n  figures/left-over/" in result.stdout


def test_the_slug_index_is_refused_because_it_would_hide_every_other_post(project):
    project.post("01_index", POST.replace("slug: first-name", "slug: index"))
    result = project.run("build")
    assert result.returncode != 0 and "slug 'index'" in result.stderr
    assert not (project.root / "hugo_content/blog/index.md").exists()

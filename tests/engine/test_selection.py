"""Posts are named on the command line by file, by name without the number, or by slug."""

import pytest

POST = '''
# ---
# title: "{title}"
# weight: 10
{slug}# ---

# %% [markdown]
# Hello.
'''


@pytest.fixture
def posts(project):
    project.post("03_karpathy_tour", POST.format(title="Tour", slug="# slug: neural-nets-karpathy-tour\n"))
    project.post("04_karpathy_more", POST.format(title="More", slug=""))
    return project


@pytest.mark.parametrize("name", ["posts/03_karpathy_tour.py", "03_karpathy_tour.py",
                                  "03_karpathy_tour", "karpathy_tour",
                                  "neural-nets-karpathy-tour"])
def test_a_post_is_named_by_file_name_or_slug(posts, name):
    result = posts.run("build", name, check=True)
    assert "built posts/03_karpathy_tour.py" in result.stderr
    assert "04_karpathy_more" not in result.stderr


def test_an_ambiguous_name_lists_the_candidates(posts):
    result = posts.run("build", "karpathy")
    assert result.returncode == 2
    assert "'karpathy' names 2 posts" in result.stderr
    assert "posts/03_karpathy_tour.py (slug neural-nets-karpathy-tour)" in result.stderr
    assert "posts/04_karpathy_more.py (slug karpathy-more)" in result.stderr


def test_an_unknown_name_lists_every_post(posts):
    result = posts.run("check", "transformers")
    assert result.returncode == 2
    assert "no post named 'transformers'" in result.stderr
    assert "karpathy-more" in result.stderr and "neural-nets-karpathy-tour" in result.stderr

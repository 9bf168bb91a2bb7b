"""Parsing a literate post: cells, options, front matter, and errors that name a line."""

import pytest
from hypothesis import given, settings, strategies as st

from scratchbook.engine.errors import ScratchbookError
from scratchbook.engine.frontmatter import validate
from scratchbook.engine.source import parse_text

POST = '''# ---
# title: "A post"
# weight: 30
# ---

# %% [markdown]
# Some *prose* with {{ x }}.
#
# More prose.

# %% tags=["hide-input"]
x = 1
y = 2

# %% A titled cell [markdown] custom={"a": 1}
# Closing words.
'''


def test_cells_keep_kind_source_and_true_first_line():
    post = parse_text(POST, "posts/01_a.py")
    assert [c.kind for c in post.cells] == ["markdown", "code", "markdown"]
    prose, code, closing = post.cells
    assert prose.source == "Some *prose* with {{ x }}.\n\nMore prose."
    assert prose.first_line == 7
    assert code.source == "x = 1\ny = 2"
    assert code.first_line == 12
    assert code.tags == ("hide-input",)
    assert closing.title == "A titled cell" and closing.options == {"custom": {"a": 1}}


def test_front_matter_is_read_from_the_comment_header():
    post = parse_text(POST, "posts/01_a.py")
    assert post.header == {"title": "A post", "weight": 30}
    front = validate(post)
    assert (front.title, front.weight, front.slug, front.skin, front.draft) == \
        ("A post", 30, "a", "chalkboard", True)


def _error(text: str) -> ScratchbookError:
    with pytest.raises(ScratchbookError) as info:
        validate(parse_text(text, "posts/01_a.py"))
    return info.value


def test_malformed_yaml_names_its_line():
    err = _error("# ---\n# title: x\n# weight: [1,\n# ---\n")
    assert err.path == "posts/01_a.py" and err.line in (3, 4)
    assert "YAML" in err.message


def test_unclosed_header_names_its_opening_line():
    err = _error("# ---\n# title: x\n")
    assert err.line == 1 and "never closed" in err.message


@pytest.mark.parametrize("header, words", [
    ("weight: 3", "'title' is required"),
    ("title: x", "'weight' is required"),
    ("title: x\n# weight: 3\n# date: 2024-01-01", "'date' is not allowed"),
    ("title: x\n# weight: 3\n# tags: [a]", "'tags' is not allowed"),
    ("title: x\n# weight: 3\n# skin: neon", "unknown skin 'neon'"),
    ("title: x\n# weight: 3\n# slug: ../../etc", "not a plain name"),
    ("title: x\n# weight: 3\n# draft: maybe", "'draft' must be true or false"),
    ("title: x\n# weight: 3\n# aliases: [../x]", "'aliases' must be a list of URL paths"),
    ("title: x\n# weight: three", "whole number"),
    ("title: x\n# weight: 3\n# colour: red", "unknown key"),
])
def test_front_matter_errors_name_the_line_of_the_key_at_fault(header, words):
    err = _error(f"# ---\n# {header}\n# ---\n")
    assert words in err.message
    missing = "required" in words
    assert err.line == (2 if missing else 1 + header.count("\n") + 1)
    assert err.hint


def test_markdown_cell_with_a_code_line_names_it():
    err = _error("# ---\n# title: x\n# weight: 1\n# ---\n# %% [markdown]\n# prose\nx = 1\n")
    assert err.line == 7 and "comment" in err.message


def test_bad_cell_option_names_the_marker_line():
    err = _error("# ---\n# title: x\n# weight: 1\n# ---\n\n# %% tags=[oops]\nx = 1\n")
    assert err.line == 6 and "tags" in err.message


def test_text_before_the_first_marker_is_a_code_cell():
    post = parse_text("import os\n\n# %% [markdown]\n# hi\n")
    assert [(c.kind, c.source, c.first_line) for c in post.cells] == \
        [("code", "import os", 1), ("markdown", "hi", 4)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("# %-[]{}=:\"\n\tabx1\\'yaml")), max_size=300))
def test_arbitrary_text_parses_or_names_a_line(text):
    try:
        post = parse_text(text, "posts/01_a.py")
        if post.header:
            validate(post)
    except ScratchbookError as err:
        assert err.path == "posts/01_a.py"
        assert err.line is None or 1 <= err.line <= text.count("\n") + 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_raises_anything_else(text):
    try:
        parse_text(text, "p.py")
    except ScratchbookError:
        pass


@pytest.mark.parametrize("yaml_lines, line, words, hint", [
    (['title: "An unclosed quote', "weight: 3", "skin: theorem"], 2,
     "quote that opens this value is never closed", "close the quote"),
    (["title: 'It's a title'", "weight: 3"], 2, "text follows a quoted value", "double quotes"),
    (["weight: 3", "title: Loss: a story"], 3, "':' inside a value", "double quotes"),
    (["weight: 3", "aliases: [/old/,", "title: x"], 3, "not closed", "close it"),
])
def test_yaml_errors_name_the_authors_line_in_plain_words(yaml_lines, line, words, hint):
    text = "# ---\n" + "".join(f"# {entry}\n" for entry in yaml_lines) + "# ---\n"
    err = _error(text)
    assert err.line == line and words in err.message and hint in err.hint
    assert "<block end>" not in err.message and "scalar" not in err.message


def test_the_jupyter_block_is_accepted_and_never_published():
    text = POST.replace("# weight: 30\n", "# weight: 30\n# jupyter:\n#   jupytext:\n"
                                          "#     formats: ipynb,py:percent\n")
    front = validate(parse_text(text, "posts/01_a.py"))
    assert "jupyter" not in front.as_hugo()


def test_aliases_are_published_for_hugo():
    text = POST.replace("# weight: 30\n", '# weight: 30\n# aliases: ["/blog/old-name/"]\n')
    assert validate(parse_text(text, "posts/01_a.py")).as_hugo()["aliases"] == ["/blog/old-name/"]

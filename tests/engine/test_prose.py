"""Prose cells as Jinja templates: the escape rule, shortcodes, and errors in the author's
terms (the prose line, what was wrong, what to write). Woven directly, without a build."""

from __future__ import annotations

from pathlib import Path

import pytest

from scratchbook.engine.errors import ScratchbookError
from scratchbook.engine.frontmatter import validate
from scratchbook.engine.ledger import Recorder
from scratchbook.engine.source import parse_text
from scratchbook.engine.weave import Weaver

REPO = Path(__file__).resolve().parents[2]
HEADER = '# ---\n# title: "Prose"\n# weight: 10\n# ---\n\n# %% [markdown]\n'   # prose: line 7


def weave(prose: str, **namespace) -> str:
    text = HEADER + "\n".join(f"# {line}" if line else "#" for line in prose.split("\n")) + "\n"
    post = parse_text(text, "posts/01_prose.py")
    weaver = Weaver(REPO / "templates", REPO, post, validate(post), Recorder({}))
    return weaver.weave(namespace, {}).markdown.split("-->\n\n", 1)[1].rstrip("\n") + "\n"


def error(prose: str, **namespace) -> ScratchbookError:
    with pytest.raises(ScratchbookError) as info:
        weave(prose, **namespace)
    assert info.value.path == "posts/01_prose.py"
    return info.value


@pytest.mark.parametrize("shortcode", ["{{< youtube abc123 >}}",
                                       '{{< figure src="/img/a.png" alt="A" >}}',
                                       "{{% note %}}*hi*{{% /note %}}"])
def test_a_shortcode_in_prose_reaches_hugo_unchanged(shortcode):
    assert weave(f"Look: {shortcode}") == f"Look: {shortcode}\n"


def test_an_expression_inside_a_shortcode_argument_is_still_evaluated():
    assert weave('{{< chart src="{{ url }}" >}}', url="a.json") == '{{< chart src="a.json" >}}\n'


def test_a_jinja_comment_is_refused_naming_its_line():
    err = error("First line.\nlooks like `{# note #}`.")
    assert err.line == 8 and "would vanish" in err.message and "{{ '{#' }}" in err.hint


def test_a_heading_id_gets_an_error_in_the_authors_terms():
    err = error("Intro.\n\n## Results {#results}")
    assert err.line == 9 and "heading id" in err.message and "{{ '{#' }}results}" in err.hint


def test_the_escape_rule_writes_a_heading_id():
    assert weave("## Results {{ '{#' }}results}") == "## Results {#results}\n"


def test_double_braces_in_math_get_an_error_in_the_authors_terms():
    err = error("Euler: \\( e^{{i\\pi}} \\)")
    assert err.line == 7 and "'{{' starts a Jinja expression" in err.message
    assert "{ {" in err.hint and "column" not in err.message


def test_the_escape_rule_for_math_braces():
    assert weave("\\( e^{ {i\\pi} } \\)") == "\\( e^{ {i\\pi} } \\)\n"


def test_raw_blocks_show_jinja_text_literally():
    assert weave("{% raw %}{{ x }} and {# y #}{% endraw %}") == "{{ x }} and {# y #}\n"


def test_a_misspelled_key_lists_the_keys_that_exist():
    err = error("Loss {{ num(run.final_los, '.3f') }}.", run={"final_loss": 1.0, "steps": 3})
    assert err.line == 7 and "'final_los'" in err.message
    assert "'final_loss'" in err.message and "'steps'" in err.message


def test_a_figure_without_alt_text_says_what_to_write():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    err = error('Intro.\n{{ figure(fig, "curve") }}', fig=fig)
    plt.close(fig)
    assert err.line == 8 and "no alt text" in err.message and 'alt="' in err.hint


def test_a_helper_called_with_a_misspelled_argument_names_it_and_the_usage():
    err = error('{{ table(rows, headrs=["a"]) }}', rows=[[1]])
    assert "headrs" in err.message and "table(rows, headers=" in err.hint
    assert "Weaver" not in err.message


def test_a_misspelled_formats_column_lists_the_columns():
    err = error('{{ table(rows, headers=["name", "loss"], formats={"los": ".3f"}) }}',
                rows=[["a", 0.5]])
    assert err.line == 7 and "'los'" in err.message and "'loss'" in err.hint


def test_a_table_cell_escapes_markdown():
    page = weave('{{ table(rows, headers=["op"]) }}', rows=[["`add-4`*"], ["88|18"]])
    assert "| \\`add\\-4\\`\\* |" not in page          # a single '-' needs no escape
    assert "| \\`add-4\\`\\* |" in page and "| 88\\|18 |" in page


def test_a_raw_cell_is_published_without_jinja():
    text = HEADER.replace("[markdown]", "[raw]") + "# {{ not jinja }} {# nor this #}\n"
    post = parse_text(text, "posts/01_prose.py")
    weaver = Weaver(REPO / "templates", REPO, post, validate(post), Recorder({}))
    assert "{{ not jinja }} {# nor this #}\n" in weaver.weave({}, {}).markdown


def test_a_raw_block_holding_a_shortcode_stays_as_written():
    assert weave("{% raw %}{{< x >}} {{ y }}{% endraw %}") == "{{< x >}} {{ y }}\n"


def test_text_shown_from_code_holding_a_shortcode_opener_is_refused():
    err = error("Intro.\nThe template is {{ template }}.", template="{{%s|token}}")
    assert err.line == 8 and "shortcode" in err.message and "table(" in err.hint


def test_a_shortcode_opener_inside_an_expression_string_is_the_expressions_own():
    """Only openers in the prose itself are handed to Hugo; one inside a Jinja string literal
    (a header naming a shortcode) reaches the helper as written."""
    page = weave('{{ table([[1]], headers=["made with {{< figure >}}"]) }} and {{< b >}}')
    assert "{% raw %}" not in page and "endraw" not in page
    assert "made with \\{\\{\\<" in page and page.rstrip().endswith("and {{< b >}}")

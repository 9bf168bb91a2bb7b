"""Numbers in words: plurals, counts of a total, shares that never read a false 0% or 100%,
and values over seeds compared only beyond their noise. Woven directly (no build), except
where the ledger on disk is the point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scratchbook.engine.errors import ScratchbookError
from scratchbook.engine.frontmatter import validate
from scratchbook.engine.ledger import Recorder
from scratchbook.engine.source import parse_text
from scratchbook.engine.weave import Weaver
from scratchbook.engine.wording import stands_out, t_critical

REPO = Path(__file__).resolve().parents[2]
HEADER = '# ---\n# title: "Words"\n# weight: 10\n# ---\n\n# %% [markdown]\n'   # prose: line 7


def weave(prose: str, **namespace) -> tuple[str, dict]:
    post = parse_text(HEADER + f"# {prose}\n", "posts/01_words.py")
    recorder = Recorder({})
    woven = Weaver(REPO / "templates", REPO, post, validate(post), recorder).weave(namespace, {})
    return woven.markdown.split("-->\n\n", 1)[1].rstrip("\n"), woven.entries


def text(prose: str, **namespace) -> str:
    return weave(prose, **namespace)[0]


@pytest.mark.parametrize("n, shown", [(0, "0 tasks"), (1, "1 task"), (3, "3 tasks"),
                                      (1234, "1,234 tasks"), (2.0, "2 tasks")])
def test_plural_agrees_with_the_count(n, shown):
    assert text('{{ plural(n, "task") }}', n=n) == shown


def test_plural_takes_an_irregular_plural():
    assert text('{{ plural(n, "child", "children") }}', n=2) == "2 children"
    assert text('{{ plural(n, "child", "children") }}', n=1) == "1 child"


def test_plural_refuses_a_fraction():
    with pytest.raises(ScratchbookError, match="not a whole number") as info:
        text('{{ plural(n, "task") }}', n=2.5)
    assert info.value.line == 7


@pytest.mark.parametrize("count, total, shown", [
    (26, 26, "all 26 letters"), (0, 26, "none of the 26 letters"), (3, 26, "3 of the 26 letters"),
    (1, 26, "1 of the 26 letters"), (2, 2, "both letters"), (1, 1, "the only letter"),
    (0, 1, "none of the 1 letter")])
def test_count_of_says_all_none_or_how_many(count, total, shown):
    assert text('{{ count_of(k, n, "letter") }}', k=count, n=total) == shown


def test_count_of_refuses_more_than_the_total():
    with pytest.raises(ScratchbookError, match="between 0 and the total"):
        text('{{ count_of(k, n, "letter") }}', k=27, n=26)


def test_count_of_records_the_count_and_the_total():
    _, entries = weave('{{ count_of(right, 26, "letter") }}', right=3)
    assert entries["right"].display == "3" and entries["right (total)"].value == 26


@pytest.mark.parametrize("value, digits, shown", [
    (0, 1, "0%"), (0.0004, 1, "under 0.1%"), (0.0005, 1, "0.1%"), (0.25, 1, "25.0%"),
    (0.9996, 1, "over 99.9%"), (1.0, 1, "100%"), (0.00004, 2, "under 0.01%")])
def test_share_never_rounds_to_a_false_extreme(value, digits, shown):
    assert text("{{ share(x, d) }}", x=value, d=digits) == shown


def test_share_records_the_value_and_its_text():
    _, entries = weave("{{ share(rare) }}", rare=0.0002)
    assert entries["rare"].value == 0.0002 and entries["rare"].display == "under 0.1%"


def test_seeds_shows_mean_sd_and_count_and_records_each():
    shown, entries = weave('{{ seeds(losses, ".3f") }}', losses=[2.31, 2.33, 2.32])
    assert shown == "2.320 ± 0.010 (3 seeds)"
    assert entries["losses mean"].display == "2.320"
    assert entries["losses sd"].display == "0.010"
    assert entries["losses n"].value == 3


def test_seeds_of_one_run_shows_no_spread():
    assert text('{{ seeds(losses, ".3f") }}', losses=[2.31]) == "2.310 (1 seed)"


def test_difference_beyond_the_seeds_noise_is_worded_as_a_difference():
    prose = '{{ difference(a, b, ".3f") }}'
    assert text(prose, a=[2.31, 2.33, 2.32], b=[2.40, 2.41, 2.39]) == "lower by 0.080"
    assert text(prose, a=[2.40, 2.41, 2.39], b=[2.31, 2.33, 2.32]) == "higher by 0.080"


def test_a_difference_of_two_percentages_is_in_percentage_points():
    a, b = [0.93, 0.94, 0.95], [0.82, 0.83, 0.84]   # 94% against 83%: 11 points, not 11%
    assert text('{{ difference(a, b, "pct") }}', a=a, b=b) == "higher by 11.0 percentage points"
    assert text('{{ difference(b, a, "share:2") }}', a=a, b=b) == "lower by 11.00 percentage points"


def test_difference_within_the_seeds_noise_says_so():
    shown, entries = weave('{{ difference(a, b, ".3f") }}',
                           a=[2.32, 2.30, 2.35], b=[2.31, 2.33, 2.32])
    assert shown == "within seed noise"
    entry = entries["difference(a, b, \".3f\")"]
    assert entry.display == "within seed noise" and entry.value["noise"] > 0.003


def test_difference_needs_two_seeds_a_side():
    with pytest.raises(ScratchbookError, match="at least 2"):
        text("{{ difference(a, b) }}", a=[2.3], b=[2.4, 2.5])


def test_the_noise_rule_is_welchs_t_test_at_five_percent():
    # 3 and 3 seeds with equal spread: 4 degrees of freedom, t = 2.776.
    a, b = [0.0, 1.0, 2.0], [1.0, 2.0, 3.0]          # sd 1 each: threshold 2.776 * sqrt(2/3)
    out, difference, threshold, t = stands_out(a, b)
    assert (out, difference, t) == (False, -1.0, 2.776)
    assert threshold == pytest.approx(2.776 * (2 / 3) ** 0.5)
    assert stands_out([x + 3.3 for x in a], b)[0] is True    # 2.3 > 2.267
    assert stands_out([x + 3.2 for x in a], b)[0] is False   # 2.2 < 2.267
    assert t_critical(100) == 2.042 and t_critical(0.5) == 12.706


def test_wording_helpers_record_in_the_ledger_of_a_build(project):
    project.post("01_words", '''
        # ---
        # title: "Words"
        # weight: 10
        # ---

        # %%
        failures = 0
        right = 26

        # %% [markdown]
        # {{ plural(failures, "failure") }}; {{ count_of(right, 26, "letter") }}; {{ share(0.0001) }}.
        ''')
    project.run("build", check=True)
    assert "0 failures; all 26 letters; under 0.1%." in project.read("hugo_content/blog/words.md")
    ledger = json.loads(project.read("posts/01_words.ledger.json"))
    keys = {e["key"]: e["display"] for e in ledger["entries"]}
    assert keys == {"failures": "0", "right": "26", "right (total)": "26", "0.0001": "under 0.1%"}

"""diff(Base, Variant) shows the real change: a subclass's overrides against the base's
versions, its additions as added, what it inherits named (not deleted), and new classes the
author names with also=[...]. One real post is built once; each test reads one of its diffs."""

from __future__ import annotations

import re

import pytest

from conftest import FixtureProject

POST = '''
# ---
# title: "Diffs"
# weight: 10
# ---

# %% [markdown]
# {{ diff(Counter, LoudCounter) }}
#
# {{ diff(Counter, TallyCounter) }}
#
# {{ diff(Counter, NamedCounter) }}
#
# {{ diff(Counter, LoggedCounter, also=[Log]) }}
#
# {{ diff(count_up, count_down) }}

# %%
class Counter:
    """Counts."""

    step = 1

    def __init__(self, start):
        self.count = start
        self.name = "counter"
        self.history = []

    def add(self):
        self.count += self.step
        return self.count

    def reset(self):
        self.count = 0


class LoudCounter(Counter):
    """Counts out loud."""

    def add(self):
        self.count += self.step
        print(self.count)
        return self.count


class TallyCounter(Counter):
    """Counts up to a limit."""

    limit = 10

    def full(self):
        return self.count >= self.limit


class NamedCounter(Counter):
    """Counts under a name."""

    def __init__(self, start, name):
        super().__init__(start)
        self.name = name
        self.limit = 10


class Log:
    """Remembers what it is told."""

    def __init__(self):
        self.lines = []


class LoggedCounter(Counter):
    """Counts into a log."""

    def reset(self):
        Log().lines.append(self.count)
        self.count = 0


def count_up(n):
    return list(range(n))


def count_down(n):
    return list(range(n, 0, -1))
'''

NAMES = ["LoudCounter", "TallyCounter", "NamedCounter", "LoggedCounter", "count_down"]
SOURCE = POST.lstrip("\n").splitlines()


@pytest.fixture(scope="module")
def diffs(tmp_path_factory) -> dict[str, str]:
    project = FixtureProject(tmp_path_factory.mktemp("diff") / "site")
    project.post("01_diffs", POST)
    project.run("build", check=True)
    page = project.read("hugo_content/blog/diffs.md")
    blocks = re.findall(r"^```diff\n(.*?)\n```$", page, flags=re.S | re.M)
    assert len(blocks) == len(NAMES), page
    return dict(zip(NAMES, blocks))


def line_of(text: str) -> int:
    """The post's line (1-based) that is exactly ``text``."""
    return SOURCE.index(text) + 1


def removed(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]


def test_a_subclass_overriding_one_method_shows_only_that_methods_change(diffs):
    diff = diffs["LoudCounter"]
    assert removed(diff) == ["-class Counter:", '-    """Counts."""']
    assert "+        print(self.count)" in diff.splitlines()
    assert "         self.count += self.step" in diff.splitlines()   # unchanged: context


def test_an_inherited_method_is_named_not_shown_as_deleted(diffs):
    diff = diffs["LoudCounter"]
    assert diff.splitlines()[0] == "LoudCounter inherits from Counter unchanged: step, __init__, reset"
    assert "reset" not in "\n".join(diff.splitlines()[1:])


def test_an_added_attribute_and_method_are_shown_as_added_where_the_subclass_defines_them(diffs):
    first, tally = line_of("class Counter:"), line_of("class TallyCounter(Counter):")
    assert diffs["TallyCounter"].splitlines()[1:] == [
        "--- posts/01_diffs.py: Counter",
        "+++ posts/01_diffs.py: TallyCounter",
        f"@@ -{first},2 +{tally},7 @@",
        "-class Counter:",
        '-    """Counts."""',
        "+class TallyCounter(Counter):",
        '+    """Counts up to a limit."""',
        "+",
        "+    limit = 10",
        "+",
        "+    def full(self):",
        "+        return self.count >= self.limit",
    ]


def test_an_init_calling_super_shows_the_base_body_as_context_and_its_own_lines_as_changes(diffs):
    body = diffs["NamedCounter"].splitlines()
    start = body.index("-    def __init__(self, start):")
    assert body[start:] == [
        "-    def __init__(self, start):",
        "+    def __init__(self, start, name):",
        "+        super().__init__(start)",
        "         self.count = start",
        '-        self.name = "counter"',
        "+        self.name = name",
        "         self.history = []",
        "+        self.limit = 10",
    ]


def test_a_class_named_in_also_is_shown_in_full_as_added(diffs):
    first = line_of("class Log:")
    lines = diffs["LoggedCounter"].splitlines()
    start = lines.index("--- /dev/null")
    assert lines[start:] == [
        "--- /dev/null",
        "+++ posts/01_diffs.py: Log",
        f"@@ -0,0 +{first},5 @@",
        "+class Log:",
        '+    """Remembers what it is told."""',
        "+",
        "+    def __init__(self):",
        "+        self.lines = []",
    ]


def test_hunk_headers_give_the_real_lines_of_the_post(diffs):
    for name in ("LoudCounter", "TallyCounter", "LoggedCounter", "count_down"):
        old = new = None
        for line in diffs[name].splitlines():
            header = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@", line)
            if header:
                old, new = int(header[1]), int(header[2])
            elif old is None or line.startswith(("---", "+++")):
                continue
            else:
                sign, text = line[0], line[1:]
                if sign in "- ":
                    assert SOURCE[old - 1] == text, (name, line)
                    old += 1
                if sign in "+ ":
                    assert SOURCE[new - 1] == text, (name, line)
                    new += 1


def test_functions_are_diffed_as_text_with_their_lines(diffs):
    up, down = line_of("def count_up(n):"), line_of("def count_down(n):")
    assert diffs["count_down"].splitlines() == [
        "--- posts/01_diffs.py: count_up",
        "+++ posts/01_diffs.py: count_down",
        f"@@ -{up},2 +{down},2 @@",
        "-def count_up(n):",
        "-    return list(range(n))",
        "+def count_down(n):",
        "+    return list(range(n, 0, -1))",
    ]

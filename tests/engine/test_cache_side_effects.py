"""Cached and fresh builds give the same post: printed output is replayed, side effects refused."""

import re
import textwrap

HEADER = '''
# ---
# title: "Effects"
# weight: 10
# ---

# %%
from scratchbook import experiment
'''


def counts(result) -> tuple[int, int]:
    match = re.search(r"experiments (\d+) computed / (\d+) cached", result.stderr)
    assert match, result.stderr
    return int(match[1]), int(match[2])


def write_post(project, code: str):
    return project.post("01_effects", HEADER + textwrap.dedent(code))


def test_what_an_experiment_prints_is_replayed_on_a_cache_hit(project):
    write_post(project, '''
    @experiment
    def train(steps: int) -> dict:
        for step in range(steps):
            print(f"step {step} loss {1 / (step + 1):.3f}")
        return {"loss": 1 / steps}

    result = train(3)
    print("final", result["loss"])
    ''')
    assert counts(project.run("build", check=True)) == (1, 0)
    cold = project.read("hugo_content/blog/effects.md")
    assert "step 2 loss 0.333\nfinal 0.3333333333333333" in cold
    assert counts(project.run("build", check=True)) == (0, 1)
    assert project.read("hugo_content/blog/effects.md") == cold


def assert_refused(project, *expected: str) -> None:
    result = project.run("build")
    assert result.returncode == 1, result.stderr
    assert "posts/01_effects.py:" in result.stderr
    for text in expected:
        assert text in result.stderr
    assert "hint: return what it computes instead" in result.stderr
    assert not list((project.root / ".scratchbook/cache").glob("*.npz"))


def test_appending_to_a_post_level_list_fails_the_build_naming_the_list(project):
    write_post(project, '''
    history = []

    @experiment
    def train(steps: int) -> dict:
        history.append(steps)
        return {"loss": 1 / steps}

    train(3)
    ''')
    assert_refused(project, "experiment 'train' changed the global 'history' while it ran")


def test_setting_a_post_global_fails_the_build_naming_the_global(project):
    write_post(project, '''
    @experiment
    def train(steps: int) -> dict:
        global last_steps
        last_steps = steps
        return {"loss": 1 / steps}

    train(3)
    ''')
    assert_refused(project, "experiment 'train' changed the global 'last_steps' (created)")


def test_mutating_an_argument_fails_the_build_naming_the_argument(project):
    write_post(project, '''
    @experiment
    def train(config: dict) -> dict:
        config["trained"] = True
        return {"loss": 0.5}

    train({"steps": 3})
    ''')
    assert_refused(project, "experiment 'train' changed its argument 'config' while it ran")


def test_mutating_a_project_module_value_fails_the_build_naming_it(project):
    project.write("fixture_log.py", '''
    RUNS = []

    def record(value):
        RUNS.append(value)
        return value
    ''')
    write_post(project, '''
    import fixture_log

    @experiment
    def train(steps: int) -> dict:
        return {"loss": fixture_log.record(1 / steps)}

    train(4)
    ''')
    assert_refused(project, "experiment 'train' changed 'fixture_log.RUNS' while it ran")

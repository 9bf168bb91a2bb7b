"""Cache keys see what a result depends on, and nothing about where the post's file is.

Each staleness test builds a small post through the real command line, changes one thing
the experiment's result depends on (never the experiment's own code), and builds again:
the experiment must be recomputed and the post must show the new value.
"""

import os
import re
import subprocess
import sys
import textwrap

HEADER = '''
# ---
# title: "Keys"
# weight: 10
# ---

# %% [markdown]
# Value {{ result["v"] }}.

# %%
from scratchbook import experiment
'''


def counts(result) -> tuple[int, int]:
    match = re.search(r"experiments (\d+) computed / (\d+) cached", result.stderr)
    assert match, result.stderr
    return int(match[1]), int(match[2])


def write_post(project, code: str, name: str = "01_keys"):
    return project.post(name, HEADER + textwrap.dedent(code))


def rebuild_after(project, post, old: str, new: str):
    """Build, replace ``old`` by ``new`` in ``post`` (or a module), build again."""
    assert counts(project.run("build", check=True)) == (1, 0)
    text = post.read_text()
    assert old in text
    post.write_text(text.replace(old, new))
    return project.run("build", check=True)


def shown(project) -> str:
    return re.search(r"Value (.*)\.", project.read("hugo_content/blog/keys.md"))[1]


def test_a_post_global_read_inside_a_method_is_part_of_the_key(project):
    post = write_post(project, '''
    SCALE = 2

    class Model:
        def out(self):
            return SCALE * 10

    @experiment
    def run() -> dict:
        return {"v": Model().out()}

    result = run()
    ''')
    assert counts(rebuild_after(project, post, "SCALE = 2", "SCALE = 3")) == (1, 0)
    assert shown(project) == "30"


def test_a_base_class_method_in_the_post_is_part_of_the_key(project):
    post = write_post(project, '''
    class Base:
        def out(self):
            return 20

    class Model(Base):
        pass

    @experiment
    def run() -> dict:
        return {"v": Model().out()}

    result = run()
    ''')
    assert counts(rebuild_after(project, post, "return 20", "return 21")) == (1, 0)
    assert shown(project) == "21"


def test_a_base_class_method_in_a_project_module_is_part_of_the_key(project):
    module = project.write("fixture_base.py", '''
    class Base:
        @property
        def out(self):
            return 20
    ''')
    write_post(project, '''
    from fixture_base import Base

    class Model(Base):
        pass

    @experiment
    def run() -> dict:
        return {"v": Model().out}

    result = run()
    ''')
    assert counts(rebuild_after(project, module, "return 20", "return 22")) == (1, 0)
    assert shown(project) == "22"


def test_a_closure_value_is_part_of_the_key(project):
    post = write_post(project, '''
    def scaler(k):
        return lambda x: x * k

    times = scaler(2)

    @experiment
    def run() -> dict:
        return {"v": times(10)}

    result = run()
    ''')
    assert counts(rebuild_after(project, post, "scaler(2)", "scaler(4)")) == (1, 0)
    assert shown(project) == "40"


def test_a_default_argument_value_is_part_of_the_key(project):
    post = write_post(project, '''
    STEP = 2

    def scaled(x, k=STEP):
        return x * k

    @experiment
    def run() -> dict:
        return {"v": scaled(10)}

    result = run()
    ''')
    assert counts(rebuild_after(project, post, "STEP = 2", "STEP = 5")) == (1, 0)
    assert shown(project) == "50"


def test_a_class_attribute_the_post_assigns_is_part_of_the_key(project):
    post = write_post(project, '''
    class Model:
        scale = 2

        def out(self):
            return self.scale * 10

    Model.scale = 6

    @experiment
    def run() -> dict:
        return {"v": Model().out()}

    result = run()
    ''')
    assert counts(rebuild_after(project, post, "Model.scale = 6", "Model.scale = 7")) == (1, 0)
    assert shown(project) == "70"


def test_a_module_attribute_the_post_assigns_is_part_of_the_key(project):
    project.write("fixture_model.py", '''
    SCALE = 2

    def scaled(x):
        return x * SCALE
    ''')
    post = write_post(project, '''
    import fixture_model

    fixture_model.SCALE = 3

    @experiment
    def run() -> dict:
        return {"v": fixture_model.scaled(10)}

    result = run()
    ''')
    assert counts(rebuild_after(project, post, "SCALE = 3", "SCALE = 8")) == (1, 0)
    assert shown(project) == "80"


def write_scaled(project):
    """A project module the posts below import: scaled(x) doubles x."""
    return project.write("fixture_model.py", '''
    def scaled(x):
        return x * 2
    ''')


def test_a_project_module_imported_inside_the_experiment_is_part_of_the_key(project):
    module = write_scaled(project)
    write_post(project, '''
    @experiment
    def run() -> dict:
        from fixture_model import scaled
        return {"v": scaled(10)}

    result = run()
    ''')
    assert counts(rebuild_after(project, module, "x * 2", "x * 9")) == (1, 0)
    assert shown(project) == "90"


def test_a_module_edited_after_its_import_fails_the_build_instead_of_caching_under_its_new_key(project):
    """The author saves a lab file while a build that imported the old one is running: the
    results of the old code must not be cached under the new file's key."""
    write_scaled(project)
    write_post(project, '''
    import pathlib
    import fixture_model

    @experiment
    def run() -> dict:
        return {"v": fixture_model.scaled(10)}

    path = pathlib.Path(fixture_model.__file__)  # the author's edit, made while this build runs
    path.write_text(path.read_text().replace("x * 2", "x * 9"))
    result = run()
    ''')
    failed = project.run("build")
    assert failed.returncode == 1, failed.stderr
    assert "posts/01_keys.py:21: fixture_model.py changed after this run imported it" in failed.stderr
    assert "hint: build again" in failed.stderr
    assert not list((project.root / ".scratchbook/cache").glob("*.npz"))
    # The next build imports the edited file and computes with it.
    assert counts(project.run("build", check=True)) == (1, 0)
    assert shown(project) == "90"


def test_a_touched_but_unchanged_module_is_not_an_edit(project):
    write_scaled(project)
    write_post(project, '''
    import os
    import fixture_model

    @experiment
    def run() -> dict:
        return {"v": fixture_model.scaled(10)}

    os.utime(fixture_model.__file__, ns=(1, 1))  # same bytes, another time stamp (a checkout)
    result = run()
    ''')
    assert counts(project.run("build", check=True)) == (1, 0)
    assert shown(project) == "20"


def test_state_that_cannot_be_keyed_is_named_instead_of_served_stale(project):
    project.write("fixture_draw.py", '''
    import numpy as np

    rng = np.random.default_rng(0)

    def draw():
        return int(rng.integers(100))
    ''')
    write_post(project, '''
    import fixture_draw

    @experiment
    def run() -> dict:
        return {"v": fixture_draw.draw()}

    result = run()
    ''')
    result = project.run("build")
    assert result.returncode == 1
    assert "posts/01_keys.py:" in result.stderr
    assert ("experiment 'run' reads 'fixture_draw.rng' (Generator), which cannot be part of "
            "its cache key") in result.stderr
    assert "hint: create the random generator inside the experiment from a seed" in result.stderr


def run_as_script(project, post: str) -> subprocess.CompletedProcess:
    """``python posts/NN_x.py`` from the project's root, as an author would run it."""
    script = subprocess.run([sys.executable, post], cwd=project.root, capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(project.root), "CI": "1"})
    assert script.returncode == 0, script.stderr
    return script


POST = '''
def triple(x):
    return 3 * x

@experiment
def run(n: int) -> dict:
    return {"v": triple(sum(range(n)))}

result = run(4)
print("shown", result["v"])
'''


def test_a_plain_script_run_reuses_what_the_build_cached(project):
    write_post(project, POST)
    assert counts(project.run("build", check=True)) == (1, 0)
    script = run_as_script(project, "posts/01_keys.py")
    assert "shown 18" in script.stdout
    assert "computing" not in script.stderr
    assert len(list((project.root / ".scratchbook/cache").glob("run-*.npz"))) == 1


def test_a_dataclass_defined_in_the_post_is_found_again_by_a_plain_script_run(project):
    write_post(project, '''
    from dataclasses import dataclass

    @dataclass
    class Outcome:
        v: int

    @experiment
    def run() -> Outcome:
        return Outcome(18)

    result = {"v": run().v}
    print("outcome", run())
    ''')
    project.run("build", check=True)
    script = run_as_script(project, "posts/01_keys.py")
    assert "outcome Outcome(v=18)" in script.stdout
    assert "computing" not in script.stderr and "damaged" not in script.stderr


def test_a_renumbered_post_reuses_its_cached_experiments(project):
    post = write_post(project, POST)
    assert counts(project.run("build", check=True)) == (1, 0)
    post.rename(post.with_name("05_keys.py"))
    assert counts(project.run("build", check=True)) == (0, 1)
    assert shown(project) == "18"


DECORATED = '''
# ---
# title: "Decorated"
# weight: 10
# ---

# %% [markdown]
# Result {{ result }}.

# %%
import torch
from scratchbook import experiment

SCALE = 2


@torch.no_grad()
def evaluate(n):
    return n * SCALE


class Scorer:
    @torch.no_grad()
    def score(self, n):
        return n + SCALE


@experiment
def run(n: int) -> int:
    return evaluate(n) + Scorer().score(n)

result = run(3)
'''


def test_a_function_behind_a_library_decorator_is_part_of_the_key(project):
    """@torch.no_grad() wraps the author's function in torch's own: the key follows
    __wrapped__ to the function and the globals it reads (nanoGPT's estimate_loss pattern)."""
    post = project.post("01_decorated", DECORATED)
    project.run("build", check=True)
    assert "Result 11." in project.read("hugo_content/blog/decorated.md")
    post.write_text(post.read_text().replace("SCALE = 2", "SCALE = 3"))
    project.run("build", check=True)
    assert "Result 15." in project.read("hugo_content/blog/decorated.md")

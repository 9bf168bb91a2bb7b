"""What invalidates a cached experiment, and what does not."""

import re

import numpy as np

from scratchbook.engine.cache import Store, encode, roundtrip

POST = '''
# ---
# title: "Cached"
# weight: 10
# ---

# %% [markdown]
# Loss {{ num(result["loss"], ".4f") }}, weights sum {{ num(result["w"].sum(), ".3f") }}.

# %%
from pathlib import Path
from scratchbook import experiment
import fixture_model

@experiment
def train(data: Path, steps: int) -> dict:
    values = [float(line) for line in data.read_text().split()]
    return fixture_model.fit(values, steps)

result = train(Path("data/values.txt"), 5)
'''

MODEL = '''
import numpy as np

def fit(values, steps):
    # a stand-in for training: deterministic arithmetic
    w = np.array(values) * steps
    return {"loss": float(w.mean()) / 7, "w": w}
'''


def counts(result) -> tuple[int, int]:
    match = re.search(r"experiments (\d+) computed / (\d+) cached", result.stderr)
    assert match, result.stderr
    return int(match[1]), int(match[2])


def setup(project):
    project.write("fixture_model.py", MODEL)
    project.write("data/values.txt", "1 2 3\n")
    post = project.post("01_cached", POST)
    assert counts(project.run("build", check=True)) == (1, 0)
    return post


def test_prose_edit_rebuilds_without_recomputing(project):
    post = setup(project)
    post.write_text(post.read_text().replace("Loss", "The loss is"))
    assert counts(project.run("build", check=True)) == (0, 1)
    assert "The loss is 1.4286" in project.read("hugo_content/blog/cached.md")


def test_module_edit_recomputes(project):
    setup(project)
    project.write("fixture_model.py", MODEL.replace("/ 7", "/ 8"))
    assert counts(project.run("build", check=True)) == (1, 0)
    assert "Loss 1.2500" in project.read("hugo_content/blog/cached.md")


def test_comment_only_module_edit_does_not_recompute(project):
    setup(project)
    project.write("fixture_model.py", MODEL.replace("# a stand-in", "# still a stand-in"))
    assert counts(project.run("build", check=True)) == (0, 1)


def test_data_file_edit_recomputes(project):
    setup(project)
    project.write("data/values.txt", "1 2 4\n")
    assert counts(project.run("build", check=True)) == (1, 0)


def test_experiment_code_or_argument_edit_recomputes(project):
    post = setup(project)
    post.write_text(post.read_text().replace("), 5)", "), 6)"))
    assert counts(project.run("build", check=True)) == (1, 0)


def test_no_cache_forces_recomputation(project):
    setup(project)
    assert counts(project.run("build", "--no-cache", check=True)) == (1, 0)


def test_no_cache_computes_an_experiment_called_twice_once(project):
    # Part 6's shape: a warm-up that the post calls, and that two later experiments call again
    # with the same arguments. --no-cache recomputes what earlier builds stored, once.
    setup(project)
    project.post("02_shared", POST.replace("Cached", "Shared").replace(
        "result = train(Path(\"data/values.txt\"), 5)",
        "result = train(Path(\"data/values.txt\"), 5)\n\n"
        "@experiment\ndef follow(steps: int) -> dict:\n"
        "    warm = train(Path(\"data/values.txt\"), steps)\n"
        "    return {\"loss\": warm[\"loss\"] + 1, \"w\": warm[\"w\"]}\n\n"
        "result = follow(5)\nagain = follow(5)\n"))
    out = project.run("build", "--no-cache", "02_shared", check=True)
    assert counts(out) == (2, 2)  # train and follow computed; follow's own call of train and the second follow reused
    assert "Loss 2.4286" in project.read("hugo_content/blog/shared.md")


def test_corrupted_entry_is_reported_and_recomputed(project):
    setup(project)
    [entry] = list((project.root / ".scratchbook/cache").glob("train-*.npz"))
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])
    result = project.run("build", check=True)
    assert "damaged" in result.stderr and counts(result) == (1, 0)
    assert "Loss 1.4286" in project.read("hugo_content/blog/cached.md")


def test_results_round_trip_without_pickle(tmp_path):
    import torch

    result = {"a": 1, "b": [1.5, float("nan")], "t": (1, "x"), "arr": np.arange(4.0),
              "tensor": torch.ones(2, 3), "__odd__": None}
    store = Store(tmp_path)
    tree, arrays = encode(result)
    store.save("r", "k" * 64, tree, arrays)
    loaded, printed = store.load("r", "k" * 64)
    assert loaded["t"] == (1, "x") and loaded["a"] == 1 and np.isnan(loaded["b"][1])
    assert np.array_equal(loaded["arr"], result["arr"])
    assert torch.equal(loaded["tensor"], result["tensor"]) and loaded["__odd__"] is None
    assert roundtrip(result)["t"] == (1, "x") and printed == ""


def test_non_plain_result_is_refused_with_a_clear_error(project):
    project.post("01_bad", '''
    # ---
    # title: "Bad"
    # weight: 10
    # ---

    # %%
    from scratchbook import experiment

    @experiment
    def make():
        return {"f": object()}

    make()
    ''')
    result = project.run("build")
    assert "experiment 'make' returned something that cannot be cached" in result.stderr

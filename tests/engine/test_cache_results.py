"""Results round-trip every plain type a user returns; anything else is refused with advice."""

import dataclasses
import enum
import math
from typing import NamedTuple

import numpy as np
import pytest
import torch

from scratchbook.engine.cache import Store, encode
from scratchbook.engine.results import refused_annotation


@dataclasses.dataclass(frozen=True)
class Scores:
    loss: float
    by_step: dict
    note: str = dataclasses.field(default="", init=False)


class Point(NamedTuple):
    x: int
    y: float


class Kind(enum.Enum):
    MLP = "mlp"


def stored(tmp_path, result):
    """``result`` after a real save and load through the cache's .npz store."""
    store = Store(tmp_path)
    tree, arrays = encode(result, __name__)
    store.save("r", "k" * 64, tree, arrays)
    loaded, _ = store.load("r", "k" * 64, __name__)
    return loaded


def raw(tensor: torch.Tensor) -> bytes:
    return bytes(tensor.contiguous().reshape(-1).view(torch.uint8).numpy())


DTYPES = [torch.bfloat16, torch.float16, torch.float32, torch.float64, torch.complex32,
          torch.complex64, torch.complex128, torch.bool, torch.uint8, torch.int8, torch.int16,
          torch.int32, torch.int64, torch.uint16, torch.uint32, torch.uint64,
          torch.float8_e4m3fn, torch.float8_e5m2]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_torch_dtype_round_trips_bit_for_bit(tmp_path, dtype):
    original = (torch.linspace(-2, 5, 12).reshape(3, 4) * 1.37).to(dtype)
    loaded = stored(tmp_path, {"t": original, "scalar": original[1, 2], "empty": original[:0]})
    for name, tensor in [("t", original), ("scalar", original[1, 2]), ("empty", original[:0])]:
        assert loaded[name].dtype == dtype and loaded[name].shape == tensor.shape
        assert raw(loaded[name]) == raw(tensor)


def test_a_parameter_or_a_tensor_needing_grad_comes_back_as_a_plain_cpu_tensor(tmp_path):
    weight = torch.nn.Parameter(torch.ones(2, 2))
    loaded = stored(tmp_path, weight * 2)
    assert type(loaded) is torch.Tensor and not loaded.requires_grad
    assert torch.equal(loaded, torch.full((2, 2), 2.0))


def test_a_state_dict_round_trips_and_loads_into_a_fresh_model(tmp_path):
    torch.manual_seed(0)
    trained = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    loaded = stored(tmp_path, trained.state_dict())
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    model.load_state_dict(loaded)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                   trained.state_dict().values()))


def test_dicts_with_non_text_keys_round_trip(tmp_path):
    result = {1: "one", 2.5: "float", False: "bool", None: "none", (1, (2, "x")): "tuple",
              "text": {3: [4]}, "__dunder__": 5}
    assert stored(tmp_path, result) == result
    assert [type(k) for k in stored(tmp_path, result)] == [type(k) for k in result]


def test_python_scalars_nested_tuples_sets_and_bytes_round_trip_type_for_type(tmp_path):
    result = [1, 1.5, float("inf"), -0.0, 2 - 3j, True, None, "é", b"\x00\xff",
              ((1, (2,)), ()), {3, 1}, frozenset({"a"}), [], {}]
    loaded = stored(tmp_path, result)
    assert loaded == result and [type(v) for v in loaded] == [type(v) for v in result]
    assert math.copysign(1, loaded[3]) == -1 and math.isnan(stored(tmp_path, float("nan")))


def test_numpy_scalars_and_arrays_keep_their_dtype(tmp_path):
    result = {"f32": np.float32(0.1), "i16": np.int16(-7), "flag": np.bool_(True),
              "half": np.arange(5, dtype=np.float16), "grid": np.eye(2, dtype=np.complex64)}
    loaded = stored(tmp_path, result)
    for key, value in result.items():
        assert type(loaded[key]) is type(value) and loaded[key].dtype == value.dtype
        assert np.array_equal(loaded[key], value)


def test_dataclasses_named_tuples_and_enums_come_back_as_their_classes(tmp_path):
    scores = Scores(0.25, {100: 0.5, 200: 0.25})
    object.__setattr__(scores, "note", "set after init")
    loaded = stored(tmp_path, {"scores": scores, "point": Point(1, 2.0), "kind": Kind.MLP})
    assert loaded["scores"] == scores and loaded["scores"].note == "set after init"
    assert type(loaded["point"]) is Point and loaded["point"] == Point(1, 2.0)
    assert loaded["kind"] is Kind.MLP


def test_a_dataclass_defined_inside_a_function_is_refused_with_what_to_do():
    @dataclasses.dataclass
    class Local:
        x: int

    with pytest.raises(TypeError) as error:
        encode({"run": Local(1)}, __name__)
    message = str(error.value)
    assert message.startswith("result['run'] is a Local that cannot be found again by its name")
    assert "define the class at the top level" in message and "dataclasses.asdict" in message


@pytest.mark.parametrize("value, advice", [
    (torch.nn.Linear(2, 2), "return model.state_dict()"),
    (torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1), "optimizer.state_dict()"),
    ((i for i in range(3)), "return a list instead"),
    (object(), "return plain data instead"),
], ids=["module", "optimizer", "generator", "object"])
def test_an_unsupported_result_is_refused_with_what_to_return_instead(value, advice):
    with pytest.raises(TypeError) as error:
        encode({"out": [value]}, __name__)
    assert str(error.value).startswith("result['out'][0] is ")
    assert advice in str(error.value)


def test_a_return_annotation_showing_a_model_optimizer_or_generator_is_refused():
    from collections.abc import Iterator

    def model() -> torch.nn.Module: ...
    def optimizer() -> torch.optim.Optimizer: ...
    def stream() -> Iterator[int]: ...
    def fine() -> dict[int, float]: ...
    def unannotated(): ...

    assert "model.state_dict()" in refused_annotation(model)
    assert "optimizer.state_dict()" in refused_annotation(optimizer)
    assert "return a list" in refused_annotation(stream)
    assert refused_annotation(fine) is None and refused_annotation(unannotated) is None


# ------------------------------------------------------------------- through a real build

HEADER = '''
# ---
# title: "Results"
# weight: 10
# ---

# %%
import torch
from dataclasses import dataclass
from scratchbook import experiment
'''


def test_a_dataclass_defined_in_the_post_is_returned_as_itself_cold_and_warm(project):
    project.post("01_results", HEADER + '''
@dataclass
class Run:
    losses: dict
    weights: torch.Tensor

@experiment
def fit() -> Run:
    return Run({100: 0.5, 200: 0.25}, torch.ones(2, dtype=torch.bfloat16))

run = fit()
print(type(run).__name__, run.losses[200], run.weights.dtype)
''')
    project.run("build", check=True)
    cold = project.read("hugo_content/blog/results.md")
    assert "Run 0.25 torch.bfloat16" in cold
    warm = project.run("build", check=True)
    assert "0 computed / 1 cached" in warm.stderr
    assert project.read("hugo_content/blog/results.md") == cold


def test_a_model_result_is_refused_after_running_saying_what_to_return(project):
    project.post("01_results", HEADER + '''
@experiment
def fit():
    return torch.nn.Linear(2, 2)

fit()
''')
    result = project.run("build")
    assert result.returncode == 1
    assert "experiment 'fit' returned something that cannot be cached: result is a Linear" \
        in result.stderr
    assert "return model.state_dict()" in result.stderr
    assert "s of work was not stored" in result.stderr


def test_a_model_return_annotation_is_refused_before_the_function_runs(project):
    project.post("01_results", HEADER + '''
from pathlib import Path

@experiment
def fit() -> torch.nn.Module:
    Path("trained.txt").write_text("hours of training")
    return torch.nn.Linear(2, 2)

fit()
''')
    result = project.run("build")
    assert result.returncode == 1
    assert "experiment 'fit' is declared to return a Module" in result.stderr
    assert "return model.state_dict()" in result.stderr and "nothing was run" in result.stderr
    assert not (project.root / "trained.txt").exists()

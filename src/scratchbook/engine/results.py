"""Experiment results as plain data: a JSON tree plus a list of arrays, stored without pickle.

A cached result equals the fresh one, type for type (a fresh result is passed through the
same encoding, so a build never sees a difference):

* ``None``, ``bool``, ``int``, ``float`` (nan and inf too), ``complex``, ``str``, ``bytes``;
* lists, tuples (nested), sets and frozensets, dicts with keys of any of these types
  (subclasses of these, e.g. the ``OrderedDict`` of a ``state_dict()``, come back as the
  base type);
* numpy arrays of any dtype but ``object``, numpy scalars (same dtype);
* torch tensors of every dtype (bfloat16, float16, complex, bool, float8...: stored as their
  raw bytes with the dtype's name). They come back on the CPU, detached, as plain tensors;
* dataclass instances, named tuples and enum members whose class is defined in the post or
  can be imported by its module name (not a class defined inside a function).

Anything else (a model, an optimizer, a generator, an open file...) is refused with what to
return instead; :func:`refused_annotation` does so before the function runs when its return
annotation already shows it.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import importlib
import inspect
import json
import sys

import numpy as np

from .keys import tensor_bytes


def encode(result, post_module: str = "__main__") -> tuple[dict, list[np.ndarray]]:
    """Split a result into a JSON tree and a list of arrays; TypeError names what is not plain.

    ``post_module`` is the module name of the post: its classes are stored as the post's
    (the name differs between a build and a plain script run).
    """
    arrays: list[np.ndarray] = []

    def array(value: np.ndarray) -> int:
        arrays.append(value)
        return len(arrays) - 1

    def walk(value, path):
        if value is None or type(value) in (bool, int, str):
            return value
        if isinstance(value, enum.Enum):
            return {"__enum__": _class_ref(type(value), path, post_module), "name": value.name}
        if isinstance(value, np.generic):
            if value.dtype == object:
                raise TypeError(f"{path} is a numpy object scalar; return numbers or text")
            return {"__scalar__": array(np.asarray(value))}
        if isinstance(value, (int, str)):   # subclasses come back as plain int and str
            return int(value) if isinstance(value, int) else str(value)
        if isinstance(value, float):
            return float(value) if np.isfinite(value) else {"__float__": repr(value)}
        if type(value) is complex:
            return {"__complex__": [walk(value.real, path), walk(value.imag, path)]}
        if type(value) is bytes:
            return {"__bytes__": array(np.frombuffer(value, dtype=np.uint8).copy())}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple) and hasattr(type(value), "_fields"):
            return {"__namedtuple__": _class_ref(type(value), path, post_module),
                    "items": [walk(v, f"{path}.{f}") for f, v in zip(value._fields, value)]}
        if isinstance(value, tuple):
            return {"__tuple__": [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, (set, frozenset)):
            items = sorted((walk(v, f"{path} item") for v in value), key=json.dumps)
            return {"__frozenset__" if isinstance(value, frozenset) else "__set__": items}
        if isinstance(value, dict):   # OrderedDict (a state_dict()), defaultdict: as dict
            if all(type(k) is str and not k.startswith("__") for k in value):
                return {k: walk(v, f"{path}[{k!r}]") for k, v in value.items()}
            return {"__dict__": [[walk(k, f"{path} key"), walk(v, f"{path}[{k!r}]")]
                                 for k, v in value.items()]}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {"__dataclass__": _class_ref(type(value), path, post_module),
                    "fields": {f.name: walk(getattr(value, f.name), f"{path}.{f.name}")
                               for f in dataclasses.fields(value)}}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"{path} is an object array; return numbers or text")
            return {"__array__": array(np.ascontiguousarray(value))}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return {"__tensor__": array(tensor_bytes(value)), "dtype": str(value.dtype)[6:],
                    "shape": list(value.shape)}
        raise TypeError(f"{path} is {_a(type(value))}; {advice(type(value))}")

    return walk(result, "result"), arrays


def decode(tree, arrays: list[np.ndarray], post_module: str = "__main__"):
    """The result that :func:`encode` split; ValueError when a class it names is gone."""
    def walk(value):
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__float__" in value:
            return float(value["__float__"])
        if "__complex__" in value:
            return complex(*(walk(v) for v in value["__complex__"]))
        if "__bytes__" in value:
            return arrays[value["__bytes__"]].tobytes()
        if "__scalar__" in value:
            return arrays[value["__scalar__"]][()]
        if "__tuple__" in value:
            return tuple(walk(v) for v in value["__tuple__"])
        if "__set__" in value:
            return {walk(v) for v in value["__set__"]}
        if "__frozenset__" in value:
            return frozenset(walk(v) for v in value["__frozenset__"])
        if "__dict__" in value:
            return {walk(k): walk(v) for k, v in value["__dict__"]}
        if "__array__" in value:
            return arrays[value["__array__"]].copy()
        if "__tensor__" in value:
            import torch
            raw = torch.from_numpy(arrays[value["__tensor__"]].copy())
            dtype = getattr(torch, value["dtype"])
            if raw.numel() == 0:   # nothing to reinterpret (and view() refuses it)
                return torch.empty(value["shape"], dtype=dtype)
            return raw.view(dtype).reshape(value["shape"])
        if "__enum__" in value:
            return _find_class(value["__enum__"], post_module)[value["name"]]
        if "__namedtuple__" in value:
            return _find_class(value["__namedtuple__"], post_module)(*map(walk, value["items"]))
        if "__dataclass__" in value:
            cls = _find_class(value["__dataclass__"], post_module)
            return _rebuild_dataclass(cls, {k: walk(v) for k, v in value["fields"].items()})
        return {k: walk(v) for k, v in value.items()}

    return walk(tree)


def roundtrip(result, post_module: str = "__main__"):
    """What a later cached load returns: used for fresh results too, so both agree."""
    tree, arrays = encode(result, post_module)
    return decode(json.loads(json.dumps(tree)), arrays, post_module)


# --------------------------------------------------------------------------- classes

def _class_ref(cls: type, path: str, post_module: str) -> list[str]:
    """``["post", qualname]`` for the post's classes, else ``[module, qualname]``."""
    ref = ["post" if cls.__module__ == post_module else cls.__module__, cls.__qualname__]
    try:
        found = _find_class(ref, post_module)
    except ValueError:
        found = None
    if found is not cls:
        raise TypeError(f"{path} is {_a(cls)} that cannot be found again by its name "
                        f"{cls.__module__}.{cls.__qualname__} (defined inside a function?); "
                        "define the class at the top level of the post or a module, or return "
                        "plain data (e.g. dataclasses.asdict(...))")
    return ref


def _find_class(ref: list[str], post_module: str) -> type:
    module_name, qualname = ref
    try:
        found = importlib.import_module(post_module if module_name == "post" else module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        raise ValueError(f"the class {module_name}.{qualname} it holds no longer exists") from None
    return found


def _rebuild_dataclass(cls: type, fields: dict):
    """The instance as its constructor builds it; fields outside ``__init__`` set after."""
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    instance = cls(**{k: v for k, v in fields.items() if k in init})
    for name, value in fields.items():
        if name not in init:
            object.__setattr__(instance, name, value)
    return instance


# --------------------------------------------------------------------------- refusals

def _a(cls: type) -> str:
    name = cls.__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _is(cls: type, module: str, name: str) -> bool:
    return any(c.__module__.startswith(module) and c.__name__ == name for c in cls.__mro__)


def advice(cls: type) -> str:
    """What to return instead of an instance of ``cls``, which is not plain data."""
    if _is(cls, "torch.nn", "Module"):
        return ("a model is not cached: return model.state_dict() (and what the post shows "
                "about it) instead, and rebuild the model from the state dict where needed")
    if _is(cls, "torch.optim", "Optimizer"):
        return "return optimizer.state_dict() instead"
    if issubclass(cls, collections.abc.Iterator):
        return "return a list instead (e.g. list(...) of it)"
    if issubclass(cls, (type(advice), type)):
        return "return the data it computes instead"
    return ("return plain data instead: dicts, lists, tuples, sets, numbers, text, arrays, "
            "tensors, dataclasses")


def refused_annotation(fn) -> str | None:
    """Why ``fn``'s return annotation already shows an uncachable result (a model, an
    optimizer, a generator), or None."""
    try:
        annotation = inspect.signature(fn, eval_str=True).return_annotation
    except Exception:   # an annotation naming what does not exist (yet): judge the result
        return None
    origin = getattr(annotation, "__origin__", None) or annotation
    if not isinstance(origin, type):
        return None
    if (_is(origin, "torch.nn", "Module") or _is(origin, "torch.optim", "Optimizer")
            or issubclass(origin, collections.abc.Iterator)):
        return f"{_a(origin)}; {advice(origin)}"
    return None

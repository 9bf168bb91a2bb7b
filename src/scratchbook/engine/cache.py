"""Memoize expensive work on disk: the ``@experiment`` decorator.

The key of a result covers everything that could change it:

* the function's code (as a syntax tree, so comment edits do not invalidate), the code of
  the project's functions and modules it reaches (transitively), and the values of the
  post-level globals it reads;
* its arguments (files passed as ``Path`` count by content), files named in ``reads=``;
* the seed, the thread count, and the versions of Python, numpy and torch.

Results are plain data (dicts, lists, tuples, numbers, strings, numpy arrays, torch
tensors) and are stored as ``.npz`` files loaded with ``allow_pickle=False``: nothing in
the cache is ever unpickled. Writes are atomic; a damaged entry is reported and recomputed.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import functools
import hashlib
import importlib.metadata
import inspect
import io
import json
import os
import platform
import sys
import textwrap
import time
import types
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import profile, session as sessions
from .atomic import write_atomic
from .errors import ScratchbookError
from .project import find_project
from .seeding import isolated_rng

FORMAT_VERSION = 1


# --------------------------------------------------------------------------- fingerprints

def _digest(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=512)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return _digest(Path(path).read_bytes())


def file_digest(path: Path) -> str:
    stat = path.stat()
    return _file_digest(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=512)
def _code_digest(path: str, mtime_ns: int, size: int) -> str:
    """Digest of a Python file's syntax tree: comments and layout do not count."""
    source = Path(path).read_text(encoding="utf-8")
    try:
        return _digest(ast.dump(ast.parse(source)))
    except SyntaxError:
        return _digest(source)


def code_digest(path: Path) -> str:
    stat = path.stat()
    return _code_digest(str(path), stat.st_mtime_ns, stat.st_size)


def _is_project_file(filename: str | None, root: Path) -> bool:
    if not filename:
        return False
    path = Path(filename).resolve()
    if "site-packages" in path.parts or ".venv" in path.parts:
        return False
    return path.is_relative_to(root)


def _module_file(module: types.ModuleType) -> str | None:
    return getattr(module, "__file__", None)


def _imported_modules(module: types.ModuleType) -> list[types.ModuleType]:
    """The modules a module's import statements name, as far as they are loaded."""
    path = _module_file(module)
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, TypeError):
        return []
    package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name in sys.modules:
                found.append(sys.modules[name])
    return found


class Fingerprint:
    """Collects the code and values that one experiment depends on."""

    def __init__(self, root: Path, post_file: str | None):
        self.root = root
        self.post_file = post_file
        self.parts: dict[str, str] = {}
        self._seen_modules: set[str] = set()
        self._seen_objects: set[int] = set()

    def add_function(self, fn, label: str) -> None:
        if id(fn) in self._seen_objects:
            return
        self._seen_objects.add(id(fn))
        try:
            source = textwrap.dedent(inspect.getsource(fn))
            self.parts[f"code:{label}"] = _digest(ast.dump(ast.parse(source)))
        except (OSError, TypeError, SyntaxError):
            self.parts[f"code:{label}"] = _digest(repr(getattr(fn, "__code__", fn)))
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        for name in sorted(_global_names(code)):
            if name in fn.__globals__:
                self.add_global(name, fn.__globals__[name], fn)

    def add_global(self, name: str, value, owner) -> None:
        if isinstance(value, types.ModuleType):
            self.add_module(value)
            return
        module_name = getattr(value, "__module__", None)
        module = sys.modules.get(module_name) if isinstance(module_name, str) else None
        defined_in = _module_file(module) if module is not None else None
        if inspect.isfunction(value) or inspect.isclass(value):
            if defined_in and self.post_file and Path(defined_in).resolve() == Path(self.post_file).resolve():
                self.add_function(value, f"{self.post_file}:{name}")
                return
            if module is not None and _is_project_file(defined_in, self.root):
                self.add_module(module)
            return
        if isinstance(value, functools.partial):
            self.add_global(name, value.func, owner)
            return
        if isinstance(value, Experiment):
            self.add_function(value.fn, f"{name}")
            return
        if callable(value):
            # A wrapped project function (lru_cache, partial...) counts by its module;
            # a builtin or library callable is covered by the versions.
            if module is not None and _is_project_file(defined_in, self.root):
                self.add_module(module)
            return
        try:
            self.parts[f"value:{name}"] = _digest(canonical_json(value))
        except TypeError as exc:
            where = getattr(owner, "__qualname__", "an experiment")
            raise ScratchbookError(
                f"experiment '{where}' reads the global '{name}' ({type(value).__name__}), "
                f"which cannot be part of its cache key: {exc}",
                hint=f"pass '{name}' as an argument, or make it plain data") from None

    def add_module(self, module: types.ModuleType) -> None:
        filename = _module_file(module)
        if module.__name__ in self._seen_modules or not _is_project_file(filename, self.root):
            return
        self._seen_modules.add(module.__name__)
        self.parts[f"module:{module.__name__}"] = code_digest(Path(filename))
        for imported in _imported_modules(module):
            self.add_module(imported)


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def canonical_json(value) -> str:
    """A stable text for plain values; raises TypeError for anything else."""
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"))


def _canonical(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"float": value.hex()}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [_canonical(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": sorted([[_canonical(k), _canonical(v)] for k, v in value.items()],
                               key=json.dumps)}
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__qualname__}.{value.name}"}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"dataclass": type(value).__qualname__, "fields": fields}
    if isinstance(value, os.PathLike):
        path = Path(value)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            return {"dir": path.name,
                    "files": [[str(p.relative_to(path)), file_digest(p)] for p in files]}
        if path.is_file():
            return {"file": path.name, "sha256": file_digest(path)}
        return {"missing-file": str(path)}
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if isinstance(value, np.ndarray):
        return {"ndarray": str(value.dtype), "shape": list(value.shape),
                "sha256": _digest(np.ascontiguousarray(value).tobytes())}
    if type(value).__module__ == "torch" and type(value).__name__ == "Tensor":
        array = value.detach().cpu().contiguous()
        return {"tensor": str(array.dtype), "shape": list(array.shape),
                "sha256": _digest(array.numpy().tobytes())}
    raise TypeError(f"values of type {type(value).__name__} are not plain data")


def _versions() -> dict:
    versions = {"python": platform.python_version(), "format": FORMAT_VERSION}
    for package in ("numpy", "torch"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


# --------------------------------------------------------------------------- storage

class CorruptEntry(Exception):
    pass


def encode(result) -> tuple[dict, list[np.ndarray]]:
    """Split a plain-data result into a JSON tree and a list of arrays."""
    arrays: list[np.ndarray] = []

    def walk(value, path):
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if np.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.generic):
            return walk(value.item(), path)
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"__tuple__": [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            bad = [k for k in value if not isinstance(k, str)]
            if bad:
                raise TypeError(f"{path} has a non-text key {bad[0]!r}; use text keys")
            if any(k.startswith("__") and k.endswith("__") for k in value):
                return {"__dict__": [[k, walk(v, f"{path}[{k!r}]")] for k, v in value.items()]}
            return {k: walk(v, f"{path}[{k!r}]") for k, v in value.items()}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"{path} is an object array; use numbers or text")
            arrays.append(np.ascontiguousarray(value))
            return {"__array__": len(arrays) - 1}
        if type(value).__module__ == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
            arrays.append(value.detach().cpu().contiguous().numpy().copy())
            return {"__tensor__": len(arrays) - 1}
        raise TypeError(f"{path} is a {type(value).__name__}; an experiment must return "
                        "plain data (dicts, lists, numbers, text, arrays, tensors)")

    return walk(result, "result"), arrays


def decode(tree, arrays: list[np.ndarray]):
    def walk(value):
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            if "__float__" in value:
                return float(value["__float__"])
            if "__tuple__" in value:
                return tuple(walk(v) for v in value["__tuple__"])
            if "__dict__" in value:
                return {k: walk(v) for k, v in value["__dict__"]}
            if "__array__" in value:
                return arrays[value["__array__"]].copy()
            if "__tensor__" in value:
                import torch
                return torch.from_numpy(arrays[value["__tensor__"]].copy())
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(tree)


def roundtrip(result):
    """What a later cached load returns: used for fresh results too, so both agree."""
    tree, arrays = encode(result)
    return decode(json.loads(json.dumps(tree)), arrays)


class Store:
    """A folder of ``<name>-<key>.npz`` entries."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, name: str, key: str) -> Path:
        return self.folder / f"{name}-{key[:24]}.npz"

    def load(self, name: str, key: str):
        """The stored result, None when absent; CorruptEntry when unreadable."""
        path = self.path(name, key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                if meta.get("key") != key:
                    raise CorruptEntry("its key does not match its name")
                arrays = [data[f"a{i}"] for i in range(meta["arrays"])]
            return decode(meta["tree"], arrays)
        except CorruptEntry:
            raise
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error,
                json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptEntry(f"{type(exc).__name__}: {exc}") from None

    def save(self, name: str, key: str, tree: dict, arrays: list[np.ndarray]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"key": key, "tree": tree, "arrays": len(arrays)}).encode("utf-8")
        payload = {"meta": np.frombuffer(meta, dtype=np.uint8)}
        payload.update({f"a{i}": a for i, a in enumerate(arrays)})
        buffer = io.BytesIO()
        np.savez(buffer, **payload)
        target = self.path(name, key)
        write_atomic(target, buffer.getvalue())
        return target

    def discard(self, name: str, key: str) -> None:
        self.path(name, key).unlink(missing_ok=True)


# --------------------------------------------------------------------------- the decorator

class Experiment:
    """A function whose result is memoized on disk (see the module docstring)."""

    def __init__(self, fn, seed: int = 0, reads: tuple = ()):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.seed = seed
        self.reads = tuple(Path(p) for p in reads)

    def __repr__(self) -> str:
        return f"<experiment {self.fn.__qualname__}>"

    def key(self, args: tuple, kwargs: dict, root: Path, threads: int) -> str:
        signature = inspect.signature(self.fn)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.fn.__qualname__}(): {exc}") from None
        bound.apply_defaults()
        fingerprint = Fingerprint(root, inspect.getsourcefile(self.fn))
        fingerprint.add_function(self.fn, self.fn.__qualname__)
        try:
            arguments = canonical_json(dict(bound.arguments))
        except TypeError as exc:
            raise ScratchbookError(f"experiment '{self.fn.__qualname__}': an argument cannot be "
                                   f"part of its cache key: {exc}",
                                   hint="pass plain data, dataclasses or file paths") from None
        reads = [[str(p), file_digest(p) if p.exists() else None] for p in self.reads]
        material = {"code": fingerprint.parts, "arguments": arguments, "reads": reads,
                    "seed": self.seed, "threads": threads, "versions": _versions(),
                    "profile": profile.fingerprint()}
        _note_inputs(self.fn.__name__, material)
        return _digest(json.dumps(material, sort_keys=True))

    def __call__(self, *args, **kwargs):
        session = sessions.current()
        root = session.root or _default_root()
        store = Store(session.cache_dir or _default_cache(root))
        name = self.fn.__name__
        key = self.key(args, kwargs, root, session.threads)
        if not session.refresh:
            try:
                hit = store.load(name, key)
            except CorruptEntry as exc:
                session.corrupted.append(name)
                session.say(f"  cache entry {store.path(name, key).name} for '{name}' is "
                            f"damaged ({exc}); recomputing")
                store.discard(name, key)
                hit = None
            if hit is not None:
                session.cached.append(name)
                return hit
        session.say(f"  experiment {name}: computing")
        started = time.perf_counter()
        with isolated_rng(self.seed):
            result = self.fn(*args, **kwargs)
        try:
            tree, arrays = encode(result)
        except TypeError as exc:
            raise ScratchbookError(f"experiment '{name}' returned something that cannot be "
                                   f"cached: {exc}") from None
        store.save(name, key, json.loads(json.dumps(tree)), arrays)
        session.computed.append(name)
        session.say(f"  experiment {name}: done in {time.perf_counter() - started:.1f} s")
        return decode(json.loads(json.dumps(tree)), arrays)


def _note_inputs(name: str, material: dict) -> None:
    """Each part of a key, digested, for the post's ledger: ``check`` then names the inputs
    that changed since the ledger was committed (code, module, global, argument, file...)."""
    parts = {label: digest[:12] for label, digest in material["code"].items()}
    parts.update({f"file:{path}": str(digest)[:12] for path, digest in material["reads"]})
    parts.update({part: _digest(json.dumps(value, sort_keys=True))[:12]
                  for part, value in material.items() if part not in ("code", "reads")})
    inputs, label, n = sessions.current().inputs, name, 1
    while label in inputs and inputs[label] != parts:
        n += 1
        label = f"{name}#{n}"
    inputs[label] = parts


def _default_root() -> Path:
    try:
        return find_project().root
    except ScratchbookError:
        return Path.cwd().resolve()


def _default_cache(root: Path) -> Path:
    env = os.environ.get("SCRATCHBOOK_CACHE")
    if env:
        return Path(env)
    if (root / "posts").is_dir():
        return root / ".scratchbook" / "cache"
    return Path.home() / ".cache" / "scratchbook"


def experiment(fn=None, *, seed: int = 0, reads: tuple = ()):
    """Memoize ``fn`` on disk. Use as ``@experiment`` or ``@experiment(seed=1, reads=[...])``."""
    if fn is None:
        return lambda f: Experiment(f, seed=seed, reads=reads)
    return Experiment(fn, seed=seed, reads=reads)

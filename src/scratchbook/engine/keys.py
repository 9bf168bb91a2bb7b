"""Cache keys: the code an experiment reaches, and the values that code reads.

Starting from the experiment's function, a :class:`Fingerprint` walks everything it can
reach and keys each kind by what can change it:

* functions and classes defined in the post, by their syntax tree (comments do not count);
  those of the project's modules by the module file (and the project modules it imports);
  library code by the versions of Python, numpy and torch (not here);
* classes whole: every method, property, static and class method, class attribute, nested
  class, and their bases in the post or project;
* the globals that reached code reads (post-level or module-level, e.g. a module attribute a
  cell assigned), its closure cells and default arguments, by value.

Labels name things by qualified name, never by file path, so a build, a plain
``python posts/NN_x.py`` and a renumbered post share entries. A value that cannot be keyed
(an object with no plain-data form, a model, a random generator) is an error that names it:
serving a stale result would be worse.
"""

from __future__ import annotations

import ast
import dataclasses
import dis
import enum
import functools
import hashlib
import importlib.util
import inspect
import json
import os
import re
import secrets
import sys
import textwrap
import types
from pathlib import Path

import numpy as np

from .errors import ScratchbookError

MISSING = object()

# Class attributes that describe the class rather than hold its code or data.
_CLASS_BOOKKEEPING = {"__dict__", "__weakref__", "__doc__", "__module__", "__qualname__",
                      "__annotations__", "__dataclass_fields__", "__dataclass_params__",
                      "__match_args__", "__slots__", "__orig_bases__", "__parameters__",
                      "__firstlineno__", "__static_attributes__", "__abstractmethods__",
                      "_abc_impl"}


def digest(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=512)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return digest(Path(path).read_bytes())


def file_digest(path: Path) -> str:
    stat = path.stat()
    return _file_digest(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=512)
def _code_digest(path: str, mtime_ns: int, size: int) -> str:
    """Digest of a Python file's syntax tree: comments and layout do not count."""
    source = Path(path).read_text(encoding="utf-8")
    try:
        return digest(ast.dump(ast.parse(source)))
    except SyntaxError:
        return digest(source)


# Each source file outside the Python installation, as it was when the import system ran its
# code in this process: (st_mtime_ns, st_size, sha256 of its bytes). A key names the code that
# ran, not the file on disk now: a module edited between its import and the key would
# otherwise have the old code's results cached under the new file's key, and a later run of
# the new code would be served them.
_IMPORTED: dict[str, tuple[int, int, str]] = {}
_INSTALLED = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _note_import(event: str, args: tuple) -> None:
    """Audit hook (PEP 578): an import execs the module's code object; note its file as it is."""
    if event != "exec":
        return
    filename = getattr(args[0], "co_filename", "")
    if (not filename.endswith(".py") or filename in _IMPORTED or filename.startswith(_INSTALLED)
            or "site-packages" in filename):
        return
    try:
        stat = os.stat(filename)
        with open(filename, "rb") as f:
            data = f.read()
    except OSError:
        return
    _IMPORTED[filename] = (stat.st_mtime_ns, stat.st_size, digest(data))


sys.addaudithook(_note_import)


def code_digest(path: Path) -> str:
    """Digest of a module file's code (see _code_digest).

    Raises ScratchbookError naming the file when its content changed after this process
    imported it (a touched but unchanged file is fine).
    """
    stat = path.stat()
    imported = _IMPORTED.get(str(path))
    if (imported is not None and imported[:2] != (stat.st_mtime_ns, stat.st_size)
            and imported[2] != digest(path.read_bytes())):
        raise ScratchbookError(
            f"{_shown_path(path)} changed after this run imported it: the code that runs is the "
            "imported one, and its results would be cached under the edited file's key",
            hint="build again; the new run imports the file as it is now (watch does this itself)")
    return _code_digest(str(path), stat.st_mtime_ns, stat.st_size)


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _is_project_file(filename: str | None, root: Path) -> bool:
    if not filename:
        return False
    path = Path(filename).resolve()
    if "site-packages" in path.parts or ".venv" in path.parts:
        return False
    return path.is_relative_to(root)


def _imported_modules(module: types.ModuleType) -> list[types.ModuleType]:
    """The modules a module's import statements name, as far as they are loaded."""
    try:
        stat = Path(module.__file__).stat()
    except (OSError, TypeError, AttributeError):
        return []
    package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
    names = _import_names(module.__file__, stat.st_mtime_ns, stat.st_size, package)
    return [sys.modules[name] for name in names if name in sys.modules]


@functools.lru_cache(maxsize=512)
def _import_names(path: str, mtime_ns: int, size: int, package: str) -> tuple[str, ...]:
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ()
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return tuple(names)


_GLOBAL_OPS = {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME"}
_ATTRIBUTE_OPS = {"LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "IMPORT_FROM"}


@functools.lru_cache(maxsize=4096)
def _names_read(code: types.CodeType) -> tuple[frozenset[str], ...]:
    """The global names, attribute names and modules imported that a code object (and
    code nested in it) uses."""
    names: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for instruction in dis.get_instructions(code):
        if instruction.opname in _GLOBAL_OPS:
            names[0].add(instruction.argval)
        elif instruction.opname in _ATTRIBUTE_OPS:
            names[1].add(instruction.argval)
        elif instruction.opname == "IMPORT_NAME":
            names[2].add(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            for mine, nested in zip(names, _names_read(const)):
                mine |= nested
    return tuple(frozenset(found) for found in names)


def _project_module(name: str, root: Path) -> types.ModuleType | None:
    """The project module an import statement inside a function names, imported now if
    it is not yet (so the first call's key already sees it)."""
    if name not in sys.modules:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        if spec is None or not _is_project_file(spec.origin, root):
            return None
        try:
            importlib.import_module(name)
        except Exception:   # the call will raise it, where the author expects it
            return None
    module = sys.modules.get(name)
    return module if _is_project_file(getattr(module, "__file__", None), root) else None


def _source_digest(obj) -> str:
    try:
        return digest(ast.dump(ast.parse(textwrap.dedent(inspect.getsource(obj)))))
    except (OSError, TypeError, SyntaxError):
        # No source to read (code typed into a console): a key no other run shares, so the
        # experiment recomputes rather than risk a stale hit.
        return secrets.token_hex(32)


def _what_to_do(label: str, value) -> str:
    """The hint for a value read by an experiment that cannot be part of its key."""
    kind = type(value).__name__
    if hasattr(value, "state_dict") and not isinstance(value, type):
        return f"build the {kind} inside the experiment, or pass its state_dict() as an argument"
    if kind in ("Generator", "RandomState", "Random"):
        return ("create the random generator inside the experiment from a seed (an argument, "
                f"or the @experiment seed) instead of reading '{label}'")
    return (f"pass '{label}' as an argument (plain data, a dataclass or a file path), or build "
            "it inside the experiment")


class Fingerprint:
    """Collects the code and values that one experiment's result depends on.

    ``post`` is the namespace the experiment was defined in (the post's globals): its
    functions and classes are keyed by their source, the rest by module.
    """

    def __init__(self, root: Path, post: dict, owner: str):
        self.root = root
        self.post = post
        self.owner = owner
        self.parts: dict[str, str] = {}
        self._readers: dict[str, object] = {}   # value label -> reads the value again
        self._seen: list = []                   # keeps reached objects alive: ids stay unique
        self._seen_ids: set[int] = set()
        self._seen_modules: set[str] = set()

    # ---------------------------------------------------------------- what is reached

    def add(self, label: str, value, read=None) -> None:
        """Key ``value``, reached as ``label``; ``read()`` gives its value again later."""
        if isinstance(value, types.ModuleType):
            self.add_module(value)
        elif isinstance(value, functools.partial):
            self.add(f"{label}.func", value.func)
            self.add(f"{label}.args", value.args)
            self.add(f"{label}.keywords", value.keywords)
        elif isinstance(value, types.MethodType):
            self.add(f"{label}.__func__", value.__func__)
            self.add(f"{label}.__self__", value.__self__)
        elif inspect.isfunction(value):
            self.add_function(value, label)
        elif inspect.isclass(value):
            self.add_class(value, label)
        elif callable(value) and hasattr(value, "__wrapped__"):   # @experiment, lru_cache...
            self.add(label, value.__wrapped__)
        elif callable(value) and not self._defined_here(type(value)) and \
                not hasattr(value, "state_dict"):
            pass   # a builtin or library callable: covered by the versions
        else:
            self.add_value(label, value, read)

    def add_value(self, label: str, value, read=None) -> None:
        try:
            self.parts[label] = digest(canonical_json(value, self.code_ref))
        except TypeError as exc:
            raise ScratchbookError(
                f"experiment '{self.owner}' reads '{label}' ({type(value).__name__}), which "
                f"cannot be part of its cache key ({exc}), so a change to it would go "
                "unnoticed", hint=_what_to_do(label, value)) from None
        if read is not None:
            self._readers[label] = read

    def add_function(self, fn, label: str) -> None:
        if not self._first_visit(fn) or fn.__code__.co_filename.startswith("<"):
            return   # seen, or generated from its class (a dataclass's __init__): keyed there
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is not None:
            # A decorated function (@torch.no_grad(), @functools.wraps...): the wrapper may be
            # library code, the function it wraps is the author's.
            self.add(f"{label}.__wrapped__", wrapped)
        if fn.__globals__ is self.post:
            self._put_code(label, _source_digest(fn))
        elif not self._add_home_module(fn):
            return   # library code
        namespace = fn.__globals__
        prefix = "" if namespace is self.post else f"{namespace.get('__name__')}."
        names, attributes, imports = _names_read(fn.__code__)
        modules = [_project_module(name, self.root) for name in sorted(imports)]
        for name in sorted(names):
            if name not in namespace or name.startswith("__"):
                continue   # __file__, __name__...: where the module is, not what it holds
            value = namespace[name]
            self.add(f"{prefix}{name}", value, functools.partial(namespace.get, name, MISSING))
            if isinstance(value, types.ModuleType):
                modules.append(value)
        for module in modules:
            if module is None or not self._is_project_module(module):
                continue
            self.add_module(module)
            for attribute in sorted(attributes & set(vars(module))):
                self.add(f"{module.__name__}.{attribute}", getattr(module, attribute),
                         functools.partial(getattr, module, attribute, MISSING))
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                contents = cell.cell_contents
            except ValueError:   # not yet assigned
                continue
            self.add(f"{label}.<closure>.{name}", contents,
                     functools.partial(getattr, cell, "cell_contents", MISSING))
        for i, default in enumerate(fn.__defaults__ or ()):
            self.add(f"{label}.<default {i}>", default)
        for name, default in sorted((fn.__kwdefaults__ or {}).items()):
            self.add(f"{label}.<default {name}>", default)

    def add_class(self, cls: type, label: str) -> None:
        if not self._first_visit(cls):
            return
        if self._in_post(cls):
            self._put_code(label, _source_digest(cls))
        elif not self._add_home_module(cls):
            return   # library class: object, nn.Module...
        for name, member in sorted(vars(cls).items()):
            code = _member_code(member)
            for part, fn in code:
                self.add(f"{label}.{name}{part}", fn)
            if code or name in _CLASS_BOOKKEEPING or (name.startswith("_") and name.endswith("_")):
                continue   # code walked above; dunder and enum internals describe the class
            if hasattr(type(member), "__get__"):
                continue   # a library descriptor (slots, named tuple fields)
            self.add(f"{label}.{name}", member, functools.partial(_class_attribute, cls, name))
        for base in cls.__mro__[1:]:
            self.add_class(base, self.code_name(base).replace(":", "."))

    def add_module(self, module: types.ModuleType) -> None:
        if module.__name__ in self._seen_modules or not self._is_project_module(module):
            return
        self._seen_modules.add(module.__name__)
        self.parts[f"module:{module.__name__}"] = code_digest(Path(module.__file__))
        for imported in _imported_modules(module):
            self.add_module(imported)

    # ---------------------------------------------------------------- state after the call

    def changed(self) -> list[str]:
        """The values read as state (globals, closures, module and class attributes) whose
        value differs now from when the key was made."""
        changed = []
        for label, read in self._readers.items():
            value = read()
            try:
                now = None if value is MISSING else digest(canonical_json(value, self.code_name))
            except TypeError:
                now = None
            if now != self.parts.get(label):
                changed.append(label)
        return changed

    # ---------------------------------------------------------------- helpers

    def code_ref(self, obj) -> str:
        """Name a function or class found inside a value, and walk it."""
        self.add(obj.__qualname__, obj)
        return self.code_name(obj)

    def code_name(self, obj) -> str:
        return obj.__qualname__ if self._in_post(obj) else f"{obj.__module__}:{obj.__qualname__}"

    def _put_code(self, label: str, code: str) -> None:
        """Two lambdas share a name: number the second (the walk's order is fixed)."""
        key, n = f"code:{label}", 1
        while key in self.parts:
            n += 1
            key = f"code:{label}#{n}"
        self.parts[key] = code

    def _first_visit(self, obj) -> bool:
        if id(obj) in self._seen_ids:
            return False
        self._seen_ids.add(id(obj))
        self._seen.append(obj)
        return True

    def _in_post(self, obj) -> bool:
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        globals_ = getattr(obj, "__globals__", None)
        return globals_ is self.post or (module is not None and vars(module) is self.post)

    def _defined_here(self, obj) -> bool:
        """Defined in the post or in a project module."""
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        return self._in_post(obj) or (module is not None and self._is_project_module(module))

    def _is_project_module(self, module: types.ModuleType) -> bool:
        return _is_project_file(getattr(module, "__file__", None), self.root)

    def _add_home_module(self, obj) -> bool:
        """Key the project module that defines ``obj``; False for library code."""
        home = obj.__globals__.get("__name__") if inspect.isfunction(obj) else obj.__module__
        module = sys.modules.get(home or "")
        if module is None or not self._is_project_module(module):
            return False
        self.add_module(module)
        return True


def _class_attribute(cls: type, name: str):
    return vars(cls).get(name, MISSING)


def _member_code(member) -> list[tuple[str, object]]:
    """The functions behind a class member: methods, properties, static/class methods."""
    if isinstance(member, (staticmethod, classmethod)):
        return [("", member.__func__)]
    if isinstance(member, property):
        return [(f".{part}", getattr(member, part)) for part in ("fget", "fset", "fdel")
                if getattr(member, part) is not None]
    if isinstance(member, functools.cached_property):
        return [("", member.func)]
    if inspect.isfunction(member) or inspect.isclass(member):
        return [("", member)]
    return []


# --------------------------------------------------------------------------- plain values

def canonical_json(value, code_ref=None) -> str:
    """A stable text for a plain value; raises TypeError for anything else.

    ``code_ref(obj)`` names a function or class met inside the value (a dataclass's
    type, a table of functions); without it they are refused.
    """
    return json.dumps(_canonical(value, code_ref), sort_keys=True, separators=(",", ":"))


def _canonical(value, code_ref):
    def walk(v):
        return _canonical(v, code_ref)

    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, enum.Enum):
        return {"enum": _ref(type(value), code_ref), "name": value.name}
    if isinstance(value, np.generic):
        return {"numpy": str(value.dtype), "value": walk(value.item())}
    if isinstance(value, int):
        return {"int": int(value)} if type(value) is not int else value
    if isinstance(value, float):
        return {"float": float(value).hex()}
    if isinstance(value, complex):
        return {"complex": [value.real.hex(), value.imag.hex()]}
    if isinstance(value, str):
        return {"str": str(value)}
    if isinstance(value, bytes):
        return {"bytes": digest(value)}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return {"namedtuple": _ref(type(value), code_ref), "items": [walk(v) for v in value]}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [walk(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {type(value).__name__: sorted((walk(v) for v in value), key=json.dumps)}
    if isinstance(value, dict):
        return {"dict": sorted([[walk(k), walk(v)] for k, v in value.items()], key=json.dumps)}
    if isinstance(value, range):
        return {"range": [value.start, value.stop, value.step]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: walk(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"dataclass": _ref(type(value), code_ref), "fields": fields}
    if isinstance(value, os.PathLike):
        return _canonical_path(Path(value))
    if isinstance(value, re.Pattern):
        return {"regex": value.pattern if isinstance(value.pattern, str) else repr(value.pattern),
                "flags": value.flags}
    if isinstance(value, np.dtype):
        return {"dtype": str(value)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("an object array is not plain data")
        return {"ndarray": str(value.dtype), "shape": list(value.shape),
                "sha256": digest(np.ascontiguousarray(value).tobytes())}
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(value, (torch.dtype, torch.device)):
            return {type(value).__name__: str(value)}
        if isinstance(value, torch.Tensor):
            return {"tensor": str(value.dtype), "shape": list(value.shape),
                    "sha256": digest(tensor_bytes(value).tobytes())}
    if code_ref is not None and (inspect.isfunction(value) or inspect.isclass(value)):
        return {"code": code_ref(value)}
    raise TypeError(f"values of type {type(value).__name__} are not plain data")


def _ref(cls: type, code_ref) -> str:
    return code_ref(cls) if code_ref is not None else cls.__qualname__


def _canonical_path(path: Path):
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return {"dir": path.name, "files": [[str(p.relative_to(path)), file_digest(p)]
                                            for p in files]}
    if path.is_file():
        return {"file": path.name, "sha256": file_digest(path)}
    return {"missing-file": str(path)}


def tensor_bytes(tensor) -> np.ndarray:
    """A tensor's elements as raw bytes (uint8), whatever its dtype (bfloat16 included)."""
    import torch

    if tensor.layout != torch.strided or tensor.is_quantized:
        raise TypeError(f"a {tensor.layout} {tensor.dtype} tensor is not plain data; "
                        "convert it first (.to_dense(), .dequantize())")
    flat = tensor.detach().cpu().resolve_conj().resolve_neg().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().copy()

"""Memoize expensive work on disk: the ``@experiment`` decorator.

The key of a result covers everything that could change it (see :mod:`.keys`):

* the function's code and everything it reaches: functions and classes of the post (by
  syntax tree, so comment edits do not count), with their methods, properties and base
  classes, closures and default arguments; the project modules reached (by file, and the
  project modules they import); the values of the globals that reached code reads, in the
  post or in a project module (a module attribute a cell assigned counts);
* its arguments (files passed as ``Path`` count by content), files named in ``reads=``;
* the seed, the thread count, and the versions of Python, numpy and torch.

Nothing in the key names the post's file, so a build, a plain ``python posts/NN_x.py``
and a renumbered post share entries. State the key cannot see (an object with no plain-data
form) is an error naming it, never a stale hit.

Cached and fresh runs give the same post: what the experiment printed is stored with its
result and printed again on a hit, so the cell's output is the same warm or cold. An
experiment must act only through its return value: one that changes a global it reads
(post-level or a module's), a closure variable or one of its arguments, or creates a post
global, fails the build naming it (a hit would skip that change).

Results are plain data (see :mod:`.results`: int-keyed dicts, dataclasses, every tensor
dtype...) stored as ``.npz`` files loaded with ``allow_pickle=False``: nothing in the cache is
ever unpickled. Writes are atomic; a damaged entry is reported and recomputed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.metadata
import inspect
import io
import json
import os
import platform
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import profile, session as sessions
from .atomic import locked, write_atomic
from .errors import ScratchbookError
from .keys import Fingerprint, canonical_json, digest, file_digest
from .project import find_project
from .results import decode, encode, refused_annotation, roundtrip  # noqa: F401 (re-exported)
from .seeding import isolated_rng

FORMAT_VERSION = 2


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


class Store:
    """A folder of ``<name>-<key>.npz`` entries: the result and what the experiment printed."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, name: str, key: str) -> Path:
        return self.folder / f"{name}-{key[:24]}.npz"

    def load(self, name: str, key: str, post_module: str = "__main__"):
        """``(result, printed)``, None when absent; CorruptEntry when unreadable."""
        path = self.path(name, key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                if meta.get("key") != key:
                    raise CorruptEntry("its key does not match its name")
                arrays = [data[f"a{i}"] for i in range(meta["arrays"])]
            return decode(meta["tree"], arrays, post_module), meta["printed"]
        except CorruptEntry:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile,
                zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptEntry(f"{type(exc).__name__}: {exc}") from None

    def save(self, name: str, key: str, tree, arrays: list[np.ndarray], printed: str = "") -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"key": key, "tree": tree, "arrays": len(arrays),
                           "printed": printed}).encode("utf-8")
        payload = {"meta": np.frombuffer(meta, dtype=np.uint8)}
        payload.update({f"a{i}": a for i, a in enumerate(arrays)})
        buffer = io.BytesIO()
        np.savez(buffer, **payload)
        target = self.path(name, key)
        write_atomic(target, buffer.getvalue())
        return target

    def lock_path(self, name: str, key: str) -> Path:
        return self.folder / ".locks" / f"{name}-{key[:24]}.lock"

    def discard(self, name: str, key: str) -> None:
        self.path(name, key).unlink(missing_ok=True)


# --------------------------------------------------------------------------- the decorator

@dataclasses.dataclass
class _Inputs:
    """One call's key, and what it read: to tell afterwards whether the call changed it."""
    key: str
    fingerprint: Fingerprint
    arguments: dict           # name -> value
    digests: dict             # name -> digest of the value when the key was made


def _argument_digests(owner: str, arguments: dict, code_ref) -> dict[str, str]:
    digests = {}
    for name, value in arguments.items():
        try:
            digests[name] = digest(canonical_json(value, code_ref))
        except TypeError as exc:
            raise ScratchbookError(f"experiment '{owner}': the argument '{name}' cannot be part "
                                   f"of its cache key: {exc}",
                                   hint="pass plain data, dataclasses or file paths") from None
    return digests


class _Tee(io.TextIOBase):
    """Writes through to ``target`` and keeps a copy."""

    def __init__(self, target):
        self.target = target
        self.copy = io.StringIO()

    @property
    def encoding(self):
        return getattr(self.target, "encoding", "utf-8")

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()


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
        return self._inputs(args, kwargs, root, threads).key

    def _inputs(self, args: tuple, kwargs: dict, root: Path, threads: int) -> _Inputs:
        name = self.fn.__qualname__
        try:
            bound = inspect.signature(self.fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}(): {exc}") from None
        bound.apply_defaults()
        fingerprint = Fingerprint(root, self.fn.__globals__, name)
        fingerprint.add_function(self.fn, name)
        arguments = dict(bound.arguments)
        digests = _argument_digests(name, arguments, fingerprint.code_ref)
        reads = [[str(p), file_digest(p) if p.exists() else None] for p in self.reads]
        material = {"code": fingerprint.parts, "arguments": digests, "reads": reads,
                    "seed": self.seed, "threads": threads, "versions": _versions(),
                    "profile": profile.fingerprint()}
        _note_inputs(self.fn.__name__, material)
        key = digest(json.dumps(material, sort_keys=True))
        return _Inputs(key, fingerprint, arguments, digests)

    def __call__(self, *args, **kwargs):
        session = sessions.current()
        root = session.root or _default_root()
        store = Store(session.cache_dir or _default_cache(root))
        name = self.fn.__name__
        refused = refused_annotation(self.fn)
        if refused:
            raise ScratchbookError(f"experiment '{name}' is declared to return {refused}",
                                   hint="change what it returns (and its annotation); "
                                        "nothing was run")
        inputs = self._inputs(args, kwargs, root, session.threads)
        # --no-cache distrusts what earlier builds stored, not what this build computed: an
        # experiment another one calls again (a shared warm-up) is computed once per build.
        trust = not session.refresh or (name, inputs.key) in session.refreshed
        if trust:
            hit = self._cached(store, inputs.key, session)
            if hit is not None:
                return hit[0]
        # Posts built side by side (build/check --jobs) may ask for the same entry at once: the
        # first computes it, the others wait for it and load it.
        with locked(store.lock_path(name, inputs.key)):
            if trust:
                hit = self._cached(store, inputs.key, session)
                if hit is not None:
                    return hit[0]
            return self._compute(store, inputs, args, kwargs, session)

    def _cached(self, store: Store, key: str, session) -> tuple | None:
        """``(result,)`` from the store (its printed text replayed), or None."""
        name = self.fn.__name__
        try:
            hit = store.load(name, key, self.fn.__module__)
        except CorruptEntry as exc:
            session.corrupted.append(name)
            session.say(f"  cache entry {store.path(name, key).name} for '{name}' is "
                        f"damaged ({exc}); recomputing")
            store.discard(name, key)
            return None
        if hit is None:
            return None
        result, printed = hit
        sys.stdout.write(printed)   # what the experiment printed when it ran
        session.cached.append(name)
        return (result,)

    def _compute(self, store: Store, inputs: _Inputs, args: tuple, kwargs: dict, session):
        name = self.fn.__name__
        session.say(f"  experiment {name}: computing")
        started = time.perf_counter()
        names_before = set(self.fn.__globals__)
        tee = _Tee(sys.stdout)
        with isolated_rng(self.seed), contextlib.redirect_stdout(tee):
            result = self.fn(*args, **kwargs)
        seconds = time.perf_counter() - started
        self._refuse_side_effects(inputs, names_before)
        try:
            tree, arrays = encode(result, self.fn.__module__)
        except TypeError as exc:
            raise ScratchbookError(
                f"experiment '{name}' returned something that cannot be cached: {exc}",
                hint=f"its {seconds:.1f} s of work was not stored; change what it returns "
                     "and build again") from None
        tree = json.loads(json.dumps(tree))
        store.save(name, inputs.key, tree, arrays, tee.copy.getvalue())
        session.refreshed.add((name, inputs.key))
        session.computed.append(name)
        session.say(f"  experiment {name}: done in {seconds:.1f} s")
        return decode(tree, arrays, self.fn.__module__)

    def _refuse_side_effects(self, inputs: _Inputs, names_before: set) -> None:
        """A hit skips the call, so a change the call made outside its result would be lost."""
        created = sorted(set(self.fn.__globals__) - names_before)
        changed = [f"the global '{n}' (created)" for n in created]
        changed += [f"the global '{label}'" if "." not in label else f"'{label}'"
                    for label in inputs.fingerprint.changed()]
        after = _argument_digests(self.fn.__name__, inputs.arguments,
                                  inputs.fingerprint.code_name)
        changed += [f"its argument '{a}'" for a, d in inputs.digests.items() if after[a] != d]
        if changed:
            raise ScratchbookError(
                f"experiment '{self.fn.__name__}' changed {', '.join(changed)} while it ran; "
                "a cached run skips the call, so warm and cold builds would differ",
                hint="return what it computes instead (and assign it after the call); "
                     "nothing was stored")


def _note_inputs(name: str, material: dict) -> None:
    """Each part of a key, digested, for the post's ledger: ``check`` then names the inputs
    that changed since the ledger was committed (code, module, global, argument, file...)."""
    parts = {label: digest[:12] for label, digest in material["code"].items()}
    parts.update({f"file:{path}": str(digest)[:12] for path, digest in material["reads"]})
    parts.update({part: digest(json.dumps(value, sort_keys=True))[:12]
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

"""What a post's code cells left, kept on disk, so that a build after a prose-only edit
weaves the new prose without running them: ``scratchbook build POST`` in about the time its
libraries take to import.

The idea is Quarto's ``freeze`` and jupyter-cache's execution cache (used by MyST-NB and
Jupyter Book): keep a document's computed outputs while its code is unchanged. Here the
unit is the state the prose reads. After a build runs the code cells, it keeps, in
``<cache>/runs/<post stem>.pickle``:

* what the run depended on: the post's code cells, their options and the front matter
  (prose may change and lines may move, as for ``watch``'s post server, whose
  :func:`.postserver.moved_lines` decides it); every source file the process imported outside
  the Python installation, by content (:data:`.keys._IMPORTED`, the engine's own included);
  every file the code cells opened for reading, looked at (``os.stat``: ``exists()``, a size)
  or found missing, and every folder they listed, by content, under the path the cells named
  (an audit hook, PEP 578); the installed libraries' files, by size and time; Python, the
  numeric profile and the environment variables (a shell's own, like ``PWD``, aside);
* the state: the namespace values the prose can name (any identifier in a prose cell, and
  the claims code cells made), pickled together so shared objects stay shared, the cells'
  printed output, the experiments' inputs, matplotlib's rcParams, the global random
  generators' states, a digest of what each name the post's ``import``, ``def`` and
  ``class`` statements bind held (:func:`_definitions`), and each figure's rendering from
  the weave that followed the run.

A build whose post still matches weaves from that state (:func:`load` then
:func:`.build.weave_post`); anything the snapshot cannot serve (a name it does not hold, a
value that does not unpickle, a figure it would have to draw) raises :class:`Unusable` and the
build runs the cells as always. A figure is never drawn from an unpickled copy: an untouched
figure is served its stored bytes (:class:`.figurememo.FigureMemo` in replay mode), anything
else makes the build run. ``--no-cache`` and ``check`` never read a snapshot.

What a snapshot cannot see, and so freezes as a fresh build would not: a code cell's reading
of the clock, the network, or a file through a C library that bypasses Python's ``open``, and
the settings a library keeps of its own (``np.set_printoptions``). A run whose cells started
a program (``subprocess``, ``os.system``) keeps no snapshot: what the program read is unseen.
The pickle is read only from the project's own cache folder, which the project's own builds
write: trusting it is trusting the post's code, which a build runs anyway.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import os
import pickle
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import keys, profile
from .atomic import write_atomic
from .claims import CODE_CLAIMS
from .run import Run
from .source import Post

FORMAT = 1
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)   # an expression or a statement
# A shell's or terminal's own variables: they differ between two windows of one session and
# no post reads them to compute.
SHELL_VARIABLES = {"PWD", "OLDPWD", "SHLVL", "_", "TERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION",
                   "TERM_SESSION_ID", "COLORTERM", "COLUMNS", "LINES", "PS1", "PS2", "PROMPT_COMMAND",
                   "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "SSH_AUTH_SOCK", "TMUX",
                   "TMUX_PANE", "STY", "WINDOW", "DISPLAY", "WINDOWID", "LS_COLORS",
                   "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKE_TERMOUT", "MAKE_TERMERR",
                   "MPLBACKEND"}
_SYSTEM = ("/proc/", "/sys/", "/dev/")


NONE = "no snapshot"


class Unusable(Exception):
    """The snapshot cannot serve this weave: run the code cells. Its message says why, in a
    phrase the build's summary line shows: "not from the snapshot: <why>"."""


def why(exc: BaseException) -> str:
    """The summary's phrase for a weave from a snapshot that failed with ``exc``."""
    reason = exc.args[0] if isinstance(exc, Unusable) else str(exc).split("\n")[0]
    return "not from the snapshot: " + (reason if len(reason) <= 100 else reason[:99] + "…")


# --------------------------------------------------------------------------- what cells read

@dataclass
class Reads:
    """Files opened for reading and folders listed while code cells ran; ``engine``: the files
    the engine read or stored for them (the experiments' cache entries among them)."""
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    engine: set[str] = field(default_factory=set)
    processes: set[str] = field(default_factory=set)   # programs started: what they read is unseen


_active: list[Reads] = []
PROCESSES = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn")


def _note_read(event: str, args: tuple) -> None:
    """Audit hook (PEP 578): note what the running code cells read."""
    if not _active or event not in ("open", "os.listdir", "os.scandir", "os.rename") + PROCESSES:
        return
    if event in PROCESSES:
        if _reader() == "cells":
            _active[-1].processes.add(event)
        return
    target = args[0] if args else None
    if event == "os.rename":          # an entry the engine stores (written beside, renamed)
        if _reader() == "engine" and not isinstance(args[1], int):
            _active[-1].engine.add(os.fsdecode(args[1]))
        return
    if isinstance(target, int) or target is None:
        return                      # a file descriptor, or the current folder
    reader = _reader()
    if reader == "import":
        return
    if event == "open":
        mode = args[1] if len(args) > 1 else "r"
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return                  # written, not read
        (_active[-1].engine if reader == "engine" else _active[-1].files).add(os.fsdecode(target))
    elif reader == "cells":
        _active[-1].folders.add(os.fsdecode(target))


sys.addaudithook(_note_read)


_ENGINE = str(Path(__file__).resolve().parent) + os.sep


def _reader() -> str:
    """Who reads: "import" (the import system: its folder listings and module files are keyed
    by the modules imported), "engine" (the experiments' cache entries, the library versions
    in their keys) or "cells" (the post and the project's code). The nearest frame outside
    the Python installation decides."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<frozen importlib"):
            return "import"
        if not (filename.startswith(keys._INSTALLED) or "site-packages" in filename
                or filename.startswith("<")):
            return "engine" if filename.startswith(_ENGINE) else "cells"
        frame = frame.f_back
    return "cells"


def _looking(stat):
    """``os.stat`` or ``os.lstat``, noting the paths the running code cells look at: a cell that
    asks whether a file exists, or how large it is, depends on it as one that reads it does
    (Python audits no ``stat``)."""
    def looked(path, *args, **kwargs):
        if _active and not isinstance(path, int) and _reader() == "cells":
            _active[-1].files.add(os.fsdecode(path))
        return stat(path, *args, **kwargs)
    return looked


@contextlib.contextmanager
def recording():
    """Note what the code in this block reads (see :func:`_note_read`) or looks at
    (:func:`_looking`)."""
    reads = Reads()
    _active.append(reads)
    stat, lstat = os.stat, os.lstat
    os.stat, os.lstat = _looking(stat), _looking(lstat)
    try:
        yield reads
    finally:
        os.stat, os.lstat = stat, lstat
        _active.remove(reads)


# --------------------------------------------------------------------------- fingerprints

def _outside(path: Path, *folders: Path) -> bool:
    text = str(path)
    if text.startswith(_SYSTEM) or text.startswith(keys._INSTALLED) or "site-packages" in path.parts:
        return False
    return not any(path.is_relative_to(folder) for folder in folders)


def _file_state(paths, cache_dir: Path) -> dict[str, str]:
    """What each path outside the installation and the cache (the experiments' entries are
    keyed by their own inputs) holds, compiled code aside (its source is keyed): a file's
    sha256, "folder", or "absent" (a cell that found no file reads one once it is there).
    Keyed by the path as the cells named it (made absolute, not resolved): a symbolic link
    pointed elsewhere holds another file."""
    state = {}
    for name in paths:
        path = Path(os.path.abspath(name))
        if path.suffix == ".pyc" or not _outside(path.resolve(), cache_dir.resolve()):
            continue
        state[str(path)] = (keys.file_digest(path) if path.is_file() else
                            "folder" if path.is_dir() else "absent")
    return state


def _folder_state(paths, cache_dir: Path) -> dict[str, str]:
    """Each listed folder's entries: name, kind and a file's size (a listing hands out each
    entry's ``stat()``, which no audit hook sees), or "absent". Not times: the builds
    themselves write into the folders a post may list (``posts/``)."""
    state = {}
    for name in paths:
        path = Path(os.path.abspath(name))
        if _outside(path.resolve(), cache_dir.resolve()):
            state[str(path)] = (keys.digest(repr(sorted(_entry(e) for e in os.scandir(path))))
                                if path.is_dir() else "absent")
    return state


def _entry(entry: os.DirEntry) -> tuple:
    try:
        return (entry.name, entry.is_dir(), 0 if entry.is_dir() else entry.stat().st_size)
    except OSError:
        return (entry.name,)


def _entry_state(paths, cache_dir: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of each experiment entry read from the cache: a damaged or cleared entry
    is found and recomputed by a run, as without a snapshot (entries are written whole,
    by rename, so a new entry has a new time)."""
    state = {}
    cache_dir = cache_dir.resolve()
    for name in paths:
        path = Path(name).resolve()
        if path.is_relative_to(cache_dir) and "runs" not in path.relative_to(cache_dir).parts:
            try:
                stat = path.stat()
            except OSError:
                continue
            state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def _installed() -> dict[str, tuple[int, int]]:
    """(mtime, size) of each loaded top-level package's file inside the installation:
    an upgrade rewrites it."""
    state = {}
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if "." in name or not filename:
            continue
        if filename.startswith(keys._INSTALLED) or "site-packages" in filename:
            try:
                stat = os.stat(filename)
            except OSError:
                continue
            state[filename] = (stat.st_mtime_ns, stat.st_size)
    return state


def environment_digest() -> str:
    """Python, the numeric profile and the environment this process runs in."""
    variables = sorted((k, v) for k, v in os.environ.items() if k not in SHELL_VARIABLES)
    return keys.digest(repr((sys.version, profile.NAME, FORMAT, variables)))


# --------------------------------------------------------------------------- pickling

class FigureStandIn:
    """What a snapshot holds for a matplotlib figure: its place in the snapshot. The figure
    itself is not kept (a figure with a lambda formatter does not pickle, and a snapshot never
    draws); its renderings are."""

    def __init__(self, index: int):
        self.index = index

    def __repr__(self) -> str:
        return f"<figure {self.index} of a snapshot>"


class ArtistStandIn:
    """What a snapshot holds for any other matplotlib artist (axes, lines): nothing to draw.
    Prose that reads one fails, and the build runs the cells."""

    def __repr__(self) -> str:
        return "<matplotlib artist of a snapshot>"


class _Pickler(pickle.Pickler):
    """Pickles the state the prose reads: modules by name (the prose names ``models.Block``),
    figures as stand-ins, the post's own functions, classes and experiments by name (they
    are defined again on load, see :func:`define`); everything else as pickle does.

    A project module is pickled with its attributes' digest, compared on load (a cell may set
    ``settings.LR``); what the post's statements define again is compared on load as well
    (:func:`_definitions`), and any other object of the post that pickle would name (a cache
    around a function) does not pickle. ``names_only``: the pickler of those digests, which
    names what it meets."""

    def __init__(self, file, module: str, namespace: dict, names_only: bool = False):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        from .cache import Experiment

        self.module = module
        self.namespace = namespace
        self.names_only = names_only
        self.own = {id(value): name for name, value in namespace.items()
                    if _defined_in(value, module, Experiment)}
        self.figures: dict[int, int] = {}      # id(figure) -> its index
        self.figure_type = self.artist_type = None
        if "matplotlib.figure" in sys.modules:
            self.figure_type = sys.modules["matplotlib.figure"].Figure
            self.artist_type = sys.modules["matplotlib.artist"].Artist

    def reducer_override(self, obj):
        import types

        if isinstance(obj, types.ModuleType):
            if not _project_module(obj, self.module):
                return _import, (obj.__name__,)
            # a package's submodules are signed with it (the cells may set ``pkg.sub.X``)
            return _import, (obj.__name__, _module_signature(obj, self.module, self.namespace))
        if self.names_only and isinstance(obj, types.MappingProxyType):
            return dict, (dict(obj),)            # a dataclass field's metadata
        if self.figure_type is not None and isinstance(obj, self.figure_type):
            return FigureStandIn, (self.figures.setdefault(id(obj), len(self.figures)),)
        if self.artist_type is not None and isinstance(obj, self.artist_type):
            return ArtistStandIn, ()
        name = self.own.get(id(obj))
        if name is not None:
            return _post_global, (self.module, name)
        if (not self.names_only and getattr(obj, "__module__", None) == self.module
                and hasattr(obj, "__qualname__")):
            # pickle would name it, and load what the post's statements define again
            raise pickle.PicklingError(f"{obj.__qualname__} is not a definition of the post")
        return NotImplemented


def _defined_in(value, module: str, experiment_type) -> bool:
    import types

    return (isinstance(value, (types.FunctionType, type, experiment_type))
            and getattr(value, "__module__", None) == module)


def _import(name: str, signature: str | None = None):
    import importlib

    module = importlib.import_module(name)
    if signature is not None and _module_signature(module, *_post_module()) != signature:
        raise Unusable(f"the cells changed the module {name}")
    return module


def _post_global(module: str, name: str):
    return getattr(sys.modules[module], name)


_loading: list[str] = []      # the post module whose state is being unpickled


def _post_module() -> tuple[str, dict]:
    module = _loading[-1]
    return module, vars(sys.modules[module])


def _project_module(module, post_module: str) -> bool:
    """A module of the project (not installed, not the engine, not the post itself)."""
    filename = getattr(module, "__file__", None) or ""
    return (module.__name__ != post_module and bool(filename)
            and not filename.startswith(keys._INSTALLED) and "site-packages" not in filename
            and not filename.startswith(str(Path(_ENGINE).parent)))


def _names_digest(value, module: str, namespace: dict) -> str:
    buffer = io.BytesIO()
    _Pickler(buffer, module, namespace, names_only=True).dump(value)
    return keys.digest(buffer.getvalue().hex())


def _module_signature(module, post_module: str, namespace: dict) -> str:
    """A project module's attributes, each by its pickle (its own functions and classes by
    name, the project modules it holds by their own attributes), or by its type when it does
    not pickle."""
    if module.__name__ in _signing:
        return "signed above"            # modules that import each other
    _signing.add(module.__name__)
    try:
        attributes = {}
        for key, value in sorted(vars(module).items()):
            if key.startswith("__"):
                continue
            try:
                attributes[key] = _names_digest(value, post_module, namespace)
            except Exception:
                attributes[key] = type(value).__qualname__
        return keys.digest(repr(attributes))
    finally:
        _signing.discard(module.__name__)


_signing: set[str] = set()


def _definitions(post: Post, namespace: dict, module: str) -> dict[str, str | None]:
    """What each name a top-level ``import``, ``def`` or ``class`` statement of the post binds
    held when the cells had run (:func:`_definition`): :func:`define` binds them again, and
    a name whose value differs then (bound again by an assignment, changed by a cell, made
    anew by a class body or a decorator that computes) is left out of the snapshot's
    namespace, so prose that reads it makes the build run the cells."""
    names = set()
    for cell in post.cells:
        if cell.kind != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
            elif isinstance(node, DEFINITIONS):
                names.add(node.name)
    return {name: _definition(namespace[name], module, namespace)
            for name in sorted(names) if name in namespace}


def _definition(value, module: str, namespace: dict) -> str | None:
    """A digest of what ``value`` holds (see :func:`_signature`; a project module: its
    attributes); None when it cannot be compared."""
    import types

    try:
        if isinstance(value, types.ModuleType):
            return (_module_signature(value, module, namespace)
                    if _project_module(value, module) else value.__name__)
        return _signature(value, module, namespace)
    except Exception:
        return None


def _signature(value, module: str, namespace: dict) -> str:
    """What a function, class or experiment of the post holds, as a digest: for a function its
    code, defaults, closure and attributes; for a class its bases and members; for anything
    else its attributes. Raises when something in it does not pickle."""
    return _names_digest(_members(value, module), module, namespace)


def _members(value, module: str, seen: frozenset = frozenset()):
    """``value`` with each function, class and experiment of the post in it (itself, its
    members, closure cells and attributes) replaced by what it holds."""
    import types

    from .cache import Experiment

    if getattr(value, "__module__", None) != module or isinstance(value, types.ModuleType):
        return value
    if id(value) in seen:
        return ("again", getattr(value, "__qualname__", ""))
    seen = seen | {id(value)}

    def inner(item):
        if isinstance(item, (staticmethod, classmethod)):
            return (type(item).__name__, inner(item.__func__))
        if isinstance(item, property):
            return ("property", *(inner(f) for f in (item.fget, item.fset, item.fdel)))
        if isinstance(item, functools.cached_property):
            return ("cached_property", inner(item.func))
        return _members(item, module, seen)

    if isinstance(value, types.FunctionType):
        cells = []
        for cell in value.__closure__ or ():
            try:
                cells.append(inner(cell.cell_contents))
            except ValueError:          # a cell not yet filled
                cells.append(("empty",))
        return ("function", _code(value.__code__), value.__defaults__, value.__kwdefaults__,
                cells, {k: inner(v) for k, v in vars(value).items()})
    if isinstance(value, type):
        return ("class", value.__qualname__, value.__bases__,
                {k: inner(v) for k, v in vars(value).items()
                 if k not in ("__dict__", "__weakref__", "__slotnames__")})   # pickle's own cache
    if isinstance(value, Experiment):
        return ("experiment", {k: inner(v) for k, v in vars(value).items()})
    if hasattr(value, "__qualname__"):     # a wrapper pickle names (a cache): its state unseen
        raise TypeError(f"{value.__qualname__} cannot be compared")
    return value


def _code(code) -> tuple:
    """Where a function's code comes from: the statement at that line of that file, which
    :func:`define` compiles again (its bytecode may differ: compiled alone, a ``def`` does not
    see the cell's imports)."""
    return (code.co_filename, code.co_qualname, code.co_firstlineno)


def _sets_keep_order(value, seen: set[int]) -> bool:
    """Whether every set in ``value`` (its lists, tuples, dicts and objects' attributes)
    iterates as its unpickled copy will: pickle builds a set from its items, and a set that
    shrank keeps the larger table, so its copy iterates otherwise (``{{ s|join }}``)."""
    import types

    if id(value) in seen or isinstance(value, (types.ModuleType, type)):
        return True                     # a module or class is pickled by name
    seen.add(id(value))
    if isinstance(value, (set, frozenset)):
        if list(type(value)(list(value))) != list(value):
            return False
        items = value
    elif isinstance(value, (list, tuple)):
        items = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        items = getattr(value, "__dict__", None)
        items = list(items.values()) if isinstance(items, dict) else ()
    return all(_sets_keep_order(item, seen) for item in items)


def _dumps(value, module: str, namespace: dict) -> tuple[bytes, dict[int, int]]:
    if not _sets_keep_order(value, set()):
        raise pickle.PicklingError("a set whose copy would iterate in another order")
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, module, namespace)
    pickler.dump(value)
    return buffer.getvalue(), pickler.figures


def prose_names(post: Post, namespace: dict, module: str) -> list[str]:
    """The namespace names a prose cell of ``post`` may read: every identifier in its Jinja
    expressions and statements (claims' conditions included), the globals the post's own functions and classes among
    them read (a prose call of such a function reads them), and the claims code cells made."""
    words = set()
    for cell in post.cells:
        if cell.kind == "markdown":
            for block in JINJA.findall(cell.source):
                words |= set(IDENTIFIER.findall(block))
    names = {w for w in words if w in namespace and not w.startswith("__")}
    todo = list(names)
    while todo:
        for word in _globals_read(namespace[todo.pop()], module):
            if word in namespace and word not in names and not word.startswith("__"):
                names.add(word)
                todo.append(word)
    return sorted(names) + ([CODE_CLAIMS] if CODE_CLAIMS in namespace else [])


def _globals_read(value, module: str) -> set[str]:
    """Names a function, experiment or class defined in the post may read as globals."""
    import types

    if getattr(value, "__module__", None) != module:
        return set()
    value = getattr(value, "fn", value)                 # an experiment's function
    codes = []
    if isinstance(value, types.FunctionType):
        codes.append(value.__code__)
    elif isinstance(value, type):
        codes += [v.__code__ for v in vars(value).values() if isinstance(v, types.FunctionType)]
    names = set()
    while codes:
        code = codes.pop()
        names |= set(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


# --------------------------------------------------------------------------- save and load

@dataclass
class Taken:
    """A run's state, pickled right after the cells ran (before the weave touched it)."""
    header: dict
    payload: bytes
    figures: dict[int, int]    # id(figure) -> the index of its stand-in


def take(post: Post, run: Run, session, reads: Reads, environment: str) -> Taken | None:
    """The state to keep after a successful run; None when nothing of it pickles, or when the
    cells started a program (what it read is not seen)."""
    from .run import module_name

    if reads.processes:
        return None

    module = module_name(post)
    namespace = run.namespace
    state = {name: namespace[name] for name in prose_names(post, namespace, module)}
    try:
        payload, figures = _dumps(state, module, namespace)
    except Exception:
        for name in list(state):        # keep what pickles; the rest is "not held"
            try:
                _dumps(state[name], module, namespace)
            except Exception:
                del state[name]
        try:
            payload, figures = _dumps(state, module, namespace)
        except Exception:
            return None
    rc = None
    if "matplotlib" in sys.modules:
        rc = dict(dict.items(sys.modules["matplotlib"].rcParams))
    cache_dir = Path(session.cache_dir)
    itself = {str(post.path), post.display_path}
    header = {
        "format": FORMAT, "post": post, "environment": environment,
        # the post itself runs as code too: its cells are compared by moved_lines
        "imported": {path: sha for path, (_, _, sha) in keys._IMPORTED.items()
                     if path not in itself},
        # a cell that reads the post itself reads its prose too; the engine reads it to run
        # it, and the files an experiment declares (``reads=``) to key it, also on a cache hit
        "files": _file_state(reads.files | {name for name in reads.engine
                                            if Path(name).resolve() != post.path.resolve()},
                             cache_dir),
        "folders": _folder_state(reads.folders, cache_dir),
        "entries": _entry_state(reads.engine, cache_dir),
        "installed": _installed(),
        "outputs": dict(run.outputs), "inputs": dict(session.inputs),
        "experiments": list(session.computed) + list(session.cached),
        "rc": pickle.dumps(rc), "random": _random_states(),
        "definitions": _definitions(post, namespace, module),
    }
    return Taken(header, payload, figures)


def save(cache_dir: Path, post: Post, taken: Taken, rendered: dict, dependencies: list[str]) -> None:
    """Keep ``taken`` with the figures' renderings (``FigureMemo.new``: (id, format, rc) ->
    bytes) and the project files the build loaded (for ``watch``)."""
    renderings = {(taken.figures[fid], fmt, rc): data for (fid, fmt, rc), data in rendered.items()
                  if fid in taken.figures}
    header = dict(taken.header, dependencies=dependencies)
    write_atomic(_path(cache_dir, post), pickle.dumps((header, renderings, taken.payload),
                                                      protocol=pickle.HIGHEST_PROTOCOL))


def discard(cache_dir: Path, post: Post) -> None:
    _path(cache_dir, post).unlink(missing_ok=True)


def _path(cache_dir: Path, post: Post) -> Path:
    return Path(cache_dir) / "runs" / f"{post.stem}.pickle"


@dataclass
class Kept:
    """A snapshot that still matches the post: its state, and how the post moved since."""
    run: Run
    moved_line: object
    inputs: dict
    experiments: list
    renderings: dict          # (stand-in index, format, rc) -> bytes, for FigureMemo
    dependencies: list


def load(cache_dir: Path, post: Post, environment: str) -> Kept:
    """The snapshot of ``post``'s last run, if everything it depended on is as it was.

    Raises :class:`Unusable` (with the first reason found) otherwise."""
    from .postserver import moved_lines
    from .run import module_name

    path = _path(cache_dir, post)
    try:
        header, renderings, payload = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        raise Unusable(NONE) from None
    except Exception as exc:
        raise Unusable(f"unreadable snapshot: {exc}") from None
    if header.get("format") != FORMAT or header["environment"] != environment:
        raise Unusable("another Python, profile or environment")
    change = moved_lines(header["post"], post)
    if change is None:
        raise Unusable("a code cell, its options or the front matter changed")
    _unchanged(header, Path(cache_dir))
    namespace = define(header["post"])
    module = module_name(post)
    for name, value in list(namespace.items()):
        if not name.startswith("__"):
            held = header["definitions"].get(name)
            if held is None or held != _definition(value, module, namespace):
                del namespace[name]
    _loading.append(module)
    try:
        rc = pickle.loads(header["rc"])
        state = pickle.loads(payload)
    except Unusable:
        raise
    except Exception as exc:
        raise Unusable(f"the state does not unpickle: {type(exc).__name__}: {exc}") from None
    finally:
        _loading.pop()
    namespace.update(state)
    if rc is not None:
        import matplotlib

        dict.update(matplotlib.rcParams, rc)     # as the cells left them, unvalidated
    try:
        _restore_random(header["random"])
    except Exception as exc:
        raise Unusable(f"the random state does not restore: {type(exc).__name__}: {exc}") from None
    moved, cells = change
    outputs = {cells[i]: text for i, text in header["outputs"].items()}
    return Kept(Run(namespace, outputs), moved, header["inputs"], header["experiments"],
                renderings, header["dependencies"])


def _random_states() -> bytes:
    """The global random generators (Python's, numpy's, torch's) as the cells left them: prose
    that draws from one (a post function called by the prose) draws what a build's would."""
    import random

    states = {"random": random.getstate()}
    if "numpy" in sys.modules:
        states["numpy"] = sys.modules["numpy"].random.get_state()
    if "torch" in sys.modules:
        states["torch"] = sys.modules["torch"].get_rng_state()
    return pickle.dumps(states)


def _restore_random(data: bytes) -> None:
    import importlib
    import random

    states = pickle.loads(data)
    random.setstate(states["random"])
    if "numpy" in states:
        importlib.import_module("numpy").random.set_state(states["numpy"])
    if "torch" in states:
        importlib.import_module("torch").set_rng_state(states["torch"])


DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def define(post: Post) -> dict:
    """Give the post's module its imports, functions and classes again, as they ran, without
    running anything else: each top-level ``import``, ``def`` and ``class`` statement of the
    code cells, compiled at its line in the post as it ran (so ``code()`` and ``diff()`` show
    it, and the state's objects of the post's own classes unpickle). A statement that fails
    (a decorator or default that reads a value computed elsewhere) is left out: the prose
    finds its name missing and the build runs the cells. Returns the module's namespace,
    registered in ``sys.modules`` as the run registered it (:func:`.run.execute`)."""
    import linecache
    import types

    from .run import module_name

    module = types.ModuleType(module_name(post))
    module.__file__ = str(post.path)
    sys.modules[module.__name__] = module
    code = [c for c in post.cells if c.kind == "code"]
    last = max((c.first_line + c.source.count("\n") for c in code), default=0)
    lines = ["\n"] * last
    for cell in code:
        for offset, text in enumerate(cell.source.split("\n")):
            lines[cell.first_line - 1 + offset] = text + "\n"
    # The source of the post as it ran, as far as code goes: inspect reads functions and
    # classes from it at their lines then (the weave moves them to the lines now).
    linecache.cache[post.display_path] = (sum(map(len, lines)), None, lines, post.display_path)
    for cell in code:
        padded = "\n" * (cell.first_line - 1) + cell.source + "\n"
        try:
            tree = ast.parse(padded, post.display_path)
        except SyntaxError:
            raise Unusable("a code cell does not parse") from None
        for node in tree.body:
            if isinstance(node, DEFINITIONS):
                try:
                    exec(compile(ast.Module([node], []), post.display_path, "exec"),
                         module.__dict__)
                except Exception:
                    continue
    return module.__dict__


def _unchanged(header: dict, cache_dir: Path) -> None:
    for name, sha in header["imported"].items():
        path = Path(name)
        if not path.is_file() or keys.file_digest(path) != sha:
            raise Unusable(f"{_shown(name)} changed")
    for kind, state in (("file", _file_state), ("folder", _folder_state)):
        now = state(header[kind + "s"], cache_dir)
        for name, sha in header[kind + "s"].items():
            if now.get(name) != sha:
                raise Unusable(f"the {kind} {_shown(name)} changed")
    for kind, stamps in (("experiment entry", header["entries"]),
                         ("library file", header["installed"])):
        for name, stamp in stamps.items():
            try:
                stat = os.stat(name)
            except OSError:
                raise Unusable(f"the {kind} {_shown(name)} is gone") from None
            if (stat.st_mtime_ns, stat.st_size) != tuple(stamp):
                raise Unusable(f"the {kind} {_shown(name)} changed")


def _shown(name: str) -> str:
    try:
        return str(Path(name).relative_to(Path.cwd()))
    except ValueError:
        return name

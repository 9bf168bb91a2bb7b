"""Run a post's code cells in order, in one namespace, with the post's own line numbers."""

from __future__ import annotations

import contextlib
import io
import sys
import time
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CellError, ScratchbookError
from .source import Post


@dataclass
class Run:
    namespace: dict
    outputs: dict[int, str] = field(default_factory=dict)   # cell index -> captured stdout
    seconds: dict[int, float] = field(default_factory=dict)


def module_name(post: Post) -> str:
    return f"scratchbook_post_{post.stem}".replace("-", "_")


def execute(post: Post, root: Path, on_cell=None) -> Run:
    """Execute every code cell. ``on_cell(index, cell)`` is called before each one.

    The namespace is a real module registered in ``sys.modules`` so that classes and
    functions defined in the post have a source file (for code excerpts and cache keys).
    """
    module = types.ModuleType(module_name(post))
    module.__file__ = str(post.path)
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    run = Run(namespace)
    for index, cell in enumerate(post.cells):
        if cell.kind != "code":
            continue
        if on_cell is not None:
            on_cell(index, cell)
        # Blank lines in front put every statement on its true line in the post.
        padded = "\n" * (cell.first_line - 1) + cell.source + "\n"
        try:
            code = compile(padded, post.display_path, "exec")
        except SyntaxError as exc:
            raise CellError(f"SyntaxError: {exc.msg}", path=post.display_path,
                            line=exc.lineno or cell.first_line,
                            trace=_syntax_context(exc)) from None
        buffer = io.StringIO()
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(buffer):
                exec(code, namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            raise _cell_error(exc, post, root, cell.first_line) from None
        finally:
            run.seconds[index] = time.perf_counter() - started
        run.outputs[index] = buffer.getvalue()
    return run


def _syntax_context(exc: SyntaxError) -> str:
    text = (exc.text or "").rstrip("\n")
    if not text:
        return ""
    caret = " " * max((exc.offset or 1) - 1, 0) + "^"
    return f"    {text}\n    {caret}"


def _cell_error(exc: BaseException, post: Post, root: Path, fallback: int) -> CellError:
    """Keep only the frames in the post and the project's own files."""
    frames = traceback.extract_tb(exc.__traceback__)
    kept = [f for f in frames if f.filename == post.display_path or _in_project(f.filename, root)]
    line = next((f.lineno for f in reversed(kept) if f.filename == post.display_path), fallback)
    trace = "".join(traceback.format_list(kept)).rstrip("\n")
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if isinstance(exc, ScratchbookError):   # already in the author's terms (a false claim)
        message = exc.message + (f"\n  hint: {exc.hint}" if exc.hint else "")
    return CellError(message, path=post.display_path, line=line, trace=trace)


def _in_project(filename: str, root: Path) -> bool:
    path = Path(filename)
    if not path.is_absolute():
        return False
    parts = path.parts
    if "site-packages" in parts or ".venv" in parts:
        return False
    if path.is_relative_to(Path(__file__).resolve().parent):
        return False  # the engine's own frames are noise to the author
    return path.is_relative_to(root)

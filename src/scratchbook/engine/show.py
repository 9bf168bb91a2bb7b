"""Formatting helpers for prose: each keeps a value and its display format together.

``{{ num(loss, ".3f") }}``, ``{{ num(params, ",") }}``, ``{{ pct(share) }}``,
``{{ seconds(elapsed) }}``. Every call records the value in the post's ledger under a key
(by default the text of the value's expression), with the literate source line showing it.
"""

from __future__ import annotations

import math
import numbers

from .errors import ScratchbookError
from .hugo import SHORTCODE_OPEN
from .ledger import Recorder, Tolerance, tolerance

# A wall-clock time regenerates within this factor either way. Measured on one quiet 2-core
# machine, the same cached-free experiment took 4.7 s in one build and 15.8 s in the next
# (x3.4), and machines of one kind differ by about x1.7: a tighter factor fails `check` on
# machines, not on code. x10 still catches a change of algorithm or budget.
DEFAULT_TIMING_FACTOR = 10.0


class Shown(str):
    """Text already formatted (and recorded) by a helper: shown as it is."""


def scalar(value, what: str = "value"):
    """A plain Python number from numpy / torch scalars; TypeError for anything else."""
    if hasattr(value, "item") and callable(value.item):
        size = getattr(value, "size", 1)
        size = size() if callable(size) else size
        if size != 1:
            raise TypeError(f"{what} has {size} elements; show one number")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} is a {type(value).__name__}, not a number")
    return value


def format_seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.1f} µs"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    if value < 3600:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def format_value(value, spec: str) -> str:
    """Format a number by a spec: a format() spec, 'pct', 'pct:N' or 'seconds'."""
    if spec == "seconds":
        return format_seconds(value)
    if spec == "pct" or spec.startswith("pct:"):
        digits = int(spec.partition(":")[2] or 1)
        return f"{value * 100:.{digits}f}%"
    if isinstance(value, float) and not spec and math.isfinite(value) and value != int(value):
        raise ValueError("a fractional number needs a format, e.g. '.3f'")
    return format(value, spec)


class ValueHelpers:
    """The prose helpers bound to one post's ledger recorder."""

    def __init__(self, recorder: Recorder, display_path: str):
        self.recorder = recorder
        self.display_path = display_path

    def where(self, line: int | None) -> str:
        return f"{self.display_path}:{line}" if line else self.display_path

    def _record(self, helper, value, spec, tol, key, line, expr) -> Shown:
        try:
            number = scalar(value, f"{helper}({expr})")
            display = format_value(number, spec)
        except (TypeError, ValueError) as exc:
            raise ScratchbookError(f"{helper}({expr}): {exc}", path=self.display_path,
                                   line=line) from None
        return Shown(self.recorder.record(key or expr or helper, number, display, tol,
                                          self.where(line),
                                          render=lambda v: format_value(v, spec)))

    def num(self, value, fmt: str = "", key: str | None = None, rel: float | None = None,
            abs: float | None = None, _line: int | None = None, _expr: str = "") -> Shown:
        return self._record("num", value, fmt, tolerance(rel, abs), key, _line, _expr)

    def pct(self, value, digits: int = 1, key: str | None = None, rel: float | None = None,
            abs: float | None = None, _line: int | None = None, _expr: str = "") -> Shown:
        return self._record("pct", value, f"pct:{digits}", tolerance(rel, abs), key, _line, _expr)

    def seconds(self, value, factor: float = DEFAULT_TIMING_FACTOR, key: str | None = None,
                _line: int | None = None, _expr: str = "") -> Shown:
        """A wall-clock time: checked within ``factor`` either way, never exactly."""
        return self._record("seconds", value, "seconds", Tolerance("timing", float(factor)),
                            key, _line, _expr)

    def show(self, value, _line: int | None = None, _expr: str = ""):
        """What a bare ``{{ expr }}`` prints: helper output as it is; text and whole numbers
        recorded exactly; a fractional number refused (it needs a format)."""
        if isinstance(value, Shown) or value is None:
            return value
        if isinstance(value, str):
            if SHORTCODE_OPEN.search(value):
                raise ScratchbookError(
                    f"prose shows '{_expr}', text holding '{{{{<' or '{{{{%', which Hugo would "
                    "run as a shortcode", path=self.display_path, line=_line,
                    hint="show it in a code cell's output or with table(...), which reach "
                         "the page literally")
            return Shown(self.recorder.record(_expr, value, value, Tolerance(), self.where(_line)))
        try:
            number = scalar(value)
        except TypeError:
            raise ScratchbookError(
                f"prose shows '{_expr}', a {type(value).__name__}; show text or one number",
                path=self.display_path, line=_line,
                hint="use table(...) for rows, or join the items into text in a code cell"
            ) from None
        if isinstance(number, float) and number != int(number):
            raise ScratchbookError(
                f"prose shows the number '{_expr}' without a format", path=self.display_path,
                line=_line, hint=f"write {{{{ num({_expr}, '.3f') }}}} (or pct/seconds)")
        display = str(int(number)) if isinstance(number, float) else str(number)
        return Shown(self.recorder.record(_expr, number, display, Tolerance(), self.where(_line)))

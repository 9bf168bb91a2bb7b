"""Formatting helpers for prose: each keeps a value and its display format together.

``{{ num(loss, ".3f") }}``, ``{{ num(params, ",") }}``, ``{{ pct(share) }}``,
``{{ seconds(elapsed) }}``; in words: ``{{ plural(n, "task") }}``, ``{{ count_of(k, 26,
"letter") }}``, ``{{ share(x) }}``, ``{{ seeds(losses, ".3f") }}``,
``{{ difference(a, b, ".3f") }}`` (see :mod:`.wording`). Every call records the value in the post's ledger under a key
(by default the text of the value's expression), with the literate source line showing it.
"""

from __future__ import annotations

import math
import numbers

from .errors import ScratchbookError
from .hugo import SHORTCODE_OPEN
from .ledger import Recorder, Tolerance, tolerance
from .wording import count_phrase, format_share, mean_sd, noun, stands_out

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
    """Format a number by a spec: a format() spec, 'pct', 'pct:N', 'share', 'share:N' (a
    percentage that never rounds to a false 0% or 100%) or 'seconds'."""
    if spec == "seconds":
        return format_seconds(value)
    if spec == "share" or spec.startswith("share:"):
        return format_share(value, int(spec.partition(":")[2] or 1))
    if spec == "pct" or spec.startswith("pct:"):
        digits = int(spec.partition(":")[2] or 1)
        return f"{value * 100:.{digits}f}%"
    if isinstance(value, float) and not spec and math.isfinite(value) and value != int(value):
        raise ValueError("a fractional number needs a format, e.g. '.3f'")
    return format(value, spec)


def _difference_amount(amount: float, spec: str) -> str:
    """A difference in a spec's units; two percentages differ by percentage points."""
    if spec.startswith(("pct", "share")):
        return f"{amount * 100:.{int(spec.partition(':')[2] or 1)}f} percentage points"
    return format_value(amount, spec)


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

    # ---- numbers in words: each number recorded as num() records it

    def _count(self, helper, value, key, line, expr) -> tuple[int, str]:
        """A whole number, recorded; (the number, its text)."""
        try:
            number = scalar(value, f"{helper}({expr})")
        except TypeError as exc:
            raise ScratchbookError(f"{helper}({expr}): {exc}", path=self.display_path,
                                   line=line) from None
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if not isinstance(number, int):
            raise ScratchbookError(f"{helper}({expr}): {number!r} is not a whole number",
                                   path=self.display_path, line=line,
                                   hint="count things with whole numbers; use num() for others")
        return number, self._record(helper, number, ",", Tolerance(), key, line, expr)

    def plural(self, count, word: str, plural: str | None = None, key: str | None = None,
               _line: int | None = None, _expr: str = "") -> Shown:
        """``1 task``, ``3 tasks``; an irregular plural as ``plural(n, "child", "children")``."""
        number, text = self._count("plural", count, key, _line, _expr)
        return Shown(f"{text} {noun(number, word, plural)}")

    def count_of(self, count, total, word: str, plural: str | None = None,
                 key: str | None = None, _line: int | None = None, _expr: str = "") -> Shown:
        """``all 26 letters``, ``none of the 26 letters``, ``3 of the 26 letters`` (``both``
        for two, ``the only letter`` for one). The total is recorded as ``<key> (total)``."""
        name = key or _expr or "count_of"
        number, text = self._count("count_of", count, name, _line, _expr)
        whole, whole_text = self._count("count_of", total, f"{name} (total)", _line, _expr)
        try:
            return Shown(count_phrase(number, whole, text, whole_text, word, plural))
        except ValueError as exc:
            raise ScratchbookError(f"count_of({_expr}): {exc}", path=self.display_path,
                                   line=_line) from None

    def share(self, value, digits: int = 1, key: str | None = None, rel: float | None = None,
              abs: float | None = None, _line: int | None = None, _expr: str = "") -> Shown:
        """A fraction as a percentage that never reads a false extreme: ``under 0.1%`` for a
        small share above 0, ``over 99.9%`` for one just below 1, ``0%`` and ``100%`` only
        when exact."""
        return self._record("share", value, f"share:{digits}", tolerance(rel, abs), key,
                            _line, _expr)

    def seeds(self, values, fmt: str = ".3f", unit: str = "seed", key: str | None = None,
              rel: float | None = None, abs: float | None = None, _line: int | None = None,
              _expr: str = "") -> Shown:
        """One measurement repeated over seeds: ``2.350 ± 0.012 (5 seeds)`` (mean ± sample
        standard deviation). Recorded as ``<key> mean``, ``<key> sd`` and ``<key> n``."""
        name = key or _expr or "seeds"
        try:
            mean, sd, n = mean_sd(_numbers(values, f"seeds({_expr})"))
        except (TypeError, ValueError) as exc:
            raise ScratchbookError(f"seeds({_expr}): {exc}", path=self.display_path,
                                   line=_line) from None
        tol = tolerance(rel, abs)
        shown_mean = self._record("seeds", mean, fmt, tol, f"{name} mean", _line, _expr)
        count = self._record("seeds", n, "", Tolerance(), f"{name} n", _line, _expr)
        runs = noun(n, unit)
        if n == 1:
            return Shown(f"{shown_mean} ({count} {runs})")
        shown_sd = self._record("seeds", sd, fmt, tol, f"{name} sd", _line, _expr)
        return Shown(f"{shown_mean} ± {shown_sd} ({count} {runs})")

    def difference(self, a, b, fmt: str = ".3f", lower: str = "lower", higher: str = "higher",
                   noise: str = "within seed noise", key: str | None = None,
                   _line: int | None = None, _expr: str = "") -> Shown:
        """How ``a`` (values over seeds) compares with ``b``: ``lower by 0.031`` / ``higher
        by 0.031`` when the difference of the means stands out of the seeds' noise, else
        ``within seed noise``; shares formatted 'pct' or 'share' differ by ``percentage
        points``. The rule is Welch's two-sample t-test at the two-sided 5%
        level (see :func:`.wording.stands_out`); each side needs two values or more.
        Recorded under the call's text, with the difference and the noise threshold."""
        try:
            out, delta, threshold, _t = stands_out(_numbers(a, "difference(a, ...)"),
                                                   _numbers(b, "difference(..., b)"))
            amount = _difference_amount(float(delta if delta >= 0 else -delta), fmt)
        except (TypeError, ValueError) as exc:
            raise ScratchbookError(f"difference(): {exc}", path=self.display_path,
                                   line=_line) from None
        text = f"{lower if delta < 0 else higher} by {amount}" if out else noise
        value = {"difference": delta, "noise": threshold}
        return Shown(self.recorder.record(key or _expr or "difference", value, text,
                                          Tolerance(), self.where(_line)))

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


def _numbers(values, what: str) -> list:
    """Plain numbers from a sequence (a list, an array, a 1-d tensor)."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{what}: pass the values, one per seed (a list)")
    return [scalar(value, what) for value in values]

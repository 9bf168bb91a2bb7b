"""Asserted claims: a sentence of the post published only while its evidence holds.

``{{ claim(naive > 100 * tanh, "The naive network's gradients are far larger.",
naive=naive, tanh=tanh) }}`` shows the sentence when the condition is true and fails the
build when it is false, naming the prose line, the sentence and the values; with
``otherwise="..."`` the other sentence is shown instead. Every claim is a ledger entry (its
key, the sentence shown, whether it held and the values), so ``check`` reports a claim that
changed the way it reports a drifted number.

The same ``claim`` is a plain function for code cells (``from scratchbook import claim``):
it raises on a false claim there too, and in a build its entry reaches the ledger.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .errors import ScratchbookError
from .show import scalar

CODE_CLAIMS = "__scratchbook_claims__"   # the post's namespace: claims made by code cells


@dataclass
class Claim:
    key: str
    holds: bool
    shown: str                   # the sentence on the page ('' from a code cell: none)
    sentence: str                # the sentence asserted
    values: dict = field(default_factory=dict)
    path: str | None = None
    line: int | None = None

    @property
    def display(self) -> str:
        """The ledger's text: whether the claim held, then what the page says."""
        return f"{'true' if self.holds else 'false'}: {self.shown or self.sentence}"

    @property
    def value(self) -> dict:
        return {"holds": self.holds, "values": self.values}


def plain_values(values: dict) -> dict:
    """The values as JSON can hold them: numbers as plain numbers, anything else as text."""
    out = {}
    for name in sorted(values):
        try:
            out[name] = scalar(values[name])
        except TypeError:
            out[name] = values[name] if isinstance(values[name], (bool, str)) or \
                values[name] is None else str(values[name])
    return out


def shown_values(values: dict) -> str:
    return ", ".join(f"{name}={value:.6g}" if isinstance(value, float) else f"{name}={value!r}"
                     for name, value in values.items()) or "(none passed)"


def evaluate(condition, sentence: str, otherwise: str | None, key: str, values: dict,
             path: str | None, line: int | None, condition_text: str = "") -> Claim:
    """The claim made, or a :class:`ScratchbookError` when it is false and has no
    ``otherwise`` sentence."""
    if not isinstance(sentence, str) or not sentence.strip():
        raise ScratchbookError("claim(): the second argument is the sentence it asserts",
                               path=path, line=line,
                               hint='write claim(a > b, "A beats B.", a=a, b=b)')
    try:
        holds = bool(condition)
    except Exception as exc:   # e.g. a tensor of several elements
        raise ScratchbookError(f"claim(): the condition is not true or false ({exc})",
                               path=path, line=line,
                               hint="compare single numbers, e.g. float(x) > float(y)") from None
    values = plain_values(values)
    if not holds and otherwise is None:
        about = f" ({condition_text})" if condition_text else ""
        raise ScratchbookError(
            f'a claim is false{about}: "{sentence}"; values: {shown_values(values)}',
            path=path, line=line,
            hint="the numbers no longer support the sentence: rewrite it to follow them (and "
                 "its condition), or give otherwise=\"...\" with the sentence that is true "
                 "when the condition is false")
    return Claim(key, holds, sentence if holds else otherwise, sentence, values, path, line)


def claim(condition, sentence: str, otherwise: str | None = None, *, key: str | None = None,
          **values) -> str:
    """Assert ``sentence`` from a code cell: returns the sentence that holds (``sentence``,
    or ``otherwise`` when the condition is false and one is given), raises when the
    condition is false and no ``otherwise`` is given. Pass the values the condition compares
    as keyword arguments: the error and the ledger show them."""
    caller = sys._getframe(1)
    path, line = caller.f_code.co_filename, caller.f_lineno
    made = evaluate(condition, sentence, otherwise, f"claim: {key or sentence}", values, path,
                    line)
    caller.f_globals.setdefault(CODE_CLAIMS, []).append(made)
    return made.shown

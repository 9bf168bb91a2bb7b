"""The numbers ledger: every value a post shows, with how far it may drift.

One JSON file per post (``posts/<stem>.ledger.json``), committed: the post's slug and the
files it published (which post owns which outputs), the inputs of its experiments (to say
which one changed when a value drifts), and one entry per line, sorted by key, so a rebuilt
post's ledger diff reads as a list of changed numbers.
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path



@dataclass(frozen=True)
class Tolerance:
    """How a regenerated value may differ from the committed one and still pass.

    ``exact``: the displayed text is the same. ``rel`` / ``abs``: the raw value is within a
    relative / absolute distance. ``timing``: a wall-clock measure within a factor either way.
    """
    kind: str = "exact"
    amount: float = 0.0

    def accepts(self, old_value, old_display: str, new_value, new_display: str) -> bool:
        if old_display == new_display:
            return True
        if self.kind == "exact" or not _numeric(old_value) or not _numeric(new_value):
            return False
        if self.kind == "rel":
            return abs(new_value - old_value) <= self.amount * abs(old_value)
        if self.kind == "abs":
            return abs(new_value - old_value) <= self.amount
        if self.kind == "timing":
            if old_value <= 0 or new_value <= 0:
                return old_value == new_value
            return max(new_value / old_value, old_value / new_value) <= self.amount
        raise ValueError(f"unknown tolerance kind {self.kind!r}")

    def describe(self) -> str:
        return {"exact": "same text", "rel": f"±{self.amount:g} relative",
                "abs": f"±{self.amount:g}", "timing": f"within x{self.amount:g}"}[self.kind]


def tolerance(rel: float | None = None, abs: float | None = None) -> Tolerance:
    if rel is not None and abs is not None:
        raise ValueError("give rel= or abs=, not both")
    if rel is not None:
        return Tolerance("rel", float(rel))
    if abs is not None:
        return Tolerance("abs", float(abs))
    return Tolerance()


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def machine_description() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


@dataclass
class Entry:
    key: str
    value: object
    display: str
    tolerance: Tolerance = field(default_factory=Tolerance)
    where: list[str] = field(default_factory=list)
    machine: str | None = None

    def to_json(self) -> dict:
        data = {"key": self.key, "value": self.value, "display": self.display,
                "tolerance": asdict(self.tolerance), "where": self.where}
        if self.machine:
            data["machine"] = self.machine
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Entry":
        return cls(key=data["key"], value=data["value"], display=data["display"],
                   tolerance=Tolerance(**data.get("tolerance", {})),
                   where=list(data.get("where", [])), machine=data.get("machine"))


@dataclass
class Ledger:
    """A post's committed record: the values it shows, the outputs it owns (its slug's
    markdown and figure folder, and each file in that folder with the prose line that made it)
    and the inputs of its experiments (``{experiment: {part: digest}}``, from the cache key)."""
    post: str
    entries: dict[str, Entry] = field(default_factory=dict)
    slug: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    experiments: dict[str, dict[str, str]] = field(default_factory=dict)
    # The numeric profile the values were produced under and the kernels that really ran:
    # a record for readers; check does not compare it (another machine writes its own).
    profile: dict | None = None

    @classmethod
    def load(cls, path: Path) -> "Ledger":
        if not path.exists():
            return cls(post=str(path))
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(post=data.get("post", str(path)),
                   entries={e["key"]: Entry.from_json(e) for e in data.get("entries", [])},
                   slug=data.get("slug"), files=dict(data.get("files", {})),
                   experiments=dict(data.get("experiments", {})),
                   profile=data.get("profile"))

    def dumps(self) -> str:
        """One item per line, entries sorted by key, so a ledger diff reads as a list of
        changed numbers."""
        head = [f'"post": {json.dumps(self.post)}']
        if self.slug is not None:
            head.append(f'"slug": {json.dumps(self.slug)}')
        head.append('"files": ' + _block(self.files))
        head.append('"experiments": ' + _block(self.experiments))
        if self.profile is not None:
            head.append('"profile": ' + json.dumps(self.profile, ensure_ascii=False,
                                                   sort_keys=True))
        lines = [json.dumps(self.entries[key].to_json(), ensure_ascii=False, sort_keys=True)
                 for key in sorted(self.entries)]
        entries = "[\n    " + ",\n    ".join(lines) + "\n  ]" if lines else "[]"
        return "{\n  " + ",\n  ".join(head + [f'"entries": {entries}']) + "\n}\n"


def _block(mapping: dict) -> str:
    """A mapping sorted by key, one item per line."""
    if not mapping:
        return "{}"
    items = [f"{json.dumps(k)}: {json.dumps(mapping[k], ensure_ascii=False, sort_keys=True)}"
             for k in sorted(mapping)]
    return "{\n    " + ",\n    ".join(items) + "\n  }"


class Recorder:
    """Collects what a build shows, keeping committed displays that are within tolerance.

    Keys follow the fresh values alone: an expression shown twice with the same value is one
    entry, and ``key#2``, ``key#3``... name an expression that really shows different values
    (e.g. in a loop). The committed ledger decides an entry's displayed text, never its key.
    """

    def __init__(self, committed: dict[str, Entry], same_code: bool = True):
        """``same_code=False`` when the experiments' inputs differ from the committed
        ledger's: a committed time measured other code, so every timing is shown fresh, and
        the evidence recorded with a claim or a difference is this build's."""
        self.committed = committed
        self.same_code = same_code
        self.entries: dict[str, Entry] = {}
        self.fresh: dict[str, tuple[object, str]] = {}   # key -> (value, display) computed
        self._machine: str | None = None

    @property
    def machine(self) -> str:
        if self._machine is None:
            self._machine = machine_description()
        return self._machine

    def record(self, key: str, value, display: str, tol: Tolerance, where: str,
               render=None) -> str:
        """The text to show for ``value``. ``render(v)`` formats a value the way this call
        does: the committed text is kept only when it is the same format's text of the
        committed value (a changed format shows the fresh text)."""
        key = self._unique_key(key, value, display)
        if key in self.entries:  # the same value shown again
            if where not in self.entries[key].where:
                self.entries[key].where.append(where)
            return self.entries[key].display
        self.fresh[key] = (value, display)
        old = self.committed.get(key)
        same_format = render is None or _renders(render, old.value if old else None, old)
        kept_kind = tol.kind != "timing" or self.same_code
        if old is not None and same_format and kept_kind and old.tolerance == tol and tol.accepts(
                old.value, old.display, value, display):
            # Within tolerance: keep the committed text (and value) so the prose stays put. A
            # value that is not a number (a claim's inputs, a difference and its noise) is the
            # evidence for the text: kept only while the code is the same (machines differ in
            # the digits), recorded fresh once the experiments' inputs changed.
            kept = old.value if _numeric(old.value) or self.same_code else value
            entry = Entry(key, kept, old.display, tol, [where], old.machine)
        else:
            entry = Entry(key, value, display, tol, [where],
                          self.machine if tol.kind == "timing" else None)
        self.entries[key] = entry
        return entry.display

    def _unique_key(self, key: str, value, display: str) -> str:
        """A key shown again with a different fresh value gets #2, #3, ..."""
        candidate, n = key, 1
        while candidate in self.fresh:
            if self.fresh[candidate] == (value, display):
                return candidate
            n += 1
            candidate = f"{key}#{n}"
        return candidate


def _renders(render, value, old) -> bool:
    try:
        return old is not None and render(value) == old.display
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Drift:
    post: str
    key: str
    committed: str
    regenerated: str
    tolerance: str
    where: str


def compare(post: str, committed: dict[str, Entry], regenerated: dict[str, Entry]) -> list[Drift]:
    """Values that no longer regenerate within tolerance, plus values added or dropped."""
    drifts = []
    for key in sorted(set(committed) | set(regenerated)):
        old, new = committed.get(key), regenerated.get(key)
        if old is None:
            drifts.append(Drift(post, key, "(not in ledger)", new.display, new.tolerance.describe(),
                                ", ".join(new.where)))
        elif new is None:
            drifts.append(Drift(post, key, old.display, "(no longer shown)",
                                old.tolerance.describe(), ", ".join(old.where)))
        elif old.display != new.display or not old.tolerance.accepts(
                old.value, old.display, new.value, new.display):
            drifts.append(Drift(post, key, old.display, new.display, old.tolerance.describe(),
                                ", ".join(new.where or old.where)))
    return drifts


def changed_inputs(committed: Ledger, regenerated: Ledger) -> list[str]:
    """The experiment inputs (cache-key parts) that differ between two ledgers, readable:
    ``train: module:scratchbook.lab.models, arguments``."""
    old, new = committed.experiments, regenerated.experiments
    changed = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changed.append(f"{name} (not in the committed ledger)")
        elif name not in new:
            changed.append(f"{name} (no longer run)")
        else:
            parts = sorted(p for p in set(old[name]) | set(new[name])
                           if old[name].get(p) != new[name].get(p))
            if parts:
                changed.append(f"{name}: {', '.join(parts)}")
    return changed

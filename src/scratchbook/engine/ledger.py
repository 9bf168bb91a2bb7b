"""The numbers ledger: every value a post shows, with how far it may drift.

One JSON file per post (``posts/<stem>.ledger.json``), one entry per line, sorted by key,
so a rebuilt post's ledger diff reads as a list of changed numbers.
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


def load(path: Path) -> dict[str, Entry]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {e["key"]: Entry.from_json(e) for e in data.get("entries", [])}


def dumps(post: str, entries: dict[str, Entry], profile: dict | None = None) -> str:
    """The ledger file's text. ``profile`` records the numeric profile (and the kernels
    actually used) the values were produced under: a record for readers, which ``check``
    does not compare (another machine honouring the profile writes its own)."""
    lines = [json.dumps(entries[key].to_json(), ensure_ascii=False, sort_keys=True)
             for key in sorted(entries)]
    body = ",\n    ".join(lines)
    head = '{\n  "post": ' + json.dumps(post) + ","
    if profile is not None:
        head += '\n  "profile": ' + json.dumps(profile, ensure_ascii=False, sort_keys=True) + ","
    return (head + '\n  "entries": [\n    ' + body + "\n  ]\n}\n" if lines
            else head + '\n  "entries": []\n}\n')


def without_profile(text: str) -> str:
    """A ledger's text minus its profile record: what ``check`` compares."""
    return "\n".join(line for line in text.splitlines() if not line.startswith('  "profile": '))


class Recorder:
    """Collects what a build shows, keeping committed displays that are within tolerance."""

    def __init__(self, committed: dict[str, Entry]):
        self.committed = committed
        self.entries: dict[str, Entry] = {}
        self._machine: str | None = None

    @property
    def machine(self) -> str:
        if self._machine is None:
            self._machine = machine_description()
        return self._machine

    def record(self, key: str, value, display: str, tol: Tolerance, where: str) -> str:
        key = self._unique_key(key, value, display)
        if key in self.entries:  # the same value shown again
            if where not in self.entries[key].where:
                self.entries[key].where.append(where)
            return self.entries[key].display
        old = self.committed.get(key)
        if old is not None and old.tolerance == tol and tol.accepts(old.value, old.display,
                                                                    value, display):
            # Within tolerance: keep the committed text (and value) so the prose stays put.
            entry = Entry(key, old.value, old.display, tol, [where], old.machine)
        else:
            entry = Entry(key, value, display, tol, [where],
                          self.machine if tol.kind == "timing" else None)
        self.entries[key] = entry
        return entry.display

    def _unique_key(self, key: str, value, display: str) -> str:
        """A key shown twice with different values (e.g. in a loop) gets #2, #3, ..."""
        candidate, n = key, 1
        while candidate in self.entries:
            seen = self.entries[candidate]
            if seen.value == value and seen.display == display:
                return candidate
            n += 1
            candidate = f"{key}#{n}"
        return candidate


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

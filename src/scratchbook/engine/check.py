"""``scratchbook check``: rebuild posts from a cold cache and compare with what is committed."""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import ledger
from .build import build_isolated, profile_report
from .project import Project
from .publish import Outputs, read_folder


@dataclass
class Report:
    drifts: list[ledger.Drift] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)      # committed files that differ
    failures: list[str] = field(default_factory=list)   # posts that did not build
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.drifts or self.stale or self.failures)

    def render(self) -> str:
        lines = []
        for failure in self.failures:
            lines.append(f"FAILED to build: {failure}")
        if self.drifts:
            header = ("post", "key", "committed", "regenerated", "tolerance", "source line")
            rows = [header] + [(d.post, d.key, d.committed, d.regenerated, d.tolerance, d.where)
                               for d in self.drifts]
            widths = [min(max(len(str(r[i])) for r in rows), 48) for i in range(len(header))]
            lines.append(f"{len(self.drifts)} value(s) no longer regenerate:")
            for n, row in enumerate(rows):
                lines.append("  " + "  ".join(str(c)[:48].ljust(w) for c, w in zip(row, widths)))
                if n == 0:
                    lines.append("  " + "  ".join("-" * w for w in widths))
        if self.stale:
            lines.append("committed outputs differ from what the sources produce "
                         "(run 'scratchbook build' and commit):")
            lines += [f"  {item}" for item in self.stale]
        if self.ok:
            lines.append(f"check passed: {len(self.checked)} post(s) regenerate exactly "
                         "(values within tolerance, markdown and figures byte-identical)")
        return "\n".join(lines)


def check_posts(project: Project, paths: list[Path]) -> Report:
    report = Report()
    record = profile_report(project)
    scratch = Path(tempfile.mkdtemp(prefix="check-", dir=_scratch_parent(project)))
    try:
        cache = scratch / "cache"   # cold and thrown away
        for path in paths:
            shown = project.relative(path)
            print(f"checking {shown} (cold cache)", file=sys.stderr, flush=True)
            outputs = Outputs(scratch / "content", scratch / "figures", scratch)
            regenerated_ledger = scratch / "ledgers" / f"{path.stem}.ledger.json"
            summary = build_isolated(project, path, cache_dir=cache, outputs=outputs,
                                     ledger_path=regenerated_ledger, profile_record=record)
            print(summary.line(), file=sys.stderr, flush=True)
            if not summary.ok:
                report.failures.append(f"{shown}\n{summary.error}")
                continue
            report.checked.append(shown)
            committed = ledger.load(project.ledger_path(path))
            report.drifts += ledger.compare(shown, committed, summary.entries)
            report.stale += _stale_files(project, outputs, summary.slug, path,
                                         regenerated_ledger)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def _scratch_parent(project: Project) -> Path:
    folder = project.state / "check"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stale_files(project: Project, outputs: Outputs, slug: str, path: Path,
                 regenerated_ledger: Path) -> list[str]:
    stale = []
    pairs = [(project.content / f"{slug}.md", outputs.markdown(slug), lambda text: text),
             (project.ledger_path(path), regenerated_ledger, ledger.without_profile)]
    for committed, fresh, compared in pairs:
        if not committed.exists():
            stale.append(f"{project.relative(committed)} (missing)")
        elif compared(committed.read_text(encoding="utf-8")) != compared(
                fresh.read_text(encoding="utf-8")):
            stale.append(f"{project.relative(committed)} (differs)")
    old, new = read_folder(project.figures / slug), read_folder(outputs.figure_dir(slug))
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            state = "missing" if name not in old else "not produced" if name not in new else "differs"
            stale.append(f"figures/{slug}/{name} ({state})")
    return stale

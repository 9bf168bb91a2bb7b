"""``scratchbook check``: rebuild posts from a cold cache and compare with what is committed.

Every difference is explained: drifted values in a table, differing files as a short diff
(or the changed SVG elements) headed by the cell, prose line or ``figure()`` call that
produced them, the experiment inputs that changed since the ledger was committed, and the
command that fixes the post.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import ledger, ownership, session as sessions
from .build import build_isolated, in_parallel, profile_report
from .changes import shorten, svg_diff, text_diff
from .project import Project
from .publish import Outputs, read_folder
from .source import Post, parse_post

COLUMN = 48   # widest drift-table column; the source-line column (last) is never cut
NOT_VALUES = ("(not in ledger)", "(no longer shown)")


@dataclass
class PostReport:
    post: str                                              # as shown, e.g. posts/03_x.py
    drifts: list[ledger.Drift] = field(default_factory=list)
    stale: list[list[str]] = field(default_factory=list)   # per differing file: heading, details
    changed_inputs: list[str] = field(default_factory=list)
    has_experiments: bool = False
    inputs_recorded: bool = True   # False: the committed ledger predates the inputs record

    @property
    def ok(self) -> bool:
        return not (self.drifts or self.stale)

    @property
    def cache_may_be_stale(self) -> bool:
        """Values drifted though no experiment input changed: a warm cache would serve the
        same results again (an entry its key could not see go stale, or another machine's)."""
        values = any(d.committed not in NOT_VALUES and d.regenerated not in NOT_VALUES
                     for d in self.drifts)
        return values and self.has_experiments and not self.changed_inputs

    def render(self) -> list[str]:
        lines = [f"{self.post}:"]
        if self.changed_inputs:
            lines.append("  experiment inputs changed since its ledger was committed: "
                         + "; ".join(self.changed_inputs))
        elif self.cache_may_be_stale and not self.inputs_recorded:
            lines.append("  its committed ledger does not record the inputs of its experiments, "
                         "so a cached result may be stale")
        elif self.cache_may_be_stale:
            lines.append("  no experiment input changed since its ledger was committed: the "
                         "difference comes from something the cache keys do not see (a stale "
                         "cache entry, another machine or profile), so a warm cache would serve "
                         "the old result again")
        for item in self.stale:
            lines.append(f"  {item[0]}")
            lines += [f"    {line}" for line in item[1:]]
        command = (f"scratchbook build --no-cache {self.post}" if self.cache_may_be_stale
                   else f"scratchbook build {self.post}")
        lines.append(f"  to fix: run '{command}', review the diff, and commit")
        return lines


@dataclass
class Report:
    posts: list[PostReport] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)   # posts that did not build
    orphans: list[str] = field(default_factory=list)    # outputs no post publishes

    @property
    def drifts(self) -> list[ledger.Drift]:
        return [d for post in self.posts for d in post.drifts]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.orphans and all(p.ok for p in self.posts)

    def render(self) -> str:
        lines = [f"FAILED to build: {failure}" for failure in self.failures]
        if self.drifts:
            lines.append(f"{len(self.drifts)} value(s) no longer regenerate:")
            lines += drift_table(self.drifts)
        for post in self.posts:
            if not post.ok:
                lines += post.render()
        if self.orphans:
            lines.append("outputs that no post publishes (delete them, or restore the post "
                         "or slug that made them):")
            lines += [f"  {orphan}" for orphan in self.orphans]
        if self.ok:
            lines.append(f"check passed: {len(self.posts)} post(s) regenerate exactly "
                         "(values within tolerance, markdown and figures byte-identical)")
        return "\n".join(lines)


def drift_table(drifts: list[ledger.Drift]) -> list[str]:
    """Columns padded to their widest cell up to COLUMN characters; a longer cell is cut
    with '…'. The last column (the source lines) is shown whole."""
    header = ("post", "key", "committed", "regenerated", "tolerance", "source line")
    rows = [header] + [(d.post, d.key, d.committed, d.regenerated, d.tolerance, d.where)
                       for d in drifts]
    widths = [min(max(len(r[i]) for r in rows), COLUMN) for i in range(len(header) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [shorten(cell, width).ljust(width) for cell, width in zip(row, widths)]
        lines.append("  " + "  ".join(cells + [row[-1]]))
        if n == 0:
            lines.append("  " + "  ".join(["-" * w for w in widths] + ["-" * len(header[-1])]))
    return lines


def check_posts(project: Project, paths: list[Path], jobs: int = 1) -> Report:
    """Rebuild ``paths`` from one cold cache, ``jobs`` posts at a time (posts share the cache,
    so an experiment two posts run is computed once), and compare each with what is
    committed. The report lists posts in the order given."""
    report = Report()
    record = profile_report(project)
    scratch = Path(tempfile.mkdtemp(prefix=f"check-{os.getpid()}-", dir=_scratch_parent(project)))
    cache = scratch / "cache"   # cold and thrown away
    outputs = Outputs(scratch / "content", scratch / "figures", scratch)

    def one(path: Path):
        sessions.say(f"checking {project.relative(path)} (cold cache)")
        regenerated_ledger = scratch / "ledgers" / f"{path.stem}.ledger.json"
        summary = build_isolated(project, path, cache_dir=cache, outputs=outputs,
                                 ledger_path=regenerated_ledger, profile_record=record)
        sessions.say(summary.line())
        return path, summary, regenerated_ledger

    try:
        for path, summary, regenerated_ledger in in_parallel(one, paths, jobs):
            shown = project.relative(path)
            if not summary.ok:
                report.failures.append(f"{shown}\n{summary.error}")
                continue
            committed = ledger.Ledger.load(project.ledger_path(path))
            fresh = ledger.Ledger.load(regenerated_ledger)
            recorded = bool(committed.experiments) or not committed.entries
            post = PostReport(shown, ledger.compare(shown, committed.entries, fresh.entries),
                              changed_inputs=ledger.changed_inputs(committed, fresh)
                              if recorded else [],
                              has_experiments=bool(fresh.experiments), inputs_recorded=recorded)
            post.stale = _stale_files(project, path, outputs, summary, committed, fresh)
            report.posts.append(post)
        report.orphans = ownership.orphans(project)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def _scratch_parent(project: Project) -> Path:
    """The folder of checks' scratch space, cleared of what killed checks left (a cold cache
    can hold hundreds of MB): a ``check-PID-*`` folder whose process is gone."""
    folder = project.state / "check"
    folder.mkdir(parents=True, exist_ok=True)
    for left in folder.glob("check-*"):
        owner = left.name.split("-")[1]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(left, ignore_errors=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # someone else's process
    return True


def _stale_files(project: Project, path: Path, outputs: Outputs, summary,
                 committed: ledger.Ledger, fresh: ledger.Ledger) -> list[list[str]]:
    """One item per committed file that differs from its regenerated twin: a heading, then
    what changed and what produced it."""
    slug, stale = summary.slug, []
    markdown = project.content / f"{slug}.md"
    if not markdown.exists():
        stale.append([f"{project.relative(markdown)} (missing)"])
    elif markdown.read_bytes() != outputs.markdown(slug).read_bytes():
        new = outputs.markdown(slug).read_text(encoding="utf-8")
        origin = _markdown_origin(parse_post(path, summary.post), summary.lines, new.splitlines())
        stale.append([f"{project.relative(markdown)} (differs):",
                      *text_diff(markdown.read_text(encoding="utf-8"), new, origin)])
    # The experiments' inputs are a record of how the values were made (like the machine of a
    # timing): compared as values, they explain a drift; they are not a drift themselves.
    old_ledger, new_ledger = (replace(kept, experiments={}, profile=None).dumps()
                              for kept in (committed, fresh))
    if not project.ledger_path(path).exists():
        stale.append([f"{project.relative(project.ledger_path(path))} (missing)"])
    elif old_ledger != new_ledger:
        stale.append([f"{project.relative(project.ledger_path(path))} (differs):",
                      *text_diff(old_ledger, new_ledger)])
    old, new = read_folder(project.figures / slug), read_folder(outputs.figure_dir(slug))
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        made_by = fresh.files.get(name) or committed.files.get(name)
        by = f" by the call at {made_by}" if made_by else ""
        if name not in old:
            stale.append([f"figures/{slug}/{name} (missing; made{by})"])
        elif name not in new:
            stale.append([f"figures/{slug}/{name} (no longer made; was made{by})"])
        elif name.endswith(".svg"):
            stale.append([f"figures/{slug}/{name} (differs; made{by}):",
                          *svg_diff(old[name], new[name])])
        else:
            details = (text_diff(old[name].decode("utf-8"), new[name].decode("utf-8"))
                       if name.endswith(".json") else [])
            stale.append([f"figures/{slug}/{name} (differs; made{by})" + (":" if details else ""),
                          *details])
    return stale


def _markdown_origin(post: Post, blocks: list[tuple[int, int]], markdown: list[str]):
    """A function naming the post line that produced a line of the regenerated markdown:
    the prose line most like it, or the code cell (its code or its output)."""
    cells = {cell.first_line: cell for cell in post.cells}

    def origin(line: int) -> str:
        starts = [cell_line for first, cell_line in blocks if first <= line]
        if not starts:
            return "the front matter"
        cell = cells.get(starts[-1])
        if cell is None or cell.kind != "markdown":
            return f"the code cell at {post.display_path}:{starts[-1]} (its code or output)"
        text = markdown[line - 1] if 0 < line <= len(markdown) else ""
        sources = cell.source.splitlines()
        best = max(range(len(sources)), default=0, key=lambda i: difflib.SequenceMatcher(
            None, text, sources[i], autojunk=False).ratio())
        return f"prose at {post.display_path}:{cell.first_line + best}"

    return origin

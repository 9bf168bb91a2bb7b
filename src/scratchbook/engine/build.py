"""Build a post: parse -> run -> weave -> publish. Also: build many, in parallel."""

from __future__ import annotations

import json
import linecache
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from . import ledger, ownership, progress, session as sessions
from .atomic import write_atomic
from .errors import ScratchbookError
from .frontmatter import validate
from .project import Project
from .publish import Outputs, publish
from .run import execute, module_name
from .seeding import fix_threads, seed_everything
from .source import parse_post
from .weave import Weaver

POST_SEED = 0


@dataclass
class Summary:
    post: str
    slug: str = ""
    ok: bool = False
    error: str = ""
    seconds: float = 0.0
    cells_run: int = 0
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    figures: int = 0
    changed: bool = False
    entries: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)   # (markdown line, post line) of each cell

    def line(self) -> str:
        if not self.ok:
            return f"FAILED {self.post}\n{self.error}"
        experiments = (f"experiments {len(self.computed)} computed / {len(self.cached)} cached"
                       if self.computed or self.cached else "no experiments")
        state = "updated" if self.changed else "unchanged"
        return (f"built {self.post} -> {self.slug}.md ({state}): {self.cells_run} code cells run, "
                f"{experiments}, {self.figures} files, {self.seconds:.1f} s")


def default_outputs(project: Project) -> Outputs:
    return Outputs(project.content, project.figures, project.state)


def build_post(project: Project, path: Path, *, refresh: bool = False,
               cache_dir: Path | None = None, outputs: Outputs | None = None,
               ledger_path: Path | None = None) -> Summary:
    """Build one post. Errors are reported in the summary; previous outputs stay untouched."""
    path = Path(path).resolve()
    shown = project.relative(path)
    summary = Summary(shown)
    started = time.perf_counter()
    outputs = outputs or default_outputs(project)
    committed_path = project.ledger_path(path)
    ledger_path = ledger_path or committed_path
    session = sessions.start(sessions.Session(cache_dir=cache_dir or project.cache,
                                              refresh=refresh, root=project.root))
    previous_cwd = os.getcwd()
    post = None
    try:
        os.chdir(project.root)
        os.environ.setdefault("MPLBACKEND", "Agg")
        post = parse_post(path, shown)
        front = validate(post)
        summary.slug = front.slug
        ownership.refuse_shared_slug(project, path, front.slug)
        linecache.cache[shown] = (len(path.read_bytes()), None,
                                  path.read_text(encoding="utf-8").splitlines(True), shown)
        fix_threads(session.threads)
        seed_everything(POST_SEED)

        torch_seeded = [False]

        def on_cell(index, cell):
            summary.cells_run += 1
            if not torch_seeded[0] and "torch" in sys.modules:
                # First cell after the post imported torch: seed it and fix its threads.
                fix_threads(session.threads)
                sys.modules["torch"].manual_seed(POST_SEED)
                torch_seeded[0] = True
            progress.status(f"{shown}: cell {index + 1}/{len(post.cells)} (line {cell.first_line})")

        run = execute(post, project.root, on_cell)
        progress.clear()
        committed = ledger.Ledger.load(committed_path)
        recorder = ledger.Recorder(committed.entries)
        weaver = Weaver(project.templates, project.root, post, front, recorder)
        woven = weaver.weave(run.namespace, run.outputs)
        record = ledger.Ledger(shown, woven.entries, front.slug, woven.file_lines,
                               session.inputs)
        summary.changed = publish(outputs, front.slug, woven.markdown, woven.files,
                                  ledger_path, record.dumps(),
                                  ownership.retired_slug(project, committed, front.slug))
        _record_dependencies(project, path)
        summary.ok = True
        summary.figures = len(woven.files)
        summary.entries = woven.entries
        summary.lines = woven.lines
    except ScratchbookError as exc:
        progress.clear()
        summary.error = str(exc)
    except KeyboardInterrupt:
        progress.clear()
        raise
    except Exception as exc:  # a bug in the engine or a template: show it whole
        progress.clear()
        summary.error = "".join(traceback.format_exception(exc)).rstrip()
    finally:
        os.chdir(previous_cwd)
        if post is not None:
            sys.modules.pop(module_name(post), None)
        _close_figures()
        summary.computed = list(session.computed)
        summary.cached = list(session.cached)
        summary.seconds = time.perf_counter() - started
    return summary


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _record_dependencies(project: Project, path: Path) -> None:
    """The project files this build loaded, for ``watch`` to know what to rebuild."""
    files = {str(path)}
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename:
            resolved = Path(filename).resolve()
            if resolved.is_relative_to(project.root) and ".venv" not in resolved.parts:
                files.add(str(resolved))
    target = project.state / "deps" / f"{path.stem}.json"
    write_atomic(target, json.dumps(sorted(files), indent=0))


def _build_in_worker(root: str, path: str, refresh: bool) -> Summary:
    summary = build_post(Project(Path(root)), Path(path), refresh=refresh)
    summary.entries = {}  # not needed across processes
    return summary


def build_many(project: Project, paths: list[Path], *, jobs: int = 1,
               refresh: bool = False) -> list[Summary]:
    summaries = []
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            print(f"building {project.relative(path)}", file=sys.stderr, flush=True)
            summary = build_post(project, path, refresh=refresh)
            print(summary.line(), file=sys.stderr, flush=True)
            summaries.append(summary)
        return summaries
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_build_in_worker, str(project.root), str(p), refresh) for p in paths]
        for future in futures:
            summary = future.result()
            print(summary.line(), file=sys.stderr, flush=True)
            summaries.append(summary)
    return summaries

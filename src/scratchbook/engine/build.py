"""Build a post: parse -> run -> weave -> publish. Also: build many, in parallel.

Every post is built in a fresh process started under the numeric profile
(:mod:`.profile`), also under ``--jobs``: nothing a post sets (matplotlib's rcParams, a
project module's attribute, seeds, threads) reaches the post built after it, and every
post computes with the same kernels whatever the host's own settings.
"""

from __future__ import annotations

import dataclasses
import json
import linecache
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import ledger, ownership, profile, progress, session as sessions
from .atomic import write_atomic
from .errors import ScratchbookError
from .frontmatter import FrontMatter, validate
from .project import Project
from .publish import Outputs, publish
from .run import Run, execute, module_name
from .source import Post, parse_post

POST_SEED = 0


@dataclass
class Summary:
    post: str
    slug: str = ""
    ok: bool = False
    error: str = ""
    seconds: float = 0.0       # wall time; built in its own process (build, check): that process's
    cpu_seconds: float = 0.0   # CPU time of the post's own process (imports included); 0 in-process
    cells_run: int = 0
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    figures: int = 0
    changed: bool = False
    entries: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)   # (markdown line, post line) of each cell
    rewoven: bool = False    # prose woven from code cells run before (watch, a snapshot)
    not_from_snapshot: str = ""   # why a snapshot of the last run could not serve this build

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["entries"] = {k: e.to_json() for k, e in self.entries.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Summary":
        data = dict(data)
        data["entries"] = {k: ledger.Entry.from_json(e) for k, e in data["entries"].items()}
        return cls(**data)

    def line(self) -> str:
        if not self.ok:
            return f"FAILED {self.post}\n{self.error}"
        experiments = (f"experiments {len(self.computed)} computed / {len(self.cached)} cached"
                       if self.computed or self.cached else "no experiments")
        state = "updated" if self.changed else "unchanged"
        if self.rewoven:
            return (f"built {self.post} -> {self.slug}.md ({state}): prose woven again (code "
                    f"cells unchanged, not run), {experiments}, {self.figures} files, "
                    f"{self.seconds:.1f} s")
        cpu = f" ({self.cpu_seconds:.1f} s of CPU)" if self.cpu_seconds else ""
        why = f" ({self.not_from_snapshot})" if self.not_from_snapshot else ""
        return (f"built {self.post} -> {self.slug}.md ({state}): {self.cells_run} code cells run"
                f"{why}, {experiments}, {self.figures} files, {self.seconds:.1f} s{cpu}")


def default_outputs(project: Project) -> Outputs:
    return Outputs(project.content, project.figures, project.state)


def build_post(project: Project, path: Path, *, refresh: bool = False,
               cache_dir: Path | None = None, outputs: Outputs | None = None,
               ledger_path: Path | None = None, profile_record: dict | None = None) -> Summary:
    """Build one post in this process. Errors are reported in the summary; previous outputs
    stay untouched. Use :func:`build_isolated` unless this process is already a fresh one.

    When only prose changed since the post's last build (and nothing its code cells read), the
    prose is woven from what those cells left (:mod:`.snapshot`) without running them;
    ``refresh`` (``--no-cache``) always runs them."""
    from . import snapshot
    from .figurememo import FigureMemo

    path = Path(path).resolve()
    summary = Summary(project.relative(path))
    session = sessions.start(sessions.Session(cache_dir=cache_dir or project.cache,
                                              refresh=refresh, root=project.root,
                                              post=project.relative(path)))
    environment = snapshot.environment_digest()
    post = None
    try:
        with _reporting(summary, session):
            post, front = prepare_post(project, path, summary)
            if not refresh and _weave_snapshot(project, post, front, summary, session,
                                               environment, outputs=outputs,
                                               ledger_path=ledger_path,
                                               profile_record=profile_record):
                return summary
            with snapshot.recording() as reads:
                run = execute_post(project, post, summary, session)
            taken = snapshot.take(post, run, session, reads, environment)
            memo = FigureMemo()
            weave_post(project, post, front, run, summary, session, outputs=outputs,
                       ledger_path=ledger_path, profile_record=profile_record, figures=memo)
            if taken is not None:
                snapshot.save(session.cache_dir, post, taken, memo.new,
                              dependency_files(project, post.path))
            else:
                snapshot.discard(session.cache_dir, post)
    finally:
        if post is not None:
            sys.modules.pop(module_name(post), None)
        _close_figures()
    return summary


def _weave_snapshot(project: Project, post: Post, front: FrontMatter, summary: Summary,
                    session: sessions.Session, environment: str, **weave_options) -> bool:
    """Weave ``post`` from its snapshot, when one still matches and serves every name and
    figure the prose asks for; False (nothing published) when the cells must run."""
    from . import snapshot
    from .figurememo import FigureMemo

    try:
        kept = snapshot.load(session.cache_dir, post, environment)
    except snapshot.Unusable as exc:
        summary.not_from_snapshot = "" if exc.args[0] == snapshot.NONE else snapshot.why(exc)
        return False
    session.inputs, session.cached = dict(kept.inputs), list(kept.experiments)
    try:
        weave_post(project, post, front, kept.run, summary, session,
                   figures=FigureMemo(kept.renderings, replay=True),
                   moved_line=kept.moved_line, dependencies=kept.dependencies, **weave_options)
    except Exception as exc:
        # Whatever the snapshot could not serve (or a prose error, which the run that follows
        # reports at its line): nothing was published; run the cells.
        session.inputs, session.cached = {}, []
        summary.ok, summary.error = False, ""
        summary.not_from_snapshot = snapshot.why(exc)
        _close_figures()
        return False
    summary.rewoven = True
    return True


@contextmanager
def _reporting(summary: Summary, session: sessions.Session):
    """Run a build step in the project folder; its error becomes the summary's."""
    started = time.perf_counter()
    previous_cwd = os.getcwd()
    try:
        os.chdir(session.root)
        yield
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
        summary.computed = list(session.computed)
        summary.cached = list(session.cached)
        summary.seconds += time.perf_counter() - started


def prepare_post(project: Project, path: Path, summary: Summary) -> tuple[Post, FrontMatter]:
    """Parse the post and check its front matter and slug."""
    shown = summary.post
    post = parse_post(path, shown)
    front = validate(post)
    summary.slug = front.slug
    ownership.refuse_shared_slug(project, path, front.slug)
    return post, front


def execute_post(project: Project, post: Post, summary: Summary,
                 session: sessions.Session) -> Run:
    """Run the post's code cells in this process (seeded, threads fixed)."""
    from .seeding import fix_threads, seed_everything, seeded_on_import   # numpy: where cells run
    shown = summary.post
    path = post.path
    os.environ.setdefault("MPLBACKEND", "Agg")
    linecache.cache[shown] = (len(path.read_bytes()), None,
                              path.read_text(encoding="utf-8").splitlines(True), shown)
    fix_threads(session.threads)
    seed_everything(POST_SEED)

    torch_seeded = [False]

    def on_cell(index, cell):
        summary.cells_run += 1
        if not torch_seeded[0] and "torch" in sys.modules:
            # First cell after the post imported torch: seed it and fix its threads (again:
            # the import seeded it too, for draws in the importing cell itself).
            fix_threads(session.threads)
            sys.modules["torch"].manual_seed(POST_SEED)
            torch_seeded[0] = True
        progress.status(f"{shown}: cell {index + 1}/{len(post.cells)} (line {cell.first_line})")

    with seeded_on_import(POST_SEED, session.threads):   # torch, the moment a cell imports it
        run = execute(post, project.root, on_cell)
    progress.clear()
    return run


def weave_post(project: Project, post: Post, front: FrontMatter, run: Run, summary: Summary,
               session: sessions.Session, *, outputs: Outputs | None = None,
               ledger_path: Path | None = None, profile_record: dict | None = None,
               figures=None, moved_line=None,
               dependencies: list[str] | None = None) -> None:
    """Weave an executed post and publish it (markdown, figures, ledger) whole.

    ``moved_line`` maps a line of the post that ran to the same line in ``post`` (when only
    prose changed since, see :mod:`.postserver`); ``figures`` reuses figures rendered before;
    ``dependencies`` are the project files the code cells loaded when they ran elsewhere.
    """
    from .weave import Weaver
    outputs = outputs or default_outputs(project)
    committed_path = project.ledger_path(post.path)
    ledger_path = ledger_path or committed_path
    committed = ledger.Ledger.load(committed_path)
    # A committed time is kept (within its tolerance) only for the code that was timed.
    same_code = not ledger.changed_inputs(committed, ledger.Ledger(post="", experiments=session.inputs))
    recorder = ledger.Recorder(committed.entries, same_code=same_code)
    weaver = Weaver(project.templates, project.root, post, front, recorder,
                    figures=figures, moved_line=moved_line)
    woven = weaver.weave(run.namespace, run.outputs)
    if profile_record is None:
        profile_record = profile.record(profile.probe())
    record = ledger.Ledger(summary.post, woven.entries, front.slug, woven.file_lines,
                           session.inputs, profile_record)
    summary.changed = publish(outputs, front.slug, woven.markdown, woven.files,
                              ledger_path, record.dumps(),
                              ownership.retired_slug(project, committed, front.slug))
    _record_dependencies(project, post.path, dependencies)
    summary.ok = True
    summary.figures = len(woven.files)
    summary.entries = woven.entries
    summary.lines = woven.lines


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def dependency_files(project: Project, path: Path) -> list[str]:
    """The project files this process loaded (the post and its project modules)."""
    files = {str(path)}
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename:
            resolved = Path(filename).resolve()
            if resolved.is_relative_to(project.root) and ".venv" not in resolved.parts:
                files.add(str(resolved))
    return sorted(files)


def _record_dependencies(project: Project, path: Path, files: list[str] | None = None) -> None:
    """The project files this build loaded, for ``watch`` to know what to rebuild."""
    files = dependency_files(project, path) if files is None else files
    target = project.state / "deps" / f"{path.stem}.json"
    write_atomic(target, json.dumps(sorted(files), indent=0))


def build_isolated(project: Project, path: Path, *, refresh: bool = False,
                   cache_dir: Path | None = None, outputs: Outputs | None = None,
                   ledger_path: Path | None = None, profile_record: dict | None = None) -> Summary:
    """:func:`build_post` in a fresh Python process started under the numeric profile.

    The child's progress goes to this process's stderr; its summary comes back as JSON.
    Ctrl-C is passed on to the child, which finishes or abandons its swap cleanly.
    """
    request = {"root": str(project.root), "path": str(path), "refresh": refresh,
               "cache_dir": str(cache_dir) if cache_dir else None,
               "outputs": ({k: str(v) for k, v in dataclasses.asdict(outputs).items()}
                           if outputs else None),
               "ledger_path": str(ledger_path) if ledger_path else None,
               "profile_record": profile_record}
    project.state.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="worker-", dir=project.state) as folder:
        request_file, summary_file = Path(folder) / "request.json", Path(folder) / "summary.json"
        request_file.write_text(json.dumps(request))
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "scratchbook.engine.worker", str(request_file),
             str(summary_file)], cwd=project.root, env=profile.environment())
        _children.add(child)
        try:
            code = child.wait()
        except KeyboardInterrupt:
            _interrupt_children()
            raise
        finally:
            _children.discard(child)
        if code == 130:
            raise KeyboardInterrupt
        if not summary_file.exists():
            return Summary(project.relative(path), error=f"the build process exited with "
                                                           f"code {code} and no summary")
        summary = Summary.from_json(json.loads(summary_file.read_text()))
        summary.seconds = time.perf_counter() - started   # start to end, like cpu_seconds
        return summary


_children: set[subprocess.Popen] = set()

# The signals that stop a build, a check or a watcher the way Ctrl-C does (children told,
# staging abandoned, scratch folders removed). SIGTERM is what CI runners and `kill` send.
# SIGINT is handled explicitly too: a process started in the background by a non-interactive
# shell (`cmd &`, a script, some CI runners) inherits SIGINT as ignored, and Python then
# installs no KeyboardInterrupt handler, so `kill -INT` would leave it (and its children) running.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_as_interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_on_signals() -> dict:
    """Turn STOP_SIGNALS into KeyboardInterrupt in this process (main thread only); returns
    the handlers they had, to put back."""
    return {sig: signal.signal(sig, stop_as_interrupt) for sig in STOP_SIGNALS}


def _interrupt_children() -> None:
    """Pass Ctrl-C on to every post being built, and let each finish its swap or abandon it."""
    for child in list(_children):
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    for child in list(_children):
        child.wait()


def profile_report(project: Project) -> dict:
    """Probe the profile on this machine, say first when it is not honoured; the record that
    ledgers keep of it."""
    found = profile.probe()
    issues = profile.problems(found)
    if issues:
        print(profile.paragraph(issues), file=sys.stderr, flush=True)
    return profile.record(found)


def build_many(project: Project, paths: list[Path], *, jobs: int = 1,
               refresh: bool = False) -> list[Summary]:
    """Build posts, each in a fresh process, ``jobs`` at a time; summaries in input order."""
    record = profile_report(project)

    def one(path: Path) -> Summary:
        sessions.say(f"building {project.relative(path)}")
        return build_isolated(project, path, refresh=refresh, profile_record=record)

    def done(summary: Summary) -> Summary:
        sessions.say(summary.line())
        return summary

    return in_parallel(one, paths, jobs, done)


def in_parallel(work, paths: list[Path], jobs: int, done=None) -> list:
    """``work(path)`` for every path, ``jobs`` at a time (each call starts its own post
    process, so threads suffice); results in input order, each passed to ``done`` as it is
    taken. Ctrl-C is passed on to every post being built, and nothing queued starts."""
    results = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        try:
            for result in pool.map(work, paths):
                results.append(done(result) if done else result)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            _interrupt_children()
            raise
    return results

"""A post kept executed for ``watch``: re-weave after a prose edit without re-running code.

A post server is a process forked from ``watch``'s warm parent (libraries imported, nothing
of any post run) that builds one post and then keeps the state its code cells left: the
namespace, the experiments' records, the figures. When only prose changed since (the code
cells, their options and the front matter are the same, lines may have moved), it forks
again and weaves the new prose from that state in the fork, so what the prose does to the
namespace never reaches the next weave, and every weave starts from exactly the state a
fresh build would weave from. Figures nothing touched are not drawn again
(:mod:`.figurememo`). Any other change (a code cell, the front matter, a module the post
loaded, a template) ends the server; ``watch`` forks a new one, which runs the cells anew.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from . import session as sessions
from .build import Summary, _close_figures, _reporting, execute_post, prepare_post, weave_post
from .errors import ScratchbookError
from .project import Project
from .run import Run
from .source import Post, parse_post


def moved_lines(ran: Post, now: Post):
    """When ``now`` differs from ``ran`` in prose only: a function mapping a line of ``ran``
    to the same line in ``now``, and the index of each code cell of ``ran`` in ``now``.
    None when a code cell, its options or the front matter changed."""
    old = [(i, c) for i, c in enumerate(ran.cells) if c.kind == "code"]
    new = [(i, c) for i, c in enumerate(now.cells) if c.kind == "code"]
    if ran.header != now.header or len(old) != len(new):
        return None
    for (_, a), (_, b) in zip(old, new):
        if (a.source, a.options, a.title) != (b.source, b.options, b.title):
            return None
    spans = [(a.first_line, a.first_line + a.source.count("\n"), b.first_line - a.first_line)
             for (_, a), (_, b) in zip(old, new)]

    def moved(line: int) -> int:
        for first, last, shift in spans:
            if first <= line <= last:
                return line + shift
        return line

    return moved, {i: j for (i, _), (j, _) in zip(old, new)}


class PostServer:
    """``watch``'s handle on the process that keeps one post executed."""

    def __init__(self, project: Project, path: Path, record: dict):
        self.path = Path(path).resolve()
        ours, theirs = socket.socketpair()
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            code = 0
            try:
                _serve(Connection(theirs.detach()), project, self.path, record)
            except (KeyboardInterrupt, EOFError, BrokenPipeError):
                code = 130
            finally:
                os._exit(code)
        theirs.close()
        self.connection = Connection(ours.detach())
        self.alive = True

    def first_build(self) -> Summary:
        """The summary of the build the server started with (it ends when that failed)."""
        summary = self._reply()
        if summary is not None and not summary.ok:
            self.close()           # nothing kept to weave again: the next change starts anew
        return summary

    def reweave(self) -> Summary | None:
        """Weave the post's current prose; None when its code changed (the server ended)."""
        try:
            self.connection.send("weave")
        except (BrokenPipeError, OSError):
            self.close()
            return None
        return self._reply()

    def _reply(self) -> Summary | None:
        try:
            kind, data = self.connection.recv()
        except (EOFError, OSError):
            kind, data = "ended", None
        except KeyboardInterrupt:      # Ctrl-C or SIGTERM while it builds or weaves
            self.interrupt()
            raise
        if kind != "built":
            self.close()
            return None
        return Summary.from_json(data)

    def interrupt(self) -> None:
        """Stop the server now, whatever it is doing (its outputs swap whole or not at all)."""
        if self.alive:
            self.alive = False
            try:
                os.kill(self.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            self.connection.close()
            os.waitpid(self.pid, 0)

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        try:
            self.connection.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self.connection.close()
        os.waitpid(self.pid, 0)


def _serve(connection: Connection, project: Project, path: Path, record: dict) -> None:
    from .figurememo import FigureMemo

    summary = Summary(project.relative(path))
    session = sessions.start(sessions.Session(cache_dir=project.cache, root=project.root,
                                              post=project.relative(path)))
    ran = None
    with _reporting(summary, session):
        ran, front = prepare_post(project, path, summary)
        run = execute_post(project, ran, summary, session)
    if summary.error:
        connection.send(("built", summary.to_json()))
        return
    memo = FigureMemo()
    connection.send(("built", _weave_in_fork(project, ran, front, run, summary, session,
                                             record, memo, None)))
    while connection.recv() == "weave":
        try:
            now = parse_post(path, summary.post)
        except ScratchbookError:
            now = None        # a fresh build reports it, at its line
        change = moved_lines(ran, now) if now is not None else None
        if change is None:
            connection.send(("rerun", None))
            return
        moved, cells = change
        rewoven = Run(run.namespace, {cells[i]: text for i, text in run.outputs.items()})
        again = Summary(summary.post, slug=front.slug, computed=[], cached=list(session.cached),
                        rewoven=True)
        connection.send(("built", _weave_in_fork(project, now, front, rewoven, again, session,
                                                 record, memo, moved)))
    _close_figures()


def _weave_in_fork(project: Project, post: Post, front, run: Run, summary: Summary,
                   session, record: dict, memo, moved) -> dict:
    """Weave and publish in a child, so this process keeps the state the code cells left;
    the figures the child rendered come back to ``memo``."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        try:
            with _reporting(summary, session):
                weave_post(project, post, front, run, summary, session,
                           profile_record=record, figures=memo, moved_line=moved)
            with os.fdopen(writer, "wb") as out:
                pickle.dump((summary.to_json(), memo.new if summary.ok else {}), out)
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as incoming:
        payload = incoming.read()
    os.waitpid(pid, 0)
    if not payload:
        summary.error = "the weaving process ended without a summary"
        return summary.to_json()
    data, rendered = pickle.loads(payload)
    memo.rendered.update(rendered)
    return data


def close_all(servers: dict) -> None:
    for server in list(servers.values()):
        server.close()
    servers.clear()
    sys.stderr.flush()

"""Figures rendered by an earlier weave of the same executed post, reused while untouched.

Drawing is the slowest part of weaving a post, and it is not idempotent (constrained layout
moves things on a second draw), so a figure is never drawn twice: each weave of a post
whose code cells did not change starts from the same executed state (a fork of the
:mod:`.postserver`), and a figure that nothing touched since the code cells ran renders to
the bytes it rendered to before. "Nothing touched" is matplotlib's own ``stale`` flag: every
change to an artist marks its figure stale, so the memo clears the flag at the start of a
weave and uses a stored rendering only while it stays clear, for the first rendering of
that figure in the weave, under the same rcParams. Anything else is drawn as in a build.

In replay mode (a build weaving from a :mod:`.snapshot`, which keeps a stand-in for each
figure and the bytes it rendered to) nothing is drawn: a figure the memo cannot serve raises
:class:`.snapshot.Unusable`, and the build runs the code cells instead.
"""

from __future__ import annotations

import sys

from .weave import render_figure


class FigureMemo:
    def __init__(self, rendered: dict | None = None, replay: bool = False) -> None:
        self.rendered: dict[tuple, bytes] = dict(rendered or {})  # (figure id, format, rcParams) -> bytes
        self.replay = replay
        self.new: dict[tuple, bytes] = {}        # rendered in this weave, to keep
        self._clean: dict[int, tuple[object, bool]] = {}
        self._served: set[int] = set()           # replay: stand-ins rendered in this weave

    def begin(self, namespace: dict) -> None:
        """Mark the figures the code cells left in ``namespace`` (and in its dicts, lists and
        tuples) as untouched."""
        self.new = {}
        self._clean = {}
        self._served = set()
        if self.replay or "matplotlib.figure" not in sys.modules:
            return          # nothing to mark: stand-ins, or no figure was ever made
        from matplotlib.figure import Figure

        for value in namespace.values():
            inner = value.values() if isinstance(value, dict) else \
                value if isinstance(value, (list, tuple)) else ()
            for candidate in (value, *inner):
                if isinstance(candidate, Figure) and id(candidate) not in self._clean:
                    self._clean[id(candidate)] = (candidate, candidate._stale)
                    candidate._stale = False

    def render(self, fig, format: str) -> bytes:
        if self.replay:
            return self._replay(fig, format)
        entry = self._clean.pop(id(fig), None)
        untouched = entry is not None and entry[0] is fig and fig._stale is False
        key = (id(fig), format, _rc_signature())
        if untouched and key in self.rendered:
            return self.rendered[key]
        if entry is not None and entry[0] is fig and untouched:
            fig._stale = entry[1]          # as the code cells left it
        data = render_figure(fig, format)
        if untouched:
            self.new[key] = data
        return data


    def _replay(self, fig, format: str) -> bytes:
        from .snapshot import FigureStandIn, Unusable

        if isinstance(fig, FigureStandIn) and fig.index not in self._served:
            # a first rendering only: a build draws a figure's second one anew
            data = self.rendered.get((fig.index, format, _rc_signature()))
            if data is not None:
                self._served.add(fig.index)
                return data
        raise Unusable("a figure that the snapshot holds no rendering of")


def _rc_signature() -> str:
    import matplotlib

    return repr(sorted(dict.items(matplotlib.rcParams), key=lambda item: item[0]))

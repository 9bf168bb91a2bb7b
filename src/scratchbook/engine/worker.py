"""The process that builds one post: ``python -m scratchbook.engine.worker REQUEST SUMMARY``.

Started by :func:`scratchbook.engine.build.build_isolated` under the numeric profile; reads
the request (JSON), builds the post in this fresh process, writes the summary (JSON).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from .build import build_post, stop_on_signals
from .project import Project
from .publish import Outputs


def main(request_file: str, summary_file: str) -> int:
    stop_on_signals()   # the parent passes Ctrl-C (and SIGTERM) on as SIGINT
    request = json.loads(Path(request_file).read_text())
    outputs = request["outputs"]
    # The post sees the command line it would see as `python posts/NN_x.py`, not ours.
    sys.argv = [str(Path(request["path"]).resolve().relative_to(Path(request["root"]).resolve()))]
    try:
        summary = build_post(
            Project(Path(request["root"])), Path(request["path"]), refresh=request["refresh"],
            cache_dir=Path(request["cache_dir"]) if request["cache_dir"] else None,
            outputs=Outputs(**{k: Path(v) for k, v in outputs.items()}) if outputs else None,
            ledger_path=Path(request["ledger_path"]) if request["ledger_path"] else None,
            profile_record=request["profile_record"])
    except KeyboardInterrupt:
        return 130
    summary.cpu_seconds = cpu_seconds()
    Path(summary_file).write_text(json.dumps(summary.to_json()))
    return 0


def cpu_seconds() -> float:
    """User and system time of this process and the processes it waited for, in seconds."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def leave(code: int) -> None:
    """End the process without tearing the interpreter down: with torch loaded that takes
    about half a second, and everything a build writes is on disk by now (outputs, ledger,
    cache entries and snapshot are written whole and synced, the summary is closed)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    leave(main(*sys.argv[1:3]))

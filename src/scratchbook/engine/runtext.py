"""Text that a run prints but a second run would not: refused before it reaches a page.

A code cell's output is published verbatim and ``check`` compares pages byte for byte, so a
shown output must come out the same on every cold build, on every machine. Some printed text
cannot, whatever the code computes:

* a measured time ("done in 12.3 s", "45 ms/step"): wall-clock, different every run;
* a memory address, as in an object's default repr ``<Model object at 0x7f3a...>``;
* a date and time of day (``datetime.now()``, a log line's stamp);
* an absolute path on the build machine (the project folder, the temporary folder, the home
  folder): a reader's clone, or CI's, lives elsewhere.

:func:`find` names the first such text in an output, so the build can stop at the cell with
what to do instead (a time goes in prose through ``seconds()``, which the ledger checks within
its tolerance; counted work is deterministic; or the cell's output is hidden).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

UNITS = r"(?:ns|µs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)"
KINDS = (
    ("a measured time",
     re.compile(rf"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?\s?{UNITS}(?:/\w+)?(?![\w])"),
     "a wall-clock time differs on every run: show it in prose with seconds() (checked "
     "within its tolerance), print counted work (steps, passes, operations) instead"),
    ("a memory address",
     re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b"),
     "an object's default repr holds its address, new in every run: print the values "
     "themselves"),
    ("a date and time of day",
     re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?"),
     "the clock differs on every run: leave it out of what the cell prints"),
)


@dataclass(frozen=True)
class RunText:
    what: str       # e.g. "a measured time"
    text: str       # the text found
    line: str       # the output line that holds it
    advice: str


def find(output: str, root: Path | None = None) -> RunText | None:
    """The first run-dependent text in ``output`` (a cell's printed text), or None."""
    for line in output.splitlines():
        for what, pattern, advice in KINDS:
            match = pattern.search(line)
            if match:
                return RunText(what, match.group(0), line.strip(), advice)
        for folder, name in _machine_folders(root):
            if folder in line:
                return RunText(f"a path on this machine ({name})", folder, line.strip(),
                               "a reader's clone lives elsewhere: print paths relative to "
                               "the project, or only the file's name")
    return None


def _machine_folders(root: Path | None) -> list[tuple[str, str]]:
    folders = [(str(root.resolve()), "the project folder")] if root else []
    folders += [(str(Path(tempfile.gettempdir()).resolve()) + "/", "the temporary folder"),
                (str(Path.home().resolve()) + "/", "the home folder")]
    return [(f, name) for f, name in folders if len(f) > 2]

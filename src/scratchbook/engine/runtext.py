"""Text that a run prints but a second run would not: refused before it reaches a page.

A code cell's output is published verbatim and ``check`` compares pages byte for byte, so a
shown output must come out the same on every cold build, on every machine. Some printed text
cannot, whatever the code computes:

* a measured time, in the forms timing code prints: a duration after "took", "elapsed",
  "time", "done in"...; a decimal duration in parentheses, "(12.3 s)"; a time per step,
  iteration or loop, "45 ms/step", "234 nsec per loop" (``timeit``); a throughput, "4.1 it/s";
  a ``timedelta``, "0:00:12.345600";
* a memory address, as in an object's default repr ``<Model object at 0x7f3a...>``;
* the date and time of the build: a date-time stamp within two days of the clock (a fixed
  date in a dataset is further away and passes);
* an absolute path of the build machine: the project folder, the home folder, a folder
  ``tempfile`` made: a reader's clone, or CI's, lives elsewhere.

A bare number with a unit ("t = 0.50 s" in a simulation, "(* 2 s)" in a program) is not a
measured time by itself and passes. :func:`find` names the first match, so the build can stop
at the cell with what to do instead. A cell whose output only looks run-dependent (a
simulated clock, a timestamp in the data) is tagged ``stable-output``; ``check`` still
compares it byte for byte.
"""

from __future__ import annotations

import datetime
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

STABLE_TAG = "stable-output"

_NUMBER = r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?"
_SHORT = r"(?:ns|μs|us|ms|s|sec|nsec|usec|msec)"       # NFKC turns the micro sign into μ
_ANY = r"(?:ns|μs|us|ms|s|secs?|seconds?|nsec|usec|msec|mins?|minutes?|h|hours?)"
_UNIT_OF_WORK = r"(?:step|it|iter|iteration|batch|epoch|loop|token|call|pass|sample|example)s?"
TIME_FORMS = [
    re.compile(rf"\b(?:took|takes|elapsed|time|timed|runtime|duration|wall|cpu|spent|"
               rf"(?:done|finished|trained|ran|computed|built|completed) in)\b[\s:=]{{0,3}}\(?\s?"
               rf"{_NUMBER}\s?{_ANY}(?![\w])", re.IGNORECASE),
    re.compile(rf"\(\s?\d+\.\d+\s?{_ANY}\s?\)"),
    re.compile(rf"{_NUMBER}\s?{_SHORT}\s?(?:/|per\s)\s?{_UNIT_OF_WORK}\b"),
    re.compile(rf"{_NUMBER}k?\s?(?:it|its|samples|tokens|tok|steps|examples|batches)/s(?:ec)?\b"),
    re.compile(r"(?<![\w:.])\d+:\d{2}:\d{2}\.\d{3,6}\b"),
]
ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")
ISO_STAMP = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?")
CTIME_STAMP = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                         r"Oct|Nov|Dec) +(\d{1,2}) (\d{2}):(\d{2}):\d{2} (\d{4})\b")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

TIME_ADVICE = ("a wall-clock time differs on every run: show it in prose with seconds() (checked "
               "within its tolerance), or print counted work (steps, passes, operations) instead")
ADDRESS_ADVICE = ("an object's default repr holds its address, new in every run: print the values "
                  "themselves")
CLOCK_ADVICE = "the clock differs on every run: leave the stamp out of what the cell prints"
PATH_ADVICE = ("a reader's clone lives elsewhere: print paths relative to the project, or only "
               "the file's name")


@dataclass(frozen=True)
class RunText:
    what: str       # e.g. "a measured time"
    text: str       # the text found
    line: str       # the output line that holds it
    advice: str


def find(output: str, root: Path | None = None, now: datetime.datetime | None = None) -> RunText | None:
    """The first run-dependent text in ``output`` (a cell's printed text), or None.

    ``root``: the project folder; ``now``: the build's clock (default: the current time)."""
    now = now or datetime.datetime.now()
    folders = _machine_folders(root)
    for raw in output.splitlines():
        line = unicodedata.normalize("NFKC", raw)
        for pattern in TIME_FORMS:
            match = pattern.search(line)
            if match:
                return RunText("a measured time", match.group(0), line.strip(), TIME_ADVICE)
        match = ADDRESS.search(line)
        if match:
            return RunText("a memory address", match.group(0), line.strip(), ADDRESS_ADVICE)
        stamp = _clock_stamp(line, now)
        if stamp:
            return RunText("the date and time of this run", stamp, line.strip(), CLOCK_ADVICE)
        for pattern, name in folders:
            match = pattern.search(line)
            if match:
                return RunText(f"a path on this machine ({name})", match.group(0), line.strip(),
                               PATH_ADVICE)
    return None


def _clock_stamp(line: str, now: datetime.datetime) -> str | None:
    """A date-time in ``line`` within two days of ``now`` (either side, any time zone)."""
    for match in ISO_STAMP.finditer(line):
        year, month, day, hour, minute = map(int, match.groups())
        if _near(now, year, month, day, hour, minute):
            return match.group(0)
    for match in CTIME_STAMP.finditer(line):
        month, day, hour, minute, year = match.groups()
        if _near(now, int(year), MONTHS.index(month) + 1, int(day), int(hour), int(minute)):
            return match.group(0)
    return None


def _near(now: datetime.datetime, *fields: int) -> bool:
    try:
        when = datetime.datetime(*fields)
    except ValueError:
        return False
    return abs(when - now.replace(tzinfo=None)) <= datetime.timedelta(days=2)


def _machine_folders(root: Path | None) -> list[tuple[re.Pattern, str]]:
    end = r"(?=$|[/\s'\"\)\],;:])"
    folders = []
    if root is not None:
        folders.append((re.compile(re.escape(str(root.resolve())) + end), "the project folder"))
    home = str(Path.home().resolve())
    if len(home) > 1:
        folders.append((re.compile(re.escape(home) + end), "the home folder"))
    scratch = re.escape(str(Path(tempfile.gettempdir()).resolve()).rstrip("/"))
    folders.append((re.compile(scratch + r"/(?:tmp[a-z0-9_]{8}|pytest-of-[\w.-]+)" + end),
                    "a temporary folder"))
    return folders

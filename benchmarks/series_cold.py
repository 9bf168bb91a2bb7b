"""The whole series from a cold cache, as `make build` runs it: each post's wall and CPU time.

Makes a git worktree of this checkout's HEAD and, with ``--against REV``, one of REV (each
with its own ``.venv``, made by its own ``make``), then runs ``scratchbook build --jobs N``
in each with an empty cache (``SCRATCHBOOK_CACHE`` pointed at a fresh folder), the two
alternating ``--repeats`` times so that both see the same machine. Prints, per post and
revision, the median wall seconds, the median CPU seconds of the post's process (from the
engine's summary line; ``-`` for an engine that does not report it), and the CPU time as a
share of the series' budget (5 minutes of one core per post, DEVELOPERS.md); then each
command's median wall and CPU time (its post processes included).

    python benchmarks/series_cold.py                         # HEAD, once (~25 min on 2 cores)
    python benchmarks/series_cold.py --against ea86539 --repeats 3
    python benchmarks/series_cold.py 03_karpathy_tour          # one post

Issue 14's target 3 is "the series with its seeds no slower than main without them": give the
revision before the seeds as REV. The worktrees are removed at the end; this checkout's files
and cache are not touched.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_CPU_SECONDS = 300.0
# searched, not matched: an older engine wrote its progress lines in pieces that posts built
# side by side could run together
LINE = re.compile(r"built (posts/\S+) -> .*?, ([\d.]+) s(?: \(([\d.]+) s of CPU\))?")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_series(checkout: Path, jobs: int, posts: list[str]) -> dict:
    """One cold build of the posts: {"posts": {post: (wall, cpu or None)}, "wall", "cpu", "ok"}."""
    with tempfile.TemporaryDirectory(prefix="cold-cache-") as cache:
        cpu0, t0 = children_cpu(), time.perf_counter()
        result = subprocess.run([str(checkout / ".venv/bin/scratchbook"), "build", *posts, "--jobs", str(jobs)],
                                cwd=checkout, capture_output=True, text=True,
                                env={**os.environ, "SCRATCHBOOK_CACHE": cache, "CI": "1"})
        wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    runs = {}
    for line in result.stderr.splitlines():
        match = LINE.search(line)
        if match:
            runs[match[1]] = (float(match[2]), float(match[3]) if match[3] else None)
    if result.returncode != 0:
        print(f"  the build failed in {checkout} (exit {result.returncode}); last lines:\n"
              + "\n".join(result.stderr.splitlines()[-5:]), flush=True)
    return {"posts": runs, "wall": wall, "cpu": cpu, "ok": result.returncode == 0}


def worktree(rev: str, parent: Path) -> Path:
    path = parent / f"series-{rev.replace('/', '-')}"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True,
                   capture_output=True)
    subprocess.run(["make", "-s", ".venv/.installed"], cwd=path, check=True)
    return path


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def report(name: str, runs: list[dict]) -> None:
    print(f"\n{name}: {len(runs)} run(s), {'all built' if all(r['ok'] for r in runs) else 'a build FAILED'}")
    print(f"  {'post':42s} {'wall s':>8s} {'CPU s':>8s} {'of budget':>10s}")
    for post in sorted({p for r in runs for p in r["posts"]}):
        wall = median([r["posts"].get(post, (None, None))[0] for r in runs])
        cpu = median([r["posts"].get(post, (None, None))[1] for r in runs])
        cpu_text = f"{cpu:8.0f}" if cpu else f"{'-':>8s}"
        share = f"{cpu / BUDGET_CPU_SECONDS:9.1f}x" if cpu else f"{'-':>10s}"
        print(f"  {post:42s} {wall:8.0f} {cpu_text} {share}")
    print(f"  whole command: {median([r['wall'] for r in runs]):.0f} s wall, "
          f"{median([r['cpu'] for r in runs]):.0f} s of CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", metavar="REV", help="a git revision to time side by side")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("posts", nargs="*", help="posts to build (default: all)")
    args = parser.parse_args()
    revisions = ["HEAD"] + ([args.against] if args.against else [])
    with tempfile.TemporaryDirectory(prefix="series-cold-") as scratch:
        checkouts = {}
        runs = {rev: [] for rev in revisions}
        try:
            for rev in revisions:
                checkouts[rev] = worktree(rev, Path(scratch))
            for i in range(args.repeats):
                for rev, checkout in checkouts.items():
                    print(f"run {i + 1}/{args.repeats}: {rev}", flush=True)
                    runs[rev].append(cold_series(checkout, args.jobs, args.posts))
        finally:
            for checkout in checkouts.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT,
                               capture_output=True)
        for rev, measured in runs.items():
            report(rev, measured)


if __name__ == "__main__":
    sys.exit(main())

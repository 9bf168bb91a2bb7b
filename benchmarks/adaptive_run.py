"""Part 5's numbers: accuracy against measured compute, fixed depth and ACT, on the algorithmic suite.

For every task: fixed-depth models with 1, 2, 4, 8 passes of one shared block
(local attention, window 3), the most accurate of them again on the other seeds,
and ACT on every seed, each trained for the same number of steps; then accuracy
by reach (the step function), how ACT's passes follow the reach (Spearman),
longer inputs with a raised step cap, and the passes ACT spends on a few fixed
inputs. Prints the tables and the timings.

    python benchmarks/adaptive_run.py                       # everything, ~6 minutes on one free core
    python benchmarks/adaptive_run.py --tasks parity --steps 300
    python benchmarks/adaptive_run.py --json results.json
    python benchmarks/adaptive_run.py --seed-study parity    # ACT from 3 seeds x 2 halting biases (~3 min)

Times are training seconds on this machine; on a busy machine they grow, the
accuracies do not (everything is seeded).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time

import torch

from scratchbook.lab.adaptive import Budget, run_suite, seed_study
from scratchbook.lab.algorithmic import TASKS


def table(rows, head):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    print(line(head))
    for r in rows:
        print(line(r))


def f3(x):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def f2(x):
    return "-" if x is None else f"{x:.2f}"


def report(task: str, r: dict, b: Budget):
    spec = TASKS[task]
    print(f"\n=== {task}: lengths {spec.lengths}, held out {spec.long_lengths}; halting per {r['halting']}; "
          f"difficulty = {r['difficulty']}")

    print("\naccuracy vs compute (test; passes = mean N + R at the answers; longer inputs: ACT's cap "
          f"raised to {b.long_cap})")
    rows = []
    runs = [(f"fixed {d}", f) for d, f in r["fixed"].items()]
    runs += [(f"fixed {r['best_depth']}", f) for f in r["best"][1:]]
    runs += [(f"ACT bias {a['halt_bias']:+g}", a) for a in r["act"]]
    for name, x in runs:
        long = x["long_raised_cap"] if "long_raised_cap" in x else x["long"]
        rows.append((name, x["seed"], f2(x["mean_passes"]), f3(x["exact"]), f3(x["per_position"]),
                     f3(long["per_position"]), f3(x["spearman_reach"]), x["passes_run"], f"{x['seconds']:.1f}"))
    table(rows, ["model", "seed", "passes", "exact", "per-pos", "long", "rho", "batch passes", "train s"])

    a = r["act"][0]
    print(f"\naccuracy by reach, first seed (positions back the answer depends on; T passes see {b.window}T back)")
    rows = []
    for reach in sorted(a["by_reach"], key=int):
        need = math.ceil(int(reach) / b.window)
        row = [reach, need, a["by_reach"][reach]["n"]]
        row += [f2(r["fixed"][d]["by_reach"].get(reach, {}).get("acc")) for d in r["fixed"]]
        row += [f2(a["by_reach"][reach]["acc"]), f2(a["by_reach"][reach]["passes"])]
        rows.append(row)
    table(rows, ["reach", "need", "n", *[f"fixed {d}" for d in r["fixed"]], "ACT", "ACT passes"])

    print(f"\nACT by {r['difficulty']} (per example, first seed)")
    by_d = sorted(a["by_difficulty"].items(), key=lambda kv: int(kv[0]))
    table([(d, v["n"], f3(v["exact"]), f2(v["passes"])) for d, v in by_d], ["difficulty", "n", "exact", "passes"])

    print("\npasses ACT spends per character on fixed inputs (first seed)")
    for p in a["profiles"]:
        print(f"  {p['text']}")
        print(f"  {p['answers']}  (answers)")
        print("  " + " ".join(f"{v:.1f}" for v in p["passes"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--steps", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--json", help="also write all results to this file")
    ap.add_argument("--seed-study", metavar="TASK", help="instead: ACT from seeds 0-2 at halting bias +1 and -2")
    args = ap.parse_args(argv)
    b = Budget()
    if args.steps:
        b = dataclasses.replace(b, steps=args.steps)
    if args.seed is not None:
        b = dataclasses.replace(b, seed=args.seed)
    tasks = tuple(filter(None, args.tasks.split(",")))
    torch.set_num_threads(b.threads)
    if args.seed_study:
        t0 = time.perf_counter()
        rows = seed_study(args.seed_study, b, progress=lambda msg: print("  " + msg, flush=True))
        table([(x["halt_bias"], x["seed"], f3(x["exact"]), f3(x["per_position"]), f2(x["mean_passes"]),
                f3(x["spearman_reach"]), f"{x['seconds']:.1f}") for x in rows],
              ["bias", "seed", "exact", "per-pos", "passes", "rho", "train s"])
        print(f"total {time.perf_counter() - t0:.1f} s")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f)
        return
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; {b}")
    t0 = time.perf_counter()
    results = run_suite(b, tasks, progress=lambda msg: print("  " + msg, flush=True))
    for task in tasks:
        report(task, results["tasks"][task], b)

    print("\n=== summary: accuracy (per answer), mean over the seeds")
    head = ["task", *[f"fixed {d}" for d in b.depths], "best depth", "its seeds", "ACT seeds", "ACT passes", "rho"]
    rows = []
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    for task in tasks:
        r = results["tasks"][task]
        rows.append((task, *[f3(r["fixed"][d]["per_position"]) for d in b.depths], r["best_depth"],
                     f3(mean([f["per_position"] for f in r["best"]])), f3(mean([x["per_position"] for x in r["act"]])),
                     f2(mean([x["mean_passes"] for x in r["act"]])), f2(mean([x["spearman_reach"] for x in r["act"]]))))
    table(rows, head)
    runs = [x for task in tasks for r in [results["tasks"][task]] for x in [*r["fixed"].values(), *r["best"][1:], *r["act"]]]
    passes = sum(x["passes_run"] for x in runs)
    train_s = sum(x["seconds"] for x in runs)
    print(f"\n{len(runs)} models, {passes} batch passes of the block in training, {train_s:.1f} s of training "
          f"({1000 * train_s / passes:.2f} ms per batch pass)")
    print(f"total {time.perf_counter() - t0:.1f} s (training, evaluation and data)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()

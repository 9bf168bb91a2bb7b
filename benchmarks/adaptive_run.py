"""Part 5's numbers: accuracy against measured compute, fixed depth and ACT, on the algorithmic suite.

For every task: fixed-depth models with 1, 2, 4, 8 passes of one shared block
(local attention, window 3) and an ACT model, each trained for the same number
of steps; then accuracy by reach (the step function), how ACT's passes follow
the reach (Spearman), a tau sweep, longer inputs with a raised step cap, and
the passes ACT spends on a few fixed inputs. Prints the tables and the timings.

    python benchmarks/adaptive_run.py                       # everything, ~3 minutes on one free core
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

    print("\naccuracy vs compute (test; passes = mean N + R at the answers)")
    rows = []
    for depth, f in r["fixed"].items():
        rows.append((f"fixed {depth}", f2(f["mean_passes"]), f3(f["exact"]), f3(f["per_position"]),
                     f["passes_run"], f"{f['seconds']:.1f}"))
    a = r["act"]
    rows.append((f"ACT tau={a['tau']}", f2(a["mean_passes"]), f3(a["exact"]), f3(a["per_position"]),
                 a["passes_run"], f"{a['seconds']:.1f}"))
    for bias, x in r["act_bias"].items():
        rows.append((f"ACT bias {bias:+g}", f2(x["mean_passes"]), f3(x["exact"]), f3(x["per_position"]),
                     x["passes_run"], f"{x['seconds']:.1f}"))
    table(rows, ["model", "passes", "exact", "per-pos", "batch passes", "train s"])
    for bias, x in r["act_bias"].items():
        print(f"ACT bias {bias:+g}: Spearman(reach, passes) {x['spearman_reach']:.3f}; longer inputs, cap "
              f"{b.long_cap}: per-pos {x['long_raised_cap']['per_position']:.3f}, "
              f"passes {x['long_raised_cap']['mean_passes']:.2f}")
    print(f"ACT: passes computed N {a['mean_steps']:.2f}; over every character {a['mean_passes_all']:.2f}; cap {b.cap}")

    print(f"\naccuracy by reach (positions back the answer depends on; T passes see {b.window}T back)")
    reaches = sorted(a["by_reach"], key=int)
    extra = list(r["act_bias"].items())
    rows = []
    for reach in reaches:
        need = math.ceil(int(reach) / b.window)
        row = [reach, need, a["by_reach"][reach]["n"]]
        row += [f2(r["fixed"][d]["by_reach"].get(reach, {}).get("acc")) for d in r["fixed"]]
        row += [f2(a["by_reach"][reach]["acc"]), f2(a["by_reach"][reach]["passes"])]
        for _, x in extra:
            row += [f2(x["by_reach"][reach]["acc"]), f2(x["by_reach"][reach]["passes"])]
        rows.append(row)
    head = ["reach", "need", "n", *[f"fixed {d}" for d in r["fixed"]], "ACT", "ACT passes"]
    for bias, _ in extra:
        head += [f"bias {bias:+g}", "passes"]
    table(rows, head)
    print(f"Spearman(reach, ACT passes) = {a['spearman_reach']:.3f} over answers; "
          f"Spearman(difficulty, mean passes per example) = {a['spearman_difficulty']:.3f}")

    print(f"\nACT by {r['difficulty']} (per example)")
    by_d = sorted(a["by_difficulty"].items(), key=lambda kv: int(kv[0]))
    rows = [(d, v["n"], f3(v["exact"]), f2(v["passes"])) for d, v in by_d]
    table(rows, ["difficulty", "n", "exact", "passes"])

    if len(r["tau_sweep"]) > 1:
        print("\ntau sweep (test)")
        rows = [(s["tau"], f2(s["mean_passes"]), f2(s["mean_steps"]), f3(s["exact"]), f3(s["per_position"]),
                 f"{s['seconds']:.1f}") for s in r["tau_sweep"]]
        table(rows, ["tau", "passes", "N", "exact", "per-pos", "train s"])

    print(f"\nlonger inputs {spec.long_lengths} (never seen in training)")
    rows = []
    for depth, f in r["fixed"].items():
        L = f["long"]
        rows.append((f"fixed {depth}", f2(L["mean_passes"]), f3(L["exact"]), f3(L["per_position"])))
    for name, L in ((f"ACT cap {b.cap}", a["long"]), (f"ACT cap {b.long_cap}", a["long_raised_cap"])):
        rows.append((name, f2(L["mean_passes"]), f3(L["exact"]), f3(L["per_position"])))
    table(rows, ["model", "passes", "exact", "per-pos"])
    L = a["long_raised_cap"]
    beyond = [k for k in L["by_reach"] if int(k) > max(int(x) for x in a["by_reach"])]
    if beyond:
        lo, hi = min(beyond, key=int), max(beyond, key=int)
        n = sum(L["by_reach"][k]["n"] for k in beyond)
        acc = sum(L["by_reach"][k]["acc"] * L["by_reach"][k]["n"] for k in beyond) / n
        passes = sum(L["by_reach"][k]["passes"] * L["by_reach"][k]["n"] for k in beyond) / n
        print(f"answers with reach {lo}..{hi}, beyond anything in training: ACT cap {b.long_cap} accuracy {acc:.3f}, "
              f"passes {passes:.2f}; Spearman(reach, passes) {L['spearman_reach']:.3f}")

    print("\npasses ACT spends per character on fixed inputs")
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

    print("\n=== summary: accuracy (per answer) vs passes")
    head = ["task", *[f"fixed {d}" for d in b.depths], "ACT", "ACT passes", "rho", "train s", "total s"]
    rows = []
    for task in tasks:
        r = results["tasks"][task]
        train_s = sum(x["seconds"] for x in [*r["fixed"].values(), *r["tau_sweep"], *r["act_bias"].values()])
        act = r["act"]
        rows.append((task, *[f3(r["fixed"][d]["per_position"]) for d in b.depths], f3(act["per_position"]),
                     f2(act["mean_passes"]), f2(act["spearman_reach"]), f"{train_s:.1f}", f"{r['seconds']:.1f}"))
    table(rows, head)
    runs = [f for task in tasks for f in results["tasks"][task]["fixed"].values()]
    runs += [s for task in tasks for s in results["tasks"][task]["tau_sweep"]]
    runs += [x for task in tasks for x in results["tasks"][task]["act_bias"].values()]
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

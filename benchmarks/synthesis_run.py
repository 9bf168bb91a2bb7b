"""Part 7's experiment: wake-sleep library learning on 82 list tasks, and its ablations.

Runs the four conditions at the same candidate budget per wake (full, no
library learning, no recognition model, plain enumeration) and prints, per
condition, a row per cycle, then the functions the full run learned, how a
few tasks' solutions changed, and a summary with wall-clock times.

    python benchmarks/synthesis_run.py                      # all four, 5 cycles, 200k candidates/wake
    python benchmarks/synthesis_run.py --conditions full --cycles 3 --budget 100000
    python benchmarks/synthesis_run.py --json results.json  # also save every number
    python benchmarks/synthesis_run.py --solutions          # and print every final solution

Single-threaded: the search is pure Python and the guide is tiny.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import torch

from scratchbook.lab.synthesis.wake_sleep import CONDITIONS, WakeSleepConfig, run_ablations


def cycle_table(run) -> str:
    head = (f"{'cycle':>5} {'train':>7} {'test':>7} {'lib':>4} {'found':>5} {'size':>5} {'size1':>5} "
            f"{'cand/solved':>11} {'guided':>6} {'bits-saved':>10} {'wake s':>7} {'abst s':>6} {'dream s':>7}")
    rows = [head]
    for c in run.cycles:
        saved = "-" if c.guide_bits_saved is None else f"{c.guide_bits_saved:.1f}"
        rows.append(f"{c.cycle:>5} {c.train_solved:>3}/{c.train_total:<3} {c.test_solved:>3}/{c.test_total:<3} "
                    f"{c.library_size:>4} {c.mean_size_found:>5.2f} {c.mean_solution_size:>5.2f} "
                    f"{c.mean_size_first_solved:>5.2f} "
                    f"{c.candidates_per_solved:>11.0f} {c.guided_solved:>6} {saved:>10} "
                    f"{c.seconds['wake']:>7.1f} {c.seconds['abstraction']:>6.1f} {c.seconds['dreaming']:>7.1f}")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--cycles", type=int, default=WakeSleepConfig.cycles)
    parser.add_argument("--budget", type=int, default=WakeSleepConfig.wake_budget, help="candidates per wake")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write every run's plain data here")
    parser.add_argument("--solutions", action="store_true", help="print the full run's final solutions")
    args = parser.parse_args()
    torch.set_num_threads(1)

    config = WakeSleepConfig(cycles=args.cycles, wake_budget=args.budget, seed=args.seed)
    start = time.perf_counter()
    runs = run_ablations(config, tuple(args.conditions.split(",")))
    total = time.perf_counter() - start

    print("found / size: mean nodes per train solution before / after the sleep, in library terms;")
    print("size1: like size, over the tasks solved in cycle 1 only;")
    print("bits-saved: how much more probable the guide's grammar makes this wake's solutions.\n")
    for name, run in runs.items():
        print(f"== {name}: {run.seconds:.1f} s")
        print(cycle_table(run))
        print()
    learner = runs.get("full") or next(iter(runs.values()))
    print(f"== functions learned ({learner.condition})")
    for c in learner.cycles:
        for text in c.new_functions:
            print(f"  cycle {c.cycle}: {text}")
    print(f"\n== tracked tasks ({learner.condition})")
    for task in config.tracked_tasks:
        for c in learner.cycles:
            found, final = c.tracked_found.get(task), c.tracked.get(task)
            line = f"  {task:12s} cycle {c.cycle}: found {found}"
            if final != found:
                line += f"  ->  after sleep {final}"
            print(line)
    if args.solutions:
        print(f"\n== final solutions ({learner.condition})")
        for task, text in learner.solutions.items():
            print(f"  {task:15s} {text}")
    print("\n== summary (last cycle)")
    print(f"{'condition':>11} {'train':>7} {'test':>7} {'best test':>9} {'lib':>4} {'size':>5} {'seconds':>8}")
    for name, run in runs.items():
        c = run.cycles[-1]
        best = max(x.test_solved for x in run.cycles)
        print(f"{name:>11} {c.train_solved:>3}/{c.train_total:<3} {c.test_solved:>3}/{c.test_total:<3} "
              f"{best:>9} {c.library_size:>4} {c.mean_solution_size:>5.2f} {run.seconds:>8.1f}")
    print(f"\ntotal: {total:.1f} s for {len(runs)} condition(s), {args.cycles} cycles, "
          f"{args.budget:,} candidates per wake")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({name: run.to_dict() for name, run in runs.items()} | {"total_seconds": total,
                      "config": dataclasses.asdict(config)}, f, indent=1, default=list)


if __name__ == "__main__":
    main()

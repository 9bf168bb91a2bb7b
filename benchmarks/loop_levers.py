"""Part 5's cost per pass of its shared block, eager against ``torch.compile``, side by side.

Part 5 trains 42 small looped models (width 32, batch 32, up to 12 passes per step), and its
cold build is its training. This measures one lever issue 14 names for it: compiling the
block. For each mode, a fresh fixed-depth model (8 passes) on parity trains ``--steps``
steps, ``--repeats`` times interleaved with the other mode (so both see the same machine
load); printed are the medians of milliseconds per block pass (forward and backward, counted
by the training loop), the first compiled model's first-run cost, and the ratio eager /
compiled.

Measured (2-core AMD EPYC, one core, a post building on the other, ``--steps 100 --repeats 3``):
eager 3.92 ms per pass, compiled 4.11, ratio 0.95, so compiling the block buys nothing here;
the first compiled run took 55.8 s against 5.0 s eager with torch's on-disk cache empty.
The time goes to many small kernels and autograd bookkeeping, not to fusable arithmetic.

    python benchmarks/loop_levers.py                  # ~3 minutes on one free core
    python benchmarks/loop_levers.py --steps 50 --repeats 3

Run it under the numeric profile (the posts' kernels) with the README's environment, or
as here: ``env ATEN_CPU_CAPABILITY=avx2 OMP_NUM_THREADS=1 taskset -c 1 python ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from scratchbook.lab import adaptive
from scratchbook.lab.algorithmic import splits


def one_run(mode: str, data, budget: adaptive.Budget, steps: int) -> tuple[float, float]:
    """(ms per pass after the first training run, seconds of the first run) for a fresh model."""
    model = adaptive.make_model(budget, 8, seed=0)
    if mode == "compile":
        model.block = model.blocks[0] = torch.compile(model.block, dynamic=True)
    cfg = dataclasses.replace(adaptive.train_config(budget, 0), steps=steps)
    started = time.perf_counter()
    adaptive.train_model(model, data, cfg)  # first run: compiles, warms the allocator
    first = time.perf_counter() - started
    return adaptive.train_model(model, data, cfg)["ms_per_pass"], first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    budget = adaptive.Budget()
    data = splits("parity", budget.n_train, budget.n_test, budget.n_long, seed=budget.seed)["train"]
    per_pass = {"eager": [], "compile": []}
    first = {"eager": [], "compile": []}
    for _ in range(args.repeats):
        for mode in per_pass:
            ms, seconds = one_run(mode, data, budget, args.steps)
            per_pass[mode].append(ms)
            first[mode].append(seconds)
            print(f"{mode:8s} {ms:6.2f} ms per pass (first run {seconds:5.1f} s)", flush=True)
    eager, compiled = (statistics.median(per_pass[m]) for m in ("eager", "compile"))
    print(f"\nmedian of {args.repeats}: eager {eager:.2f} ms per pass, compiled {compiled:.2f}; "
          f"ratio eager/compiled {eager / compiled:.2f}")
    print(f"first run of the first model: compiled {first['compile'][0]:.1f} s, eager {first['eager'][0]:.1f} s "
          "(later models reuse the compiled code in this process, and torch keeps it on disk: a cold build "
          "on a fresh machine pays the first figure)")


if __name__ == "__main__":
    main()

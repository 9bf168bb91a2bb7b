"""Part 5's cost per pass of its shared block: two levers against plain eager training, side by side.

Part 5 trains 42 small looped models (width 32, batch 32, up to 12 passes per step), and its
cold build is its training. This measures one lever issue 14 names for it: compiling the
block. For each mode, a fresh fixed-depth model (8 passes) on parity trains ``--steps``
steps, ``--repeats`` times interleaved with the other mode (so both see the same machine
load); printed are the medians of milliseconds per block pass (forward and backward, counted
by the training loop), the first compiled model's first-run cost, and the ratio eager /
compiled.

The second lever trains the post's 3 seeds of one model as one ensemble: the weights stacked
(``torch.func.stack_module_state``) and one ``vmap``-ed forward and backward per step, against
the 3 models one after another on the same batches (plain SGD in both, so only the forward
and backward differ). Fixed depth only: ACT's loop stops when every position has halted,
which ``vmap`` cannot batch.

Measured (2-core AMD EPYC, one core, a post building on the other, ``--steps 100 --repeats 3``):
eager 3.92 ms per pass, compiled 4.11, ratio 0.95, so compiling the block buys nothing here;
the first compiled run took 55.8 s against 5.0 s eager with torch's on-disk cache empty.
Stacking the 3 seeds: ratio 1.01 and 0.95 in two runs of 60 steps (144.2 against 146.4 ms
per step; 150.7 against 143.0). Neither lever pays: at batch 32, width 32, the passes cost what their arithmetic
costs in these small kernels, so Part 5's budget needs less work (fewer models or steps),
not a faster loop.

    python benchmarks/loop_levers.py                  # ~3 minutes on one free core
    python benchmarks/loop_levers.py --steps 50 --repeats 3

Run it under the numeric profile (the posts' kernels) with the README's environment, or
as here: ``env ATEN_CPU_CAPABILITY=avx2 OMP_NUM_THREADS=1 taskset -c 1 python ...``.
"""

from __future__ import annotations

import argparse
import copy
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


def stacked_seeds(data, budget: adaptive.Budget, steps: int, seeds: int = 3) -> tuple[float, float]:
    """(ms per step vmapped, ms per step one model after another) for ``seeds`` fixed-depth-8 models."""
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap

    models = [adaptive.make_model(budget, 8, seed=s) for s in range(seeds)]
    params, buffers = stack_module_state(models)
    skeleton = copy.deepcopy(models[0]).to("meta")
    step_all = vmap(grad_and_value(lambda p, b, x, y: functional_call(skeleton, (p, b), (x, y))[1]))
    needed = adaptive.columns_needed(data.Y)
    gen = torch.Generator().manual_seed(0)

    def batch():
        ix = torch.randint(len(data.X), (seeds, budget.batch_size), generator=gen)
        T = int(needed[ix].max())
        return data.X[ix, :T], data.Y[ix, :T]

    started = time.perf_counter()
    for _ in range(steps):
        grads, _ = step_all(params, buffers, *batch())
        with torch.no_grad():
            for name in params:
                params[name] -= 1e-3 * grads[name]
    stacked = (time.perf_counter() - started) / steps
    started = time.perf_counter()
    for _ in range(steps):
        x, y = batch()
        for k, model in enumerate(models):
            model.zero_grad()
            model(x[k], y[k])[1].backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= 1e-3 * p.grad
    apart = (time.perf_counter() - started) / steps
    return 1000 * stacked, 1000 * apart


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
    stacked = [stacked_seeds(data, budget, args.steps) for _ in range(args.repeats)]
    together, apart = (statistics.median(m[i] for m in stacked) for i in (0, 1))
    print(f"3 seeds stacked (vmap): {together:.1f} ms per step, one after another {apart:.1f}; "
          f"ratio {apart / together:.2f}")
    print(f"first run of the first model: compiled {first['compile'][0]:.1f} s, eager {first['eager'][0]:.1f} s "
          "(later models reuse the compiled code in this process, and torch keeps it on disk: a cold build "
          "on a fresh machine pays the first figure)")


if __name__ == "__main__":
    main()

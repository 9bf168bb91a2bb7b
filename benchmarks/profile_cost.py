"""What the numeric profile costs: the same training steps with and without it, side by side.

Trains makemore's default Transformer on the shipped names corpus with the ``fast30`` recipe
for a fixed number of steps, in a fresh process per run, alternating the arms run by run
(A B C A B C ...) so that a machine whose speed drifts slows every arm alike. Each run reports
the median time of its steps (the first 10 steps, which warm up allocators and caches, are
left out). Arms:

* ``host``: the host's own settings (no profile; what a plain ``python`` run does);
* ``profile``: scratchbook's numeric profile (``scratchbook.engine.profile.environment``);
* ``compatible``: the profile with ``MKL_CBWR=COMPATIBLE``, the one MKL branch every vendor
  honours, for reference.

    python benchmarks/profile_cost.py                    # 1 thread, 60 steps, 5 rounds
    python benchmarks/profile_cost.py --threads 2 --rounds 7

Prints each arm's median ms/step over the rounds, and each arm's ratio to ``host`` as the
median of the per-round ratios. The final losses are printed too: ``host`` and ``profile``
agree bit for bit on a CPU whose best kernels are AVX2 (the profile then changes only MKL's
reproducible mode), and differ on a CPU with AVX-512.

Measured on the project's 2-core AMD EPYC (AVX2, no AVX-512), torch 2.13.0, other work on the
machine (see the closing note of the numeric-profile issue for the run quoted there).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ARMS = ("host", "profile", "compatible")


def child(steps: int, threads: int) -> None:
    import torch

    from scratchbook.lab.models import ModelConfig, Transformer
    from scratchbook.lab.names import default_corpus_path, load_names
    from scratchbook.lab.train import PRESETS, columns_needed

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = load_names(default_corpus_path())
    model = Transformer(ModelConfig(vocab_size=data.vocab.size, block_size=data.block_size))
    cfg = PRESETS["fast30"][0]
    X, Y = data.train
    needed = columns_needed(Y)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, fused=True)
    gen = torch.Generator().manual_seed(0)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        ix = torch.randint(len(X), (cfg.batch_size,), generator=gen)
        T = int(needed[ix].max())
        _, loss = model(X[ix][:, :T], Y[ix][:, :T])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = loss.item()
        times.append(time.perf_counter() - started)
    print(json.dumps({"ms": 1000 * statistics.median(times[10:]), "loss": value.hex(),
                      "kernels": torch.backends.cpu.get_cpu_capability()}))


def environment(arm: str, threads: int) -> dict:
    from scratchbook.engine import profile

    host = {k: v for k, v in os.environ.items()
            if k not in profile.SETTINGS and k not in profile.CLEARED and k != profile.MARKER}
    if arm == "host":
        env = host
    else:
        env = profile.environment(host)
        if arm == "compatible":
            env["MKL_CBWR"] = "COMPATIBLE"
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.steps, args.threads)
        return
    runs: dict[str, list[dict]] = {arm: [] for arm in ARMS}
    for round_ in range(args.rounds):
        for arm in ARMS:
            out = subprocess.run([sys.executable, __file__, "--child", "--steps", str(args.steps),
                                  "--threads", str(args.threads)],
                                 env=environment(arm, args.threads), capture_output=True,
                                 text=True, check=True).stdout
            runs[arm].append(json.loads(out.strip().splitlines()[-1]))
        print(f"round {round_ + 1}/{args.rounds}: " + ", ".join(
            f"{arm} {runs[arm][-1]['ms']:.1f} ms" for arm in ARMS), file=sys.stderr)
    print(f"{args.steps} fast30 steps, {args.threads} thread(s), {args.rounds} rounds, "
          "median ms/step (steps 11+):")
    for arm in ARMS:
        ms = [r["ms"] for r in runs[arm]]
        ratio = statistics.median(a["ms"] / h["ms"] for a, h in zip(runs[arm], runs["host"]))
        losses = sorted({r["loss"] for r in runs[arm]})
        print(f"  {arm:<11} {statistics.median(ms):7.1f} ms/step (min {min(ms):.1f}, max "
              f"{max(ms):.1f})  x{ratio:.3f} of host  kernels {runs[arm][0]['kernels']}  "
              f"final loss {', '.join(losses)}")


if __name__ == "__main__":
    main()

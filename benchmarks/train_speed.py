"""How fast does the baseline Transformer learn names on this machine?

Trains makemore's default Transformer (4 layers, 4 heads, 64 wide, block size
from the data) on a names file with makemore's split (seed 3407) and prints,
for every run, a table of step, training time, ms/step and test loss at the
checkpoints, then a summary: time to reach each target test loss and the best
test loss within each time budget.

    python benchmarks/train_speed.py NAMES_FILE                      # makemore vs the presets
    python benchmarks/train_speed.py NAMES_FILE --runs fast30
    python benchmarks/train_speed.py NAMES_FILE --runs makemore --steps 5000
    python benchmarks/train_speed.py NAMES_FILE --run "try:batch_size=128,lr=3e-3,steps=1500"
    python benchmarks/train_speed.py NAMES_FILE --runs "" --run "d3=best120:dropout=0.3"
    python benchmarks/train_speed.py NAMES_FILE --model mlp --runs mlp

Training time excludes evaluation. Runs in one invocation are measured side by
side, which is the fair comparison on a busy machine. Test losses depend only on
the steps, not on the clock (1 and 2 threads give the same curves); the second
summary estimates each run on a quiet machine as steps x median step time.

Results on makemore's names.txt (2-core AMD EPYC, torch 2.13 CPU, 2 threads):

    run       batch  lr (schedule)        dropout steps  ms/step  test loss
    makemore     32  5e-4 constant        0       5000   ~9       2.134 @ 1000 steps, 2.013 @ 5000 (~45 s)
    fast30      256  1e-2 warmup+cosine   0        600   ~44      2.016 @ 400, 1.974 @ 500 (~22 s), 1.960 @ 600 (~26 s)
    best120     256  1e-2 warmup+cosine   0.2     2200   ~52      1.916 @ 1700 (~90 s), 1.907 @ 2200 (~115 s)

makemore's own script on the same machine: ~25 ms/step, 2.134 after 1,000 steps
(35 s), 2.013 after 5,000 (162 s), best 1.971 after 9,000 (256 s). The steps are
cheaper here because the data are two in-memory tensors, batches are trimmed to
their longest name, attention is fused (scaled_dot_product_attention), GELU is
the exact one (the tanh approximation is several times slower on CPU), AdamW is
fused, and dropout draws its mask with torch.rand. The steps do more because
the batch is 8x larger and the learning rate 20x higher, warmed up for 50 steps
and decayed along a cosine to 3e-4. Without dropout a run this long overfits (2,600
steps at lr 6e-3: best 1.949 at step 1,500, 1.991 at the end; the training loss
keeps falling to 1.62): dropout 0.2 is what gets below 1.92.

Against makemore's real script, side by side on one core each, see
benchmarks/makemore_race.py (it prints the ratio). Two opt-in levers came out of
it (TrainConfig.length_groups and optimizer="muon"; presets fast30_muon and
sprint), measured there at 1 thread in CPU seconds on a busy 2-core machine:
- running each batch as 4 groups of similar length gives fast30's test losses
  within 0.0001 (the same gradient up to rounding) in 76 s instead of 88 s (one run, side by
  side): the groups' extra kernel launches eat much of the padding saved;
- Muon for the blocks' matrices, its Newton-Schulz iteration in float32 (torch's
  bfloat16 one costs 85 ms per optimizer step on this CPU, 8 ms in float32), with
  the groups and a 300-step schedule ("sprint"): 2.013 by step 250 after 27.7 s,
  where fast30 needs 450 steps and 55.8 s in the same run. How much of that is
  Muon and how much the shorter schedule was not separated.

The cores must be free: with another process busy on one of the two cores, two
torch threads slow down several-fold (use --threads 1 then; the losses do not
change).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time

import torch

from scratchbook.lab.models import MLP, Bigram, ModelConfig, Transformer, count_params

MODELS = {"transformer": Transformer, "mlp": MLP, "bigram": Bigram}
from scratchbook.lab.names import load_names
from scratchbook.lab.train import PRESETS, TrainConfig, train


MODEL_FIELDS = ("dropout",)  # ModelConfig fields a run may change; the architecture stays makemore's


def parse_run(spec: str) -> tuple[str, TrainConfig, dict]:
    """'name:key=value,...', where name is a preset, 'label=preset' or a new label
    (which starts from TrainConfig's defaults). Keys are TrainConfig fields, or
    dropout for the model."""
    name, _, rest = spec.partition(":")
    name, _, base = name.partition("=")
    cfg, preset_model = PRESETS.get(base or name, (TrainConfig(), {}))
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    changes, model_changes = {}, dict(preset_model)
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key in MODEL_FIELDS:
            model_changes[key] = float(value)
            continue
        if key not in fields:
            sys.exit(f"unknown TrainConfig field {key!r}; have {sorted(fields)}")
        default = getattr(TrainConfig(), key)
        if isinstance(default, bool):
            changes[key] = value.lower() in ("1", "true", "yes")
        elif isinstance(default, tuple):
            changes[key] = tuple(float(v) for v in value.split("/"))
        else:
            changes[key] = type(default)(float(value)) if isinstance(default, (int, float)) else value
    return name, dataclasses.replace(cfg, **changes), model_changes


def first_reaching(ckpt: dict, target: float):
    for step, t, loss in zip(ckpt["step"], ckpt["time"], ckpt["test_loss"]):
        if loss <= target:
            return step, t
    return None


def best_within(ckpt: dict, budget: float):
    within = [(loss, step, t) for step, t, loss in zip(ckpt["step"], ckpt["time"], ckpt["test_loss"]) if t <= budget]
    return min(within) if within else None


def summary(results, targets, budgets, title, times):
    print(f"\n== summary, {title}")
    head = f"{'run':<12} {'batch':>5} {'lr':>7} {'drop':>4} {'steps':>6} {'ms/step':>7} {'median':>6} {'final':>7}"
    head += "".join(f" {'t→' + format(t, 'g'):>13}" for t in targets)
    head += "".join(f" {'best≤' + format(b, 'g') + 's':>10}" for b in budgets)
    print(head)
    for name, cfg, dropout, r in results:
        ck = dict(r["checkpoints"], time=times(r))
        median = 1000 * statistics.median(r["step_time"])
        line = f"{name:<12} {cfg.batch_size:5d} {cfg.lr:7.1e} {dropout:4.2g} {cfg.steps:6d} {r['ms_per_step']:7.1f} {median:6.1f} {r['final_test_loss']:7.4f}"
        for t in targets:
            hit = first_reaching(ck, t)
            line += f" {f'{hit[1]:.1f}s@{hit[0]}' if hit else '-':>13}"
        for b in budgets:
            best = best_within(ck, b)
            line += f" {f'{best[0]:.4f}' if best else '-':>10}"
        print(line)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names_file")
    ap.add_argument("--runs", default="makemore,fast30,best120", help=f"comma-separated presets: {', '.join(PRESETS)}")
    ap.add_argument("--run", action="append", default=[], help="extra run 'name:key=value,...' (repeatable)")
    ap.add_argument("--steps", type=int, help="override steps of every run")
    ap.add_argument("--model", default="transformer", choices=MODELS, help="which model to train (makemore's default sizes)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (the target machine has 2 cores)")
    ap.add_argument("--eval-every", type=int, default=100, help="test-set checkpoint interval (steps)")
    ap.add_argument("--model-seed", type=int, default=3407, help="seed for the model's initial weights")
    ap.add_argument("--targets", default="2.134,2.013,1.971,1.92", help="test losses to time")
    ap.add_argument("--budgets", default="30,60,120", help="seconds of training to report the best loss within")
    ap.add_argument("--json", help="also write all results to this file")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    data = load_names(args.names_file)
    print(
        f"{args.names_file}: {len(data.words)} names, vocab {data.vocab.size}, block {data.block_size}, "
        f"train {len(data.train_words)}, test {len(data.test_words)}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    runs = [parse_run(r) for r in filter(None, args.runs.split(","))] + [parse_run(r) for r in args.run]
    targets = [float(t) for t in args.targets.split(",")]
    budgets = [float(b) for b in args.budgets.split(",")]

    results = []
    for name, cfg, model_changes in runs:
        cfg = dataclasses.replace(cfg, eval_every=args.eval_every, threads=args.threads)
        if args.steps:
            cfg = dataclasses.replace(cfg, steps=args.steps)
        torch.manual_seed(args.model_seed)
        model = MODELS[args.model](ModelConfig(vocab_size=data.vocab.size, block_size=data.block_size, **model_changes))
        print(f"\n== {name}: {args.model}, {count_params(model):,} parameters {model_changes or ''}; {cfg}", flush=True)
        print(f"{'step':>6} {'time s':>8} {'ms/step':>8} {'train':>7} {'test':>7}")
        start = time.perf_counter()
        r = train(model, data.train, data.test, cfg)
        ck = r["checkpoints"]
        prev_step, prev_t = 0, 0.0
        for step, t, tr, te in zip(ck["step"], ck["time"], ck["train_loss"], ck["test_loss"]):
            print(f"{step:6d} {t:8.1f} {1000 * (t - prev_t) / (step - prev_step):8.1f} {tr:7.4f} {te:7.4f}")
            prev_step, prev_t = step, t
        print(
            f"   train {r['train_time']:.1f} s ({r['ms_per_step']:.1f} ms/step), eval {r['eval_time']:.1f} s, "
            f"wall {time.perf_counter() - start:.1f} s; best test {r['best_test_loss']:.4f} at step {r['best_step']}",
            flush=True,
        )
        results.append((name, cfg, model.config.dropout if hasattr(model, "config") else 0.0, r))

    summary(results, targets, budgets, "measured training seconds (evaluation excluded)", lambda r: r["checkpoints"]["time"])
    # On a shared machine some steps wait for the cores; the median step is what an
    # undisturbed step costs, so steps x median estimates the run on a quiet machine.
    summary(
        results, targets, budgets, "quiet-machine estimate: steps x median step time",
        lambda r: [s * statistics.median(r["step_time"]) for s in r["checkpoints"]["step"]],
    )

    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"name": n, "config": dataclasses.asdict(c), "result": r} for n, c, _, r in results], f)


if __name__ == "__main__":
    main()

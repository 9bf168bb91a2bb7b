"""Part 5's experiments: accuracy against measured compute, for fixed depth and for ACT.

Everything returns plain data (dicts, lists, floats), so a post can print it,
plot it, or put it in a table. Budgets are in optimisation steps, never in
seconds; the seconds are measured and returned alongside.

    results = run_suite()                  # every task, every experiment
    r = run_task("parity", Budget())       # one task
    r["fixed"][4]["per_position"]          # accuracy of the 4-pass model
    r["act"][0]["mean_passes"], r["act"][0]["spearman_reach"]  # ACT, first seed

run_task returns, for one task:

- fixed[depth]: the fixed-depth model trained on the first seed, as a summary
  of the test split (see summarize): exact (every answer of an example right),
  per_position (share of answers right), mean_passes (N + R at the answers;
  fixed depth: the depth), mean_steps (N), by_reach {reach: {n, acc, passes,
  steps}}, by_difficulty {d: {n, exact, passes}}, by_answer, spearman_reach,
  spearman_difficulty; "long": the same on the held-out longer inputs; seed,
  seconds and passes_run of training; "curve" for the shallowest and deepest.
- best_depth: the depth with the most answers right on the first seed, and
  best: its runs on every seed (best[0] is fixed[best_depth]).
- act: ACT from Budget.halt_bias, one summary per seed, each with
  long_raised_cap (the longer inputs with the cap raised to Budget.long_cap);
  act[0] also has "curve" and profiles (answers and passes per character of a
  few fixed inputs, PROFILE_TEXTS).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from scratchbook.lab.algorithmic import CHARS, STOI, TASKS, VOCAB_SIZE, TaskData, splits
from scratchbook.lab.halting import LoopedTransformer, LoopConfig
from scratchbook.lab.train import TrainConfig, columns_needed, lr_at


@dataclass
class Budget:
    """Sizes of everything Part 5 trains, in steps (per task: 4 + 2 fixed-depth runs, 3 ACT runs).

    The cap equals the deepest fixed depth: ACT may spend as much as the deepest fixed model,
    never more, and a training batch (which runs until its slowest position halts) costs
    at most what that model's does."""

    steps: int = 500  # optimisation steps per model
    batch_size: int = 32
    lr: float = 5e-3
    n_embd: int = 32
    n_head: int = 4
    window: int = 3
    depths: tuple[int, ...] = (1, 2, 4, 8)  # fixed depths, each trained on the first seed
    seeds: tuple[int, ...] = (0, 1, 2)  # ACT and the best fixed depth are trained on every one
    cap: int = 8  # ACT's step cap in training: the deepest fixed depth
    long_cap: int = 24  # ... raised for the longer inputs
    tau: float = 0.003
    ramp: tuple[float, float] = (0.0, 0.5)  # the ponder cost rises from 0 to full between these shares of training
    halt_bias: float = -2.0  # initial halting bias: p = 0.12, so ACT starts at the cap (Graves: +1, 2 passes)
    n_train: int = 8000
    n_test: int = 1000
    n_long: int = 500
    seed: int = 0  # the data; the seeds above vary the weights and the batches
    threads: int = 1


# -----------------------------------------------------------------------------
# training and evaluation


CURVE_EXAMPLES = 250  # test examples behind each point of a loss curve


def train_config(b: Budget, seed: int | None = None) -> TrainConfig:
    """The training recipe; ``seed`` (default Budget.seed) sets the batches (make_model's seed, the weights)."""
    return TrainConfig(
        steps=b.steps, batch_size=b.batch_size, lr=b.lr, min_lr=b.lr / 10, warmup=min(50, b.steps // 10),
        schedule="cosine", grad_clip=1.0, seed=b.seed if seed is None else seed, threads=b.threads,
    )


def tau_scale(step: int, steps: int, ramp=(0.0, 0.5)) -> float:
    """The ponder cost's share at step: 0 until ramp[0] of training, rising linearly to 1 at ramp[1]."""
    start, end = ramp
    if end <= start:
        return 1.0 if step >= start * steps else 0.0
    return min(1.0, max(0.0, (step / steps - start) / (end - start)))


def train_model(model: LoopedTransformer, data: TaskData, cfg: TrainConfig, ramp=(0.0, 0.5),
                halt_lr: float = 1.0, eval_data: TaskData | None = None, eval_points: int = 10,
                eval_size: int = CURVE_EXAMPLES) -> dict:
    """Train in place; the ponder cost (if any) ramps in as tau_scale() says.

    Without the ramp, the cost of pondering arrives before pondering has paid
    off anywhere, and halting collapses to a single pass. halt_lr scales the
    learning rate of the halting unit (1 = the same as everything else).

    With ``eval_data``: the task loss (cross-entropy on answers, nats, no ponder cost) on
    its first ``eval_size`` examples at ``eval_points`` evenly spaced steps, in "eval" as
    (step, loss) pairs. Evaluation draws no random numbers, so training is the same with or
    without it; its time is not counted in "seconds".
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    X, Y = data.X, data.Y
    needed = columns_needed(Y)
    halting = [p for n, p in model.named_parameters() if n.startswith(("halt.", "ln_h."))]
    rest = [p for n, p in model.named_parameters() if not n.startswith(("halt.", "ln_h."))]
    groups = [{"params": rest, "scale": 1.0}] + ([{"params": halting, "scale": halt_lr}] if halting else [])
    opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay, fused=True)
    losses, passes_run, evals, eval_seconds = [], 0, [], 0.0
    eval_at = ({round(cfg.steps * (i + 1) / eval_points) for i in range(eval_points)}
               if eval_data is not None else set())
    model.train()
    t0 = time.perf_counter()
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg) * group["scale"]
        model.tau_scale = tau_scale(step, cfg.steps, ramp)
        ix = torch.randint(len(X), (cfg.batch_size,), generator=gen)
        T = int(needed[ix].max())
        _, loss = model(X[ix, :T], Y[ix, :T])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        losses.append(loss.item())
        passes_run += int(model.halting.steps.max())  # the batch runs until its slowest position halts
        if step + 1 in eval_at:
            e0 = time.perf_counter()
            evals.append((step + 1, task_loss(model, eval_data, eval_size)))
            eval_seconds += time.perf_counter() - e0
    model.tau_scale = 1.0
    seconds = time.perf_counter() - t0 - eval_seconds
    return {
        "loss": losses, "eval": evals, "seconds": seconds, "ms_per_step": 1000 * seconds / max(1, cfg.steps),
        "passes_run": passes_run,  # block applications to a batch, over all of training
        "ms_per_pass": 1000 * seconds / max(1, passes_run),
    }


@torch.no_grad()
def task_loss(model: LoopedTransformer, data: TaskData, size: int) -> float:
    """Mean cross-entropy (nats) on the answers of the first ``size`` examples, without the
    ponder cost; the model is left in training mode."""
    model.eval()
    X, Y = data.X[:size], data.Y[:size]
    T = int(columns_needed(Y).max())
    _, loss = model(X[:, :T], Y[:, :T])
    if model.config.act:
        loss = model.task_loss
    model.train()
    return float(loss)


@torch.no_grad()
def predict(model: LoopedTransformer, data: TaskData, passes: int | None = None, batch_size: int = 500) -> dict:
    """Per-position predictions and pass counts (N + R) for a whole split, as tensors (N, T)."""
    model.eval()
    preds, ponder, steps = [], [], []
    for i in range(0, len(data), batch_size):
        logits, _ = model(data.X[i : i + batch_size], passes=passes)
        preds.append(logits.argmax(dim=-1))
        ponder.append(model.halting.ponder)
        steps.append(model.halting.steps)
    model.train()
    pred = torch.cat(preds)
    has = data.Y != -1
    return {"correct": (pred == data.Y) & has, "has": has, "ponder": torch.cat(ponder), "steps": torch.cat(steps)}


def summarize(data: TaskData, p: dict) -> dict:
    """Accuracy (exact per example, per answer) and compute (mean N + R over the answers)."""
    correct, has, ponder, steps = p["correct"], p["has"], p["ponder"], p["steps"]
    exact = (correct | ~has).all(dim=1)
    reach, answer = data.reach[has], data.Y[has]
    ok = correct[has].float()
    by_reach = {}
    for r in sorted(set(reach.tolist())):
        sel = reach == r
        by_reach[r] = {
            "n": int(sel.sum()), "acc": float(ok[sel].mean()),
            "passes": float(ponder[has][sel].mean()), "steps": float(steps[has][sel].mean()),
        }
    by_answer = {}  # one-answer tasks: "1" and "0" need different reach, so look at them apart
    for a in sorted(set(answer.tolist())):
        sel = answer == a
        by_answer[CHARS[a]] = {
            "n": int(sel.sum()), "acc": float(ok[sel].mean()), "passes": float(ponder[has][sel].mean()),
        }
    by_difficulty = {}
    ex_ponder = (ponder * has).sum(1) / has.sum(1)  # per example: mean over its answers
    for d in sorted(set(data.difficulty.tolist())):
        sel = data.difficulty == d
        by_difficulty[d] = {
            "n": int(sel.sum()), "exact": float(exact[sel].float().mean()), "passes": float(ex_ponder[sel].mean()),
        }
    return {
        "exact": float(exact.float().mean()),
        "per_position": float(ok.mean()),
        "mean_passes": float(ponder[has].mean()),  # N + R, at the answers
        "mean_steps": float(steps[has].mean()),  # N: passes actually computed, at the answers
        "mean_passes_all": float(ponder[data.X != 0].mean()),  # every character pays, not only the answers
        "by_reach": by_reach,
        "by_answer": by_answer,
        "by_difficulty": by_difficulty,
        "spearman_reach": spearman(reach.tolist(), ponder[has].tolist()),
        "spearman_difficulty": spearman(data.difficulty.tolist(), ex_ponder.tolist()),
    }


def ranks(xs: list[float]) -> list[float]:
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(xs)), key=xs.__getitem__)
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation (Pearson on tie-averaged ranks); nan if either side is constant."""
    rx, ry = torch.tensor(ranks(x)), torch.tensor(ranks(y))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = (rx.square().sum() * ry.square().sum()).sqrt()
    return float((rx * ry).sum() / den) if den > 0 else float("nan")


# -----------------------------------------------------------------------------
# experiments


def make_model(b: Budget, passes: int, act: bool = False, tau: float = 0.0, halting: str = "position", seed=0, **kw):
    torch.manual_seed(seed)
    kw.setdefault("halt_bias", b.halt_bias)
    cfg = LoopConfig(
        vocab_size=VOCAB_SIZE, n_head=b.n_head, n_embd=b.n_embd,
        window=b.window, passes=passes, act=act, tau=tau, halting=halting, **kw,
    )
    return LoopedTransformer(cfg)


def pass_profile(model: LoopedTransformer, texts: list[str], passes: int | None = None) -> list[dict]:
    """For a few inputs: per character, the model's answer and the passes (N + R) it took there."""
    X = encode_texts(texts)
    model.eval()
    with torch.no_grad():
        logits, _ = model(X, passes=passes)
    model.train()
    out = []
    for i, text in enumerate(texts):
        n = len(text)
        out.append({
            "text": text,
            "answers": "".join(CHARS[j] for j in logits[i, 1 : n + 1].argmax(-1).tolist()),
            "passes": [round(float(v), 3) for v in model.halting.ponder[i, 1 : n + 1]],
        })
    return out


def encode_texts(texts: list[str]) -> torch.Tensor:
    X = torch.zeros(len(texts), 1 + max(map(len, texts)), dtype=torch.long)
    for i, t in enumerate(texts):
        X[i, 1 : 1 + len(t)] = torch.tensor([STOI[c] for c in t])
    return X


PROFILE_TEXTS = {
    "parity": ["1011001110101101", "0000000000000001"],
    "addition": ["55|45|54|45=", "12|34|21|43="],  # 4545+5455=10000 carries through every column; 4231+3142 never
    "balance": ["(()(()))()?", "())(()()()?"],
    "sorted": ["0123456789", "0123456798", "1023456789"],
}


def loss_curve(tr: dict, window: int = 50) -> dict:
    """From train_model's record: at each evaluation step, the mean training loss of the
    ``window`` steps before it (with the ponder cost, for ACT) and the test task loss."""
    steps = [step for step, _ in tr["eval"]]
    train = [sum(tr["loss"][max(0, s - window):s]) / len(tr["loss"][max(0, s - window):s])
             for s in steps]
    return {"step": steps, "train": train, "test": [loss for _, loss in tr["eval"]]}


def fixed_depths(task: str, b: Budget = Budget(), progress=print) -> dict:
    """Every depth of b.depths on the first seed, then the most accurate (by answers right,
    the shallower on a tie) on every other seed: {"fixed": {depth: summary}, "best_depth",
    "best": [summary per seed], "seconds"} (see the module docstring)."""
    t_start = time.perf_counter()
    torch.set_num_threads(b.threads)
    data = splits(task, b.n_train, b.n_test, b.n_long, seed=b.seed)  # the same data for every seed
    first, curves = b.seeds[0], (b.depths[0], b.depths[-1])  # loss curves only for the models a post draws

    def fixed(depth: int, seed: int) -> dict:
        model = make_model(b, depth, seed=seed)
        watch = seed == first and depth in curves
        tr = train_model(model, data["train"], train_config(b, seed), eval_data=data["test"] if watch else None)
        r = summarize(data["test"], predict(model, data["test"]))
        r["long"] = summarize(data["long"], predict(model, data["long"]))
        r.update(seed=seed, seconds=tr["seconds"], ms_per_step=tr["ms_per_step"], passes_run=tr["passes_run"],
                 final_loss=sum(tr["loss"][-20:]) / 20)
        if watch:
            r["curve"] = loss_curve(tr)
        progress(f"{task} fixed {depth} seed {seed}: exact {r['exact']:.3f} per-position {r['per_position']:.3f}")
        return r

    out = {"fixed": {depth: fixed(depth, first) for depth in b.depths}}
    best = max(b.depths, key=lambda d: (out["fixed"][d]["per_position"], -d))
    out["best_depth"] = best
    out["best"] = [out["fixed"][best]] + [fixed(best, seed) for seed in b.seeds[1:]]
    out["seconds"] = time.perf_counter() - t_start
    return out


def act_seeds(task: str, b: Budget = Budget(), progress=print) -> dict:
    """ACT from Budget.halt_bias on every seed: {"act": [summary per seed], "seconds"}; each
    summary has long_raised_cap, and the first seed's also "curve" and "profiles"."""
    t_start = time.perf_counter()
    torch.set_num_threads(b.threads)
    spec = TASKS[task]
    data = splits(task, b.n_train, b.n_test, b.n_long, seed=b.seed)  # the same data for every seed
    first = b.seeds[0]
    runs = []
    for seed in b.seeds:
        model = make_model(b, b.cap, act=True, tau=b.tau, halting=spec.halting, seed=seed)
        watch = seed == first
        tr = train_model(model, data["train"], train_config(b, seed), ramp=b.ramp,
                         eval_data=data["test"] if watch else None)
        r = summarize(data["test"], predict(model, data["test"]))
        r["long_raised_cap"] = summarize(data["long"], predict(model, data["long"], passes=b.long_cap))
        r.update(seed=seed, tau=b.tau, halt_bias=b.halt_bias, seconds=tr["seconds"], ms_per_step=tr["ms_per_step"],
                 passes_run=tr["passes_run"])
        if watch:
            r["curve"] = loss_curve(tr)
            r["profiles"] = pass_profile(model, PROFILE_TEXTS[task])
        runs.append(r)
        progress(f"{task} ACT seed {seed}: exact {r['exact']:.3f} per-position {r['per_position']:.3f} "
                 f"passes {r['mean_passes']:.2f} rho {r['spearman_reach']:.2f}")
    return {"act": runs, "seconds": time.perf_counter() - t_start}


def run_task(task: str, b: Budget = Budget(), progress=print) -> dict:
    """fixed_depths and act_seeds of one task, with the task's description and the budget."""
    spec = TASKS[task]
    fixed, act = fixed_depths(task, b, progress), act_seeds(task, b, progress)
    return {"task": task, "halting": spec.halting, "difficulty": spec.difficulty_name, "lengths": spec.lengths,
            "long_lengths": spec.long_lengths, "budget": asdict(b), **fixed, **act,
            "seconds": fixed["seconds"] + act["seconds"]}


def seed_study(task: str, b: Budget = Budget(), biases=(1.0, -2.0), seeds=(0, 1, 2), progress=print) -> list[dict]:
    """ACT from several seeds (weights and batches; same data) and initial halting biases.

    Not run by Part 5 (benchmarks/adaptive_run.py --seed-study runs it): how the
    start of the halting unit changes ACT, seed by seed. One row per (bias, seed).
    """
    torch.set_num_threads(b.threads)
    data = splits(task, b.n_train, b.n_test, b.n_test, seed=b.seed)
    rows = []
    for bias in biases:
        for seed in seeds:
            model = make_model(b, b.cap, act=True, tau=b.tau, halting=TASKS[task].halting, seed=seed, halt_bias=bias)
            cfg = train_config(b)
            cfg.seed = seed
            tr = train_model(model, data["train"], cfg, ramp=b.ramp)
            r = summarize(data["test"], predict(model, data["test"]))
            rows.append({"task": task, "halt_bias": bias, "seed": seed, "tau": b.tau, "exact": r["exact"],
                         "per_position": r["per_position"], "mean_passes": r["mean_passes"],
                         "spearman_reach": r["spearman_reach"], "seconds": tr["seconds"]})
            progress(f"{task} bias {bias} seed {seed}: per-position {r['per_position']:.3f} "
                     f"passes {r['mean_passes']:.2f} rho {r['spearman_reach']:.2f}")
    return rows


def run_suite(b: Budget = Budget(), tasks=tuple(TASKS), progress=print) -> dict:
    t0 = time.perf_counter()
    results = {task: run_task(task, b, progress) for task in tasks}
    return {"tasks": results, "seconds": time.perf_counter() - t0, "budget": asdict(b)}

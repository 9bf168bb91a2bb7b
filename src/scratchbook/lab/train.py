"""A plain training loop over in-memory tensors.

The whole data set is two int64 tensors (X, Y) a few megabytes large, so a
batch is just random rows of them: no DataLoader, no worker processes. What
makes training fast on a small CPU is mostly here:

- batches are trimmed to their longest name: columns where every target is -1
  carry no loss and, the model being causal, change no earlier position, so
  dropping them gives the same loss for less work;
- the learning rate warms up, then decays to a small value, which lets a high
  peak rate make quick progress and the low tail settle into a good minimum;
- the test set is evaluated only at checkpoints, and that time is not counted
  as training time;
- opt-in (TrainConfig.length_groups): a batch runs as a few groups of names of
  similar length, each trimmed to its own longest name, so little of the work
  is spent on padding; the gradient is the whole batch's;
- opt-in (TrainConfig.optimizer="muon"): torch.optim.Muon for the blocks' weight
  matrices, which reaches a given loss in fewer steps than AdamW here.

Everything random draws from generators seeded from TrainConfig.seed, so the
same model, data and config give the same losses every time.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn


@dataclass
class TrainConfig:
    steps: int = 1000
    batch_size: int = 32
    lr: float = 5e-4  # peak learning rate
    min_lr: float = 0.0  # where the schedule ends ("cosine"/"linear")
    warmup: int = 0  # steps of linear warm-up from 0 to lr
    schedule: str = "constant"  # "constant", "cosine" or "linear" decay after warm-up
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.99)
    eps: float = 1e-8
    grad_clip: float = 0.0  # clip the global gradient norm to this; 0 = off
    trim: bool = True  # drop the all-padding columns of each batch
    length_groups: int = 0  # >1: run each batch as this many groups of similar length, each trimmed (same gradient)
    optimizer: str = "adamw"  # "adamw", or "muon": Muon for the blocks' 2-D weights, AdamW for the rest
    eval_every: int = 500  # evaluate the test set every this many steps (and at the end); 0 = only at the end
    seed: int = 3407
    threads: int = 2  # torch.set_num_threads; the target machine has 2 cores


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for step (0-based): linear warm-up, then the chosen decay to min_lr."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return cfg.lr
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)  # 0 -> 1
    if cfg.schedule == "cosine":
        frac = 0.5 * (1.0 + math.cos(math.pi * progress))
    elif cfg.schedule == "linear":
        frac = 1.0 - progress
    else:
        raise ValueError(f"unknown schedule {cfg.schedule!r}")
    return cfg.min_lr + (cfg.lr - cfg.min_lr) * frac


def columns_needed(Y: torch.Tensor) -> torch.Tensor:
    """Per row: the columns up to and including its last target (for a name: the name plus its
    end token). Targets need not be contiguous; the columns after the last one can be dropped."""
    T = Y.size(1)
    return torch.where(Y != -1, torch.arange(1, T + 1), 0).max(dim=1).values


def grouped_backward(model: nn.Module, x: torch.Tensor, y: torch.Tensor, needed: torch.Tensor, groups: int):
    """Backpropagate the batch's mean loss without computing on padding; return the loss.

    The rows are sorted by length and cut into `groups` groups of (nearly) equal size,
    each trimmed to its own longest row. Each group's mean loss is weighted by its share
    of the batch's target tokens, so the weighted sum is the whole batch's mean loss and
    the accumulated gradient is the padded batch's gradient up to rounding. (Not for
    models whose rows interact, like BatchNorm; none here do.)
    """
    order = needed.argsort()
    total = int((y != -1).sum())
    loss_sum = 0.0
    for rows in order.tensor_split(groups):
        if len(rows) == 0:
            continue
        T = int(needed[rows].max())
        yg = y[rows, :T]
        _, loss = model(x[rows, :T], yg)
        share = int((yg != -1).sum()) / total
        (loss * share).backward()
        loss_sum += loss.item() * share
    return loss_sum


def muon_split(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """The parameters Muon updates (the 2-D weights of the Linear layers inside the model,
    except the output head) and the rest for AdamW (embeddings, head, biases, LayerNorms).
    Muon orthogonalises a matrix's update, which suits hidden weight matrices and not
    lookup tables or the classifier (Jordan et al., "Muon", 2024)."""
    head = getattr(model, "lm_head", None)
    hidden = {id(m.weight) for m in model.modules() if isinstance(m, nn.Linear) and m is not head}
    muon = [p for p in model.parameters() if id(p) in hidden]
    rest = [p for p in model.parameters() if id(p) not in hidden]
    return muon, rest


def newton_schulz_fp32(grad: torch.Tensor, ns_coefficients, ns_steps: int, eps: float) -> torch.Tensor:
    """Muon's orthogonalisation (the quintic Newton-Schulz iteration of torch.optim.Muon) in
    float32. torch runs it in bfloat16, which suits GPUs; on a CPU without bfloat16 matrix
    units those small matmuls cost more than the whole forward and backward pass."""
    a, b, c = ns_coefficients
    X = grad.float()
    tall = X.size(0) > X.size(1)
    if tall:
        X = X.T
    X = X / X.norm().clamp(min=eps)  # spectral norm at most 1
    for _ in range(ns_steps):
        A = X @ X.T
        X = torch.addmm(X, torch.addmm(A, A, A, beta=b, alpha=c), X, beta=a)
    return X.T if tall else X


class Muon(torch.optim.Muon):
    """torch.optim.Muon, with its Newton-Schulz iteration in float32 (newton_schulz_fp32)."""

    def step(self, closure=None):
        import torch.optim._muon as muon_module

        bf16 = muon_module._zeropower_via_newtonschulz
        muon_module._zeropower_via_newtonschulz = newton_schulz_fp32
        try:
            return super().step(closure)
        finally:
            muon_module._zeropower_via_newtonschulz = bf16


def make_optimizers(model: nn.Module, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
    adamw = dict(lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay, fused=True)
    if cfg.optimizer == "adamw":
        # fused: one kernel for all parameters instead of a Python loop over them
        return [torch.optim.AdamW(model.parameters(), **adamw)]
    if cfg.optimizer == "muon":
        muon, rest = muon_split(model)
        # match_rms_adamw scales Muon's update to AdamW's size, so both share one learning rate
        return [
            Muon(muon, lr=cfg.lr, weight_decay=cfg.weight_decay, adjust_lr_fn="match_rms_adamw"),
            torch.optim.AdamW(rest, **adamw),
        ]
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; have 'adamw', 'muon'")


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, batch_size: int = 1024) -> float:
    """Mean negative log-likelihood per target token over a whole split."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(X), batch_size):
        x, y = X[i : i + batch_size], Y[i : i + batch_size]
        T = int(columns_needed(y).max())
        logits, _ = model(x[:, :T])
        y = y[:, :T]
        total += nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=-1, reduction="sum"
        ).item()
        count += int((y != -1).sum())
    model.train(was_training)
    return total / count


def train(model: nn.Module, train_XY, test_XY, cfg: TrainConfig, progress=None) -> dict:
    """Train model in place; return its history as plain data.

    progress, if given, is called as progress(step, total_steps, loss) after
    every step (step counts from 1).

    Returned: config; lr, loss and seconds of every step ("lr",
    "train_loss", "step_time"); at every
    checkpoint the step, the mean training loss since the previous checkpoint,
    the test loss and the training time so far ("checkpoints": dict of lists);
    train_time (seconds of training, evaluation excluded), eval_time,
    ms_per_step, final_test_loss, best_test_loss, best_step.
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)  # for dropout, if the model has any
    gen = torch.Generator().manual_seed(cfg.seed)  # batch sampling
    X, Y = train_XY
    needed = columns_needed(Y)
    opts = make_optimizers(model, cfg)

    losses, lrs, step_times = [], [], []
    ckpt = {"step": [], "train_loss": [], "test_loss": [], "time": []}
    train_time = eval_time = 0.0
    since = 0  # index into losses of the first step since the last checkpoint
    model.train()
    for step in range(cfg.steps):
        t0 = time.perf_counter()
        lr = lr_at(step, cfg)
        for opt in opts:
            for group in opt.param_groups:
                group["lr"] = lr
        ix = torch.randint(len(X), (cfg.batch_size,), generator=gen)
        x, y = X[ix], Y[ix]
        if cfg.length_groups > 1:
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            loss = grouped_backward(model, x, y, needed[ix], cfg.length_groups)
        else:
            if cfg.trim:
                T = int(needed[ix].max())
                x, y = x[:, :T], y[:, :T]
            _, loss = model(x, y)
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            loss.backward()
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        for opt in opts:
            opt.step()
        loss = loss.item() if torch.is_tensor(loss) else loss
        step_times.append(time.perf_counter() - t0)
        train_time += step_times[-1]
        losses.append(loss)
        lrs.append(lr)
        if progress is not None:
            progress(step + 1, cfg.steps, loss)

        done = step + 1
        if done == cfg.steps or (cfg.eval_every and done % cfg.eval_every == 0):
            t0 = time.perf_counter()
            test_loss = evaluate(model, *test_XY)
            model.train()
            eval_time += time.perf_counter() - t0
            ckpt["step"].append(done)
            ckpt["train_loss"].append(sum(losses[since:]) / (done - since))
            ckpt["test_loss"].append(test_loss)
            ckpt["time"].append(train_time)
            since = done

    best = min(range(len(ckpt["test_loss"])), key=ckpt["test_loss"].__getitem__)
    return {
        "config": asdict(cfg),
        "train_loss": losses,
        "lr": lrs,
        "step_time": step_times,
        "checkpoints": ckpt,
        "train_time": train_time,
        "eval_time": eval_time,
        "ms_per_step": 1000.0 * train_time / max(1, cfg.steps),
        "final_test_loss": ckpt["test_loss"][-1],
        "best_test_loss": ckpt["test_loss"][best],
        "best_step": ckpt["step"][best],
    }


# Recipes measured with benchmarks/train_speed.py on makemore's names file and
# split, on 2 CPU cores (numbers in that script's docstring). Budgets are in
# steps, so a recipe trains the same on any machine; the seconds are this one's.
# Each recipe is a TrainConfig plus the ModelConfig fields it changes (the
# architecture, and so the parameter count, stays makemore's).
PRESETS: dict[str, tuple[TrainConfig, dict]] = {
    # makemore's own optimiser settings: batch 32, AdamW 5e-4, constant rate, untrimmed
    # batches. Test loss 2.013 at step 5,000, as makemore's script; ~9 ms/step here.
    "makemore": (TrainConfig(steps=5000, batch_size=32, lr=5e-4, weight_decay=0.01, trim=False), {}),
    # the baseline Transformer, about 26 s: below makemore's 5,000-step 2.013 by step 500
    # (~22 s), 1.960 at the end. A big batch and a high peak rate decaying to near zero.
    "fast30": (TrainConfig(steps=600, batch_size=256, lr=1e-2, min_lr=3e-4, warmup=50, schedule="cosine"), {}),
    # the baseline Transformer's best in about 115 s: 1.92 by step 1,700 (~90 s), 1.907 at the
    # end. Nineteen passes over the data overfit without dropout (best 1.949 at step
    # 1,500, then rising).
    "best120": (
        TrainConfig(steps=2200, batch_size=256, lr=1e-2, min_lr=3e-4, warmup=50, schedule="cosine"),
        {"dropout": 0.2},
    ),
    # fast30 with the two opt-in levers: Muon for the blocks' matrices and each batch run as
    # four groups of similar length. Part 3's recipe: at the same 600 steps, test loss 1.9954
    # on the shipped corpus where fast30 gave 2.0150.
    "fast30_muon": (
        TrainConfig(steps=600, batch_size=256, lr=1e-2, min_lr=3e-4, warmup=50, schedule="cosine",
                    length_groups=4, optimizer="muon"),
        {},
    ),
    # the shortest recipe found to makemore's 2.013: the same levers and a 300-step schedule;
    # 2.013 by step 250 (benchmarks/makemore_race.py)
    "sprint": (
        TrainConfig(steps=300, batch_size=256, lr=1e-2, min_lr=3e-4, warmup=25, schedule="cosine",
                    length_groups=4, optimizer="muon"),
        {},
    ),
    # the bigram table (about 1 s, test 2.451, the counting optimum) and the MLP
    # (about 22 s, test 2.053)
    "bigram": (TrainConfig(steps=1000, batch_size=256, lr=0.1, min_lr=1e-3, schedule="cosine", weight_decay=0.0), {}),
    "mlp": (TrainConfig(steps=1500, batch_size=256, lr=1e-2, min_lr=1e-4, warmup=50, schedule="cosine"), {}),
}

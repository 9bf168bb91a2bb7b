"""A mixture of experts inside the looped block: does the router's choice follow depth and difficulty?

Part 4's hypothesis was that a router could send hard inputs through more
computation; Part 5's looped block (halting.py) decides the amount of
computation per position with ACT. Here the two meet (plan section 5.5): the
looped block's feed-forward becomes Part 4's MoE layer (moe.py), so at every
pass each position is routed to one of K experts, and ACT still decides how many
passes each position takes. Two questions, both answered from counts:

- does the expert a position is sent to change with the pass number? Mutual
  information I(expert; pass) over (position, pass) events, in bits;
- do hard positions (long reach, see algorithmic.py) use other experts than easy
  ones at the same pass? The conditional mutual information
  I(expert; reach | pass), so that a router that merely follows the pass number
  (hard positions run more passes) does not count as following difficulty; and
  I(expert; reach | pass, position), so that position does not count either.

Each is bounded by H(expert) <= log2 K bits, and each is tested against its value
with the labels shuffled (information()).

Routing sees the real positions (never padding) at every pass the block runs;
a position that has halted keeps its state (freeze) and its routing at later
passes is not counted. The balancing loss (Switch Transformer, Fedus et al.
2021) is averaged over passes. Capacity is unlimited by default: dropped tokens
would confound "which expert" with "which expert had room".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from scratchbook.lab.adaptive import loss_curve, predict, spearman, summarize, train_config, train_model
from scratchbook.lab.algorithmic import TASKS, VOCAB_SIZE, splits
from scratchbook.lab.halting import Halting, LocalBlock, LoopConfig, LoopedTransformer, real_positions
from scratchbook.lab.models import lm_loss
from scratchbook.lab import routing
from scratchbook.lab.moe import MoE, MoEConfig


@dataclass
class MoELoopConfig(MoEConfig, LoopConfig):
    block_size: int = 1  # as LoopConfig (MoEConfig's own fields would restore ModelConfig's)
    capacity_factor: float = 0.0  # no capacity limit: every position gets its expert


class MoELocalBlock(LocalBlock):
    """LocalBlock whose feed-forward is a mixture of experts, run on the positions in `route` only."""

    def __init__(self, config: MoELoopConfig):
        super().__init__(config)
        self.ffn = MoE(config)
        self.route: torch.Tensor | None = None  # (B, T) bool, set by the model: the positions to route

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        if self.route is None:
            return x + self.ffn(self.ln_2(x))
        update = torch.zeros_like(x)
        update[self.route] = self.ffn(self.ln_2(x[self.route]))  # padding never reaches the router
        return x + update


class MoELoopedTransformer(LoopedTransformer):
    """LoopedTransformer whose shared block routes every position to an expert at every pass.

    After a forward: ``experts`` (B, T, S) long, the first-choice expert of each
    position at each of the S passes run, -1 at padding and after the position
    halted; ``aux_loss``, the balancing loss averaged over passes (with its graph),
    added to the loss with weight aux_loss_coef.
    """

    def __init__(self, config: MoELoopConfig):
        super().__init__(config)
        self.blocks[0] = self.block = MoELocalBlock(self.config)
        self._passes: list = []

    def step(self, h, e):
        out = super().step(h, e)
        moe = self.block.ffn
        self._passes.append((moe.routing.experts[:, 0], moe.aux_loss))
        return out

    def forward(self, idx, targets=None, passes: int | None = None):
        real = real_positions(idx)
        self.block.route, self._passes = real, []
        logits, loss = super().forward(idx, targets, passes)
        S = len(self._passes)
        experts = torch.full((*idx.shape, S), -1, dtype=torch.long)
        ran = torch.arange(1, S + 1) <= self.halting.steps.unsqueeze(-1)  # (B, T, S): pass n ran at the position
        for n, (chosen, _) in enumerate(self._passes):
            experts[..., n][real.cpu()] = chosen.cpu()
        self.experts = experts.masked_fill(~ran, -1)
        self.aux_loss = torch.stack([aux for _, aux in self._passes]).mean()
        self._passes = []
        if loss is not None:
            loss = loss + self.config.aux_loss_coef * self.aux_loss
        return logits, loss


@dataclass
class DepthRouteConfig(LoopConfig):
    deep_bias: float = 2.0  # the router's initial bias: p_deep = 0.88, so every position starts deep
    explore: float = 0.1  # in training, this share of the shallow-routed positions runs deep anyway


class DepthRoutedTransformer(LoopedTransformer):
    """Two experts that differ in depth, and a router that picks one per position (hard top-1).

    The shallow expert is the shared block applied once; the deep expert is the
    same block applied ``passes`` times. Every real position runs the first pass;
    a router (one linear unit on the state after it) gives p_deep, and only the
    positions with p_deep > 1/2 run the other passes (the rest keep their state, as
    halted positions do under ACT). Each position's output is its chosen path's.
    The idea is the plan's section 5.5; routing each token to more or less depth is
    what Mixture-of-Depths (Raposo et al. 2024) does with a top-k router.

    Training. A hard choice has no gradient, so the router learns what the choice
    is worth, the way Part 6's policy learns when a tool call is: wherever the deep
    path ran, both paths' losses are known, and the router's target is 1 when the
    deep path's loss is lower than the shallow one's by more than its price,
    tau * (passes - 1) nats (ACT's ponder cost per pass, ramped in as ACT's through
    tau_scale); binary cross-entropy, added to the loss. A share ``explore`` of the
    shallow-routed positions runs deep anyway, drawn at random, so that the router
    hears about them (as router noise does in Shazeer et al. 2017). The shallow path's
    readout is trained on every position, the deep path's where it ran.

    After a forward: ``halting`` as LoopedTransformer's (steps: 1 or ``passes``, 0 at
    padding), ``deep`` (B, T) bool, and in training ``router_loss``.
    """

    def __init__(self, config: DepthRouteConfig):
        super().__init__(replace(config, act=False))
        self.ln_r = nn.LayerNorm(config.n_embd)
        self.router = nn.Linear(config.n_embd, 1)
        nn.init.constant_(self.router.bias, config.deep_bias)
        self.deep: torch.Tensor | None = None

    def forward(self, idx, targets=None, passes: int | None = None):
        passes = passes or self.config.passes
        e = self.embed(idx)
        real = real_positions(idx)
        h = self.step(torch.zeros_like(e), e)
        first = h + e
        p = torch.sigmoid(self.router(self.ln_r(first))).squeeze(-1)  # (B, T) p_deep
        deep = p > 0.5
        if self.training and self.config.explore > 0:
            deep = deep | (torch.rand(p.shape, device=p.device) < self.config.explore)
        deep = deep & real
        if deep.any():
            for _ in range(passes - 1):
                h = torch.where(deep.unsqueeze(-1), self.step(h, e), h)
        shallow_logits = self.lm_head(self.ln_f(first))
        deep_logits = self.lm_head(self.ln_f(h + e))
        logits = torch.where(deep.unsqueeze(-1), deep_logits, shallow_logits)
        steps = torch.where(deep, float(passes), 1.0) * real
        self.halting = Halting(steps, torch.zeros_like(steps), steps, real)
        self.deep = deep
        if targets is None:
            return logits, None
        if not self.training:
            return logits, lm_loss(logits, targets)
        has = targets != -1
        V = logits.size(-1)
        l_shallow = F.cross_entropy(shallow_logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1,
                                    reduction="none").view_as(targets)
        l_deep = F.cross_entropy(deep_logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1,
                                 reduction="none").view_as(targets)
        ran = deep & has
        loss = (l_shallow.sum() + l_deep[ran].sum()) / has.sum()
        price = self.config.tau * self.tau_scale * (passes - 1)
        worth = (l_shallow - l_deep).detach() > price
        self.router_loss = (F.binary_cross_entropy(p[ran], worth[ran].float()) if ran.any()
                            else p.sum() * 0.0)
        return logits, loss + self.router_loss


# -----------------------------------------------------------------------------
# counting


def bits(nats: float) -> float:
    return nats / math.log(2)


def strata_counts(strata, labels, experts, n_labels: int, n_expert: int) -> np.ndarray:
    """Counts (strata, n_labels, n_expert); strata, labels, experts (M,) long from 0."""
    n_strata = int(strata.max()) + 1 if len(strata) else 1
    return routing.count_matrix(strata * n_labels + labels, experts, n_strata * n_labels, n_expert).reshape(
        n_strata, n_labels, n_expert)


def shuffled_within(labels: torch.Tensor, strata: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The labels permuted at random among the events of each stratum."""
    grouped = torch.argsort(strata, stable=True)
    mixed = torch.argsort(strata.double() + torch.rand(len(strata), generator=gen, dtype=torch.double))
    out = torch.empty_like(labels)
    out[grouped] = labels[mixed]
    return out


def information(labels, experts, strata, n_labels: int, n_expert: int, shuffles: int = 19, seed: int = 0) -> dict:
    """I(expert; label | stratum) in bits, and a permutation test of it.

    The labels are shuffled among the events of each stratum ``shuffles`` times: a
    finite sample shows some information even where there is none. ``chance`` is the
    largest shuffled value; ``beyond_chance`` says the observed value exceeds every
    shuffle (one-sided p < 1 / (shuffles + 1), 0.05 with 19).
    """
    def info(labels):
        return bits(routing.conditional_mutual_information(strata_counts(strata, labels, experts, n_labels, n_expert)))

    observed = info(labels)
    gen = torch.Generator().manual_seed(seed)
    null = [info(shuffled_within(labels, strata, gen)) for _ in range(shuffles)]
    return {"bits": observed, "chance": max(null), "beyond_chance": observed > max(null)}


def routing_tables(experts: torch.Tensor, reach: torch.Tensor, has: torch.Tensor, n_expert: int) -> dict:
    """Expert usage at the answer positions, by pass, reach and position.

    experts (B, T, S) from MoELoopedTransformer (-1: not run); reach (B, T) long and
    has (B, T) bool from the task data. Every (answer position, pass run) is one event.
    Returns the counts by_pass (S, K) and by_reach_first_pass {reach: (K,)} (the
    first pass, which every answer runs), H(expert) in bits, and three
    information() results: expert against pass; against reach given the pass; and
    against reach given pass and position (the reach of an answer often grows with
    its position, and position alone may steer a router).
    """
    B, T, S = experts.shape
    ran = (experts >= 0) & has.unsqueeze(-1)
    e = experts[ran]
    n = torch.arange(S).expand_as(experts)[ran]
    pos = torch.arange(T).view(1, T, 1).expand_as(experts)[ran]
    r = reach.unsqueeze(-1).expand_as(experts)[ran]
    reaches = sorted(set(r.tolist()))
    r_index = torch.searchsorted(torch.tensor(reaches), r)
    R = len(reaches)
    by_pass = routing.count_matrix(n, e, S, n_expert)
    first = n == 0
    by_reach_first = routing.count_matrix(r_index[first], e[first], R, n_expert)
    one = torch.zeros_like(n)
    return {
        "events": int(ran.sum()),
        "by_pass": by_pass.tolist(),
        "by_reach_first_pass": {v: by_reach_first[i].tolist() for i, v in enumerate(reaches)},
        "entropy_bits": bits(routing.entropy(routing.expert_fractions(e, n_expert))),
        "max_bits": math.log2(n_expert),
        "pass": information(n, e, one, S, n_expert),
        "reach_given_pass": information(r_index, e, n, R, n_expert),
        "reach_given_pass_position": information(r_index, e, n * T + pos, R, n_expert),
    }


# -----------------------------------------------------------------------------
# the experiment


def make_model(b, n_expert: int, seed: int, halting: str, **kw) -> MoELoopedTransformer:
    """Part 5's ACT model (adaptive.make_model's sizes) with K experts in its block."""
    torch.manual_seed(seed)
    cfg = MoELoopConfig(vocab_size=VOCAB_SIZE, n_head=b.n_head, n_embd=b.n_embd, window=b.window,
                        passes=b.cap, act=True, tau=b.tau, halting=halting, halt_bias=b.halt_bias,
                        n_expert=n_expert, **kw)
    return MoELoopedTransformer(cfg)


def seed_runs(task: str, b, build, analyse, describe, progress=print) -> list[dict]:
    """Train build(seed) on `task` with Part 5's recipe for every seed of Budget `b` (adaptive.Budget).

    Each record: adaptive.summarize of the test split, whatever analyse(model, test)
    adds (the model after a forward over the whole test split), the training loss
    curve (first seed), the blocks' passes run in training (counted work), seconds
    (training) and seconds_with_eval (wall-clock). describe(record) is the progress line.
    """
    torch.set_num_threads(b.threads)
    data = splits(task, b.n_train, b.n_test, b.n_long, seed=b.seed)
    test = data["test"]
    out = []
    for seed in b.seeds:
        t0 = time.perf_counter()
        model = build(seed)
        tr = train_model(model, data["train"], train_config(b, seed), ramp=b.ramp,
                         eval_data=test if seed == b.seeds[0] else None)
        r = summarize(test, predict(model, test, batch_size=len(test)))  # one batch: the model's record covers the split
        r.update(analyse(model, test))
        r.update(seed=seed, seconds=tr["seconds"], passes_run=tr["passes_run"],
                 seconds_with_eval=time.perf_counter() - t0)
        if seed == b.seeds[0]:
            r["curve"] = loss_curve(tr)
        out.append(r)
        progress(f"{task} seed {seed}: per-position {r['per_position']:.3f} passes {r['mean_passes']:.2f} "
                 f"{describe(r)} ({tr['seconds']:.1f} s)")
    return out


def run_routed(task: str, b, n_expert: int = 4, progress=print) -> list[dict]:
    """ACT with a K-expert block on `task`, one seed_runs record per seed, with "routing":
    routing_tables of the test answers."""

    def describe(r):
        t = r["routing"]
        return (f"MoE-ACT K={n_expert}: I(E;P) {t['pass']['bits']:.3f} I(E;R|P) {t['reach_given_pass']['bits']:.3f} "
                f"I(E;R|P,pos) {t['reach_given_pass_position']['bits']:.3f} bits")

    return seed_runs(task, b, lambda seed: make_model(b, n_expert, seed, TASKS[task].halting),
                     lambda model, test: {"routing": routing_tables(model.experts, test.reach, test.Y != -1, n_expert),
                                          "n_expert": n_expert},
                     describe, progress)


def run_depth_routed(task: str, b, deep: int, progress=print) -> list[dict]:
    """The deep/shallow router on `task`, one seed_runs record per seed (mean_passes counts
    1 or ``deep`` per answer), with deep_share (answers sent deep), deep_by_reach
    {reach: share sent deep} and spearman_deep_reach."""

    def build(seed):
        torch.manual_seed(seed)
        return DepthRoutedTransformer(DepthRouteConfig(
            vocab_size=VOCAB_SIZE, n_head=b.n_head, n_embd=b.n_embd, window=b.window, passes=deep, tau=b.tau))

    def analyse(model, test):
        has = test.Y != -1
        went_deep, reach = model.deep[has].float(), test.reach[has]
        return {"deep": deep, "deep_share": float(went_deep.mean()),
                "deep_by_reach": {v: float(went_deep[reach == v].mean()) for v in sorted(set(reach.tolist()))},
                "spearman_deep_reach": spearman(reach.tolist(), went_deep.tolist())}

    return seed_runs(task, b, build, analyse,
                     lambda r: f"deep/shallow: deep {r['deep_share']:.2f} rho {r['spearman_deep_reach']:.2f}", progress)

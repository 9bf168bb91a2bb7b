"""Router collapse on purpose: the knobs that make one expert take every token.

A router without a balancing loss can fall into a rich-get-richer loop: the
expert that starts slightly ahead receives more tokens, so it learns faster,
so the router prefers it more (Shazeer et al. 2017, "Outrageously Large Neural
Networks", section 4; Fedus et al. 2021, "Switch Transformers", section 2.2).
Whether the loop closes at a given scale depends on a few settings, which this
module exposes without touching the MoE layer itself (moe.MoE):

- router_init_scale multiplies the router's initial weights: a large one makes
  the router confident before the experts have learned anything;
- router_lr_scale makes the router learn that many times faster than the rest
  of the model (see ScaledRouter for how, with one learning rate for all);
- router_noise (Gaussian noise on the logits while training, Shazeer et al.'s
  noisy gating), n_expert and capacity_factor are MoEConfig's own.

With a capacity limit a collapsing router cannot give its favourite more than
its capacity, so collapse shows as dropped tokens rather than as one expert's
share of the tokens processed; the first choices (Routing.experts[:, 0]) still
show where the router wanted to send them. Both are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from scratchbook.lab import moe, routing
from scratchbook.lab import train as training


@dataclass
class CollapseConfig(moe.MoEConfig):
    router_init_scale: float = 1.0  # times PyTorch's default nn.Linear initialisation
    router_lr_scale: float = 1.0  # the router's learning rate over the model's


class ScaledRouter(nn.Linear):
    """A router whose effective weights are lr_scale * weight, stored divided by lr_scale.

    At initialisation it computes exactly what `router` (scaled by init_scale)
    computes. Adam's step on a weight has a size set by the learning rate, not by
    the gradient's scale, so each step moves the stored weight by about lr and the
    effective weight by about lr_scale * lr: the router learns lr_scale times faster
    while the optimiser keeps one learning rate and schedule (the "multiplier" form
    of a per-layer learning rate, as in muP, Yang et al. 2021). AdamW's decoupled
    weight decay shrinks both by the same factor, so it is unchanged.
    """

    def __init__(self, router: nn.Linear, init_scale: float, lr_scale: float):
        super().__init__(router.in_features, router.out_features, bias=False)
        self.lr_scale = lr_scale
        with torch.no_grad():
            self.weight.copy_(router.weight * init_scale / lr_scale)

    def forward(self, x):
        return F.linear(x, self.lr_scale * self.weight)


def collapse_model(config: CollapseConfig) -> moe.MoETransformer:
    """moe.MoETransformer with every router replaced by a ScaledRouter (draws the initial
    weights from torch's global generator, as MoETransformer does)."""
    model = moe.MoETransformer(config)
    for layer in model.moe_layers():
        layer.router = ScaledRouter(layer.router, config.router_init_scale, config.router_lr_scale)
    return model


def first_choice_loads(model: moe.MoETransformer, n_expert: int) -> tuple[list[list[float]], list[float]]:
    """Of the model's last forward pass, per layer: each expert's share of the tokens that
    chose it first (n_layer, n_expert), and the share of tokens that got no expert
    (dropped: their expert was full)."""
    loads = [routing.expert_fractions(r.experts[:, 0].numpy(), n_expert).tolist()
             for r in model.routing()]
    dropped = [r.dropped_tokens for r in model.routing()]
    return loads, dropped


def train_and_watch(config: CollapseConfig, data, watched, train_config: training.TrainConfig,
                    snapshot_every: int) -> dict:
    """Train a collapse_model on data.train (seed: train_config.seed) and watch its routing.

    watched: (X, Y) fixed validation lines routed at step 1 and every snapshot_every
    steps. Returned, as plain data:
    "snapshots": {"step", "fractions" (step, layer, expert: first-choice shares of the
    watched tokens), "experts" (step, layer, token: first choices), "dropped" (step,
    layer: share of watched tokens dropped, in one forward of all watched lines)};
    "batch_loads" (step, layer, expert) and "batch_dropped" (step, layer): the same of
    every training batch; "history": training.train's; "final_loss": the watched
    lines' mean loss at the end (nats per character).
    """
    torch.manual_seed(train_config.seed)
    model = collapse_model(config)
    Xs, Ys = watched
    snapshots = {"step": [], "fractions": [], "experts": [], "dropped": []}
    batch_loads, batch_dropped = [], []

    def watch(step, total, loss):
        loads, dropped = first_choice_loads(model, config.n_expert)  # the batch just trained on
        batch_loads.append(loads)
        batch_dropped.append(dropped)
        if step % snapshot_every == 0 or step == 1:
            model.eval()
            with torch.no_grad():
                model(Xs)
            loads, dropped = first_choice_loads(model, config.n_expert)
            snapshots["step"].append(step)
            snapshots["fractions"].append(loads)
            snapshots["experts"].append(np.stack([r.experts[:, 0].numpy() for r in model.routing()]))
            snapshots["dropped"].append(dropped)
            model.train()

    history = training.train(model, data.train, watched, train_config, progress=watch)
    return {"snapshots": {**snapshots, "experts": np.stack(snapshots["experts"])},
            "batch_loads": np.array(batch_loads), "batch_dropped": np.array(batch_dropped),
            "history": history, "final_loss": history["final_test_loss"]}


def busiest_share(fractions) -> float:
    """The busiest expert's share of the tokens in the busiest layer, fractions (layer, expert)."""
    return float(np.max(fractions))

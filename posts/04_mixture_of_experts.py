# ---
# title: "Building a Mixture-of-Experts Model"
# description: "Swapping the transformer's feed-forward layer for a routed set of experts, on a toy mix of names, sums and code, and measuring whether the routing follows the data."
# weight: 40
# series: "Neural Nets from Scratch"
# skin: chalkboard
# draft: true
# slug: neural-nets-mixture-of-experts
# ---

# %% [markdown]
# In the transformer from [Part 3](/blog/neural-nets-karpathy-tour/), every token goes
# through every weight. A mixture of experts breaks that rule: each block holds several
# feed-forward networks (the *experts*) and a small *router* that sends each token to one
# or two of them. The model gets more parameters while each token pays for only the experts
# it visits. That is conditional computation in its plainest form, and it is how several
# of today's largest language models are built.
#
# This post builds one on a laptop CPU and asks a question that can be answered with
# numbers: **does the routing follow the kind of text a token comes from?** And when it
# goes wrong, what does that look like?
#
# ## A data set with three kinds of text
#
# On a single homogeneous corpus there is no "kind of text" for experts to specialise in,
# so we make three: the names from Part 3, arithmetic such as `{{ example_arith }}`, and
# one-line Python statements such as `{{ example_code }}`. The last two come from small
# seeded generators (version {{ generator_version }} of the benchmark; identical on every
# machine; sha256 `{{ mixture_sha }}`). Each domain keeps its own held-out validation set,
# and the training stream interleaves all three:

# %% tags=["hide-input"]
import functools
import os
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from matplotlib.colors import TwoSlopeNorm
from torch.utils.flop_counter import FlopCounterMode

from scratchbook import experiment, progress_bar, stands_out, style
from scratchbook.lab import collapse, mixture, models, moe, names, routing
from scratchbook.lab import sample as sampling
from scratchbook.lab import train as training

CORPUS = Path(os.environ.get("SCRATCHBOOK_NAMES") or names.default_corpus_path())
MIX = mixture.MixtureConfig()


@functools.lru_cache(maxsize=1)
def _built_mixture(corpus_file: Path, config_items: tuple) -> mixture.MixtureData:
    return mixture.build_mixture(names.read_names(corpus_file),
                                 mixture.MixtureConfig(**dict(config_items)))


def load_mixture(mix_config: mixture.MixtureConfig, corpus_file: Path) -> mixture.MixtureData:
    """mixture.build_mixture of the corpus file, built once per process and shared by every
    run below (about a CPU-second each time; nothing changes it after it is built)."""
    return _built_mixture(corpus_file, tuple(asdict(mix_config).items()))


mix = load_mixture(MIX, CORPUS)
sizes = mix.sizes()
size_rows = [[d, s["train_lines"], s["val_lines"], s["train_chars"] / s["train_lines"]]
             for d, s in sizes.items()]
mixture_kb = len(mix.text().encode()) / 1000
mixture_sha = mix.sha256()[:16]
generator_version = mixture.GENERATOR_VERSION
example_arith = next(w for w in mix.val_lines["arith"] if "+" in w)
example_code = next(w for w in mix.val_lines["code"] if "for" in w or "if" in w)
cpu_cores = os.cpu_count()
# How much of a training batch is padding: batches of 32 random lines, trimmed to the longest.
share_batches = 200
_needed = training.columns_needed(mix.train[1])
_rows = torch.randint(len(_needed), (share_batches, 32), generator=torch.Generator().manual_seed(0))
real_share = float((_needed[_rows].sum(dim=1) / (32 * _needed[_rows].max(dim=1).values)).mean())

# %% [markdown]
# {{ table(size_rows, headers=["domain", "training lines", "validation lines", "mean length"], formats={"mean length": ".1f"}, key="mixture_sizes") }}
#
# That is {{ num(mixture_kb, ".0f") }} KB of text over a shared vocabulary of
# {{ mix.vocab.size }} characters: {{ claim(mixture_kb * 1000 <= 1474560, "the whole benchmark would fit on a floppy disk", otherwise="a little more than a floppy disk holds", mixture_bytes=mixture_kb * 1000, floppy_bytes=1474560) }}.
#
# ## The change: one class
#
# The baseline block runs attention, then one feed-forward network (`FeedForward`). The
# mixture-of-experts block keeps everything and swaps that one attribute. Below, its
# `__init__` runs the baseline's through `super()` (the unchanged lines are context), then
# replaces `self.ffn`; `forward` it inherits unchanged. The second part of the diff is the
# new `MoE` layer that takes the feed-forward network's place:
#
# {{ diff(models.Block, moe.MoEBlock, also=[moe.MoE]) }}
#
# The router is `self.router`, a single linear map from a token's vector to one score per
# expert. A softmax turns the scores into probabilities; the token goes to the top expert
# (*top-1*, as in the
# [Switch Transformer](https://arxiv.org/abs/2101.03961)) or the top two (*top-2*, as in
# [GShard](https://arxiv.org/abs/2006.16668)), and the experts' outputs are added up,
# weighted by those probabilities, which is also how the router receives a gradient.
# Dispatch is batched: each expert gathers all of its tokens and runs once.
#
# One more change makes training cheaper without changing what the model computes. Lines are
# short and a batch is padded to its longest line, so many positions of a batch are padding
# ({{ pct(1 - real_share) }} of them, averaged over {{ plural(share_batches, "training batch", "training batches") }}). The
# model packs them out after the embedding: LayerNorm, the attention's projections, the
# experts and the output layer run on the real tokens only, so no router ever sees padding,
# and only the attention itself goes back to the padded grid, line by line (the idea of
# FlashAttention's `unpad_input`, done with plain indexing). The attention's change:
#
# {{ diff(models.CausalSelfAttention, moe.PackedAttention) }}
#
# Two more pieces keep it trainable. An expert has a *capacity*, the most tokens it accepts
# per batch (here {{ num(base_moe.capacity_factor, ".2f") }} times an even share); a token
# that finds its expert full skips it and continues on the residual connection alone, which
# the post counts as dropped. And a *load-balancing loss* (Switch's
# \( K \sum_i f_i P_i \), where \( f_i \) is the share of tokens sent to expert \( i \) and
# \( P_i \) its mean router probability) is added to the language-model loss with weight
# {{ num(base_moe.aux_loss_coef, ".2f") }}. It equals 1 when the load is even and grows
# towards {{ base_moe.n_expert }} as one expert takes over:
#
# {{ code(moe.load_balancing_loss) }}

# %% tags=["hide-input"]
base_moe = moe.MoEConfig(vocab_size=mix.vocab.size, block_size=mix.block_size, n_layer=4,
                         n_head=4, n_embd=64, n_expert=4, top_k=1, capacity_factor=1.25,
                         aux_loss_coef=0.01)
# The series aims at 5 CPU-minutes per post, seeds included: 250 steps per run was chosen
# to fit thirteen runs (three seeds of the three mixtures and of the dense model with the
# same active parameters, one of the dense model with the same total) into it, with the
# collapse sweep and the cost measurements; the post reports the measured total.
STEPS = 250
TRAIN = training.TrainConfig(steps=STEPS, batch_size=32, lr=3e-3, min_lr=1e-4, warmup=20,
                             schedule="cosine", eval_every=50, threads=1)
SEEDS = (TRAIN.seed, TRAIN.seed + 1, TRAIN.seed + 2)  # each sets the initial weights and the batches
SNAPSHOT_EVERY = 25
WATCH_LINES = 200  # per domain: the fixed validation lines watched during training
PROBES = ("emma", "olivia", "23+45=68", "907-38=869", "for i in range(5): s += i",
          "print(total)")

VARIANTS = {
    # same compute per token as one expert: the Part 3 block, FeedForward 4x wide
    "dense (same active)": replace(base_moe, n_expert=1, top_k=1),
    # same parameter count as four experts: one feed-forward 16x wide
    "dense (same total)": replace(base_moe, n_expert=1, top_k=1, expert_hidden=16 * 64),
    "MoE top-1": base_moe,
    "MoE top-2": replace(base_moe, top_k=2),
    "MoE top-1, no balancing loss": replace(base_moe, aux_loss_coef=0.0),
}


def watched_lines(data):
    """The first WATCH_LINES validation lines of each domain: X, Y (the loss curves and the
    routing snapshots during training use these; the final losses use every line)."""
    X, Y, D = data.val_all()
    keep = torch.cat([torch.nonzero(D == d).squeeze(1)[:WATCH_LINES] for d in range(len(mixture.DOMAINS))])
    return X[keep], Y[keep]


def validation_routing(model, data):
    """Every real validation token: its domain, character class and expert per layer."""
    X, Y, D = data.val_all()
    model.eval()
    with torch.no_grad():
        model(X)
    real = (Y != -1).numpy()  # the model routes exactly these tokens, in this order
    domains = D[:, None].expand_as(Y).numpy()[real]
    classes = routing.char_class_ids(X.numpy(), data.vocab.itos)[real]
    experts = [r.experts[:, 0].numpy() for r in model.routing()]
    dropped = [float(1 - r.accepted[:, 0].float().mean()) for r in model.routing()]
    return domains, classes, experts, dropped


@experiment
def train_variant(name: str, config: moe.MoEConfig, train_config: training.TrainConfig,
                  mix_config: mixture.MixtureConfig, corpus_file: Path, details: bool = True) -> dict:
    """One training run; the seed (initial weights and batches) is train_config.seed.
    details=False leaves out what only the first seed's runs show (routing snapshots during
    training, the routing of every validation token, samples, probe routes): the other
    seeds give their losses. "cpu_seconds": the run's own CPU time, evaluations included."""
    began = time.process_time()
    data = load_mixture(mix_config, corpus_file)
    torch.manual_seed(train_config.seed)
    model = moe.MoETransformer(config)
    Xs, Ys = watched_lines(data)
    snapshots = {"step": [], "fractions": [], "experts": []}
    bar = progress_bar(name)

    def watch(step, total, loss):
        bar(step, total, loss)
        if details and (step % SNAPSHOT_EVERY == 0 or step == 1):
            # Utilisation over training, on the watched validation lines, per layer.
            model.eval()
            with torch.no_grad():
                model(Xs)
            snapshots["step"].append(step)
            layer_experts = [r.experts[:, 0].numpy() for r in model.routing()]
            snapshots["fractions"].append(
                [routing.expert_fractions(e, config.n_expert).tolist() for e in layer_experts])
            snapshots["experts"].append(np.stack(layer_experts))
            model.train()

    history = training.train(model, data.train, (Xs, Ys), train_config, progress=watch)
    val_loss = {d: training.evaluate(model, *data.val[d]) for d in mixture.DOMAINS}
    # All validation lines: each domain's mean loss per token, weighted by its tokens (the
    # same number evaluate() gives on the lines stacked, without a fourth pass over them).
    val_tokens = {d: int((data.val[d][1] != -1).sum()) for d in mixture.DOMAINS}
    val_loss_all = sum(val_loss[d] * val_tokens[d] for d in mixture.DOMAINS) / sum(val_tokens.values())
    expert_params = sum(p.numel() for p in model.blocks[0].ffn.experts[0].parameters())
    total = models.count_params(model)
    active = total - config.n_layer * (config.n_expert - config.top_k) * expert_params
    tokens_per_step = float((data.train[1] != -1).sum()) / len(data.train[1]) * train_config.batch_size
    result = {
        "history": history, "val_loss": val_loss, "val_loss_all": val_loss_all,
        "total_params": total, "active_params": active,
        "us_per_token": 1e6 * history["train_time"] / (train_config.steps * tokens_per_step),
    }
    if details:
        domains, classes, experts, dropped = validation_routing(model, data)
        result.update({"domains": domains, "classes": classes, "experts": np.stack(experts),
                       "dropped": dropped, "snapshots": {"step": snapshots["step"],
                                                         "fractions": snapshots["fractions"],
                                                         "experts": np.stack(snapshots["experts"])}})
        probe = names.encode_words(list(PROBES), data.vocab, data.block_size)[0]
        with torch.no_grad():
            model(probe)
        per_line = moe.real_tokens(probe).sum(dim=1).tolist()  # routing() is per real token
        result["probe_routes"] = [list(line) for line in zip(
            *[[t.tolist() for t in r.experts[:, 0].split(per_line)] for r in model.routing()])]
        # Part 3's prompts, four samples each, seed 11 as there: the series' fixed prompt set.
        result["prompted"] = {p: sampling.sample(model, data.vocab, 4, seed=11, prompt=p)
                              for p in sampling.NAME_PROMPTS}
    result["cpu_seconds"] = time.process_time() - began
    return result


runs = {name: train_variant(name, config, TRAIN, MIX, CORPUS)
        for name, config in VARIANTS.items()}
SEEDED = ("MoE top-1", "MoE top-2", "MoE top-1, no balancing loss")
# The mixtures and the dense model with top-1's compute per token run under every seed. Only
# their final losses are read, so they skip the checks during training (eval_every=0: the
# evaluation draws nothing at random, so the run trains exactly as with them).
more_seeds = {name: [train_variant(name, VARIANTS[name], replace(TRAIN, seed=seed, eval_every=0),
                                   MIX, CORPUS, details=False) for seed in SEEDS[1:]]
              for name in ("dense (same active)",) + SEEDED}
seed_losses = {name: [runs[name]["val_loss_all"]] + [r["val_loss_all"] for r in rs]
               for name, rs in more_seeds.items()}
all_runs = list(runs.values()) + [r for rs in more_seeds.values() for r in rs]
total_seconds = sum(r["cpu_seconds"] for r in all_runs)
top1, top2, noaux = runs["MoE top-1"], runs["MoE top-2"], runs["MoE top-1, no balancing loss"]
dense_active, dense_total = runs["dense (same active)"], runs["dense (same total)"]

FORWARD_LINES, FORWARD_REPEATS = 128, 11


@experiment
def forward_cost(config: moe.MoEConfig, mix_config: mixture.MixtureConfig, corpus_file: Path,
                 lines: int = FORWARD_LINES, repeats: int = FORWARD_REPEATS) -> dict:
    """The cost of one forward pass over the first ``lines`` validation lines, per real token.

    Counted: floating-point operations of every matmul (``torch.utils.flop_counter``; the
    router's gather and scatter move data and count as 0), deterministic. Timed: ``repeats``
    passes after 3 warm-up passes, in microseconds per real token; the median and the
    quartiles. Weights are freshly initialised (seed 0), and the capacity limit is lifted
    (capacity_factor 0), so that every token reaches its top_k experts: an untrained router
    under the limit drops tokens a trained one keeps, and with no token dropped the count
    does not depend on the weights (each expert's matmuls scale with the tokens it gets,
    which add up to top_k per token whichever experts the router picks). ``dropped``: the
    share of tokens that got no expert, averaged over layers, in the counted pass (0: the
    limit is lifted); ``dropped_at_limit``: the same with the config's capacity limit, in
    one extra pass; ``seconds``: the experiment's own CPU time.
    """
    began = time.process_time()
    data = load_mixture(mix_config, corpus_file)
    X, Y, _ = data.val_all()
    X, real = X[:lines], int((Y[:lines] != -1).sum())
    torch.manual_seed(0)
    model = moe.MoETransformer(config).eval()
    with torch.no_grad():
        model(X)
        dropped_at_limit = float(np.mean([r.dropped_tokens for r in model.routing()]))
        for layer in model.moe_layers():
            layer.capacity_factor = 0.0  # lift the limit: every token reaches its experts
        with FlopCounterMode(display=False) as counter:
            model(X)
        dropped = float(np.mean([r.dropped_tokens for r in model.routing()]))
        for _ in range(3):
            model(X)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(X)
            times.append(time.perf_counter() - start)
    per_token = 1e6 * np.array(times) / real
    return {"flops": counter.get_total_flops() / real, "dropped": dropped,
            "dropped_at_limit": dropped_at_limit,
            "us_median": float(np.median(per_token)),
            "us_quartiles": [float(q) for q in np.percentile(per_token, [25, 75])],
            "seconds": time.process_time() - began}


costs = {name: forward_cost(config, MIX, CORPUS) for name, config in VARIANTS.items()}
cost_seconds = sum(c["seconds"] for c in costs.values())
budget_seconds = total_seconds + cost_seconds  # the series aims at 300 (5 CPU-minutes)

# %% tags=["hide-input"]
loss_rows = []
for name, run in runs.items():
    loss_rows.append([name, run["total_params"], run["active_params"],
                      costs[name]["flops"] / 1e3, costs[name]["us_median"] / 1e6,
                      run["val_loss_all"]]
                     + [run["val_loss"][d] for d in mixture.DOMAINS])
loss_headers = (["model", "parameters", "active per token", "forward kFLOP per token",
                 "forward time per token", "validation loss"]
                + [f"{d} loss" for d in mixture.DOMAINS])
loss_formats = {h: ".3f" for h in loss_headers[5:]}
loss_formats["forward kFLOP per token"] = ",.0f"
loss_formats["forward time per token"] = "seconds"  # a timing: checked within a factor


def quartiles(name):
    low, high = costs[name]["us_quartiles"]
    return low, high


flops_ratio = costs["MoE top-1"]["flops"] / costs["dense (same active)"]["flops"]
total_flops_ratio = costs["dense (same total)"]["flops"] / costs["MoE top-1"]["flops"]
# What top-1 adds to the dense model with the same active parameters: its router scores
# n_expert experts where the dense model's scores one, a multiply-add (2 FLOPs) per input
# and score, in every layer.
router_extra = 2 * base_moe.n_embd * (base_moe.n_expert - 1) * base_moe.n_layer
top1_extra = costs["MoE top-1"]["flops"] - costs["dense (same active)"]["flops"]
router_explains = abs(top1_extra - router_extra) < 1e-6 * costs["MoE top-1"]["flops"]
measure_dropped = max(c["dropped"] for c in costs.values())  # 0: the limit is lifted there
untrained_dropped = costs["MoE top-1"]["dropped_at_limit"]
# Drops of the trained models, on all validation lines (the routing table's column).
trained_dropped = max(max(runs[name]["dropped"]) for name in ("MoE top-1", "MoE top-2"))
noaux_dropped = max(runs["MoE top-1, no balancing loss"]["dropped"])
# No sentence rests on the times alone: they move with the machine and its load (the ledger
# checks them within a factor), while the counts are the same everywhere.
(top1_low, top1_high), (dense_low, dense_high) = quartiles("MoE top-1"), quartiles("dense (same active)")

fig_losses = style.figure(height=4.2)
ax = fig_losses.subplots()
for name, run in runs.items():
    steps_ = run["history"]["checkpoints"]["step"]
    curve = np.convolve(run["history"]["train_loss"], np.ones(50) / 50, mode="valid")
    line, = ax.plot(np.arange(len(curve)) + 50, curve, alpha=0.5, linewidth=1)
    ax.plot(steps_, run["history"]["checkpoints"]["test_loss"], "o-", color=line.get_color(),
            markersize=3, label=name)
ax.set_xlabel("training step")
ax.set_ylabel("loss (nats per character)")
ax.set_ylim(0.8, 2.5)
ax.legend()

s_top1, s_top2, s_noaux = (seed_losses[name] for name in SEEDED)
s_dense = seed_losses["dense (same active)"]
# Top-1 against the dense model with its compute per token, over the same seeds.
dense_effect = dict(zip(("real", "diff", "noise", "t"), stands_out(s_top1, s_dense)))
top1_beats_dense = dense_effect["real"] and dense_effect["diff"] < 0
top1_vs_dense = ("higher than" if dense_effect["real"] and dense_effect["diff"] > 0
                 else "lower than" if top1_beats_dense else "within seed noise of")
top2_effect = dict(zip(("real", "diff", "noise", "t"), stands_out(s_top2, s_top1)))
noaux_effect = dict(zip(("real", "diff", "noise", "t"), stands_out(s_noaux, s_top1)))
top2_first_seed_best = min(runs[name]["val_loss_all"] for name in SEEDED) == s_top2[0]
noaux_beats_first_seed = s_noaux[0] < s_top1[0]
# Are the curves still falling at the end? The watched validation loss over the last 100 steps.
still_falling = {name: runs[name]["history"]["checkpoints"]["test_loss"][-3]
                 - runs[name]["history"]["checkpoints"]["test_loss"][-1] for name in runs}
falling = max(still_falling.values())

# %% [markdown]
# ## Five models, one budget
#
# Each model trains for {{ num(STEPS, ",") }} steps of {{ TRAIN.batch_size }} lines with the
# same schedule: a dense baseline with the compute of one expert (this is Part 3's
# block), a dense baseline with as many parameters as four experts (one feed-forward
# network sixteen times wider than the model, instead of four times), the mixture with
# top-1 and top-2 routing over {{ base_moe.n_expert }} experts, and the top-1 mixture with
# its balancing loss switched off. The dense models are the same `MoE` class with a single
# expert, whose router has nothing to choose. The step count was chosen to fit the series'
# aim of five CPU-minutes per post, seeds included (what it took is measured at the end).
# Losses are on all the held-out lines
# (the table: the first seed); the curves are on a fixed {{ WATCH_LINES }} lines per domain:
#
# {{ table(loss_rows, headers=loss_headers, formats=loss_formats, key="models") }}
#
# {{ figure(fig_losses, "moe-loss-curves", alt="Training and validation loss curves of the five models", caption="Training loss (faint, 50-step mean) and validation loss (dots, " ~ num(WATCH_LINES) ~ " lines per domain) of the five models, first seed.") }}
#
# {{ claim(falling > 0.01, "The curves are still falling at the last step: these are comparisons at a small, fixed budget, not between converged models", otherwise="The curves have flattened by the last step", falling=falling) }}.
# A difference of a few thousandths between two runs can be the luck of one seed, so each
# mixture, and the dense model with top-1's compute per token, is trained under
# {{ SEEDS | length }} seeds (a seed sets the initial weights and the order of the batches). Over them, the validation loss is {{ seeds(s_top1) }} for
# top-1, {{ seeds(s_top2) }} for top-2 and {{ seeds(s_noaux) }} for top-1 without the
# balancing loss. Top-2 against top-1: {{ difference(s_top2, s_top1) }}.
# {{ claim(not top2_effect["real"], "Top-2 runs two experts per token, twice top-1's expert arithmetic, and at this budget that buys nothing that stands out of the seed noise", otherwise="Top-2 runs two experts per token, twice top-1's expert arithmetic, and at this budget the difference it makes stands out of the seed noise", difference=top2_effect["diff"], noise=top2_effect["noise"]) }}{{ ", although in the first seed's table it has the best loss of the three mixtures" if top2_first_seed_best and not top2_effect["real"] else "" }}.
# Without the balancing loss against with it: {{ difference(s_noaux, s_top1) }}.
# {{ claim(not noaux_effect["real"], "Switching the balancing loss off neither helps nor hurts the loss beyond seed noise here; what it changes is the routing (below)", otherwise="Switching the balancing loss off changes the loss beyond seed noise: the balancing loss pulls the router towards even loads, which is not what the language-model loss alone would choose", difference=noaux_effect["diff"], noise=noaux_effect["noise"]) }}.
# The dense model with top-1's compute per token ends at {{ seeds(s_dense) }} over the same
# seeds; top-1 against it: {{ difference(s_top1, s_dense) }}, while top-1 carries
# {{ num(top1["total_params"] / dense_active["total_params"], ".1f") }} times its parameters
# (the dense model with as many parameters as top-1 ran under the first seed only).
#
# The cost columns are for one forward pass over {{ FORWARD_LINES }} validation lines, with
# freshly initialised weights and the capacity limit lifted, so that every token reaches its
# experts ({{ claim(measure_dropped == 0, "none is dropped", dropped=measure_dropped) }}).
# Under the limit, top-1's untrained router would drop {{ pct(untrained_dropped) }} of the
# tokens (averaged over layers),
# {{ claim(trained_dropped == 0, "which the trained top-1 and top-2 models do not: they drop none in any layer (on all validation lines, the routing table below)", otherwise="while the trained top-1 and top-2 models drop at most " ~ pct(trained_dropped) ~ " of the tokens in a layer (on all validation lines, the routing table below), so they do less than their rows' counts", dropped=trained_dropped) }}.
# With no token dropped the count does not depend on the weights: each expert's
# arithmetic grows with the tokens it gets, and those add up to the same total whichever
# experts the router picks. The model without the balancing loss drops up to
# {{ pct(noaux_dropped) }} of the tokens in a layer, so its row's count is an upper bound.
# Counted, {{ claim(flops_ratio < 1.05 and total_flops_ratio > 1.5, "the sparse saving is there", otherwise="the sparse saving does not show", flops_ratio=flops_ratio, total_flops_ratio=total_flops_ratio) }}: top-1 does {{ num(flops_ratio, ".3f") }} times the
# arithmetic per token of the dense model with the same active parameters,
# {{ claim(router_explains, "exactly that model's count plus the router's: " ~ num(router_extra, ",") ~ " FLOPs per token for a " ~ base_moe.n_embd ~ "-by-" ~ base_moe.n_expert ~ " matmul in each of the " ~ base_moe.n_layer ~ " layers, where the dense model's one-expert router is " ~ base_moe.n_embd ~ "-by-1", top1_extra=top1_extra, router_extra=router_extra) }},
# and the dense model with the same total parameters does
# {{ num(total_flops_ratio, ".1f") }} times top-1's. Timed, as the median of
# {{ FORWARD_REPEATS }} passes on one thread, top-1 takes {{ seconds(costs["MoE top-1"]["us_median"] / 1e6) }}
# per token (middle half of the passes: {{ seconds(top1_low / 1e6) }} to {{ seconds(top1_high / 1e6) }})
# against {{ seconds(costs["dense (same active)"]["us_median"] / 1e6) }}
# ({{ seconds(dense_low / 1e6) }} to {{ seconds(dense_high / 1e6) }}) for that dense model.
# The count leaves out the router's gather and scatter, which move data rather than compute;
# what they cost shows only in the times, and those move with the machine and its load,
# while the count does not. The benefit that makes mixtures attractive in large models, many more parameters
# for the same arithmetic per token, is expected to pay off in quality when the parameters
# are the bottleneck, which they are unlikely to be with {{ num(mixture_kb, ".0f") }} KB of
# data and {{ num(STEPS, ",") }} steps. The questions this toy answers best are about the routing itself.

# %% tags=["hide-input"]
def layer_stats(run, n_expert):
    rows = []
    for layer, experts in enumerate(run["experts"]):
        fractions = routing.expert_fractions(experts, n_expert)
        counts = routing.expert_domain_counts(experts, run["domains"], n_expert, len(mixture.DOMAINS))
        rows.append({"layer": layer + 1, "fractions": fractions,
                     "balance": routing.load_balance_ratio(fractions),
                     "entropy": routing.usage_entropy(fractions, normalize=True),
                     "cv": routing.coefficient_of_variation(fractions),
                     "nmi": routing.normalized_mutual_information(counts),
                     "counts": counts, "dropped": run["dropped"][layer]})
    return rows


stats = {name: layer_stats(runs[name], base_moe.n_expert)
         for name in ("MoE top-1", "MoE top-2", "MoE top-1, no balancing loss")}
routing_rows = []
for name, layers in stats.items():
    for s in layers:
        routing_rows.append([f"{name}, layer {s['layer']}"] + list(s["fractions"])
                            + [s["balance"], s["cv"], s["entropy"], s["nmi"], s["dropped"]])
routing_headers = (["model, layer"] + [f"expert {i + 1}" for i in range(base_moe.n_expert)]
                   + ["max/mean", "CV", "load entropy", "NMI with domain", "dropped"])
routing_formats = {f"expert {i + 1}": "pct" for i in range(base_moe.n_expert)}
routing_formats.update({"max/mean": ".2f", "CV": ".2f", "load entropy": ".3f",
                        "NMI with domain": ".3f", "dropped": "pct"})

top1_nmi = [s["nmi"] for s in stats["MoE top-1"]]
best_layer = int(np.argmax(top1_nmi))
best_nmi = top1_nmi[best_layer]
top2_best_nmi = max(s["nmi"] for s in stats["MoE top-2"])


def domain_lift(counts):
    """(expert, domain): P(domain | expert) / P(domain); 1 = the expert sees the domain as
    often as the data holds it."""
    return routing.row_normalize(counts) / (counts.sum(axis=0) / counts.sum())


lifts = [domain_lift(s["counts"]) for s in stats["MoE top-1"]]
lift_layer = int(np.argmax([lift.max() for lift in lifts]))
lift_expert, lift_domain = np.unravel_index(np.argmax(lifts[lift_layer]), lifts[lift_layer].shape)
lift_high = float(lifts[lift_layer].max())
shun_expert, shun_domain = np.unravel_index(np.argmin(lifts[lift_layer]), lifts[lift_layer].shape)
lift_low = float(lifts[lift_layer].min())

fig_matrix = style.figure(height=2.6 * ((base_moe.n_layer + 1) // 2))
matrix_axes = fig_matrix.subplots((base_moe.n_layer + 1) // 2, 2, sharex=True, sharey=True)
for layer, ax in enumerate(matrix_axes.ravel()[:base_moe.n_layer]):
    # Lift rather than share, so the largest domain does not fill every row by its size
    # alone; centred on 1 (no preference).
    share = lifts[layer]
    image = ax.imshow(share, cmap="PuOr_r", norm=TwoSlopeNorm(1.0, 0.0, 3.0), aspect="auto")
    ax.set_xticks(range(len(mixture.DOMAINS)), mixture.DOMAINS)
    ax.set_yticks(range(base_moe.n_expert), [f"expert {i + 1}" for i in range(base_moe.n_expert)])
    ax.set_title(f"layer {layer + 1}: NMI {stats['MoE top-1'][layer]['nmi']:.2f}")
    for e in range(base_moe.n_expert):
        for d in range(len(mixture.DOMAINS)):
            ax.text(d, e, f"{share[e, d]:.2f}", ha="center", va="center", gid=style.ON_IMAGE,
                    color="white" if share[e, d] < 0.4 or share[e, d] > 2.0 else "#1b1b1b")
fig_matrix.colorbar(image, ax=fig_matrix.axes, shrink=0.8,
                    label="domain's share here / in all tokens")

# Expert choice by character class inside each domain (top-1, the layer with highest NMI),
# leaving out the start token that opens every line (it is always routed the same way).
_, val_Y, _ = mix.val_all()
position = np.nonzero((val_Y != -1).numpy())[1]
inside = position > 0
by_class = routing.expert_by_char_class(top1["experts"][best_layer][inside],
                                        top1["classes"][inside], top1["domains"][inside],
                                        base_moe.n_expert, len(mixture.DOMAINS))
class_rows = []
for d, domain in enumerate(mixture.DOMAINS):
    for c, cls in enumerate(routing.CHAR_CLASSES):
        total = by_class[d, c].sum()
        if total >= 50:
            shares = by_class[d, c] / total
            class_rows.append([f"{domain}: {cls}", int(total)] + list(shares))
class_headers = ["domain: characters", "tokens"] + [f"expert {i + 1}" for i in range(base_moe.n_expert)]
class_formats = {f"expert {i + 1}": "pct" for i in range(base_moe.n_expert)}
top_class_row = max(class_rows, key=lambda r: max(r[2:]))
top_class_share, top_class_label = max(top_class_row[2:]), top_class_row[0]
top_class_expert = int(np.argmax(top_class_row[2:])) + 1
# The same NMI as for domains, with the character class in place of the domain.
class_nmi = [routing.normalized_mutual_information(
    routing.count_matrix(top1["experts"][layer], top1["classes"], base_moe.n_expert,
                         len(routing.CHAR_CLASSES))) for layer in range(base_moe.n_layer)]
# Two readings of "by domain": does the expert tell you the domain (NMI), and does any
# expert all but refuse a domain (lift far below 1) or take it at several times its share.
strong_preference = lift_high > 2 and lift_low < 0.1
if best_nmi >= 0.6:
    verdict = "yes"
elif best_nmi >= 0.3 or strong_preference:
    verdict = "partly"
else:
    verdict = "mostly no"

# %% [markdown]
# ## Where do the tokens go?
#
# For each mixture, every validation token's first-choice expert in every layer, set against
# the domain it came from. *max/mean* is the busiest expert's load over the average load (1
# is perfectly even); *CV* the coefficient of variation of the loads; *NMI* the normalised
# mutual information between expert and domain, which is 0 when knowing the expert tells you
# nothing about the domain and 1 when each domain has experts of its own; *load entropy*
# the entropy of the loads divided by its maximum, log {{ base_moe.n_expert }} (1 when every
# expert gets the same share, 0 when one gets all); *dropped* the share of tokens that found
# their expert full.
#
# {{ table(routing_rows, headers=routing_headers, formats=routing_formats, key="routing") }}
#
# {{ figure(fig_matrix, "expert-domain-matrix", alt="Four heat maps, one per layer, of how much more or less often each expert sees names, arithmetic and code than the data holds them", caption="Top-1 routing: for each expert (row), each domain's share of its validation tokens divided by that domain's share of all tokens, per layer (1 = no preference; above 1 the expert favours the domain).") }}
#
# The answer to the question is {{ verdict }}. The highest expert-domain NMI of the top-1 model
# is {{ num(best_nmi, ".3f") }}, in layer {{ best_layer + 1 }} ({{ num(top2_best_nmi, ".3f") }}
# for top-2){% if verdict == "partly" %}: no expert is given to one domain, yet preferences are
# strong. In layer {{ lift_layer + 1 }}, expert {{ lift_expert + 1 }} sees
# {{ mixture.DOMAINS[lift_domain] }} {{ num(lift_high, ".1f") }} times as often as the data holds
# it, and expert {{ shun_expert + 1 }} sees {{ mixture.DOMAINS[shun_domain] }} at
# {{ num(lift_low, ".2f") }} times its share{% elif verdict == "mostly no" %}: the experts do not
# divide the data by domain{% else %}: the experts divide the data by domain{% endif %}. Splitting
# the tokens by character class as well (top-1, layer {{ best_layer + 1 }}; rows with at
# least 50 tokens; the start token of each line left out):
#
# {{ table(class_rows, headers=class_headers, formats=class_formats, key="char_classes") }}
#
# The most one-sided row, {{ top_class_label }}, sends {{ pct(top_class_share) }} of its
# tokens to expert {{ top_class_expert }}.
# Measured the same way, the NMI between expert and character class
# ({{ routing.CHAR_CLASSES | join(", ") }}) reaches {{ num(class_nmi | max, ".3f") }}, against
# {{ num(best_nmi, ".3f") }} with the domain:
# {{ claim((class_nmi | max) > best_nmi, "routing here follows the character more than the document it sits in, which matches what the router can see: a single token's vector, formed by a few layers of attention over a short line", otherwise="the character class tells no more about the expert than the domain does", class_nmi=class_nmi | max, domain_nmi=best_nmi) }}. Domain-level specialisation in large models
# comes with far more data, far more experts and far deeper context{{ "; at this size, the cheapest split for the router is by local features" if (class_nmi | max) > best_nmi else "" }}.

# %% tags=["hide-input"]
def utilisation(run):
    """Per snapshot: the max/mean load ratio, averaged over layers."""
    return [float(np.mean([routing.load_balance_ratio(layer) for layer in snap]))
            for snap in run["snapshots"]["fractions"]]


fig_util = style.figure(height=3.4)
axes = fig_util.subplots(1, 2)
for name, run in (("with balancing loss", top1), ("without", noaux)):
    axes[0].plot(run["snapshots"]["step"], utilisation(run), "o-", markersize=3, label=name)
axes[0].axhline(1.0, color=style.INK, linewidth=0.8, linestyle=":")
axes[0].set_xlabel("training step")
axes[0].set_ylabel("busiest expert / mean load")
axes[0].legend()
final = noaux["snapshots"]["fractions"][-1]
for layer, fractions in enumerate(final):
    axes[1].bar(np.arange(base_moe.n_expert) + layer * 0.2 - 0.3, fractions, width=0.2,
                label=f"layer {layer + 1}")
axes[1].set_xticks(range(base_moe.n_expert), [str(i + 1) for i in range(base_moe.n_expert)])
axes[1].set_xlabel("expert")
axes[1].set_ylabel("share of tokens")
axes[1].set_title("without balancing loss, at the end")
axes[1].set_ylim(0, axes[1].get_ylim()[1] * 1.3)  # room for the legend
axes[1].legend(ncol=2)

aux_final = float(np.mean([routing.load_balance_ratio(f) for f in top1["snapshots"]["fractions"][-1]]))
noaux_final = float(np.mean([routing.load_balance_ratio(f) for f in final]))
noaux_peak = max(max(f) for f in final)
COLLAPSE_SHARE = 0.9  # collapse: one expert is the first choice of this share of a layer's tokens
collapsed = noaux_peak >= COLLAPSE_SHARE
# The same peak on all validation lines (the routing table's rows).
noaux_layers = stats["MoE top-1, no balancing loss"]
noaux_peak_layer = int(np.argmax([max(s["fractions"]) for s in noaux_layers]))
noaux_peak_all = float(max(noaux_layers[noaux_peak_layer]["fractions"]))


def churn(run):
    """Share of the watched validation tokens whose expert changed between consecutive snapshots."""
    experts = run["snapshots"]["experts"]
    return [routing.expert_change_share(experts[i], experts[i + 1]) for i in range(len(experts) - 1)]


top1_churn = churn(top1)
early_churn = float(np.mean(top1_churn[:3]))
late_churn = float(np.mean(top1_churn[-3:]))

fig_churn = style.figure(height=3.0)
ax = fig_churn.subplots()
for (name, run), color in zip((("with balancing loss", top1), ("without", noaux)),
                              (style.BLUE, style.ORANGE)):
    ax.plot(run["snapshots"]["step"][1:], churn(run), "o-", color=color, markersize=3, label=name)
ax.set_xlabel("training step (end of the interval)")
ax.set_ylabel("tokens that changed expert")
ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
ax.set_ylim(bottom=0)
ax.legend(frameon=False)

routes = {text: route for text, route in zip(PROBES, top1["probe_routes"])}
prompt_rows = [[p or "(empty)"] + [", ".join(run["prompted"][p]) for run in runs.values()]
               for p in sampling.NAME_PROMPTS]
prompt_headers = ["prompt"] + list(runs)
routing_export = {
    "experts": base_moe.n_expert, "layers": base_moe.n_layer,
    "samples": [{"text": text, "tokens": ["."] + list(text),
                 "expert_per_layer": route} for text, route in routes.items()],
    "utilisation": {name: {"step": run["snapshots"]["step"], "fractions": run["snapshots"]["fractions"]}
                    for name, run in (("top-1", top1), ("top-1, no balancing loss", noaux))},
}

# %% [markdown]
# ## Failure modes: collapse and churn
#
# Without the balancing loss nothing stops a router from favouring whichever expert got
# ahead early: that expert gets more tokens, so it improves faster, so it gets more tokens.
# Over training, the busiest expert's load relative to the mean, averaged over layers:
#
# {{ figure(fig_util, "utilisation", alt="Load imbalance over training with and without the balancing loss, and the final expert loads without it", caption="Left: busiest expert over mean load during training (1 = even). Right: final loads per layer without the balancing loss.") }}
#
# At the end of training, on the watched validation lines of the figure
# ({{ WATCH_LINES }} per domain), the ratio is {{ num(aux_final, ".2f") }} with the balancing
# loss and {{ num(noaux_final, ".2f") }} without it, and the busiest expert of any layer in the
# unbalanced model takes {{ pct(noaux_peak) }} of those tokens ({{ pct(noaux_peak_all) }} of
# all validation tokens, in layer {{ noaux_peak_layer + 1 }} of the routing table).
# {% if collapsed %}One expert ends up with nearly every token in at least one layer: collapse.{% else %}No layer collapses onto a single expert (the next section looks for settings where one does),
# {{ claim(noaux_final > aux_final, "but the loads end further from even than with the balancing loss", otherwise="and the loads end no further from even than with the balancing loss", noaux=noaux_final, aux=aux_final) }}.{% endif %}
#
# {{ claim(early_churn > 0.05, "Routing is also not stable while the model learns", otherwise="Routing settles early", early_churn=early_churn) }}. Between consecutive snapshots
# ({{ num(SNAPSHOT_EVERY) }} steps apart) of the top-1 model, {{ pct(early_churn) }} of
# the watched validation tokens changed expert early in training and {{ pct(late_churn) }} near the
# end (all layers together):
#
# {{ figure(fig_churn, "routing-churn", alt="Share of validation tokens whose expert changed between consecutive snapshots, over training, with and without the balancing loss", caption="Routing churn: between consecutive snapshots " ~ num(SNAPSHOT_EVERY) ~ " steps apart, the share of the watched validation tokens (" ~ num(WATCH_LINES) ~ " lines per domain, all layers) whose first-choice expert changed.") }}
#
# Churn matters because an expert only learns from the tokens it receives: a token
# that moves takes its training signal elsewhere.
#
# The routing of a few fixed strings (expert per token, per layer) and the loads over
# training are exported as [JSON]({{ data_file(routing_export, "routing") }}) for an
# interactive heat map.

# %% tags=["hide-input"]
# The collapse sweep: a tiny mixture (2 layers of width 32), 200 steps at a higher peak
# learning rate, no balancing loss and no capacity limit, one setting changed at a time.
# Keyed in steps, 200 a run: the sweep (13 runs) is a small part of the post's budget; the
# post reports its measured CPU time.
TINY = collapse.CollapseConfig(vocab_size=mix.vocab.size, block_size=mix.block_size, n_layer=2,
                               n_head=2, n_embd=32, n_expert=4, top_k=1, capacity_factor=0.0,
                               aux_loss_coef=0.0)
TINY_TRAIN = replace(TRAIN, steps=200, lr=1e-2, warmup=20, eval_every=0)
TINY_SNAPSHOT_EVERY = 20
SWEEP = {
    "4 experts": {},
    "4 experts, router learning rate x10": {"router_lr_scale": 10.0},
    "4 experts, router initialisation x10": {"router_init_scale": 10.0},
    "4 experts, router noise 1": {"router_noise": 1.0},
    "2 experts": {"n_expert": 2},
    "2 experts, router learning rate x10": {"n_expert": 2, "router_lr_scale": 10.0},
}


@experiment
def collapse_run(config: collapse.CollapseConfig, train_config: training.TrainConfig,
                 mix_config: mixture.MixtureConfig, corpus_file: Path) -> dict:
    """One run of the collapse sweep, watched on the same validation lines as the models above
    (collapse.train_and_watch); "seconds": the run's own CPU time, snapshots included."""
    began = time.process_time()
    data = load_mixture(mix_config, corpus_file)
    result = collapse.train_and_watch(config, data, watched_lines(data), train_config,
                                      TINY_SNAPSHOT_EVERY)
    return {**result, "seconds": time.process_time() - began}


def sweep_summary(run):
    """At the last snapshot: the busiest expert's share of first choices and the share of
    dropped tokens, each in the layer where it is largest, and the watched lines' loss."""
    last = run["snapshots"]
    return {"busiest": collapse.busiest_share(last["fractions"][-1]),
            "dropped": float(max(last["dropped"][-1])), "loss": run["final_loss"]}


sweep = {name: collapse_run(replace(TINY, **change), TINY_TRAIN, MIX, CORPUS)
         for name, change in SWEEP.items()}
sweep_final = {name: sweep_summary(run) for name, run in sweep.items()}
collapsed_settings = [name for name, s in sweep_final.items() if s["busiest"] >= COLLAPSE_SHARE]
# The setting the figure and the variants below study: the sweep's most lopsided.
worst = max(sweep_final, key=lambda name: sweep_final[name]["busiest"])
WORST = replace(TINY, **SWEEP[worst])
CAPACITY = base_moe.capacity_factor
# Without balancing loss or limit the setting is its sweep row (TINY has neither): reused.
at_worst = {(aux, cap): sweep[worst] if (aux, cap) == (0.0, 0.0) else
            collapse_run(replace(WORST, aux_loss_coef=aux, capacity_factor=cap), TINY_TRAIN, MIX, CORPUS)
            for aux in (0.0, base_moe.aux_loss_coef) for cap in (0.0, CAPACITY)}
at_worst_final = {key: sweep_summary(run) for key, run in at_worst.items()}
sweep_rows = ([[name, "no", "none", s["busiest"], s["dropped"], s["loss"]]
               for name, s in sweep_final.items()]
              + [[worst, "yes" if aux else "no", f"{cap:g}" if cap else "none",
                  s["busiest"], s["dropped"], s["loss"]]
                 for (aux, cap), s in at_worst_final.items() if aux or cap])
sweep_headers = ["setting", "balancing loss", "capacity factor", "busiest expert's share",
                 "dropped tokens", "validation loss"]
sweep_formats = {"busiest expert's share": "pct", "dropped tokens": "share",
                 "validation loss": ".3f"}

# The same setting under the post's other two seeds, with and without the balancing loss.
worst_seeds = {aux: [at_worst[aux, 0.0]] + [collapse_run(replace(WORST, aux_loss_coef=aux),
                                                         replace(TINY_TRAIN, seed=seed), MIX, CORPUS)
                                            for seed in SEEDS[1:]]
               for aux in (0.0, base_moe.aux_loss_coef)}
unbalanced_seeds = [sweep_summary(run)["busiest"] for run in worst_seeds[0.0]]
balanced_seeds = [sweep_summary(run)["busiest"] for run in worst_seeds[base_moe.aux_loss_coef]]
seeds_collapsed = sum(share >= COLLAPSE_SHARE for share in unbalanced_seeds)
balanced_collapsed = sum(share >= COLLAPSE_SHARE for share in balanced_seeds)
# Every distinct run once (the setting's first seed without balancing is a sweep row).
sweep_all = (list(sweep.values()) + [run for key, run in at_worst.items() if key != (0.0, 0.0)]
             + [run for runs_ in worst_seeds.values() for run in runs_[1:]])
sweep_seconds = sum(run["seconds"] for run in sweep_all)

free, free_aux = at_worst[0.0, 0.0], at_worst[base_moe.aux_loss_coef, 0.0]
capped, capped_aux = at_worst[0.0, CAPACITY], at_worst[base_moe.aux_loss_coef, CAPACITY]
capacity_share = CAPACITY / WORST.n_expert  # the most of a pass one expert can take
capped_peak_dropped = float(np.max(capped["snapshots"]["dropped"]))
free_final, free_aux_final = at_worst_final[0.0, 0.0], at_worst_final[base_moe.aux_loss_coef, 0.0]
capped_final = at_worst_final[0.0, CAPACITY]
capped_aux_final = at_worst_final[base_moe.aux_loss_coef, CAPACITY]
balanced_busiest = max(free_aux_final["busiest"], capped_aux_final["busiest"])
free_churn, free_aux_churn = churn(free), churn(free_aux)
early_free_churn, early_aux_churn = float(np.mean(free_churn[:3])), float(np.mean(free_aux_churn[:3]))
late_free_churn, late_aux_churn = float(np.mean(free_churn[-3:])), float(np.mean(free_aux_churn[-3:]))
free_busiest = [collapse.busiest_share(f) for f in free["snapshots"]["fractions"]]
# The first snapshot at or over the threshold, if any: when collapse set in.
collapse_step = next((step for step, share in zip(free["snapshots"]["step"], free_busiest)
                      if share >= COLLAPSE_SHARE), None)


def busiest_switches(run):
    """How many times, between consecutive snapshots, a layer's busiest expert changed
    (summed over layers): the routing swinging from one configuration to another."""
    busiest = np.argmax(np.array(run["snapshots"]["fractions"]), axis=2)  # (snapshot, layer)
    return int((busiest[1:] != busiest[:-1]).sum())


free_switches, aux_switches = busiest_switches(free), busiest_switches(free_aux)
most_switches = max(free_switches, aux_switches)
# The lowest busiest share from the snapshot where collapse set in to the end.
lowest_after_collapse = (min(free_busiest[free["snapshots"]["step"].index(collapse_step):])
                         if collapse_step is not None else None)
snapshot_pairs = (len(free["snapshots"]["step"]) - 1) * WORST.n_layer

fig_collapse = style.figure(height=3.4)
axes = fig_collapse.subplots(1, 3)
for label, run, run_capped, color in (("no balancing loss", free, capped, style.ORANGE),
                                      ("balancing loss", free_aux, capped_aux, style.BLUE)):
    steps_ = run["snapshots"]["step"]
    axes[0].plot(steps_, [collapse.busiest_share(f) for f in run["snapshots"]["fractions"]],
                 "o-", color=color, markersize=3, label=label)
    axes[0].plot(steps_, [collapse.busiest_share(f) for f in run_capped["snapshots"]["fractions"]],
                 "--", color=color, label=f"{label}, capacity {CAPACITY:g}")
    axes[1].plot(steps_, [max(d) for d in run_capped["snapshots"]["dropped"]], "--", color=color)
    axes[2].plot(steps_[1:], churn(run), "o-", color=color, markersize=3)
axes[0].axhline(COLLAPSE_SHARE, color=style.INK, linewidth=0.8, linestyle=":")
axes[0].axhline(1 / WORST.n_expert, color=style.INK, linewidth=0.8, linestyle="-.")
axes[0].set_ylim(0, 1.02)
axes[0].set_title("busiest expert's share")
axes[1].set_title(f"dropped (capacity {CAPACITY:g})")
axes[2].set_title("changed expert")
for ax in axes:
    ax.set_xlabel("training step")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
axes[1].set_ylim(bottom=0)
axes[2].set_ylim(bottom=0)
fig_collapse.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=2,
                    frameon=False)

# %% [markdown]
# ### Making it collapse
#
# {{ claim(not collapsed, "The top-1 model without the balancing loss did not collapse", otherwise="The top-1 model without the balancing loss collapsed in at least one layer", busiest=noaux_peak, threshold=COLLAPSE_SHARE) }}.
# To see where collapse sets in, the settings said to cause it are pushed one at a time, on a
# mixture small enough to train in seconds: 2 layers of width 32,
# {{ num(TINY_TRAIN.steps, ",") }} steps of {{ TINY_TRAIN.batch_size }} lines at a peak
# learning rate of {{ num(TINY_TRAIN.lr, ".2f") }}, with no balancing loss and no capacity
# limit. The settings: the router learning ten times faster than the rest of the model, its
# initial weights ten times PyTorch's default, Gaussian noise of standard deviation 1 on its
# scores during training (a fixed-size form of the noisy gating of Shazeer et al., whose noise
# is learned), and two experts instead of four.
# The `MoE` layer already has the noise and the expert count. The other two come from a router
# that takes `self.router`'s place in each layer, in a new module, so the layer itself is
# unchanged:
#
# {{ code(collapse.ScaledRouter) }}
#
# A run *collapses* when at its end one expert is the first choice of at least
# {{ pct(COLLAPSE_SHARE, 0) }} of a layer's watched validation tokens (the same
# {{ WATCH_LINES }} lines per domain as above). For each run, the table gives that busiest
# share (in the layer where it is largest), the share of those tokens dropped at the capacity
# limit (in the layer where it is largest), and the loss on the watched lines, after
# {{ num(TINY_TRAIN.steps, ",") }} steps under one seed:
#
# {{ table(sweep_rows, headers=sweep_headers, formats=sweep_formats, key="collapse_sweep") }}
#
# {% if collapsed_settings %}Collapse shows in {{ count_of(collapsed_settings | length, SWEEP | length, "setting") }}
# ({{ collapsed_settings | join("; ") }}), and the most lopsided, {{ worst }}, ends with
# {{ pct(sweep_final[worst]["busiest"]) }} of a layer's tokens on one expert.{% else %}Without
# a capacity limit, no setting collapses at this scale: the most lopsided, {{ worst }}, ends with its busiest
# expert at {{ pct(sweep_final[worst]["busiest"]) }} of a layer's tokens, under the
# {{ pct(COLLAPSE_SHARE, 0) }} line.{% endif %} The figure follows that setting through
# training with and without the balancing loss (weight {{ num(base_moe.aux_loss_coef, ".2f") }},
# as above), each with no capacity limit and with a capacity factor of
# {{ num(CAPACITY, ".2f") }}; the last three rows of the table are their ends:
#
# {{ figure(fig_collapse, "collapse", alt="Three panels over training of the tiny two-expert mixture: the busiest expert's share of the tokens, the share of tokens dropped at the capacity limit, and the share of tokens that changed expert between snapshots, each with and without the balancing loss", caption="The sweep's most lopsided setting (" ~ worst ~ "), one seed, on the watched validation lines. Left: the busiest expert's share of first choices in the layer where it is largest (dotted: the collapse line; dash-dotted: an even split). Middle: tokens dropped at the capacity limit. Right: tokens whose first-choice expert changed since the previous snapshot, " ~ num(TINY_SNAPSHOT_EVERY) ~ " steps earlier, both layers together.") }}
#
# {% if collapse_step is not none %}Without the balancing loss or a limit, the busiest
# expert reaches the line by step {{ collapse_step }} and
# {{ claim(lowest_after_collapse >= COLLAPSE_SHARE, "stays above it at every later snapshot", otherwise="falls below it again later", lowest_after=lowest_after_collapse, threshold=COLLAPSE_SHARE) }},
# ending at {{ pct(free_final["busiest"]) }}{% else %}Without the balancing loss or a limit,
# the busiest expert never reaches the line; it ends at {{ pct(free_final["busiest"]) }}{% endif %}.
# A capacity factor of {{ num(CAPACITY, ".2f") }} lets one of {{ WORST.n_expert }} experts
# take at most {{ pct(capacity_share) }} of the tokens of a pass, so a router that collapses
# under the limit shows it as dropped tokens rather than as one expert doing all the work.
# {{ claim(capped_final["busiest"] >= COLLAPSE_SHARE, "That is what happens here: the router still sends " ~ pct(capped_final["busiest"]) ~ " of a layer's first choices to one expert, and " ~ pct(capped_final["dropped"]) ~ " of the tokens are dropped at the end", otherwise="Under the limit this run does not collapse in the first place: its busiest expert ends as the first choice of " ~ pct(capped_final["busiest"]) ~ " of a layer's tokens and " ~ pct(capped_final["dropped"]) ~ " of the tokens are dropped at the end (" ~ pct(capped_peak_dropped) ~ " at the worst snapshot). A dropped token sends no gradient through its gate, so the limit also changes what the router learns; one run cannot tell whether that or chance kept it even", busiest=capped_final["busiest"], threshold=COLLAPSE_SHARE) }}.
# With the balancing loss the busiest expert ends at {{ pct(free_aux_final["busiest"]) }}
# without a limit and at {{ pct(capped_aux_final["busiest"]) }} under it, where
# {{ pct(capped_aux_final["dropped"]) }} of the tokens are dropped at the end:
# {{ claim(balanced_busiest < COLLAPSE_SHARE, "in this seed the balancing loss keeps both runs below the line", otherwise="in this seed the balancing loss does not keep both runs below the line", busiest=balanced_busiest, threshold=COLLAPSE_SHARE) }}{{ claim(capped_aux_final["dropped"] < capped_final["dropped"], ", and under the limit it drops fewer tokens than the run without it", otherwise=", and under the limit it drops no fewer tokens than the run without it", balanced=capped_aux_final["dropped"], unbalanced=capped_final["dropped"]) }}.
#
# One seed is one draw. Over the post's {{ SEEDS | length }} seeds, the same setting ends
# with its busiest expert at {{ seeds(unbalanced_seeds, "pct") }} of a layer's tokens without
# the balancing loss and {{ seeds(balanced_seeds, "pct") }} with it (no capacity limit);
# without it the share ends {{ difference(unbalanced_seeds, balanced_seeds, "pct", noise="within seed noise of it") }}.
# Without a limit, collapse happens in {{ count_of(seeds_collapsed, SEEDS | length, "seed") }} without the
# balancing loss and in {{ count_of(balanced_collapsed, SEEDS | length, "seed") }} with it{% if 0 < seeds_collapsed < SEEDS | length %}:
# at this scale the seed, which sets the initial weights and the order of the batches,
# decides whether it happens{% endif %}.
#
# Routing instability, the right-hand panel, is the churn measured above: without the
# balancing loss {{ pct(early_free_churn) }} of the watched tokens changed expert per interval
# over the first three intervals and {{ pct(late_free_churn) }} over the last three; with it,
# {{ pct(early_aux_churn) }} and {{ pct(late_aux_churn) }}.
# {{ claim(late_free_churn < early_free_churn / 2 and late_aux_churn < early_aux_churn / 2, "In both runs the routing moves most while the experts are new and settles as they learn", otherwise="The routing does not settle over these steps: churn near the end is at least half of what it was at the start in one of the runs", early_free=early_free_churn, late_free=late_free_churn, early_aux=early_aux_churn, late_aux=late_aux_churn) }}.
# Does it swing between configurations on the way? Counted per layer, the busiest expert
# changed between consecutive snapshots {{ plural(free_switches, "time") }} without the
# balancing loss and {{ plural(aux_switches, "time") }} with it, out of
# {{ snapshot_pairs }} chances each:
# {{ claim(most_switches <= snapshot_pairs / 10, "neither run swings back and forth between configurations (a switch in at most a tenth of the chances); the instability at this scale is the early churn, which dies down", otherwise="the routing does swing between configurations, in more than a tenth of the chances in at least one run", free=free_switches, aux=aux_switches, chances=snapshot_pairs) }}.
# The sweep's {{ plural(sweep_all | length, "run") }} took {{ seconds(sweep_seconds) }} of
# CPU time.
#
# ## What this shows, and what it cannot
#
# Training all {{ plural(all_runs | length, "run") }} took {{ seconds(total_seconds) }} of CPU time
# (with the validation checks during and after training), one run at a time on one core of a
# {{ cpu_cores }}-core CPU, the cost measurements {{ seconds(cost_seconds) }} and the collapse
# sweep {{ seconds(sweep_seconds) }} more: {{ seconds(budget_seconds + sweep_seconds) }} in all on this machine
# (building the page, with its imports and figures, adds a little), against the series' aim
# of five CPU-minutes per post (a measured time: on a faster or slower machine it differs).
# The mechanics are all here and measurable:
# sparse dispatch, gates, capacity and dropped tokens, the balancing loss and what happens
# without it. {{ claim(flops_ratio < 1.05, "Sparse routing keeps the arithmetic per token within 5% of the dense model's", otherwise="Sparse routing costs more than 5% over the dense model's arithmetic per token", flops_ratio=flops_ratio) }}
# ({{ num(flops_ratio, ".3f") }} times it) while carrying
# {{ num(top1["total_params"] / dense_active["total_params"], ".1f") }} times its parameters,
# {{ claim(not top1_beats_dense, "but the toy does not show the reason mixtures exist, a better model for the same cost per token: at this budget, over " ~ (SEEDS | length) ~ " seeds, top-1 ends " ~ top1_vs_dense ~ " the dense model with its compute per token", otherwise="and the toy shows the reason mixtures exist, a better model for the same cost per token: over " ~ (SEEDS | length) ~ " seeds, top-1 ends lower than the dense model with its compute per token, beyond seed noise", top1_minus_dense=dense_effect["diff"], noise=dense_effect["noise"]) }}.
# {{ "Nor does it show clean specialisation by domain; its routers split on local character features instead." if verdict == "mostly no" else "Its routers specialise by domain only in part (NMI at most " ~ num(best_nmi, ".2f") ~ ")." if verdict == "partly" else "" }}
#
# For a from-scratch implementation in the makemore style, see
# [makeMoE](https://github.com/AviSoori1x/makeMoE); the ideas go back to
# [Jacobs et al. (1991)](https://www.cs.toronto.edu/~hinton/absps/jjnh91.pdf) and, for
# deep networks, [Shazeer et al. (2017)](https://arxiv.org/abs/1701.06538).
# [DeepSeek-MoE](https://arxiv.org/abs/2401.06066) (Dai et al., 2024) goes the other way
# from this post's four large experts: many small, finely split experts plus a few shared
# ones that every token uses, so that experts can specialise.
#
# ## Samples from the series' prompts
#
# Part 3 sampled its models from a fixed set of name prompts, four samples each from the
# same random seed; here are the five models of this post on the same prompts. These models
# learned three kinds of line, and nothing in a prompt says which kind to write, so the empty
# prompt may start arithmetic or code as well as a name:
#
# {{ table(prompt_rows, headers=prompt_headers, formats={"prompt": "code"}, key="prompts") }}
#
# The router decides *which* computation a token gets. The next post asks *how much*.
#
# *Next: [Adaptive Computation: Learning When to Think Harder](/blog/neural-nets-adaptive-computation/)*

# ---
# title: "Adaptive Computation: Learning When to Think Harder"
# description: "One transformer block applied again and again: a fixed number of passes against Adaptive Computation Time on four algorithmic tasks whose difficulty we can measure, and whether the passes a model chooses follow that difficulty."
# weight: 50
# series: "Neural Nets from Scratch"
# skin: chalkboard
# draft: true
# slug: neural-nets-adaptive-computation
# ---

# %% [markdown]
# [Part 4](/blog/neural-nets-mixture-of-experts/) let a router decide *which* weights a token
# goes through. Every token still paid for the same amount of arithmetic. This post changes
# the other dial: *how much* computation an input gets. The model here is one transformer
# block that it may apply once, twice or a dozen times, and with Adaptive Computation Time
# (ACT) it learns, per position, when to stop. Then we measure what it chose.
#
# A word on the title. "Thinking harder" is shorthand for spending more passes of the same
# weights on an input, nothing more. The step-by-step reasoning of large language models
# ([chain-of-thought prompting](https://arxiv.org/abs/2201.11903)) shows up only at scale,
# and nothing in a model of a few thousand parameters reproduces it. What a toy can show is
# the mechanism and its tradeoffs, with numbers: does more depth buy accuracy, does a
# learned halting rule spend its passes where they are needed, and what does that cost?
#
# ## Four tasks whose difficulty we can count
#
# To see whether a model spends more on harder inputs we need inputs whose difficulty is
# known exactly. Each task below is character-level, shares one vocabulary of
# {{ algorithmic.VOCAB_SIZE }} symbols, and for every answer we know its *reach*: how many
# positions back the evidence for that answer lies.

# %% tags=["hide-input", "hide-output"]
import os
import re

import numpy as np
from scratchbook import experiment, style
from scratchbook.lab import adaptive, algorithmic, halting, models

BUDGET = adaptive.Budget()
TASK_NAMES = tuple(algorithmic.TASKS)
cpu_cores = os.cpu_count()


def text_keys(obj):
    """The cache keeps plain data with text keys: depths, reaches and biases become strings."""
    if isinstance(obj, dict):
        return {str(k): text_keys(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [text_keys(v) for v in obj]
    return obj


@experiment
def run_task(task: str, budget: adaptive.Budget) -> dict:
    return text_keys(adaptive.run_task(task, budget))


def numeric_keys(obj):
    """Give depths, reaches and biases back their numbers."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(k, str) and re.fullmatch(r"-?\d+", k):
                k = int(k)
            elif isinstance(k, str) and re.fullmatch(r"-?\d+\.\d+", k):
                k = float(k)
            out[k] = numeric_keys(v)
        return out
    if isinstance(obj, list):
        return [numeric_keys(v) for v in obj]
    return obj


results = {task: numeric_keys(run_task(task, BUDGET)) for task in TASK_NAMES}
total_seconds = sum(r["seconds"] for r in results.values())
train_seconds = sum(sum(f["seconds"] for f in r["fixed"].values())
                    + sum(t["seconds"] for t in r["tau_sweep"])
                    + sum(a["seconds"] for a in r["act_bias"].values()) for r in results.values())
DEPTHS = BUDGET.depths

# %% tags=["hide-input"]
DESCRIPTIONS = {
    "parity": "bits; at every bit, the parity of the bits so far",
    "addition": "two numbers, least significant digit first, a column at a time (a b |); the sum digit per column, the final carry at =",
    "balance": "parentheses then ?; at ?, 1 if balanced",
    "sorted": "digits; at every digit, 1 if the digits so far never go down",
}
task_rows = []
examples = {}
for name, spec in algorithmic.TASKS.items():
    ex = algorithmic.generate(name, 40, spec.lengths, seed=7)
    e = max(ex[:12], key=lambda x: (len(x.text) <= 12, x.difficulty))
    examples[name] = e
    lo, hi = spec.lengths
    llo, lhi = spec.long_lengths
    task_rows.append([name, DESCRIPTIONS[name],
                      f"{e.text} → {e.targets.replace(' ', '·')}",
                      lo, hi, llo, lhi, spec.difficulty_name])
suite_sha = algorithmic.suite_checksum()[:16]
generator_version = algorithmic.GENERATOR_VERSION
add_e = examples["addition"]

# %% [markdown]
# {{ table(task_rows, headers=["task", "what it is", "example (· = no answer)", "shortest", "longest", "held out from", "held out to", "difficulty"], formats={"example (· = no answer)": "code"}, key="tasks") }}
#
# Lengths are in characters, except for addition, where they count columns. The longer
# lengths never appear in training; they test whether whatever the model learned carries
# over. Each task has {{ num(BUDGET.n_train, ",") }} training examples and
# {{ num(BUDGET.n_test, ",") }} test examples, from seeded generators (version
# {{ generator_version }}, sha256 of the reference suite `{{ suite_sha }}`), identical on
# every machine.
#
# Toy tasks invite shortcuts, and the first versions of these generators had some that a
# small model duly found. They are designed out:
#
# - **balance**: a random string of parentheses gives itself away cheaply (it starts with
#   ")", ends with "(", or has more of one kind). Here every unbalanced string is a
#   balanced one with a single `()` turned into `)(`: it starts with "(", ends with ")",
#   has equal counts, and only the running count exposes it.
# - **addition**: with random digits a carry almost never travels far (it ripples through a
#   column only when the column's digits sum to 9), so looking one column back is nearly
#   always enough. Every example plants a run of 9-sum columns of random length behind a
#   column that either makes or kills a carry.
# - **sorted**: an unsorted string is a sorted one with one adjacent pair swapped, so exactly
#   one place gives it away.
#
# The difficulty of an example is its length for parity, the longest distance a carry
# travels for addition, and the distance back to the evidence for balance and sorted.
#
# ## The model: one block, applied again and again
#
# The transformer of Part 3 stacks different blocks. Here there is a single block, and the
# model applies it a number of times, always with the same weights; each application is a
# *pass*. Two changes make the number of passes matter. Attention is *local*: a position
# sees only itself and the {{ BUDGET.window }} positions before it, so one pass moves
# information at most {{ BUDGET.window }} positions and an answer whose evidence lies far
# back needs several passes. And there are no position embeddings (a learned bias per
# offset in the window says where things are), so the same weights run on inputs longer
# than any seen in training. Against the baseline's attention, `LocalAttention` (a
# subclass) keeps the baseline's layers, run through `super()`, and adds the bias per
# offset and a `mask`; `forward` and `weights` apply that mask where the baseline applied
# the causal one, and `qkv` is inherited unchanged:
#
# {{ diff(models.CausalSelfAttention, halting.LocalAttention) }}
#
# A pass feeds the block the current state plus the input embedding, so the last pass still
# sees the characters themselves:
#
# {{ code(halting.LoopedTransformer.step) }}
#
# A *fixed-depth* model runs this {{ DEPTHS[0] }}, {{ DEPTHS[1] }}, {{ DEPTHS[2] }} or {{ DEPTHS[3] }} times. The adaptive model uses
# [Adaptive Computation Time](https://arxiv.org/abs/1603.08983) (Graves, 2016). After each
# pass \( n \) a halting unit, one linear layer on the state, gives a probability
# \( p_n \). Passes continue until the \( p_n \) sum to at least
# \( 1 - \varepsilon \) (\( \varepsilon = {{ num(eps, ".2f") }} \)); that takes \( N \)
# passes, and the last one gets the remainder \( R = 1 - (p_1 + \dots + p_{N-1}) \). The
# output is the mean of the \( N \) states weighted by \( p_1, \dots, p_{N-1}, R \), and
# each answer adds a *ponder cost* \( \tau (N + R) \) to the loss. \( N \) is a count with
# no gradient; \( R \) has one, and it pushes the earlier \( p_n \) up, which ends the
# pondering sooner. Whatever the \( p_n \) say, a cap of {{ BUDGET.cap }} passes stops it.
# Passes are counted as \( N + R \) throughout this post, as in the cost: a position the cap
# stops after {{ BUDGET.cap }} passes counts as up to {{ BUDGET.cap + 1 }}, so an average can
# exceed the cap.
# One pass of that rule, for every position at once:
#
# {{ code(halting.act_step) }}
#
# Three details of the recipe are choices made while building the lab; this post does not
# run the alternatives, except the first (below). The halting unit's bias starts at
# {{ num(BUDGET.halt_bias, "+.0f") }} (Graves' suggestion; \( p = {{ num(p_start, ".2f") }} \),
# so {{ n_start }} passes at first), and pondering must grow from there. The cost weight
# \( \tau = {{ num(BUDGET.tau, ".3f") }} \) ramps in linearly over the first
# {{ pct(BUDGET.ramp[1]) }} of training, because a cost applied from the start can push the
# halting unit to a single pass before more passes have paid off anywhere, and once
# \( p_1 \ge 1 - \varepsilon \) no gradient reaches the halting unit again. And on balance,
# whose only answer sits at the end, the answer position's halting unit decides for the
# whole example, so that the number of passes cannot carry the answer from other
# positions.
#
# Every model, fixed or adaptive, has the same {{ num(BUDGET.n_embd) }}-dimensional block with
# {{ BUDGET.n_head }} heads and trains for {{ num(BUDGET.steps, ",") }} steps of
# {{ BUDGET.batch_size }} examples with the same schedule and seed.

# %% tags=["hide-input"]
eps = halting.LoopConfig(vocab_size=algorithmic.VOCAB_SIZE).eps
p_start = float(1 / (1 + np.exp(-BUDGET.halt_bias)))
n_start = int(np.ceil((1 - eps) / p_start))

acc_rows = []
for name, r in results.items():
    for d in DEPTHS:
        f = r["fixed"][d]
        acc_rows.append([name, "fixed depth", f["mean_passes"], f["per_position"], f["exact"],
                         f["long"]["per_position"]])
    a = r["act"]
    acc_rows.append([name, "ACT", a["mean_passes"], a["per_position"], a["exact"],
                     a["long_raised_cap"]["per_position"]])
acc_headers = ["task", "model", "mean passes", "answers right", "examples right",
               "longer inputs, answers right"]
acc_formats = {"mean passes": ".2f", "answers right": "pct", "examples right": "pct",
               "longer inputs, answers right": "pct"}

fig_compute = style.figure(height=5.2)
for ax, (name, r) in zip(fig_compute.subplots(2, 2, sharex=True, sharey=True).ravel(), results.items()):
    xs = [r["fixed"][d]["mean_passes"] for d in DEPTHS]
    ys = [r["fixed"][d]["per_position"] for d in DEPTHS]
    ax.plot(xs, ys, "o-", color=style.BLUE, label="fixed depth")
    for d, x, y in zip(DEPTHS, xs, ys):
        ax.annotate(str(d), (x, y), textcoords="offset points", xytext=(4, -11))
    ax.plot([r["act"]["mean_passes"]], [r["act"]["per_position"]], "*", color=style.VERMILLION,
            markersize=13, label="ACT")
    ax.set_xscale("log", base=2)
    ax.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
    ax.set_title(name)
for ax in fig_compute.axes[2:]:
    ax.set_xlabel("mean passes per answer")
for ax in fig_compute.axes[::2]:
    ax.set_ylabel("answers right (test)")
fig_compute.axes[0].legend(loc="lower right")

CURVES = {"fixed depth 1": (lambda r: r["fixed"][DEPTHS[0]]["curve"], style.SKY),
          f"fixed depth {DEPTHS[-1]}": (lambda r: r["fixed"][DEPTHS[-1]]["curve"], style.BLUE),
          "ACT": (lambda r: r["act"]["curve"], style.VERMILLION)}
fig_curves = style.figure(height=5.2)
for ax, (name, r) in zip(fig_curves.subplots(2, 2, sharex=True, sharey=True).ravel(), results.items()):
    for label, (curve_of, color) in CURVES.items():
        curve = curve_of(r)
        ax.plot(curve["step"], curve["train"], color=color, alpha=0.45)
        ax.plot(curve["step"], curve["test"], "o-", color=color, markersize=3, label=label)
    ax.set_title(name)
for ax in fig_curves.axes[2:]:
    ax.set_xlabel("training step")
for ax in fig_curves.axes[::2]:
    ax.set_ylabel("loss (nats per answer)")
fig_curves.axes[0].legend(loc="upper right")


def best_fixed(r):
    return max(DEPTHS, key=lambda d: (r["fixed"][d]["per_position"], -d))


act_summary = {}
for name, r in results.items():
    a, b = r["act"], best_fixed(r)
    cheapest_match = next((d for d in DEPTHS
                           if r["fixed"][d]["per_position"] >= a["per_position"] - 0.005), None)
    act_summary[name] = {"best": b, "gap": a["per_position"] - r["fixed"][b]["per_position"],
                         "passes": a["mean_passes"], "match": cheapest_match}


act_rows = []
for name, r in results.items():
    s = act_summary[name]
    act_rows.append([name, r["act"]["mean_passes"], r["act"]["per_position"], s["best"],
                     r["fixed"][s["best"]]["per_position"],
                     s["match"] if s["match"] is not None else "none"])
act_headers = ["task", "ACT mean passes", "ACT answers right", "best fixed depth",
               "its answers right", "fewest fixed passes that match ACT"]
act_formats = {"ACT mean passes": ".2f", "ACT answers right": "pct", "its answers right": "pct"}
n_act_close = sum(act_summary[n]["gap"] >= -0.01 for n in TASK_NAMES)
n_act_cheaper = sum(act_summary[n]["gap"] >= -0.01 and act_summary[n]["passes"] < act_summary[n]["best"]
                    for n in TASK_NAMES)
one_pass_low = [n for n in TASK_NAMES if results[n]["fixed"][1]["per_position"] < 0.9]
eight_pass_high = [n for n in TASK_NAMES if results[n]["fixed"][8]["per_position"] >= 0.95]
one_pass_words = ("on every task" if len(one_pass_low) == len(TASK_NAMES)
                  else "on " + (", ".join(one_pass_low) or "no task"))
dominated = [n for n in TASK_NAMES if act_summary[n]["match"] is not None
             and act_summary[n]["match"] < act_summary[n]["passes"]]

# %% [markdown]
# ## Accuracy against measured compute
#
# First, how training went. Every model's loss on the answers, on training batches (faint,
# the mean of the 50 steps before each point) and on the first 500 test examples (dots),
# for one pass, for {{ DEPTHS[-1] }} passes and for ACT:
#
# {{ figure(fig_curves, "loss-curves", alt="Four panels, one per task: training and test loss against step for the one-pass model, the " ~ DEPTHS[-1] ~ "-pass model and ACT", caption="Loss on the answers during training: faint lines training batches (ACT's includes its ponder cost), dots the test examples.") }}
#
#
# Compute here is counted, not assumed: for every answer, the passes the model actually
# spent on it (for ACT, \( N + R \); for a fixed-depth model, its depth). Accuracy is the
# share of answers right on the test set; an example counts as right only if all its
# answers are.
#
# {{ figure(fig_compute, "accuracy-vs-compute", alt="Four panels, one per task: share of test answers right against mean passes per answer, for fixed depths 1, 2, 4 and 8 (a line) and for ACT (a star)", caption="Test accuracy against the passes actually spent per answer. Blue: one shared block applied a fixed number of times (labels). Vermillion star: ACT, which picks the number per position.") }}
#
# {{ table(acc_rows, headers=acc_headers, formats=acc_formats, key="accuracy") }}
#
# One pass answers fewer than 90% right {{ one_pass_words }}, and eight
# passes reach 95% or more on {{ eight_pass_high | length }}
# ({{ eight_pass_high | join(", ") or "none" }}). Depth pays, as the window says it must.
# Set ACT beside the fixed depths:
#
# {{ table(act_rows, headers=act_headers, formats=act_formats, key="act_vs_fixed") }}
#
# On {{ n_act_close }} of the {{ TASK_NAMES | length }} tasks ACT comes within one point of
# the best fixed depth, and on {{ n_act_cheaper }} of them it does so with fewer passes per
# answer than that depth uses. The less flattering reading of the same table: on
# {{ dominated | length }} of the tasks ({{ dominated | join(", ") or "none" }}) some fixed depth
# with *fewer* passes than ACT's average is at least as accurate. One ACT run, trained for
# the same {{ num(BUDGET.steps, ",") }} steps as each fixed model, has not learned to turn its
# adaptivity into a better accuracy-for-compute trade than simply picking the right depth.

# %% tags=["hide-input"]
def covered_reach(by_reach, level=0.95):
    """The longest reach r such that every reach up to r is answered at least `level` right."""
    best = 0
    for reach in sorted(by_reach):
        if by_reach[reach]["acc"] < level:
            break
        best = reach
    return best


cover_rows = []
for name in ("parity", "sorted"):
    r = results[name]
    cover_rows.append([name] + [covered_reach(r["fixed"][d]["by_reach"]) for d in DEPTHS])
cover_headers = ["task"] + [f"{d} pass" if d == 1 else f"{d} passes" for d in DEPTHS]
parity_cover = {d: covered_reach(results["parity"]["fixed"][d]["by_reach"]) for d in DEPTHS}
parity_max_len = algorithmic.TASKS["parity"].lengths[1]
parity_ratio = [parity_cover[d] / d for d in DEPTHS if parity_cover[d] < parity_max_len]
mean_ratio = float(np.mean(parity_ratio)) if parity_ratio else float("nan")

fig_reach = style.figure(height=5.2)
for ax, (name, r) in zip(fig_reach.subplots(2, 2, sharey=True).ravel(), results.items()):
    for d in DEPTHS:
        br = r["fixed"][d]["by_reach"]
        ks = sorted(k for k in br if br[k]["n"] >= 10)
        ax.plot(ks, [br[k]["acc"] for k in ks], "o-", markersize=3, label=f"{d} pass" if d == 1 else f"{d} passes")
    ax.set_title(name)
for ax in fig_reach.axes[2:]:
    ax.set_xlabel("reach (positions back)")
for ax in fig_reach.axes[::2]:
    ax.set_ylabel("answers right")
fig_reach.axes[0].legend()

# %% [markdown]
# ## The step function
#
# Why depth helps shows up when the answers are split by reach. A model with \( T \) passes
# of a window of {{ BUDGET.window }} can in principle move information
# {{ BUDGET.window }}\( T \) positions; what it does in practice:
#
# {{ figure(fig_reach, "accuracy-by-reach", alt="Four panels: share of answers right against the reach of the answer, one line per fixed depth", caption="Accuracy by reach (how far back the evidence lies) for each fixed depth; reaches with at least 10 answers. On parity each extra pass extends the reach the model handles; beyond it accuracy drops to chance.") }}
#
# The longest reach up to which every answer group is at least 95% right:
#
# {{ table(cover_rows, headers=cover_headers, key="covered_reach") }}
#
# On parity, where every answer depends on every bit before it, the depths that do not
# already cover the longest training input ({{ parity_max_len }} bits) cover about
# {{ num(mean_ratio, ".1f") }} positions per pass: less than the window's
# {{ BUDGET.window }}, because a learned pass does not use the window perfectly. This is
# the step function that adaptive computation is meant to exploit: an answer with a short
# reach needs few passes, a long one needs many, and a fixed-depth model pays for the
# longest case on every answer.

# %% tags=["hide-input"]
rho_rows = []
for name, r in results.items():
    a = r["act"]
    rho_rows.append([name, r["difficulty"], a["mean_passes"], a["spearman_reach"], a["spearman_difficulty"]])
rho_headers = ["task", "difficulty", "ACT mean passes", "Spearman ρ, passes vs reach",
               "Spearman ρ, passes vs difficulty"]
rho_formats = {"ACT mean passes": ".2f", "Spearman ρ, passes vs reach": "+.2f",
               "Spearman ρ, passes vs difficulty": "+.2f"}

fig_act = style.figure(height=5.2)
for ax, (name, r) in zip(fig_act.subplots(2, 2, sharey=True).ravel(), results.items()):
    bd = r["act"]["by_difficulty"]
    ks = sorted(k for k in bd if bd[k]["n"] >= 10)
    ax.plot(ks, [bd[k]["passes"] for k in ks], "o-", color=style.VERMILLION)
    ax.set_title(f"{name}: ρ = {r['act']['spearman_difficulty']:+.2f}")
    ax.set_xlabel(r["difficulty"])
for ax in fig_act.axes[::2]:
    ax.set_ylabel("ACT mean passes (N + R)")

follows = [n for n in TASK_NAMES if results[n]["act"]["spearman_reach"] >= 0.5]
add = results["addition"]["act"]
add_reach_rho, add_diff_rho = add["spearman_reach"], add["spearman_difficulty"]
add_sign = ("negative" if add_diff_rho < -0.1 else "close to zero" if add_diff_rho < 0.2 else "positive")
add_bd = results["addition"]["act"]["by_difficulty"]
add_ks = sorted(k for k in add_bd if add_bd[k]["n"] >= 10)
add_p0, add_p1 = add_bd[0]["passes"], add_bd[1]["passes"]
add_top = add_ks[-1]
add_ptop = add_bd[add_top]["passes"]
add_rising = all(add_bd[a]["passes"] < add_bd[b]["passes"] for a, b in zip(add_ks[1:], add_ks[2:]))
add_shape = ("The negative ρ hides a V. Sums with no carry at all get more passes than sums whose carry "
             "travels one column, and from there the passes rise with every extra column of ripple"
             if add_p0 > add_p1 and add_rising else
             "The passes do not change steadily with the ripple")

# %% [markdown]
# ## Does ACT spend its passes where they are needed?
#
# For each task, the ACT model's mean passes per answer against the difficulty of the
# example, and Spearman's rank correlation between the two (1 means harder examples always
# got more passes, 0 means no relation); also the correlation with each answer's reach:
#
# {{ figure(fig_act, "passes-vs-difficulty", alt="Four panels: ACT's mean passes per answer against the difficulty of the example, with Spearman's rank correlation in each title", caption="Passes ACT spent per answer (N + R, mean over an example's answers) against the example's difficulty; difficulty values with at least 10 examples.") }}
#
# {{ table(rho_rows, headers=rho_headers, formats=rho_formats, key="spearman") }}
#
# The passes follow the reach with \( \rho \ge 0.5 \) on {{ follows | length }} of the
# {{ TASK_NAMES | length }} tasks ({{ follows | join(", ") or "none" }}). Addition is the
# instructive case: its passes correlate with the reach at
# {{ num(add_reach_rho, "+.2f") }}, and their correlation with the longest carry ripple,
# {{ num(add_diff_rho, "+.2f") }}, is {{ add_sign }}. {{ add_shape }}
# ({{ num(add_p0, ".2f") }} passes with no carry, {{ num(add_p1, ".2f") }} with a one-column
# ripple, {{ num(add_ptop, ".2f") }} at {{ add_top }} columns). A sum without any carry is not
# easy for a model that has to check: behind a column that kills the carry, a run of
# columns summing to 9 looks locally like one that passes a carry on, and the evidence
# still lies far down. That distance, set by the digit sums, is each answer's reach, and
# it is closer to what the passes follow than the ripple we had picked as "difficulty";
# though at \( \rho = {{ num(add_reach_rho, "+.2f") }} \) only loosely.

# %% tags=["hide-input"]
sweep_task = BUDGET.sweep_tasks[0]
sweep = results[sweep_task]["tau_sweep"]
sweep_rows = [[t["tau"], t["mean_passes"], t["per_position"], t["exact"], t["passes_run"] / BUDGET.steps]
              for t in sweep]
sweep_headers = ["τ", "mean passes", "answers right", "examples right", "passes per training batch"]
sweep_formats = {"τ": ".3f", "mean passes": ".2f", "answers right": "pct", "examples right": "pct",
                 "passes per training batch": ".1f"}

fig_pareto = style.figure(height=4, width=6)
ax = fig_pareto.subplots()
rs = results[sweep_task]
ax.plot([rs["fixed"][d]["mean_passes"] for d in DEPTHS], [rs["fixed"][d]["per_position"] for d in DEPTHS],
        "o-", color=style.BLUE, label="fixed depth")
for d in DEPTHS:
    ax.annotate(f"{d}", (rs["fixed"][d]["mean_passes"], rs["fixed"][d]["per_position"]),
                textcoords="offset points", xytext=(4, -11))
ax.plot([t["mean_passes"] for t in sweep], [t["per_position"] for t in sweep], "*-", color=style.VERMILLION,
        markersize=11, label="ACT")
for t in sweep:
    ax.annotate(f"τ={t['tau']:g}", (t["mean_passes"], t["per_position"]), textcoords="offset points",
                xytext=(5, 4))
ax.set_xscale("log", base=2)
ax.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
ax.set_xlabel("mean passes per answer")
ax.set_ylabel("answers right (test)")
ax.set_title(sweep_task)
ax.legend(frameon=False)
sweep_sorted = sorted(sweep, key=lambda t: t["tau"])
passes_fall = all(a["mean_passes"] >= b["mean_passes"] for a, b in zip(sweep_sorted, sweep_sorted[1:]))
best_t = max(sweep, key=lambda t: (t["per_position"], -t["mean_passes"]))
lo_d = max([d for d in DEPTHS if d <= best_t["mean_passes"]], default=DEPTHS[0])
hi_d = min([d for d in DEPTHS if d >= best_t["mean_passes"]], default=DEPTHS[-1])
lo_acc, hi_acc = rs["fixed"][lo_d]["per_position"], rs["fixed"][hi_d]["per_position"]
best_words = ("more accurate than the cheaper fixed depth and within a point of the dearer one: "
              "the one place in this post where the adaptive model sits on the better side of the "
              "fixed-depth curve, and it took a sweep of τ to find it"
              if best_t["per_position"] > lo_acc and best_t["per_position"] >= hi_acc - 0.01 else
              "no better than the fixed depths around it")
acc_falls = all(a["per_position"] >= b["per_position"] for a, b in zip(sweep_sorted, sweep_sorted[1:]))
if passes_fall and acc_falls:
    sweep_words = "Raising τ buys fewer passes, and accuracy pays for every step"
elif passes_fall:
    sweep_words = ("Raising τ buys fewer passes at every step, but accuracy does not fall at every step: "
                   "the middle cost loses nothing here, and only the largest one costs accuracy")
else:
    sweep_words = "Raising τ does not lower the passes at every step here, a sign of how noisy single ACT runs are"

# %% [markdown]
# ## The price of a pass
#
# The ponder cost weight \( \tau \) sets the exchange rate between accuracy and passes. On
# {{ sweep_task }}, ACT trained with {{ sweep | length }} values of \( \tau \), drawn with the
# fixed depths:
#
# {{ figure(fig_pareto, "tau-pareto", alt="Accuracy against mean passes on the sorted task for fixed depths and for ACT at three ponder costs", caption="Accuracy against compute on " ~ sweep_task ~ ": fixed depths (blue) and ACT at each ponder cost τ (vermillion).") }}
#
# {{ table(sweep_rows, headers=sweep_headers, formats=sweep_formats, key="tau_sweep") }}
#
# {{ sweep_words }}. The most accurate ACT run, at \( \tau = {{ num(best_t["tau"], ".3f") }} \),
# answers {{ pct(best_t["per_position"]) }} right with {{ num(best_t["mean_passes"], ".2f") }}
# passes per answer; the fixed depths around that compute, {{ lo_d }} and {{ hi_d }} passes,
# answer {{ pct(lo_acc) }} and {{ pct(hi_acc) }}. So on this task ACT is {{ best_words }}.
# The last column is the bill during training, and it is the subject of a
# later section.

# %% tags=["hide-input"]
long_rows = []
for name, r in results.items():
    a = r["act"]
    long_rows.append([name] + [r["fixed"][d]["long"]["per_position"] for d in DEPTHS]
                     + [a["long"]["per_position"], a["long"]["mean_passes"],
                        a["long_raised_cap"]["per_position"], a["long_raised_cap"]["mean_passes"]])
long_headers = (["task"] + [f"fixed {d}" for d in DEPTHS]
                + [f"ACT, cap {BUDGET.cap}", "its passes", f"ACT, cap {BUDGET.long_cap}", "its passes "])
long_formats = {h: "pct" for h in long_headers[1:]}
long_formats.update({"its passes": ".2f", "its passes ": ".2f"})
raise_helps = [n for n in TASK_NAMES
               if results[n]["act"]["long_raised_cap"]["per_position"] > results[n]["act"]["long"]["per_position"] + 0.01]
act_beats_8 = [n for n in TASK_NAMES
               if results[n]["act"]["long_raised_cap"]["per_position"] > results[n]["fixed"][8]["long"]["per_position"] + 0.01]

# %% [markdown]
# ## Longer inputs than any in training
#
# A fixed-depth model cannot add passes for a longer input; an ACT model can, if its
# halting unit asks for them and the cap allows. On the held-out longer inputs, share of
# answers right, with ACT's cap at its training value ({{ BUDGET.cap }}) and raised to
# {{ BUDGET.long_cap }}:
#
# {{ table(long_rows, headers=long_headers, formats=long_formats, key="longer_inputs") }}
#
# Raising the cap changes ACT's accuracy by more than a point on
# {{ raise_helps | length }} task(s) ({{ raise_helps | join(", ") or "none" }}), and with the
# raised cap ACT beats the eight-pass model on {{ act_beats_8 | length }}
# ({{ act_beats_8 | join(", ") or "none" }}).

# %% tags=["hide-input"]
profiles = {name: r["act"]["profiles"] for name, r in results.items()}
fig_prof = style.figure(height=5.6)
axes = fig_prof.subplots(2, 2, sharey=True).ravel()
for ax, (name, profs) in zip(axes, profiles.items()):
    width = 0.8 / len(profs)
    for i, p in enumerate(profs):
        xs = np.arange(len(p["text"])) + i * width - 0.4 + width / 2
        ax.bar(xs, p["passes"], width=width, label=p["text"])
    longest = max(profs, key=lambda p: len(p["text"]))
    ax.set_xticks(range(len(longest["text"])), list(longest["text"]), fontfamily="monospace")
    ax.set_title(name)
    if ax in axes[::2]:
        ax.set_ylabel("passes (N + R)")
    ax.legend(prop={"family": "monospace", "size": style.SMALL_PT}, loc="upper left")
axes[0].set_ylim(0, axes[0].get_ylim()[1] * 1.4)  # shared: headroom for every panel's legend

par = {p["text"]: p for p in profiles["parity"]}
par_a, par_b = list(par)
par_mixed, par_zeros = float(np.mean(par[par_a]["passes"])), float(np.mean(par[par_b]["passes"]))
bal = profiles["balance"]
bal_yes, bal_no = float(np.mean(bal[0]["passes"])), float(np.mean(bal[1]["passes"]))
bal_words = ("the balanced string gets more passes than the unbalanced one, which fits its "
             "reach: a balanced string can only be confirmed by reading all of it"
             if bal_yes > bal_no + 0.5 else
             "the balanced and the unbalanced string get about the same passes")
srt = {p["text"]: p for p in profiles["sorted"]}
srt_sorted, srt_early = srt["0123456789"]["passes"], srt["1023456789"]["passes"]
srt_after = float(np.mean(srt_early[2:]))
srt_sorted_after = float(np.mean(srt_sorted[2:]))
srt_words = ("once the early swap has been read, the answer is settled and the passes stay low"
             if srt_after < srt_sorted_after - 1 else
             "the early swap makes little difference to the passes after it")
par_words = ("far more on the mixed string than on the run of zeros, whose parity never changes "
             "until the last bit" if par_mixed > par_zeros + 1 else "about the same on both strings")
passes_export = {
    "description": "Part 5: accuracy against measured compute per task and model, and ACT's passes per character on a few inputs",
    "tasks": {name: {
        "fixed": [{"depth": d, "mean_passes": r["fixed"][d]["mean_passes"],
                   "per_position": r["fixed"][d]["per_position"], "exact": r["fixed"][d]["exact"]} for d in DEPTHS],
        "act": {"mean_passes": r["act"]["mean_passes"], "per_position": r["act"]["per_position"],
                "exact": r["act"]["exact"]},
        "tau_sweep": [{k: v for k, v in t.items() if k != "seconds"} for t in r["tau_sweep"]],  # timings vary
        "act_by_difficulty": [{"difficulty": k, **v} for k, v in sorted(r["act"]["by_difficulty"].items())],
        "profiles": r["act"]["profiles"],
    } for name, r in results.items()},
}

# %% [markdown]
# ## Passes, character by character
#
# The numbers above are averages. Here is what the ACT models spend on a few fixed inputs,
# per character (bars: \( N + R \) at that position):
#
# {{ figure(fig_prof, "pass-profiles", alt="Bar charts of the passes ACT spends at each character of a few fixed inputs, one panel per task", caption="Passes per character on fixed inputs. Addition: 4545 + 5455 carries through every column; 4231 + 3142 never carries. Balance: one balanced and one unbalanced string. Sorted: sorted, and with a swap at the end or the start.") }}
#
# On the parity string `{{ par_a }}` the model spends between
# {{ num(par[par_a]["passes"] | min, ".2f") }} and {{ num(par[par_a]["passes"] | max, ".2f") }}
# passes per bit, {{ num(par_mixed, ".2f") }} on average, against {{ num(par_zeros, ".2f") }} on
# `{{ par_b }}`: {{ par_words }}. That is a difficulty we did not define (the parity
# answer's reach is the same for both strings), and a sign that the halting unit reads the
# state, not our labels. On balance, {{ bal_words }} ({{ num(bal_yes, ".2f") }} against
# {{ num(bal_no, ".2f") }} passes; the answer position decides for every character). On
# sorted, {{ srt_words }}: {{ num(srt_after, ".2f") }} passes per digit after the swap in
# `1023456789`, against {{ num(srt_sorted_after, ".2f") }} at the same digits of the sorted
# string. The accuracies, pass counts by difficulty and these per-character profiles
# are exported as [JSON]({{ data_file(passes_export, "passes") }}) for an interactive
# compute-against-accuracy plot.

# %% tags=["hide-input"]
par_r = results["parity"]
bias_runs = {BUDGET.halt_bias: par_r["act"], **par_r["act_bias"]}
bias_rows = [[b, r["mean_passes"], r["per_position"], r["spearman_reach"],
              r["long_raised_cap"]["per_position"]] for b, r in bias_runs.items()]
bias_headers = ["initial halting bias", "mean passes", "answers right", "ρ, passes vs reach",
                f"longer inputs (cap {BUDGET.long_cap})"]
bias_formats = {"initial halting bias": "+.0f", "mean passes": ".2f", "answers right": "pct",
                "ρ, passes vs reach": "+.2f", f"longer inputs (cap {BUDGET.long_cap})": "pct"}
low_bias = min(bias_runs)
best_fixed_parity = {"depth": best_fixed(par_r),
                     "per_position": par_r["fixed"][best_fixed(par_r)]["per_position"]}
bias_gap = bias_runs[low_bias]["per_position"] - bias_runs[BUDGET.halt_bias]["per_position"]
bias_words = ("starting long and letting the cost pull the passes down works better"
              if bias_gap > 0.02 else
              "starting long makes little difference in this run" if bias_gap > -0.02 else
              "starting long does worse in this run")

# %% [markdown]
# ## A fragile start
#
# ACT has a chicken-and-egg problem. Its halting unit learns to ask for another pass only
# where another pass already gives a better answer, but the block only learns to make later
# passes useful if they are taken. Starting with few passes (Graves' bias of
# {{ num(BUDGET.halt_bias, "+.0f") }}) can leave it stuck. Parity, trained again from a
# bias of {{ num(low_bias, "+.0f") }} (\( p = {{ num(p_low, ".2f") }} \), so
# {{ n_low_start }} passes at first):
#
# {{ table(bias_rows, headers=bias_headers, formats=bias_formats, key="halting_bias") }}
#
# Here {{ bias_words }}. One run per setting is one sample from a noisy process, and every
# ACT result above should be read as one draw, not a settled average. It also means the
# comparison of ACT with fixed depths above is ACT at its start of
# {{ num(BUDGET.halt_bias, "+.0f") }}: on parity, started from {{ num(low_bias, "+.0f") }},
# ACT answers {{ pct(bias_runs[low_bias]["per_position"]) }} right with
# {{ num(bias_runs[low_bias]["mean_passes"], ".2f") }} passes per answer, against
# {{ pct(best_fixed_parity["per_position"]) }} for the best fixed depth
# ({{ best_fixed_parity["depth"] }} passes){% if bias_runs[low_bias]["per_position"] >= best_fixed_parity["per_position"] and bias_runs[low_bias]["mean_passes"] < best_fixed_parity["depth"] %}: as accurate, with fewer passes{% endif %}.
# The other tasks were not run from {{ num(low_bias, "+.0f") }}, so the verdict on them rests
# on the {{ num(BUDGET.halt_bias, "+.0f") }} start.

# %% tags=["hide-input"]
p_low = float(1 / (1 + np.exp(-low_bias)))
n_low_start = int(np.ceil((1 - eps) / p_low))
wall_rows = []
for name, r in results.items():
    a = r["act"]
    wall_rows.append([name, a["mean_passes"], a["mean_passes_all"], a["passes_run"] / BUDGET.steps,
                      BUDGET.cap])
wall_headers = ["task", "passes per answer", "passes per character", "passes per training batch",
                "cap"]
wall_formats = {"passes per answer": ".2f", "passes per character": ".2f",
                "passes per training batch": ".1f"}
more_than_8 = [n for n in TASK_NAMES if results[n]["act"]["passes_run"] / BUDGET.steps > DEPTHS[-1]]
wall_ratio = [r["act"]["passes_run"] / BUDGET.steps / r["act"]["mean_passes_all"] for r in results.values()]

# %% [markdown]
# ## No saving on the clock
#
# ACT's economy is per answer. A batch, though, runs pass after pass until its slowest
# position halts, and everything in it waits. Per ACT model, the mean passes an answer and a
# character took, against the passes each training batch actually ran:
#
# {{ table(wall_rows, headers=wall_headers, formats=wall_formats, key="batch_passes") }}
#
# A training batch ran between {{ num(wall_ratio | min, ".1f") }} and {{ num(wall_ratio | max, ".1f") }}
# times as many passes as the average test character needed, and on
# {{ more_than_8 | length }} of the {{ TASK_NAMES | length }} tasks more passes per batch than
# the {{ DEPTHS[-1] }}-pass model runs. On a CPU, where a halted position's
# arithmetic is still done and then discarded, the wall-clock time follows the slowest
# position, not the average, so ACT's lower average bought no time here. Turning fewer passes into less time needs hardware and kernels that skip halted
# positions, or batches grouped by how long their inputs want to run.
#
# ## What this shows, and what it does not
#
# Everything here ran on {{ cpu_cores }} CPU cores with no GPU, and all the models of this
# post trained in {{ seconds(train_seconds) }} ({{ seconds(total_seconds) }} with evaluation).
#
# What the toy shows: when attention is local, depth is reach, and a fixed-depth model's
# accuracy follows that step function: each extra pass extends the reach it answers
# reliably. A halting unit trained with a ponder cost
# learns to spend passes unevenly, and on the tasks where the evidence is a clean distance
# its passes rise with that distance. The tradeoff is real and adjustable through \( \tau \).
#
# What it also shows: the passes follow whatever the halting unit can read from the state,
# which need not be the difficulty we had in mind (addition), training is fragile in its
# start, fewer passes on average are not fewer seconds, and, started from Graves' bias, on
# {{ dominated | length }} of the {{ TASK_NAMES | length }} tasks a fixed depth with fewer passes
# than ACT's average was at least as accurate as ACT; how many of those verdicts the better
# start of the parity run would overturn is not measured here.
#
# What it does not show is anything about reasoning in large models. A chain of thought
# spends computation by writing tokens, and its benefits appear with scale and training data
# far beyond a block of {{ num(BUDGET.n_embd) }} numbers. The idea that links the two is the
# one measured here: computation as a budget a model can learn to allocate. The
# [Universal Transformer](https://arxiv.org/abs/1807.03819) applies ACT to a looped
# transformer as we did, and [PonderNet](https://arxiv.org/abs/2107.05653) replaces the
# remainder with a probabilistic halting rule that is easier to train.
#
# The next post moves the budget outside the model: when is it worth calling a tool?
#
# *Next: [The Economics of Tool Use](/blog/neural-nets-economics-of-tool-use/)*

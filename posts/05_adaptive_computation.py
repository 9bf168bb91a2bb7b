# ---
# title: "Adaptive Computation: Learning When to Think Harder"
# description: "One transformer block applied again and again: a fixed number of passes against Adaptive Computation Time on two algorithmic tasks whose difficulty we can measure, whether the passes a model chooses follow that difficulty, and what routers inside the loop do."
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
# block that it may apply once, twice or up to {{ BUDGET.cap }} times, and with Adaptive
# Computation Time (ACT) it learns, per position, when to stop. Then we measure what it chose.
#
# "Thinking harder" here means spending more passes of the same weights on an input,
# nothing more: the step-by-step reasoning of large language models
# ([chain-of-thought prompting](https://arxiv.org/abs/2201.11903)) shows up only at scale.
# What a toy can show, with numbers: does more depth buy accuracy, does a learned halting
# rule spend its passes where they are needed, and what does that cost?
#
# ## Two tasks whose difficulty we can count
#
# To see whether a model spends more on harder inputs we need inputs whose difficulty is
# known exactly. Each task below is character-level, shares one vocabulary of
# {{ algorithmic.VOCAB_SIZE }} symbols, and for every answer we know its *reach*: how many
# positions back the evidence for that answer lies. On parity the reach of an answer is its
# position; on addition it is not, which is what makes addition the test of whether the
# passes follow the difficulty or just the position.

# %% tags=["hide-input", "hide-output"]
import os
import re

import numpy as np
from scratchbook import experiment, style
from scratchbook.lab import adaptive, algorithmic, halting, models, routed_depth

BUDGET = adaptive.Budget()
# Two of the lab's four tasks (algorithmic.TASKS): parity, where an answer's reach is its
# position, and addition, where it is not. Fixed depths are swept on parity only. The
# series' budget of five CPU-minutes per post, seeds included, sets both choices.
TASK_NAMES = ("parity", "addition")
SWEPT = ("parity",)  # fixed depths 1..8 and the best of them on every seed
cpu_cores = os.cpu_count()


def text_keys(obj):
    """The cache keeps plain data with text keys: depths, reaches and biases become strings."""
    if isinstance(obj, dict):
        return {str(k): text_keys(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [text_keys(v) for v in obj]
    return obj


@experiment
def fixed_runs(task: str, budget: adaptive.Budget) -> dict:
    return text_keys(adaptive.fixed_depths(task, budget))


@experiment
def act_runs(task: str, budget: adaptive.Budget) -> dict:
    return text_keys(adaptive.act_seeds(task, budget))


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


results, total_seconds = {}, 0.0
for task in TASK_NAMES:
    act = numeric_keys(act_runs(task, BUDGET))
    results[task] = {"difficulty": algorithmic.TASKS[task].difficulty_name, "act": act["act"]}
    total_seconds += act["seconds"]
    if task in SWEPT:
        fixed = numeric_keys(fixed_runs(task, BUDGET))
        results[task].update(fixed=fixed["fixed"], best_depth=fixed["best_depth"], best=fixed["best"])
        total_seconds += fixed["seconds"]
runs = [run for r in results.values() for run in [*r.get("fixed", {}).values(), *r.get("best", [])[1:], *r["act"]]]
train_seconds = sum(run["seconds"] for run in runs)
batch_passes = sum(run["passes_run"] for run in runs)  # block applications to a training batch, every model
DEPTHS = BUDGET.depths

# %% tags=["hide-input"]
DESCRIPTIONS = {
    "parity": "bits; at every bit, the parity of the bits so far",
    "addition": "two numbers, least significant digit first, a column at a time (a b |); the sum digit per column, the final carry at =",
}
task_rows = []
examples = {}
for name in TASK_NAMES:
    spec = algorithmic.TASKS[name]
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

# %% [markdown]
# {{ table(task_rows, headers=["task", "what it is", "example (· = no answer)", "shortest", "longest", "held out from", "held out to", "difficulty"], formats={"example (· = no answer)": "code"}, key="tasks") }}
#
# Lengths are in characters (for addition, columns); the longer ones never appear in
# training. The difficulty of an example is its length for parity and the longest distance a
# carry travels for addition. The lab has two more tasks, balance and sorted, that this post
# does not train on; `python benchmarks/adaptive_run.py` runs all four. Each
# task has {{ num(BUDGET.n_train, ",") }} training examples and {{ num(BUDGET.n_test, ",") }}
# test examples, from seeded generators (version {{ generator_version }}, sha256 of the
# reference suite `{{ suite_sha }}`), identical on every machine.
#
# <details>
# <summary>How the addition generator keeps a small model from taking a shortcut</summary>
#
# With random digits a carry almost never travels far (it ripples through a column only
# when the column's digits sum to 9), so looking one column back is nearly always enough.
# Every example plants a run of 9-sum columns of random length behind a column that either
# makes or kills a carry.
#
# </details>
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
# than any seen in training. `LocalAttention` subclasses the baseline's attention, adds the
# bias per offset and a `mask`, and applies the mask where the baseline applied the causal
# one:
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
# pondering sooner. Whatever the \( p_n \) say, a cap of {{ BUDGET.cap }} passes stops it: the
# deepest fixed depth, so ACT may spend as much as the deepest fixed model and never more.
# Passes are counted as \( N + R \) throughout this post, as in the cost: a position the cap
# stops after {{ BUDGET.cap }} passes counts as up to {{ BUDGET.cap + 1 }}, so an average can
# exceed the cap.
# One pass of that rule, for every position at once:
#
# {{ code(halting.act_step) }}
#
# <details>
# <summary>Two choices of the recipe, whose alternatives this post does not run</summary>
#
# The halting
# unit's bias starts at {{ num(BUDGET.halt_bias, "+.0f") }} (\( p = {{ num(p_start, ".2f") }} \),
# so {{ n_start }} passes at first{% if n_start > BUDGET.cap %}, which the cap of {{ BUDGET.cap }} cuts short{% endif %}) and the cost pulls the passes down. From Graves'
# {{ num(graves_bias, "+.0f") }} ({{ n_graves }} passes at first) pondering would have to
# grow, but the halting unit asks for another pass only where one already helps, and the
# block learns to make later passes useful only if they are taken: starting long sidesteps
# that chicken-and-egg problem. The cost weight \( \tau = {{ num(BUDGET.tau, ".3f") }} \)
# ramps in over the first {{ pct(BUDGET.ramp[1]) }} of training: a cost in full from the
# start could push the halting unit to a single pass before more passes pay off, and once
# \( p_1 \ge 1 - \varepsilon \) no gradient reaches the halting unit again.
#
# </details>
#
# Every model, fixed or adaptive, has the same {{ num(BUDGET.n_embd) }}-dimensional block with
# {{ BUDGET.n_head }} heads and trains for {{ num(BUDGET.steps, ",") }} steps of
# {{ BUDGET.batch_size }} examples with the same schedule. On {{ SWEPT | join(", ") }} each fixed
# depth is trained once and the most accurate one again from every other seed; ACT is trained
# from {{ plural(n_seeds, "seed") }} on both tasks (a seed sets the initial weights and the
# order of the batches). Results over seeds are shown as mean ± standard deviation; a
# difference counts only if it stands out of that noise (Welch's t-test at the 5% level).

# %% tags=["hide-input"]
from scratchbook import stands_out

eps = halting.LoopConfig(vocab_size=algorithmic.VOCAB_SIZE).eps
graves_bias = halting.LoopConfig(vocab_size=algorithmic.VOCAB_SIZE).halt_bias


def passes_at_first(bias):
    """How many passes ACT takes before training: p = sigmoid(bias) each time until they sum to 1 - eps."""
    return int(np.ceil((1 - eps) / (1 / (1 + np.exp(-bias)))))


p_start = float(1 / (1 + np.exp(-BUDGET.halt_bias)))
n_start, n_graves = passes_at_first(BUDGET.halt_bias), passes_at_first(graves_bias)
n_seeds = len(BUDGET.seeds)


def over_seeds(runs, field, sub=None):
    return [(run[sub] if sub else run)[field] for run in runs]


best_depth = {t: results[t]["best_depth"] for t in SWEPT}
act_acc = {t: over_seeds(r["act"], "per_position") for t, r in results.items()}
act_passes = {t: over_seeds(r["act"], "mean_passes") for t, r in results.items()}
best_acc = {t: over_seeds(results[t]["best"], "per_position") for t in SWEPT}
verdict = {}
for t in SWEPT:
    real, diff, noise, _ = stands_out(act_acc[t], best_acc[t])
    verdict[t] = "better" if real and diff > 0 else "worse" if real else "tie"
ties = [t for t in SWEPT if verdict[t] == "tie"]
act_better = [t for t in SWEPT if verdict[t] == "better"]
act_worse = [t for t in SWEPT if verdict[t] == "worse"]
passes_verdict = {}  # ACT's passes per answer against the best depth's, by the same noise rule
for t in SWEPT:
    real, diff, _, _ = stands_out(act_passes[t], [best_depth[t]] * len(best_acc[t]))
    passes_verdict[t] = "fewer" if real and diff < 0 else "more" if real else "same"
fewer_passes = [t for t in SWEPT if passes_verdict[t] == "fewer"]
more_passes = [t for t in SWEPT if passes_verdict[t] == "more"]
same_passes = [t for t in SWEPT if passes_verdict[t] == "same"]


def plural_passes(d):
    return f"{d} pass" if d == 1 else f"{d} passes"


def listed(names):
    return "no task" if not names else names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


every = "on every task" if len(SWEPT) > 1 else "on " + listed(list(SWEPT))
if not act_worse:
    verdict_accuracy = ("as accurate as the most accurate fixed depth " + every + ", within seed noise"
                        if not act_better else
                        "more accurate than the most accurate fixed depth beyond seed noise on " + listed(act_better)
                        + ("" if len(act_better) == len(SWEPT) else ", and as accurate on the rest"))
else:
    verdict_accuracy = ("as accurate as the most accurate fixed depth on " + listed(ties + act_better)
                        + ", and less accurate beyond seed noise on " + listed(act_worse))
passes_parts = []
if fewer_passes:
    passes_parts.append("with fewer passes per answer than that depth on " + listed(fewer_passes))
if more_passes:
    passes_parts.append(("with " if not passes_parts else "") + "more passes per answer on " + listed(more_passes))
if same_passes:
    passes_parts.append(("with " if not passes_parts else "") + "a number of passes per answer within seed noise "
                        "of that depth's on " + listed(same_passes))
verdict_passes = (", ".join(passes_parts[:-1]) + " and " + passes_parts[-1] if len(passes_parts) > 1
                  else passes_parts[0])
if len(passes_parts) == 1 and len(SWEPT) > 1:
    verdict_passes = verdict_passes.replace(" on " + listed(list(SWEPT)), " on every task")
verdict_sentence = f"Started long, ACT is {verdict_accuracy}, {verdict_passes}."
verdict_lower = verdict_sentence[0].lower() + verdict_sentence[1:]
fixed_wins = [t for t in ties if t in more_passes]  # same accuracy, fewer passes for the fixed depth
act_saves = [t for t in ties + act_better if t in fewer_passes]
verdict_tradeoff = ""
if fixed_wins:
    verdict_tradeoff = (f"So on {listed(fixed_wins)} simply picking the most accurate fixed depth gives the same "
                        "accuracy for fewer passes per answer"
                        + (f"; ACT saves passes without losing accuracy on {listed(act_saves)}." if act_saves
                           else "; ACT saves passes beyond seed noise without losing accuracy on no task."))
elif act_saves:
    verdict_tradeoff = f"So ACT saves passes without losing accuracy on {listed(act_saves)}."
best_depths = [best_depth[t] for t in SWEPT]
deepest_best = all(d == DEPTHS[-1] for d in best_depths)
# a depth below the best one (trained once) with fewer passes than ACT's average and at least ACT's mean accuracy
def cheaper(t):
    return [d for d in DEPTHS if d < best_depth[t] and d < np.mean(act_passes[t])
            and results[t]["fixed"][d]["per_position"] >= np.mean(act_acc[t])]


cheaper_match = {t: min(cheaper(t)) for t in SWEPT if cheaper(t)}
dominated = list(cheaper_match)
dominated_words = listed([f"{t} ({plural_passes(cheaper_match[t])})" for t in dominated])


fig_compute = style.figure(height=3.2)
for ax, name in zip(fig_compute.subplots(1, len(SWEPT), squeeze=False).ravel(), SWEPT):
    r = results[name]
    xs = [r["fixed"][d]["mean_passes"] for d in DEPTHS]
    ys = [r["fixed"][d]["per_position"] for d in DEPTHS]
    ax.plot(xs, ys, "o-", color=style.BLUE, label="fixed depth")
    for d, x, y in zip(DEPTHS, xs, ys):
        ax.annotate(str(d), (x, y), textcoords="offset points", xytext=(4, -11))
    ax.plot([f["mean_passes"] for f in r["best"][1:]], [f["per_position"] for f in r["best"][1:]], "o",
            color=style.BLUE, fillstyle="none", markersize=7, label="best depth, other seeds")
    ax.plot(act_passes[name], act_acc[name], "*", color=style.VERMILLION, markersize=12, alpha=0.8,
            label=f"ACT, {n_seeds} seeds")
    ax.set_xscale("log", base=2)
    ax.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
    ax.set_title(name)
    ax.set_xlabel("mean passes per answer")
fig_compute.axes[0].set_ylabel("answers right (test)")
fig_compute.axes[0].legend(loc="lower right")

CURVES = {"fixed depth 1": (lambda r: r["fixed"][DEPTHS[0]]["curve"], style.SKY),
          f"fixed depth {DEPTHS[-1]}": (lambda r: r["fixed"][DEPTHS[-1]]["curve"], style.BLUE),
          "ACT": (lambda r: r["act"][0]["curve"], style.VERMILLION)}
fig_curves = style.figure(height=3.2)
for ax, (name, r) in zip(fig_curves.subplots(1, len(TASK_NAMES), sharex=True, sharey=True).ravel(), results.items()):
    for label, (curve_of, color) in CURVES.items():
        if label != "ACT" and name not in SWEPT:
            continue  # fixed depths are trained on the swept task only
        curve = curve_of(r)
        ax.plot(curve["step"], curve["train"], color=color, alpha=0.45)
        ax.plot(curve["step"], curve["test"], "o-", color=color, markersize=3, label=label)
    ax.set_title(name)
    ax.set_xlabel("training step")
fig_curves.axes[0].set_ylabel("loss (nats per answer)")
fig_curves.axes[0].legend(loc="upper right")

one_pass_low = [n for n in SWEPT if results[n]["fixed"][1]["per_position"] < 0.9]
depth_pays = [n for n in SWEPT
              if results[n]["fixed"][DEPTHS[-1]]["per_position"] > results[n]["fixed"][DEPTHS[0]]["per_position"] + 0.05]
eight_pass_high = [n for n in SWEPT if results[n]["fixed"][DEPTHS[-1]]["per_position"] >= 0.95]
one_pass_acc = [results[t]["fixed"][DEPTHS[0]]["per_position"] for t in SWEPT]
deepest_acc = [results[t]["fixed"][DEPTHS[-1]]["per_position"] for t in SWEPT]
one_pass_words = ("on every task" if len(one_pass_low) == len(SWEPT) > 1
                  else "on " + (", ".join(one_pass_low) or "no task"))

# %% [markdown]
# ## Accuracy against measured compute
#
# How training went, first seed: loss on the answers for ACT and, on
# {{ SWEPT | join(", ") }}, for one pass and {{ DEPTHS[-1] }} passes, on training batches
# (faint, the mean of the 50 steps before each point) and on the first {{ adaptive.CURVE_EXAMPLES }} test examples (dots).
#
# {{ figure(fig_curves, "loss-curves", alt="Two panels, one per task: training and test loss against step for ACT and, on " ~ SWEPT | join(", ") ~ ", the one-pass model and the " ~ DEPTHS[-1] ~ "-pass model", caption="Loss on the answers during training, first seed: faint lines training batches (ACT's includes its ponder cost), dots the test examples.") }}
#
# Compute is counted: for every answer, the passes the model spent on it (ACT:
# \( N + R \); fixed depth: its depth). Accuracy is the share of test answers right.
#
# {{ figure(fig_compute, "accuracy-vs-compute", alt="On " ~ SWEPT | join(", ") ~ ": share of test answers right against mean passes per answer, for fixed depths 1, 2, 4 and 8 (a line), the best depth on the other seeds (open circles) and ACT on every seed (stars)", caption="Test accuracy against the passes actually spent per answer. Blue line: one shared block applied a fixed number of times (labels), first seed; open circles: the most accurate depth again on the other seeds. Vermillion stars: ACT, which picks the number per position, one star per seed.") }}
#
# On {{ SWEPT | join(", ") }}, one pass answers {{ claim(one_pass_low | length == SWEPT | length, "fewer than 90% right", otherwise="90% or more right", one_pass=one_pass_acc) }}
# and {{ DEPTHS[-1] }} passes {{ claim(eight_pass_high | length == SWEPT | length, "reach 95% or more", otherwise="stay under 95%", deepest=deepest_acc) }} on the first seed.
# {{ claim(depth_pays | length == SWEPT | length, "Depth pays, as the window says it must.", otherwise="Depth pays less than five points from one pass to " ~ DEPTHS[-1] ~ ".", depth_pays=depth_pays) }}
# {{ claim(deepest_best, "The most accurate fixed depth is the deepest, " ~ DEPTHS[-1] ~ " passes.", otherwise="The most accurate fixed depth is not the deepest.", best_depths=best_depths) }}
# Set ACT beside it, over {{ plural(n_seeds, "seed") }}:
#
# {% for t in SWEPT %}
# - **{{ t }}**: ACT answers {{ seeds(act_acc[t], "pct:2", key=t ~ ": ACT answers right") }} right with {{ seeds(act_passes[t], ".2f", key=t ~ ": ACT passes per answer") }} passes per answer; the best fixed depth ({{ plural(best_depth[t], "pass", "passes", key=t ~ ": best fixed depth") }}) answers {{ seeds(best_acc[t], "pct:2", key=t ~ ": best fixed depth answers right") }}. ACT is {{ difference(act_acc[t], best_acc[t], "pct:2", key=t ~ ": ACT against the best fixed depth") }}.
# {%- endfor %}
#
# {{ verdict_sentence }}
# {{ verdict_tradeoff }}
# {{ claim(not dominated, "None of the shallower fixed depths (trained once) comes up to ACT's mean accuracy.", otherwise="A shallower fixed depth (trained once) is at least as accurate as ACT's mean on " ~ dominated_words ~ ".", dominated=dominated) }}

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
for name in SWEPT:
    r = results[name]
    cover_rows.append([name] + [covered_reach(r["fixed"][d]["by_reach"]) for d in DEPTHS])
cover_headers = ["task"] + [f"{d} pass" if d == 1 else f"{d} passes" for d in DEPTHS]
parity_cover = {d: covered_reach(results["parity"]["fixed"][d]["by_reach"]) for d in DEPTHS}
parity_max_len = algorithmic.TASKS["parity"].lengths[1]
parity_ratio = [parity_cover[d] / d for d in DEPTHS if parity_cover[d] < parity_max_len]
mean_ratio = float(np.mean(parity_ratio)) if parity_ratio else float("nan")
parity_steps = all(parity_cover[a] < parity_cover[b] for a, b in zip(DEPTHS, DEPTHS[1:])
                   if parity_cover[a] < parity_max_len)
reach_caption = " On parity each extra pass extends the reach the model handles." if parity_steps else ""

fig_reach = style.figure(height=3.2)
for ax, name in zip(fig_reach.subplots(1, len(SWEPT), squeeze=False).ravel(), SWEPT):
    r = results[name]
    for d in DEPTHS:
        br = r["fixed"][d]["by_reach"]
        ks = sorted(k for k in br if br[k]["n"] >= 10)
        ax.plot(ks, [br[k]["acc"] for k in ks], "o-", markersize=3, label=f"{d} pass" if d == 1 else f"{d} passes")
    ax.set_title(name)
    ax.set_xlabel("reach (positions back)")
fig_reach.axes[0].set_ylabel("answers right")
fig_reach.axes[0].legend()

# %% [markdown]
# ## The step function
#
# Split by reach, the answers show why depth helps: \( T \) passes of a window of
# {{ BUDGET.window }} can move information at most {{ BUDGET.window }}\( T \) positions.
#
# {{ figure(fig_reach, "accuracy-by-reach", alt="On " ~ SWEPT | join(", ") ~ ": share of answers right against the reach of the answer, one line per fixed depth", caption="Accuracy by reach (how far back the evidence lies) for each fixed depth, first seed; reaches with at least 10 answers." ~ reach_caption) }}
#
# On parity, where every answer depends on every bit before it, the depths that do not
# already cover the longest training input ({{ parity_max_len }} bits) cover about
# {{ num(mean_ratio, ".1f") }} positions of reach per pass (the longest reach up to which
# every answer is at least 95% right, divided by the passes; table in the appendix){{ claim(mean_ratio < BUDGET.window, ": less than the window's " ~ BUDGET.window ~ ", because a learned pass does not use the window perfectly.", otherwise=", as the window allows.", ratio=mean_ratio, window=BUDGET.window) }}
# This is the step function that adaptive computation is meant to exploit: an
# answer with a short reach needs few passes, a long one needs many, and a fixed-depth model
# pays for the longest case on every answer.

# %% tags=["hide-input"]
rho_reach = {t: over_seeds(r["act"], "spearman_reach") for t, r in results.items()}
rho_difficulty = {t: over_seeds(r["act"], "spearman_difficulty") for t, r in results.items()}

fig_act = style.figure(height=3.2)
for ax, (name, r) in zip(fig_act.subplots(1, len(TASK_NAMES), sharey=True).ravel(), results.items()):
    for i, a in enumerate(r["act"]):
        bd = a["by_difficulty"]
        ks = sorted(k for k in bd if bd[k]["n"] >= 10)
        ax.plot(ks, [bd[k]["passes"] for k in ks], "o-", color=style.VERMILLION, alpha=0.9 - 0.25 * i,
                markersize=3, label=f"seed {a['seed']}")
    ax.set_title(f"{name}: ρ = {np.mean(rho_difficulty[name]):+.2f}")
    ax.set_xlabel(r["difficulty"])
fig_act.axes[0].set_ylabel("ACT mean passes (N + R)")
fig_act.axes[0].legend(loc="lower right")

follows = [n for n in TASK_NAMES if np.mean(rho_reach[n]) >= 0.5]
follows_words = listed(follows)
unsteady = [n for n in follows if min(rho_reach[n]) < 0.5]
unsteady_words = "; ".join(f"on {n} one seed's passes barely follow the reach, ρ = {min(rho_reach[n]):+.2f}"
                           for n in unsteady)
add_rho_reach, add_rho_diff = float(np.mean(rho_reach["addition"])), float(np.mean(rho_difficulty["addition"]))
add_sign = ("negative" if add_rho_diff < -0.1 else "close to zero" if add_rho_diff < 0.2 else "positive")
add_runs = results["addition"]["act"]
add_ks = sorted(k for k in add_runs[0]["by_difficulty"] if add_runs[0]["by_difficulty"][k]["n"] >= 10)
add_bd = {k: float(np.mean([a["by_difficulty"][k]["passes"] for a in add_runs])) for k in add_ks}
add_p0, add_p1 = add_bd[0], add_bd[1]
add_top = add_ks[-1]
add_ptop = add_bd[add_top]
add_rising = all(add_bd[a] < add_bd[b] for a, b in zip(add_ks[1:], add_ks[2:]))
add_v = add_p0 > add_p1 and add_rising

# %% [markdown]
# ## Does ACT spend its passes where they are needed?
#
# To sum up whether harder inputs get more passes we use Spearman's rank correlation
# \( \rho \): rank the answers by difficulty and by passes, and correlate the ranks.
# \( \rho = 1 \) means the harder one always got more passes, \( 0 \) no relation,
# \( -1 \) always fewer.
#
# {{ figure(fig_act, "passes-vs-difficulty", alt="Two panels, one per task: ACT's mean passes per answer against the difficulty of the example, one line per seed, with the mean Spearman rank correlation in each title", caption="Passes ACT spent per answer (N + R, mean over an example's answers) against the example's difficulty, one line per seed; difficulty values with at least 10 examples. Titles: Spearman's ρ, mean over the seeds.") }}
#
# Against each answer's reach (rather than the example's difficulty), the correlation over
# the seeds is:
#
# {% for t in TASK_NAMES %}
# - {{ t }}: \( \rho = \) {{ seeds(rho_reach[t], ".2f", key=t ~ ": Spearman rho, passes vs reach") }}
# {%- endfor %}
#
# The passes follow the reach with a mean \( \rho \ge 0.5 \) on
# {{ count_of(follows | length, TASK_NAMES | length, "task") }}{% if follows %} ({{ follows_words }}){% endif %}{% if unsteady %}, though not on every seed: {{ unsteady_words }}{% endif %}.
#
# <details>
# <summary>Addition: what the passes follow</summary>
#
# Addition is the instructive case: its passes correlate with the reach at
# {{ num(add_rho_reach, "+.2f") }} (mean of the seeds), and their correlation with the longest
# carry ripple, {{ num(add_rho_diff, "+.2f") }}, is {{ add_sign }}.
# {{ claim(add_v, "The ρ hides a V. Sums with no carry at all get more passes than sums whose carry travels one column (" ~ num(add_p0, ".2f") ~ " against " ~ num(add_p1, ".2f") ~ ", mean of the seeds), and from there the passes rise with every extra column of ripple, to " ~ num(add_ptop, ".2f") ~ " at " ~ add_top ~ " columns. A sum without any carry is not easy for a model that has to check: behind a column that kills the carry, a run of columns summing to 9 looks locally like one that passes a carry on, and the evidence still lies far down.", otherwise="The passes do not change steadily with the ripple (" ~ num(add_p0, ".2f") ~ " with no carry, " ~ num(add_p1, ".2f") ~ " with a one-column ripple, " ~ num(add_ptop, ".2f") ~ " at " ~ add_top ~ " columns, mean of the seeds).", no_carry=add_p0, one_column=add_p1, rising=add_rising) }}
# {{ claim(add_rho_reach > add_rho_diff, "The distance to the evidence, set by the digit sums, is each answer's reach, and it is closer to what the passes follow than the ripple we had picked as 'difficulty'.", otherwise="Neither the reach nor the ripple we had picked as 'difficulty' is what the passes follow more closely.", reach=add_rho_reach, ripple=add_rho_diff) }}
#
# </details>

# %% tags=["hide-input"]
long_act = {t: over_seeds(r["act"], "per_position", "long_raised_cap") for t, r in results.items()}
long_best = {t: over_seeds(results[t]["best"], "per_position", "long") for t in SWEPT}
long_better = [t for t in SWEPT
               if stands_out(long_act[t], long_best[t])[0] and np.mean(long_act[t]) > np.mean(long_best[t])]
long_worse = [t for t in SWEPT
              if stands_out(long_act[t], long_best[t])[0] and np.mean(long_act[t]) < np.mean(long_best[t])]

# %% [markdown]
# ## Longer inputs than any in training
#
# A fixed-depth model cannot add passes for a longer input; ACT can. On the held-out
# longer inputs, with ACT's cap raised from {{ BUDGET.cap }} to {{ BUDGET.long_cap }}, the
# share of answers right:
#
# {% for t in SWEPT %}
# - **{{ t }}**: ACT {{ seeds(long_act[t], "pct", key=t ~ ": longer inputs, ACT") }}, {{ plural(best_depth[t], "fixed pass", "fixed passes", key=t ~ ": best fixed depth on longer inputs") }} {{ seeds(long_best[t], "pct", key=t ~ ": longer inputs, best fixed depth") }}: ACT is {{ difference(long_act[t], long_best[t], "pct", key=t ~ ": longer inputs, ACT against the best fixed depth") }}.
# {%- endfor %}
#
# {{ claim(long_better, "Here the extra passes carry ACT further than the fixed depth.", otherwise=("The fixed depth carries over better." if long_worse else "On these inputs, neither carries over better than the other beyond seed noise."), better=long_better, worse=long_worse) }}

# %% tags=["hide-input"]
profiles = {name: r["act"][0]["profiles"] for name, r in results.items()}
fig_prof = style.figure(height=3.4)
axes = fig_prof.subplots(1, len(TASK_NAMES), sharey=True).ravel()
for ax, (name, profs) in zip(axes, profiles.items()):
    width = 0.8 / len(profs)
    for i, p in enumerate(profs):
        xs = np.arange(len(p["text"])) + i * width - 0.4 + width / 2
        ax.bar(xs, p["passes"], width=width, label=p["text"])
    longest = max(profs, key=lambda p: len(p["text"]))
    ax.set_xticks(range(len(longest["text"])), list(longest["text"]), fontfamily="monospace")
    ax.set_title(name)
    if ax is axes[0]:
        ax.set_ylabel("passes (N + R)")
    ax.legend(prop={"family": "monospace", "size": style.SMALL_PT}, loc="upper left")
axes[0].set_ylim(0, axes[0].get_ylim()[1] * 1.4)  # shared: headroom for every panel's legend

par = {p["text"]: p for p in profiles["parity"]}
par_a, par_b = list(par)
par_mixed, par_zeros = float(np.mean(par[par_a]["passes"])), float(np.mean(par[par_b]["passes"]))
add_carry, add_none = (float(np.mean(p["passes"])) for p in profiles["addition"])
par_words = ("far more on the mixed string than on the run of zeros, whose parity never changes "
             "until the last bit" if par_mixed > par_zeros + 1 else
             "about the same on both strings" if abs(par_mixed - par_zeros) <= 1 else
             "fewer on the mixed string than on the run of zeros")


def summary(run, long_field):
    keep = ("seed", "exact", "per_position", "mean_passes", "mean_steps", "mean_passes_all",
            "spearman_reach", "spearman_difficulty", "passes_run")
    out = {k: run[k] for k in keep if k in run}
    out["long_per_position"] = run[long_field]["per_position"]
    out["by_difficulty"] = [{"difficulty": k, **v} for k, v in sorted(run["by_difficulty"].items())]
    return out


passes_export = {
    "description": "Part 5: accuracy against measured compute per task and model (on parity, fixed depths on the first seed and the best depth on every seed; ACT on every seed), and ACT's passes per character on a few inputs (first seed)",
    "steps": BUDGET.steps, "batch_size": BUDGET.batch_size, "halt_bias": BUDGET.halt_bias, "cap": BUDGET.cap,
    "long_cap": BUDGET.long_cap,
    "tasks": {name: {
        **({"fixed": [{"depth": d, **summary(r["fixed"][d], "long")} for d in DEPTHS],
            "best_depth": r["best_depth"],
            "best_depth_seeds": [summary(f, "long") for f in r["best"]]} if name in SWEPT else {}),
        "act_seeds": [summary(a, "long_raised_cap") for a in r["act"]],
        "profiles": r["act"][0]["profiles"],
    } for name, r in results.items()},
}

# %% [markdown]
# <details>
# <summary>Passes, character by character, on a few fixed inputs</summary>
#
# {{ figure(fig_prof, "pass-profiles", alt="Bar charts of the passes ACT spends at each character of a few fixed inputs, one panel per task", caption="Passes per character on fixed inputs, first seed. Addition: 4545 + 5455 carries through every column; 4231 + 3142 never carries.") }}
#
# On the parity string `{{ par_a }}` the model spends between
# {{ num(par[par_a]["passes"] | min, ".2f") }} and {{ num(par[par_a]["passes"] | max, ".2f") }}
# passes per bit, {{ num(par_mixed, ".2f") }} on average, against {{ num(par_zeros, ".2f") }} on
# `{{ par_b }}`: {{ par_words }}. On addition, the sum that carries through every column
# gets {{ num(add_carry, ".2f") }} passes per character on average, the one that never carries
# {{ num(add_none, ".2f") }}.
#
# </details>
#
# Every run's accuracy, passes by difficulty and ACT's passes per character on these inputs
# are in the [JSON]({{ data_file(passes_export, "passes") }}).

# %% tags=["hide-input", "hide-output"]
N_EXPERT = 4
MOE_TASK, DEPTH_TASK = "addition", "parity"  # the experts where reach is not position; the depth router where the fixed depths ran


@experiment
def routed(task: str, budget: adaptive.Budget, n_expert: int) -> list:
    return text_keys(routed_depth.run_routed(task, budget, n_expert))


@experiment
def depth_routed(task: str, budget: adaptive.Budget, deep: int) -> list:
    return text_keys(routed_depth.run_depth_routed(task, budget, deep))


moe_runs = numeric_keys(routed(MOE_TASK, BUDGET, N_EXPERT))
dr_runs = numeric_keys(depth_routed(DEPTH_TASK, BUDGET, DEPTHS[-1]))
dr_explore = routed_depth.DepthRouteConfig(vocab_size=algorithmic.VOCAB_SIZE).explore


def info(name, field="bits"):
    return [run["routing"][name][field] for run in moe_runs]


def every_seed(name):
    return all(info(name, "beyond_chance"))


h_expert = float(np.mean([run["routing"]["entropy_bits"] for run in moe_runs]))
info_share = [float(np.mean(info(name))) / h_expert for name in ("pass", "reach_given_pass", "reach_given_pass_position")]
moe_model = routed_depth.make_model(BUDGET, N_EXPERT, 0, "position")
expert_weights = sum(p.numel() for p in moe_model.block.ffn.experts[0].parameters())
router_weights = moe_model.block.ffn.router.weight.numel()


def row(label, accs, passes):
    return [label, float(np.mean(accs)), float(np.std(accs, ddof=1)) if len(accs) > 1 else None,
            float(np.mean(passes)), float(np.std(passes, ddof=1)) if len(passes) > 1 else None, len(accs)]


dr_acc, dr_passes = over_seeds(dr_runs, "per_position"), over_seeds(dr_runs, "mean_passes")
moe_acc, moe_passes = over_seeds(moe_runs, "per_position"), over_seeds(moe_runs, "mean_passes")
route_rows = {}
for t, extra in ((MOE_TASK, (f"ACT, {N_EXPERT} experts", moe_acc, moe_passes)),
                 (DEPTH_TASK, (f"router: 1 or {DEPTHS[-1]} passes", dr_acc, dr_passes))):
    route_rows[t] = []
    if t in SWEPT:
        shallower = [d for d in DEPTHS if d < best_depth[t]][-1]
        route_rows[t] += [row(f"fixed depth {shallower}", [results[t]["fixed"][shallower]["per_position"]], [shallower]),
                          row(f"fixed depth {best_depth[t]}", best_acc[t], [best_depth[t]] * len(best_acc[t]))]
    route_rows[t] += [row("ACT", act_acc[t], act_passes[t]), row(*extra)]
route_headers = ["model", "answers right", "sd", "passes per answer", "sd ", "seeds"]
route_formats = {"answers right": "pct", "sd": "pct", "passes per answer": ".2f", "sd ": ".2f"}



def switch_reach(run):
    """The reach from which the router sends answers deep, if every shorter reach goes out
    after one pass and every longer one deep (most answers of each); else None."""
    deep = run["deep_by_reach"]
    shallow = [r for r, share in deep.items() if share < 0.5]
    deeper = [r for r, share in deep.items() if share >= 0.5]
    return min(deeper) if shallow and deeper and max(shallow) < min(deeper) else None


split_seeds = [run["seed"] for run in dr_runs if switch_reach(run)]
switch_words = " or ".join(sorted({str(switch_reach(run)) for run in dr_runs if switch_reach(run)}))
shallow_seeds = [run["seed"] for run in dr_runs if run["deep_share"] == 0]
shallow_acc = [run["per_position"] for run in dr_runs if run["deep_share"] == 0]
moe_vs_act = stands_out(moe_acc, act_acc[MOE_TASK])[0]
runs = runs + moe_runs + dr_runs  # every model this post trains, for its compute below
train_seconds = sum(run["seconds"] for run in runs)
batch_passes = sum(run["passes_run"] for run in runs)
total_seconds = total_seconds + sum(run["seconds_with_eval"] for run in moe_runs + dr_runs)

first = moe_runs[0]["routing"]
fig_route = style.figure(height=2.9)
ax_pass, ax_reach, ax_deep = fig_route.subplots(1, 3)
by_pass = np.array(first["by_pass"], dtype=float)
shown = by_pass.sum(1) >= 0.01 * by_pass.sum(1)[0]  # passes that at least 1% of the answers ran
share = by_pass[shown] / by_pass[shown].sum(1, keepdims=True)
reaches = [r for r in sorted(first["by_reach_first_pass"]) if sum(first["by_reach_first_pass"][r]) >= 20]
reach_share = np.array([first["by_reach_first_pass"][r] for r in reaches], dtype=float)
reach_share /= reach_share.sum(1, keepdims=True)
for k, color in zip(range(N_EXPERT), style.PALETTE):
    ax_pass.plot(np.arange(1, len(share) + 1), share[:, k], "o-", color=color, markersize=3, label=f"expert {k + 1}")
    ax_reach.plot(reaches, reach_share[:, k], "o-", color=color, markersize=3)
ax_reach.sharey(ax_pass)
ax_pass.set_xlabel("pass")
ax_pass.set_ylabel("share of the answers")
ax_pass.set_title(f"{MOE_TASK}: experts")
ax_reach.set_xlabel("reach (first pass)")
ax_reach.set_title(f"{MOE_TASK}: experts")
ax_pass.legend(loc="upper right")
for i, run in enumerate(dr_runs):
    ks = sorted(run["deep_by_reach"])
    ax_deep.plot(ks, [run["deep_by_reach"][k] for k in ks], "o-", color=style.VERMILLION, alpha=0.9 - 0.25 * i,
                 markersize=3, label=f"seed {run['seed']}")
ax_deep.axvline(BUDGET.window + 0.5, color=style.FAINT, linestyle="--")
ax_deep.set_xlabel("reach")
ax_deep.set_ylabel("sent deep")
ax_deep.set_title(f"{DEPTH_TASK}: depth router")
ax_deep.legend(loc="lower right")

# %% [markdown]
# ## Routers inside the loop
#
# [Part 4](/blog/neural-nets-mixture-of-experts/) routed tokens among experts of equal cost.
# Two small subclasses put a router inside the loop:
#
# - **Experts in the loop**: the block's feed-forward becomes Part 4's mixture of
#   {{ N_EXPERT }} experts (top-1, balancing loss, no capacity limit), and ACT still decides
#   the passes. A pass runs one expert of {{ num(expert_weights, ",") }} weights, the old
#   feed-forward's size, plus a router of {{ num(router_weights, ",") }}:
#
# {{ diff(halting.LocalBlock, routed_depth.MoELocalBlock) }}
#
# - **A deep and a shallow expert**: after the first pass a router sends each position out,
#   or through {{ DEPTHS[-1] - 1 }} more passes (hard top-1; a position is counted for its
#   chosen path only). A hard choice has no gradient, so, like Part 6's tool policy, the
#   router learns what the choice is worth: where the deep path ran, its target is 1 if the
#   deep loss is lower by more than the price of the extra passes
#   ({{ DEPTHS[-1] - 1 }}\( \tau \)). {{ pct(dr_explore) }} of the other positions run deep at
#   random, so that it hears about them (`DepthRoutedTransformer`).
#
# On {{ DEPTH_TASK }}:
#
# {{ table(route_rows[DEPTH_TASK], headers=route_headers, formats=route_formats, key="depth router") }}
#
# {{ claim(split_seeds | length == n_seeds, "In every seed the depth router sends short reaches out and long ones deep", otherwise="The depth router sends short reaches out and long ones deep in " ~ count_of(split_seeds | length, n_seeds, "seed"), split_seeds=split_seeds) }}{% if split_seeds %}, switching at a reach of {{ switch_words }}, next to the window of {{ BUDGET.window }} that one pass covers{% endif %}.{% if shallow_seeds %}
# {{ claim(shallow_seeds, "In " ~ count_of(shallow_seeds | length, n_seeds, "seed") ~ " it sends every answer out after one pass (" ~ pct(shallow_acc | max) ~ " right), presumably because it priced the deep path before that path was any good; a position sent out runs deep again only when exploration draws it. A router that picks its own training data can lock itself in.", shallow_seeds=shallow_seeds) }}{% endif %}
# Over all {{ plural(n_seeds, "seed") }}, its passes per answer are {{ difference(dr_passes, act_passes[DEPTH_TASK], ".2f", key="depth router: passes against ACT") }} against ACT's,
# and its accuracy is {{ difference(dr_acc, best_acc[DEPTH_TASK], "pct", key="depth router: accuracy against the best fixed depth") }} against the best fixed depth's.
#
# On {{ MOE_TASK }}, where an answer's reach is not its position, the experts in the loop:
#
# {{ table(route_rows[MOE_TASK], headers=route_headers, formats=route_formats, key="experts in the loop") }}
#
# Mutual information measures, in bits, how much one count tells about another: 0 if the
# experts' shares are the same at every pass, {{ num(h_expert, ".2f") }} (the experts' entropy)
# if the pass decides the expert. Each is compared with 19 shuffles of the labels:
#
# - expert and pass: {{ seeds(info("pass"), ".3f", key="I(expert; pass)") }} bits (shuffled: at most {{ num(info("pass", "chance") | max, ".3f") }}), {{ claim(every_seed("pass"), "beyond chance in every seed", otherwise="not beyond chance in every seed", beyond=info("pass", "beyond_chance")) }};
# - expert and reach at the same pass: {{ seeds(info("reach_given_pass"), ".3f", key="I(expert; reach | pass)") }} bits (shuffled: at most {{ num(info("reach_given_pass", "chance") | max, ".3f") }}), {{ claim(every_seed("reach_given_pass"), "beyond chance in every seed", otherwise="not beyond chance in every seed", beyond=info("reach_given_pass", "beyond_chance")) }};
# - the same at the same position too: {{ seeds(info("reach_given_pass_position"), ".3f", key="I(expert; reach | pass, position)") }} bits (shuffled: at most {{ num(info("reach_given_pass_position", "chance") | max, ".3f") }}), {{ claim(every_seed("reach_given_pass_position"), "beyond chance in every seed", otherwise="not beyond chance in every seed", beyond=info("reach_given_pass_position", "beyond_chance")) }}.
#
# {{ claim(every_seed("reach_given_pass_position") and every_seed("pass"), "So the expert a position gets depends on the pass and, at the same pass and position, on how far back the evidence lies, beyond chance in every seed.", otherwise="The experts do not clearly divide the work by pass and by how far back the evidence lies.", beyond=info("reach_given_pass_position", "beyond_chance")) }}
# {{ claim(info_share | max < 0.25, "Both dependences are small, though: the largest mean is " ~ pct(info_share | max) ~ " of the experts' entropy, so pass and reach explain little of which expert a position gets.", otherwise="The largest of them is " ~ pct(info_share | max) ~ " of the experts' entropy.", shares=info_share) }}
# {{ claim(not moe_vs_act, "That buys nothing measurable here: with four times the feed-forward weights, ACT with experts is as accurate as plain ACT within seed noise.", otherwise="ACT with experts differs from plain ACT in accuracy beyond seed noise.", experts=moe_acc, plain=act_acc[MOE_TASK]) }}
#
# {{ figure(fig_route, "routers-in-the-loop", alt="Three panels: for the experts in the loop on " ~ MOE_TASK ~ ", the share of answers each expert receives against the pass and against the reach at the first pass; for the depth router on " ~ DEPTH_TASK ~ ", the share of answers sent deep against the reach, one line per seed", caption="Left and middle: experts in the looped block, first seed, " ~ MOE_TASK ~ ", share of the answers sent to each expert at each pass (passes at least 1% of the answers ran) and, at the first pass, by reach (reaches with at least 20 answers). Right: the depth router on " ~ DEPTH_TASK ~ ", share of the answers sent through " ~ DEPTHS[-1] ~ " passes by reach, one line per seed; dashed, the window's reach.") }}

# %% tags=["hide-input"]
batch_per_step = {t: [a["passes_run"] / BUDGET.steps for a in r["act"]] for t, r in results.items()}
char_passes = {t: over_seeds(r["act"], "mean_passes_all") for t, r in results.items()}
wall_ratio = [a["passes_run"] / BUDGET.steps / a["mean_passes_all"] for r in results.values() for a in r["act"]]
at_cap = [t for t in TASK_NAMES if min(batch_per_step[t]) >= BUDGET.cap - 0.25]  # every seed's batches ran (about) the cap

# %% [markdown]
# ## No saving on the clock
#
# ACT's economy is per answer. A batch, though, runs until its slowest position halts:
#
# {% for t in TASK_NAMES %}
# - {{ t }}: {{ seeds(batch_per_step[t], ".1f", key=t ~ ": ACT passes per training batch") }} passes per training batch, {{ seeds(char_passes[t], ".2f", key=t ~ ": ACT passes per character") }} per test character
# {%- endfor %}
#
# A training batch ran between {{ num(wall_ratio | min, ".1f") }} and
# {{ num(wall_ratio | max, ".1f") }} times as many passes as the average test character
# needed, and on {{ count_of(at_cap | length, TASK_NAMES | length, "task") }} every seed's
# batches ran about the cap of {{ BUDGET.cap }} passes, as many as the {{ DEPTHS[-1] }}-pass model. On a CPU a halted
# position's arithmetic is still done and discarded, so the time follows the slowest
# position, {{ claim(at_cap | length == TASK_NAMES | length, "and whatever ACT saves per answer buys no time here", otherwise="and what ACT saves per answer buys less time than it suggests", at_cap=at_cap) }}. That needs kernels that skip
# halted positions, or batches grouped by how long their inputs want to run.
#
# ## What this shows, and what it does not
#
# Everything here ran on one core of a {{ cpu_cores }}-core CPU, no GPU:
# {{ plural(runs | length, "model") }} of {{ num(BUDGET.steps, ",") }} steps each (the series
# allows five CPU-minutes per post, seeds included, which is why this post trains on two tasks
# and sweeps the fixed depths on one),
# {{ num(batch_passes, ",") }} block passes over a training batch in all, trained in
# {{ seconds(train_seconds) }} ({{ seconds(total_seconds) }} with evaluation; wall-clock, on a
# machine shared with other work).
#
# What the toy shows: when attention is local, depth is reach{{ claim(parity_steps, ", and on parity each extra pass extends the reach a fixed-depth model answers reliably.", otherwise=", though on parity not every extra pass extends the reach a fixed-depth model answers reliably.", parity_cover=parity_cover | dictsort | map(attribute=1) | list) }} A halting unit trained with a ponder cost learns to spend passes unevenly,
# {{ claim(follows, "and its passes rise with the reach on " ~ follows_words ~ ((" (" ~ (("on " ~ unsteady | join(", ") ~ " ") if follows | length > 1 else "") ~ "not in every seed)") if unsteady else "") ~ ".", otherwise="but on no task do its passes clearly follow the reach.", follows=follows) }}
# The verdict, over {{ plural(n_seeds, "seed") }}: {{ verdict_lower }}
#
# What it also shows: {{ claim(add_rho_diff < 0.5, "the passes follow whatever the halting unit can read from the state, which need not be the difficulty we had in mind (addition)", otherwise="on addition the passes do follow the difficulty we had in mind", ripple=add_rho_diff) }},
# and {{ claim(at_cap | length == TASK_NAMES | length, "fewer passes on average are not fewer seconds while a batch runs until its slowest position halts", otherwise="fewer passes on average buy less time than they suggest, because a batch runs until its slowest position halts", at_cap=at_cap) }}. This post did not compare the start at
# {{ num(BUDGET.halt_bias, "+.0f") }} with Graves' {{ num(graves_bias, "+.0f") }}, nor other
# ponder costs: how much of ACT's showing the start buys is not measured here.
#
# What it does not show is anything about reasoning in large models: a chain of thought
# spends computation by writing tokens, at a scale far beyond a block of
# {{ num(BUDGET.n_embd) }} numbers. What links the two is the idea measured here,
# computation as a budget a model can learn to allocate. The
# [Universal Transformer](https://arxiv.org/abs/1807.03819) applies ACT to a looped
# transformer as we did, and [PonderNet](https://arxiv.org/abs/2107.05653) replaces the
# remainder with a probabilistic halting rule that is easier to train.
#
# The next post moves the budget outside the model: when is it worth calling a tool?
#
# *Next: [The Economics of Tool Use](/blog/neural-nets-economics-of-tool-use/)*

# %% tags=["hide-input"]
acc_rows = []
for name, r in results.items():
    for d in r.get("fixed", {}):
        f = r["fixed"][d]
        acc_rows.append([name, f"fixed depth {d}", f["seed"], f["mean_passes"], f["per_position"], f["exact"],
                         f["long"]["per_position"]])
    for f in r.get("best", [])[1:]:
        acc_rows.append([name, f"fixed depth {r['best_depth']}", f["seed"], f["mean_passes"], f["per_position"],
                         f["exact"], f["long"]["per_position"]])
    for a in r["act"]:
        acc_rows.append([name, "ACT", a["seed"], a["mean_passes"], a["per_position"], a["exact"],
                         a["long_raised_cap"]["per_position"]])
acc_headers = ["task", "model", "seed", "mean passes", "answers right", "examples right",
               f"longer inputs (ACT: cap {BUDGET.long_cap})"]
acc_formats = {"mean passes": ".2f", "answers right": "share", "examples right": "share",
               f"longer inputs (ACT: cap {BUDGET.long_cap})": "share"}

# %% [markdown]
# ## Appendix
#
# <details>
# <summary>Every model: passes, accuracy and longer inputs, per seed</summary>
#
# "Examples right" counts an example only if all its answers are right.
#
# {{ table(acc_rows, headers=acc_headers, formats=acc_formats, key="accuracy") }}
#
# The longest reach up to which every answer group is at least 95% right, per fixed depth
# (first seed):
#
# {{ table(cover_rows, headers=cover_headers, key="covered_reach") }}
#
# </details>

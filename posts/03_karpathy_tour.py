# ---
# title: "A Tour of Karpathy's Tutorials"
# description: "Three steps from a table of letter counts to a small transformer, each one trained and measured on a laptop CPU, ending with the baseline the rest of the series modifies."
# weight: 30
# series: "Neural Nets from Scratch"
# skin: chalkboard
# draft: true
# slug: neural-nets-karpathy-tour
# ---

# %% [markdown]
# [Part 2](/blog/neural-nets-simpler-than-you-think/) ended with a network that learned to add
# two numbers. Two numbers in, one number out. A language model looks nothing like that from
# the outside: text goes in, and out comes a guess about what text comes next. This post
# walks across that gap, and it does so with the best map I know of: Andrej Karpathy's
# [Neural Networks: Zero to Hero](https://karpathy.ai/zero-to-hero.html) lectures and the
# code that goes with them, [makemore](https://github.com/karpathy/makemore).
#
# I am not going to re-teach the lectures. They are better than anything I could write, and
# you should watch them. What I want from them is narrower: the three ideas you need before
# we can start changing the architecture in Parts 4 to 7, each one backed by an experiment
# you can rerun. Every number on this page was produced by the code that builds the page,
# on one core of a {{ cpu_cores }}-core CPU, no GPU. Training all the models below took
# {{ seconds(total_train_seconds) }} of compute in total.
#
# ## The data: thirty thousand names
#
# makemore learns to invent names. Its training file holds about 32,000 of them, one per
# line, taken from the US Social Security Administration's baby-name records. Our corpus
# comes from the same source: the SSA's national list for the year {{ provenance["year"] }},
# lowercased, with the counts for girls and boys merged, giving
# {{ num(n_names, ",") }} distinct names ({{ num(corpus_kb, ".0f") }} KB; sha256
# `{{ corpus_sha }}`). It ships inside the package and is rebuilt from the raw table by
# `python -m scratchbook.lab.corpus`. Any file in makemore's format can replace it.
#
# The most common names come first: {{ first_names }}.
#
# The task is the same at every step of this post: given the characters of a name so far,
# predict the next one. A name becomes a short sequence that starts with a special token
# (written `.`) and ends with the same token, so "emma" teaches the model five things: `.`
# is followed by `e`, `.e` by `m`, and so on up to `.emma` followed by `.`. There are
# {{ vocab_size }} tokens in all (26 letters and `.`), and the longest name has
# {{ longest }} characters. Following makemore, {{ num(n_test, ",") }} names are held out as a
# test set and the other {{ num(n_train, ",") }} are for training. Every loss below is the
# average negative log-likelihood, in nats per character, of the held-out names.
#
# ## Step 1: from counting to learning
#
# The simplest language model has no neural network in it. Go through the training names,
# count how often each character follows each other character, and turn each row of counts
# into probabilities. That is a *bigram* model: it looks only at the previous character.

# %% tags=["hide-input"]
import os
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from scratchbook import experiment, progress_bar, style
from scratchbook.lab import corpus, diagnostics, models, names
from scratchbook.lab import sample as sampling
from scratchbook.lab import train as training

# Any names file in makemore's format can stand in for the shipped corpus.
CORPUS = Path(os.environ.get("SCRATCHBOOK_NAMES") or names.default_corpus_path())
data = names.load_names(CORPUS)
provenance = corpus.load_provenance()
cpu_cores = os.cpu_count()
n_names, n_train, n_test = len(data.words), len(data.train_words), len(data.test_words)
vocab_size, longest = data.vocab.size, data.block_size - 1
corpus_kb = CORPUS.stat().st_size / 1000
corpus_sha = provenance["sha256"][:16] if CORPUS == names.default_corpus_path() else "custom"
first_names = ", ".join(data.words[:8])
LETTERS = [data.vocab.itos[i] for i in range(data.vocab.size)]

# %% tags=["hide-input"]
@experiment
def count_bigram(corpus_file: Path) -> dict:
    """The counting model: bigram counts (+1 smoothing) turned into probabilities."""
    data = names.load_names(corpus_file)
    V = data.vocab.size
    counts = torch.zeros(V, V)
    for word in data.train_words:
        ids = [0] + data.vocab.encode(word) + [0]
        for a, b in zip(ids, ids[1:]):
            counts[a, b] += 1
    probs = (counts + 1) / (counts + 1).sum(dim=1, keepdim=True)
    # A bigram model whose logits are the log-probabilities *is* the count table.
    model = models.Bigram(models.ModelConfig(vocab_size=V, block_size=data.block_size))
    with torch.no_grad():
        model.logits.copy_(probs.log())
    return {"counts": counts, "probs": probs,
            "test_loss": training.evaluate(model, *data.test),
            "samples": sampling.sample(model, data.vocab, 10, seed=7)}


@experiment
def fit(kind: str, model_config: models.ModelConfig, train_config: training.TrainConfig,
        corpus_file: Path) -> dict:
    """Train one model on the names and keep what the post shows about it."""
    data = names.load_names(corpus_file)
    model = {"bigram": models.Bigram, "mlp": models.MLP,
             "transformer": models.Transformer}[kind](model_config)
    history = training.train(model, data.train, data.test, train_config,
                             progress=progress_bar(kind))
    generated = sampling.sample(model, data.vocab, 1000, seed=3)
    return {
        "history": history,
        "params": models.count_params(model),
        "state": model.state_dict(),
        "samples": sampling.sample(model, data.vocab, 10, seed=7),
        "prompted": {p: sampling.sample(model, data.vocab, 4, seed=11, prompt=p)
                     for p in sampling.NAME_PROMPTS},
        "memorised": sampling.fraction_in(generated, data.train_words),
        "distinct": len(set(generated)) / len(generated),
    }


counted = count_bigram(CORPUS)
base = models.ModelConfig(vocab_size=data.vocab.size, block_size=data.block_size)
# Training recipes measured by benchmarks/train_speed.py; one torch thread, like every post.
bigram_train = replace(training.PRESETS["bigram"][0], threads=1)
learned = fit("bigram", base, bigram_train, CORPUS)

# How close does gradient descent get to the counts?
learned_probs = learned["state"]["logits"].softmax(dim=1)
gap = (learned_probs - counted["probs"]).abs()
row_weight = counted["counts"].sum(dim=1) / counted["counts"].sum()
max_gap = gap.max().item()
typical_gap = (gap.mean(dim=1) * row_weight).sum().item()
worst_row, worst_col = divmod(int(gap.argmax()), gap.shape[1])
worst_pair = f"{LETTERS[worst_row]}{LETTERS[worst_col]}"
worst_row_count = int(counted["counts"][worst_row].sum())


def top_letters(counts_row, k=3):
    order = torch.argsort(counts_row, descending=True, stable=True)[:k].tolist()
    return ", ".join(f"`{LETTERS[i]}`" for i in order), float(counts_row[order].sum() / counts_row.sum())


top_starts, _ = top_letters(counted["counts"][0])
start_letters = int((counted["counts"][0, 1:] > 0).sum())
top_endings, ending_share = top_letters(counted["counts"][:, 0])

fig_counts = style.figure(height=6.6)
ax = fig_counts.subplots()
image = ax.imshow(np.log10(counted["counts"].numpy() + 1), cmap="Blues")
ax.set_xticks(range(len(LETTERS)), LETTERS)
ax.set_yticks(range(len(LETTERS)), LETTERS)
ax.set_xlabel("next character")
ax.set_ylabel("current character")
fig_counts.colorbar(image, ax=ax, shrink=0.8, label="log10(count + 1)")

# %% [markdown]
# {{ figure(fig_counts, "bigram-counts", alt="A 27 by 27 heat map of how often each character follows each other character in the training names", caption="Bigram counts over the " ~ num(n_train, ",") ~ " training names. Row: the current character; column: the one that follows. Dark cells are common pairs.") }}
#
# Two rows of the table tell most of the story of a name. The first row is what follows `.`,
# so how names start: the most common first letters are {{ top_starts }}, and
# {{ count_of(start_letters, 26, "letter") }} start at least one name. The first column
# is what precedes `.`, so how names end, and it is far more lopsided: {{ top_endings }}
# together end {{ pct(ending_share) }} of all names. With one added to
# every count so that no pair is impossible, this model gives the test names a loss of
# {{ num(counted["test_loss"], ".4f") }}. Sampling from it, one character at a time, gives:
#
# {{ samples_line(counted["samples"]) }}
#
# Karpathy's first lecture makes the move that the rest of deep learning is built on. Replace
# the table by a {{ vocab_size }}x{{ vocab_size }} matrix of free parameters
# ({{ num(learned["params"], ",") }} of them), read the row of the current character, apply a
# softmax, and score the result with the same negative log-likelihood. Then let gradient
# descent set the numbers. In our code the whole model is:
#
# {{ code(models.Bigram) }}
#
# After {{ num(bigram_train.steps, ",") }} steps of gradient descent on batches of
# {{ bigram_train.batch_size }} names, the learned model's test loss is
# {{ num(learned["history"]["final_test_loss"], ".4f") }}, against
# {{ num(counted["test_loss"], ".4f") }} for the counts. They are the same model reached by two
# routes: the counts are the exact maximum-likelihood answer (with a little smoothing), and
# gradient descent walks towards that answer. Weighted by how often each character occurs, a
# probability in the learned table differs from the counted one by
# {{ num(typical_gap, ".4f") }} on average. The largest single difference,
# {{ num(max_gap, ".3f") }}, is for the pair `{{ worst_pair }}` (its row, the characters that
# follow `{{ worst_pair[0] }}`, occurs {{ num(worst_row_count, ",") }} times in training):
# {{ num(bigram_train.steps, ",") }} steps do not settle every row completely, and the +1
# smoothing nudges the counted table away from the raw frequencies. Sampled with the same
# random seed as the table, the learned model draws {{ "the same names" if learned["samples"] == counted["samples"] else "almost the same names" }}, which is the
# most direct evidence that the two are one model:
#
# {{ samples_line(learned["samples"]) }}
#
# This is the training loop from Part 2 with a new target. The network does not output a
# number; it outputs a probability for every possible next character, and the loss rewards
# putting probability on the character that actually came next.
#
# ## Step 2: context, and why depth is fragile
#
# A bigram model cannot know that it is three letters into a name, or that it just wrote
# `q`. The next model in makemore, after
# [Bengio et al. (2003)](https://www.jmlr.org/papers/volume3/bengio03a/bengio03a.pdf), looks
# at a window of previous characters. Each character is first turned into a learned vector,
# its *embedding*; the vectors of the last {{ base.block_size }} characters are laid side by
# side and passed through one hidden layer of tanh units:
#
# {{ code(models.MLP) }}

# %% tags=["hide-input"]
mlp_train = replace(training.PRESETS["mlp"][0], threads=1)
mlp = fit("mlp", base, mlp_train, CORPUS)

# A 2-D view of the learned character embeddings (principal components).
embeddings = mlp["state"]["wte.weight"][: data.vocab.size].numpy()
centred = embeddings - embeddings.mean(axis=0)
_, singular, components = np.linalg.svd(centred, full_matrices=False)
plane = centred @ components[:2].T
explained = float((singular[:2] ** 2).sum() / (singular ** 2).sum())
fig_embed = style.figure(height=5, width=5.5)
ax = fig_embed.subplots()
vowels = set("aeiouy")
for (x, y), ch in zip(plane, LETTERS):
    ax.text(x, y, ch, fontsize=13, ha="center", va="center",
            color=style.VERMILLION if ch in vowels else style.BLUE if ch != "." else style.INK)
pad = np.abs(plane).max() * 1.1
ax.set_xlim(-pad, pad)
ax.set_ylim(-pad, pad)
ax.set_xlabel("first principal component")
ax.set_ylabel("second principal component")

# Does the plane keep vowels together? Each vowel's nearest neighbour in the plot, against
# the count expected if positions ignored vowels (each of the 26 others equally likely).
distances = ((plane[:, None, :] - plane[None, :, :]) ** 2).sum(-1)
np.fill_diagonal(distances, np.inf)
nearest = distances.argmin(axis=1)
vowel_count = sum(ch in vowels for ch in LETTERS)
vowel_neighbours = sum(ch in vowels and LETTERS[nearest[i]] in vowels
                       for i, ch in enumerate(LETTERS))
vowel_chance = vowel_count * (vowel_count - 1) / (len(LETTERS) - 1)

# %% [markdown]
# With {{ num(mlp["params"], ",") }} parameters and {{ num(mlp_train.steps, ",") }} training
# steps, the test loss drops to {{ num(mlp["history"]["final_test_loss"], ".4f") }}. The samples
# start to look like names:
#
# {{ samples_line(mlp["samples"]) }}
#
# Are these inventions, or is the model reciting its training set? Of 1,000 names sampled
# from it, {{ pct(mlp["memorised"]) }} are names it was trained on and the rest are new
# ({{ pct(mlp["distinct"]) }} of the 1,000 are distinct). A model that memorised would score
# near 100%; one that had learned nothing would almost never produce a real name.
#
# The embeddings are where the model's idea of a character lives. Each one has
# {{ base.n_embd }} numbers; squashed to two dimensions (which keeps
# {{ pct(explained) }} of their spread), vowels in vermillion and consonants in blue:
#
# {{ figure(fig_embed, "mlp-embeddings", alt="Scatter plot of the 27 character embeddings projected to two dimensions, vowels in vermillion", caption="The MLP's character embeddings, projected onto their first two principal components.") }}
#
# Nobody told the model which letters are vowels. Characters that can stand in similar
# places end up with similar vectors because that makes the next-character guess easier.
# {{ claim(vowel_neighbours >= 2 * vowel_chance, "Some of that survives the squash to two dimensions: in the plot, " ~ count_of(vowel_neighbours, vowel_count, "vowel") ~ " (y included) have another vowel as their nearest neighbour, where positions that ignored vowels would give about " ~ num(vowel_chance, ".1f") ~ ".", neighbours=vowel_neighbours, chance=vowel_chance) }}

# %% tags=["hide-input"]
@experiment
def fragile_depth(init: str, corpus_file: Path) -> dict:
    """A 5-layer tanh MLP, trained briefly, looked at from the inside."""
    data = names.load_names(corpus_file)
    X, Y = names.context_windows(data.train_words, data.vocab, 3)
    Xv, Yv = names.context_windows(data.test_words, data.vocab, 3)
    config = diagnostics.DeepMLPConfig(vocab_size=data.vocab.size, block_size=3, init=init)
    return diagnostics.diagnose(config, X, Y, steps=1500, batch_size=32, lr=0.1, seed=1337,
                                Xval=Xv, Yval=Yv)


deep = {init: fragile_depth(init, CORPUS) for init in diagnostics.INITS}
# The lab's diagnostics.plot_diagnostics, drawn a column wide: same histograms, the blog's style.
fig_deep = style.figure(height=7.6)
deep_axes = fig_deep.subplots(len(deep), 2)
for ax in deep_axes[1:, 0]:
    ax.sharex(deep_axes[0, 0])  # tanh outputs share [-1, 1]; each gradient panel keeps its scale
for (ax_a, ax_g), (init, result) in zip(deep_axes, deep.items()):
    snap = result["init"]
    for layer in snap["layers"]:
        ax_a.plot(diagnostics._centers(snap["act_bins"]),
                  diagnostics._density(layer["act_hist"], snap["act_bins"]),
                  label=f"{layer['layer']}: {100 * layer['saturated']:.0f}%")
        ax_g.plot(diagnostics._centers(snap["grad_bins"]),
                  diagnostics._density(layer["grad_hist"], snap["grad_bins"]),
                  label=f"{layer['layer']}: {layer['grad_std']:.0e}")
    ax_a.set_title(f"{init}: tanh outputs")
    ax_g.set_title(f"{init}: gradients at them")
    ax_a.set_xlim(-1, 1)
    ax_g.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    for ax in (ax_a, ax_g):
        ax.set_yticks([])
        ax.set_ylim(0, ax.get_ylim()[1] * 1.7)  # headroom for the legend
        ax.legend(loc="upper center", ncol=3, handlelength=1, columnspacing=0.8,
                  borderaxespad=0.2)
saturation_rows = [[init] + [layer["saturated"] for layer in deep[init]["init"]["layers"]]
                   + [deep[init]["val_loss"]] for init in diagnostics.INITS]
saturation_headers = (["initialisation"]
                      + [f"layer {l['layer']}" for l in deep["naive"]["init"]["layers"]]
                      + ["test loss after training"])
saturation_formats = {h: "pct" for h in saturation_headers[1:-1]}
saturation_formats["test loss after training"] = ".3f"
naive_sat = float(np.mean([l["saturated"] for l in deep["naive"]["init"]["layers"]]))
scaled_sat = float(np.mean([l["saturated"] for l in deep["scaled"]["init"]["layers"]]))
deep_layers = len(deep["naive"]["init"]["layers"])
deep_steps = deep["naive"]["steps"]
naive_loss, scaled_loss, bn_loss = (deep[init]["val_loss"]
                                    for init in ("naive", "scaled", "batchnorm"))
# Gradient spread at each layer's tanh outputs, at initialisation (the right-hand histograms).
naive_grads = [l["grad_std"] for l in deep["naive"]["init"]["layers"]]
scaled_grads = [l["grad_std"] for l in deep["scaled"]["init"]["layers"]]
grad_ratios = [n / s for n, s in zip(naive_grads, scaled_grads)]
min_grad_ratio, max_grad_ratio = min(grad_ratios), max(grad_ratios)
naive_growth = naive_grads[0] / naive_grads[-1]   # from the last tanh layer down to the first
bn_gap = bn_loss - scaled_loss

# %% [markdown]
# One hidden layer trains without fuss. Stack more and training becomes delicate, and
# Karpathy spends two full lectures on why. His lesson is a habit more than a trick: do not
# just watch the loss, look inside. To see it, take a deeper version of the same network
# ({{ deep_layers }} tanh layers of {{ deep[ "naive"]["config"]["n_hidden"] }} units, a
# 3-character window) and build it three ways:
#
# - **naive**: every weight drawn from a standard normal distribution;
# - **scaled**: the same weights divided by the square root of the layer's fan-in and
#   multiplied by 5/3, the gain that keeps tanh layers at a steady scale
#   ([He et al., 2015](https://arxiv.org/abs/1502.01852) derive the idea for ReLUs);
# - **batchnorm**: scaled, plus a
#   [batch normalisation](https://arxiv.org/abs/1502.03167) layer before every tanh.
#
# The histograms show each layer's tanh outputs and the gradients arriving at them, at
# initialisation, on one batch:
#
# {{ figure(fig_deep, "deep-mlp-diagnostics", alt="Histograms of tanh outputs and gradients per layer for naive, scaled and batchnorm initialisations", caption="Inside a " ~ num(deep_layers) ~ "-layer tanh MLP at initialisation. Left: tanh outputs per layer (legend: share saturated, |t| > 0.97). Right: gradients at those outputs (legend: their standard deviation).") }}
#
# With naive weights each unit sums a hundred inputs of unit size, so its input is around
# ten and tanh is pinned at -1 or +1: {{ pct(naive_sat) }} of the units are saturated on
# average, against {{ pct(scaled_sat) }} with scaled weights. A saturated unit passes almost
# no gradient through itself (its slope, 1 - t², is close to zero), but that does not make
# the naive network's gradients small.
# {{ claim(min_grad_ratio > 10 and naive_growth > 2, "The right-hand histograms show the opposite: at its tanh outputs the gradients are " ~ num(min_grad_ratio, ",.0f") ~ " to " ~ num(max_grad_ratio, ",.0f") ~ " times larger than with scaled weights, and they grow " ~ num(naive_growth, ".0f") ~ "-fold from the last layer down to the first: on the way back, each layer's oversized weights multiply the gradient by more than its saturated units shrink it.", smallest_ratio=min_grad_ratio, largest_ratio=max_grad_ratio, growth=naive_growth) }}
# The problem is gradients out of scale, not missing ones. The share of saturated units per
# layer at initialisation, and the test loss each network reaches after
# {{ num(deep_steps, ",") }} steps of plain SGD with one step size for all three:
#
# {{ table(saturation_rows, headers=saturation_headers, formats=saturation_formats, key="saturation") }}
#
# {{ claim(naive_loss > scaled_loss + 0.5 and naive_loss > bn_loss + 0.5, "The naive network ends far behind the other two.", naive=naive_loss, scaled=scaled_loss, batchnorm=bn_loss) }}
# BatchNorm gets there by force: it rescales every layer's inputs to zero mean and unit
# spread on each batch, whatever the weights do.
# {{ claim(0 < bn_gap < 0.05, "In this run it does not pay off, though: it ends at " ~ num(bn_loss, ".3f") ~ ", slightly worse than the " ~ num(scaled_loss, ".3f") ~ " of scaled initialisation alone. With the weights already well scaled there is little left for it to fix, and one run of each cannot say whether a gap of " ~ num(bn_gap, ".3f") ~ " is more than chance.", batchnorm=bn_loss, scaled=scaled_loss) }}
#
# This is the diagnostic habit the rest of
# the series needs. When we start sending tokens to different experts in Part 4, the loss
# alone will not tell us whether the routing works; the histograms of what goes where will.
#
# ## Step 3: attention
#
# The MLP reads a fixed window and mixes it with fixed weights: position 8 of the window
# always contributes through the same columns of the same matrix, whatever the name. The
# transformer drops that rigidity. Every position computes a *query* (what it is looking
# for), a *key* (what it offers) and a *value* (what it passes on); each position then takes
# a weighted average of the values of the positions before it, with weights from how well
# its query matches their keys. In our code this is one class, with PyTorch's fused kernel
# doing the softmax-weighted sum:
#
# {{ code(models.CausalSelfAttention) }}
#
# The `is_causal=True` flag is the mask that keeps every position from looking ahead, which
# is what lets the model generate one character at a time. Position is not built into
# attention at all (it treats its inputs as a set), so the model adds a learned position
# vector to each character's embedding. A *block* puts attention, where positions exchange
# information, in front of a small per-position MLP, where each position works on what it
# gathered, both with residual connections and LayerNorm:
#
# {{ code(models.Block) }}

# %% tags=["hide-input"]
transformer_train = replace(training.PRESETS["fast30_muon"][0], threads=1)
transformer = fit("transformer", base, transformer_train, CORPUS)

net = models.Transformer(base)
net.load_state_dict(transformer["state"])
net.eval()
attention_name = "jonathan"
tokens = torch.tensor([[0] + data.vocab.encode(attention_name)])
maps = net.attention_maps(tokens)
last_layer = maps[-1][0]  # (heads, T, T)
labels = ["."] + list(attention_name)
fig_attention = style.figure(height=2.6)
for head, ax in enumerate(fig_attention.subplots(1, base.n_head, sharey=True)):
    ax.imshow(last_layer[head].numpy(), cmap="Greens", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_title(f"head {head + 1}")
    ax.set_xlabel("attends to")
    if head == 0:
        ax.set_ylabel("position")
# Where does the last position look? (the one predicting what follows "jonathan")
final_row = last_layer[:, -1, :].mean(dim=0)
most_attended = labels[int(final_row.argmax())]
most_attended_share = final_row.max().item()

# %% [markdown]
# The makemore transformer at its default size ({{ base.n_layer }} blocks,
# {{ base.n_head }} heads, {{ base.n_embd }}-wide) has {{ num(transformer["params"], ",") }}
# parameters. After {{ num(transformer_train.steps, ",") }} steps its test loss is
# {{ num(transformer["history"]["final_test_loss"], ".4f") }}, against
# {{ num(mlp["history"]["final_test_loss"], ".4f") }} for the MLP. Its samples:
#
# {{ samples_line(transformer["samples"]) }}
#
# Attention weights can be read off directly. Here is the last block, for the input
# `.{{ attention_name }}`: each row is a position, and the row shows how that position spreads
# its attention over itself and the positions before it.
#
# {{ figure(fig_attention, "attention-jonathan", alt="Four heat maps of attention weights, one per head, for the input .jonathan", caption="Attention weights in the last block for \".jonathan\". Each row sums to one; the upper triangle is empty because of the causal mask.") }}
#
# Averaged over the four heads, the last position (the one that must decide whether the
# name ends after "jonathan") puts {{ pct(most_attended_share) }} of its attention on
# `{{ most_attended }}`. The pattern is computed afresh for every input. That is the change
# in where computation happens: the MLP's mixing is fixed once training ends, while the
# transformer decides, for each name and each position, which earlier characters to
# consult. It is also why the transformer is the right base for the rest of the series:
# attention and the per-position MLP are separate, swappable parts, and each later post
# swaps one of them.

# %% tags=["hide-input"]
runs = {"bigram": learned, "MLP": mlp, "transformer": transformer}
contexts = {"bigram": "1 character", "MLP": f"last {base.block_size} characters (fixed weights)",
            "transformer": f"up to {base.block_size} characters (attention)"}
comparison = [[name, contexts[name], run["params"], run["history"]["train_time"],
               run["history"]["final_test_loss"]] for name, run in runs.items()]
comparison.insert(0, ["counting", "1 character", "729 counts", "(one pass of counting)",
                     counted["test_loss"]])
total_train_seconds = sum(run["history"]["train_time"] for run in runs.values()) + sum(
    d["seconds"] for d in deep.values())

fig_curves = style.figure(height=4.2)
ax = fig_curves.subplots()
for (name, run), colour in zip(runs.items(), (style.SKY, style.BLUE, style.VERMILLION)):
    history = run["history"]
    train_curve = diagnostics.smooth(history["train_loss"], 50)
    ax.plot(np.arange(len(train_curve)) * 50 + 25, train_curve, color=colour, alpha=0.45,
            linewidth=1)
    ax.plot(history["checkpoints"]["step"], history["checkpoints"]["test_loss"], "o-",
            color=colour, label=f"{name} (test)", markersize=3)
ax.axhline(counted["test_loss"], color=style.INK, linestyle=":", label="counting (test)")
ax.set_xscale("log")
style.plain_log_labels(ax.xaxis)
ax.set_ylim(1.8, 3.5)
ax.set_xlabel("training step")
ax.set_ylabel("loss (nats per character)")
ax.legend(frameon=False)

prompt_rows = [[p or "(empty)"] + [", ".join(runs[m]["prompted"][p]) for m in runs]
               for p in sampling.NAME_PROMPTS]


def samples_line(samples):
    """Names as inline code, comma-separated."""
    return ", ".join(f"`{s}`" for s in samples)


baseline_rows = [[field, value] for field, value in asdict(base).items()]
baseline_train_rows = [[field, str(value)] for field, value in asdict(transformer_train).items()
                       if field not in ("threads",)]

# %% [markdown]
# ## The three models side by side
#
# {{ table(comparison, headers=["model", "context", "parameters", "training time", "test loss"], formats={"training time": "seconds", "test loss": ".4f"}, key="side_by_side") }}
#
# Training times are wall-clock seconds on one core of this machine (one torch thread; evaluation
# excluded). The curves: faint lines are the training loss (mean of 50 steps), dots the test
# loss at checkpoints.
#
# {{ figure(fig_curves, "loss-curves", alt="Training and test loss curves of the bigram, MLP and transformer models", caption="Train (faint) and test (dots) loss of the three models; the dotted line is the counting model.") }}
#
# The series samples every language model from the same prompts, so that later posts can
# be compared with this one. Four names per prompt, with the same random seed for every
# model, so each column starts from the same random numbers and the differences between
# columns come from the models alone:
#
# {{ table(prompt_rows, headers=["prompt", "bigram", "MLP", "transformer"], formats={"prompt": "code"}, key="prompts") }}
#
# ## The baseline for Parts 4 to 7
#
# From here on, "the baseline" means this transformer: makemore's architecture and size.
# Here it is trained with the settings below; each later post states its own. Part 4 replaces the per-position MLP inside `Block` with a
# set of experts and Part 5 applies the block several times, each shown as a diff against
# the classes above; Part 6 keeps the model's code and adds tokens that call a tool.
#
# {{ table(baseline_rows, headers=["model setting", "value"], key="baseline_model") }}
#
# {{ table(baseline_train_rows, headers=["training setting", "value"], key="baseline_training") }}
#
# With these settings it reaches a test loss of
# {{ num(transformer["history"]["final_test_loss"], ".4f") }} in
# {{ seconds(transformer["history"]["train_time"]) }} of training on this CPU
# ({{ seconds(transformer["history"]["train_time"] / transformer_train.steps) }} per step of
# {{ transformer_train.batch_size }} names). Holding all the data in memory, running each batch
# as {{ transformer_train.length_groups }} groups of names of similar length, each trimmed to its
# longest name (less work on padding, and the gradient is still the whole batch's),
# [Muon](https://kellerjordan.github.io/posts/muon/) (PyTorch's `torch.optim.Muon`, with its
# orthogonalisation in float32) for the blocks' weight matrices and AdamW for the rest, a warm-up followed by a cosine decay of the
# learning rate, and PyTorch's fused attention kernel are what make that possible;
# `benchmarks/makemore_race.py` races them against makemore's own script.
#
# ## What this post left out
#
# - **micrograd and backpropagation by hand.** Part 2 covered the mechanics; Karpathy's
#   lectures 1 and 4 go much further.
# - **[nanoGPT](https://github.com/karpathy/nanoGPT).** It shaped a generation of small GPT
#   implementations, but its README now calls it deprecated and points to
#   [nanochat](https://github.com/karpathy/nanochat), which trains a small chat model end to
#   end on a GPU node. Both are beyond a laptop CPU, which is the constraint this series keeps.
# - **Scale.** Our models are tiny. The ideas carry over; the behaviours of large models do
#   not necessarily, and the later posts say so whenever it matters.
#
# ## Next: who does the work?
#
# In the transformer above every character gets exactly the same computation: the same
# blocks, the same MLP, the same number of multiplications, whether it is the easy `a` at the
# end of "emma" or the first letter of a rare name. The next four posts ask how a model
# could spend its budget more wisely: by sending each token to one of several experts
# (Part 4), by thinking longer about hard inputs (Part 5), by handing work to a tool
# (Part 6), or by writing a program instead (Part 7).
#
# *Next: [Building a Mixture-of-Experts Model](/blog/neural-nets-mixture-of-experts/)*

# ---
# title: "The Economics of Tool Use"
# description: "A small transformer that can answer from its weights or pay to call a calculator and a lookup table: how it learns when a call is worth the price, three ways of labelling that decision, and what the price does to accuracy."
# weight: 60
# series: "Neural Nets from Scratch"
# skin: chalkboard
# draft: true
# slug: neural-nets-economics-of-tool-use
# ---

# %% [markdown]
# [Part 5](/blog/neural-nets-adaptive-computation/) let a model spend more of its *own*
# computation on hard inputs. Some inputs are hard in a way no amount of internal
# computation fixes at this size: the product of two two-digit numbers, or a fact the model
# never read. A calculator or a lookup table answers those exactly. So why not call a tool
# every time?
#
# Because a call has a price. In deployed systems it is latency, money, a context window
# filled with a tool's output, and a new way to fail (a malformed call, a tool that is
# down, a result that is wrong). This post gives a small model tools, puts a price on each
# call, and asks with numbers: **when should a model compute internally, and when should
# it pay for a tool?**
#
# ## Tool use is not a niche idea
#
# Language models that call tools are well studied and widely deployed.
# [Toolformer](https://arxiv.org/abs/2302.04761) (Schick et al., 2023) teaches a model to
# insert calls to a calculator, a search engine, a translator and others, keeping only the
# calls that make the following text more likely.
# [Retrieval-augmented generation](https://arxiv.org/abs/2005.11401) (Lewis et al., 2020)
# pairs a generator with a searchable index, because knowledge held in weights is hard to
# extend and check. [ReAct](https://arxiv.org/abs/2210.03629) interleaves reasoning with
# actions, and [Self-RAG](https://arxiv.org/abs/2310.11511) trains special tokens that
# decide whether to retrieve at all. Commercial APIs document the same loop this post
# builds in miniature: the model emits a call, the application runs it and returns the
# result, the model finishes its answer
# ([OpenAI's function calling guide](https://platform.openai.com/docs/guides/function-calling)
# is one example). And routing a query to a cheaper or a stronger system according to a
# price is its own line of work ([RouteLLM](https://arxiv.org/abs/2406.18665)).
#
# So the question worth asking is not why tools are not used, but what stops a call from
# being the default for every query. The answer this post tests: the price, weighed
# against how likely the model is to be right on its own.
#
# ## A benchmark with two tools
#
# The *tool suite* is a small, seeded benchmark (version {{ suite_version }}, sha256
# `{{ suite_sha }}`, {{ num(suite_kb, ".0f") }} kB, identical on every machine). One tool
# is a calculator that multiplies numbers of one or two digits. The other is a lookup table
# of {{ num(suite.config.n_facts, ",") }} invented facts: a made-up name such as
# `{{ example_fact.question }}` with a three-digit value (`{{ example_fact.answer }}`), so
# nothing about a fact can be guessed from its name. Training mentions the facts with a
# skewed frequency, as the world mentions real ones: the fact of rank \( r \) comes up in
# proportion to \( 1/r^{s} \) with \( s = {{ num(suite.config.zipf_s, ".1f") }} \) (a Zipf law), so a
# few facts are everywhere, most are rare, and some never appear. Five kinds of query:

# %% tags=["hide-input"]
import os
from collections import Counter

import numpy as np
from scratchbook import experiment, progress_bar, style
from scratchbook.lab import adversary, dream, tools, tooluse

# The lab's sizes: a 1,200-step warm-up shared by every scheme, then 300 decision steps per run.
# The post's cold build stays within 5 CPU-minutes of one core because every run is evaluated
# only where the post reads it (dream.evaluate's levels and forced), not by shorter training.
BUDGET = dream.Budget()
suite = tools.build_suite()
suite_version = tools.GENERATOR_VERSION
suite_sha = suite.sha256()[:16]
suite_kb = len(suite.text().encode()) / 1000
cpu_cores = os.cpu_count()
train_kinds = Counter(q.kind for q in suite.train)
test_kinds = Counter(q.kind for q in suite.test)
example_fact = next(q for q in suite.test if q.kind == "fact_frequent")
KIND_TEXT = {
    "mul1": "a product of two one-digit numbers",
    "mul2": "a product of two two-digit numbers (fresh pairs in the test)",
    "fact_frequent": f"a fact mentioned at least {suite.config.frequent_from} times in training",
    "fact_rare": f"a fact mentioned 1 to {suite.config.frequent_from - 1} times",
    "fact_unseen": "a fact in the table that training never mentions",
}
examples = {kind: next(q for q in suite.test if q.kind == kind) for kind in tools.QUERY_TYPES}
suite_rows = [[kind, KIND_TEXT[kind], f"`{examples[kind].question}=` → `{examples[kind].answer}`",
               train_kinds.get(kind, 0), test_kinds[kind]] for kind in tools.QUERY_TYPES]

# %% [markdown]
# {{ table(suite_rows, headers=["kind", "what it is", "example", "training queries", "test queries"], key="suite") }}
#
# Training holds {{ num(suite.train | length, ",") }} queries (with repeats: each one-digit
# product {{ suite.config.mul1_repeats }} times, each fact as often as the Zipf draw says);
# the test asks every one-digit product, {{ suite.config.n_mul2_test }} fresh two-digit
# products and every fact once. The one-digit products and the frequent facts are there to
# be memorized. The two-digit products and the unseen facts cannot be: they need the tool.
# The rare facts sit in between, and that is where a price should make a difference.
#
# ## Tool tokens
#
# The model is the transformer class of [Part 3](/blog/neural-nets-karpathy-tour/), with no
# change to its code, at a size of its own: {{ BUDGET.n_layer }} blocks of width
# {{ BUDGET.n_embd }}, {{ num(params, ",") }} parameters. Only its vocabulary grows, by four tool tokens and one token per price. A
# query becomes one of two sequences that share their start:
#
# ```text
# <$k> 37*64= <NO_TOOL> 2368 .
# <$k> 37*64= <CALL> 37*64 <EXEC> 2368 </RESULT> 2368 .
# ```
#
# `<$k>` tells the model the price of a call (one of {{ BUDGET.costs | length }} levels, from
# {{ num(BUDGET.costs[0], ".2f") }} to {{ num(BUDGET.costs[-1], ".2f") }}, in units of one
# right answer). After `=` the model decides. With `<NO_TOOL>` it answers from its
# weights. With `<CALL>` it writes a tool expression and `<EXEC>`; the *harness* runs the
# expression and writes the result and `</RESULT>` into the sequence, and the model then
# writes the answer itself (it only has to copy). The model is never trained to predict the
# tokens the harness writes. The harness decodes greedily, caps the expression at
# {{ caps.expression }} tokens and the answer at {{ caps.answer }}, and reports a call it
# cannot run as a failed call: an expression no tool reads, one that derails before
# `<EXEC>`, or a name the table does not hold. A failed call leaves the query unanswered.
#
# ## Training: answers on both branches, decisions from a dream
#
# Training has two stages. First the answers: for {{ num(BUDGET.warmup_steps, ",") }} steps
# of {{ BUDGET.batch_size }} queries, every query is trained on *both* branches at a random
# price, so the model learns to answer without the tool and to call and copy, whatever it
# would decide. The decision is left untrained. Training the answers on both branches is
# a design choice; a later section runs the decision stage the other way.
#
# Then the decision, for {{ num(BUDGET.policy_steps, ",") }} more steps, from labels the
# model gives itself. Every {{ BUDGET.relabel_every }} steps a *dream* pass goes over the
# training queries: it compares what the model would answer without the tool with what the
# tool returns, and labels each query, at each price, "call" where the call is worth more
# than it costs and "no call" where it is not. No decoding is needed. One teacher-forced
# pass over the no-tool sequence gives the probability of the right answer, and greedy
# decoding would write the right answer exactly when the right token is the likeliest at
# every position of it. What a call is worth, \( v \), has three versions here:
#
# - **agree** (the dream as first proposed): \( v = 1 \) where the model's own greedy answer
#   disagrees with the tool, \( v = 0 \) where they agree.
# - **prob**: \( v = 1 - P(\text{the no-tool answer is right}) \), the expected number of
#   answers a call saves.
# - **toolformer**: Toolformer's filter used as a label: \( v \) is how much the tool's
#   result lowers the loss of the answer, in nats.
#
# A query is labelled "call" when \( v \) exceeds the price \( c \). For the two dream
# labels each query is weighted by its margin \( |v - c| \), so a near tie teaches little
# and a clear case a lot; Toolformer's labels all weigh 1. In code:
#
# {{ code(dream.call_value) }}
#
# {{ code(dream.make_labels) }}

# %% tags=["hide-input", "hide-output"]
@experiment
def warmup(budget: dream.Budget) -> dict:
    bar = progress_bar("warm-up")
    return dream.run_warmup(budget, progress=bar)


# The runs below start from warmup(budget): an experiment of its own, computed once per build
# (the cache key of a run is its budget, not the warm-up's result, whose timings differ per run).
@experiment
def policy(scheme: str, budget: dream.Budget, on_policy: bool = False, levels=None, forced=None,
           fixed_prompts: bool = True) -> dict:
    bar = progress_bar(f"{scheme}{' on-policy' if on_policy else ''}")
    return dream.run_policy(warmup(budget), scheme, budget, on_policy=on_policy, progress=bar, levels=levels,
                            forced=forced, fixed_prompts=fixed_prompts)


@experiment
def adversarial(scheme: str, budget: dream.Budget, search: adversary.SearchConfig, forced=None) -> dict:
    bar = progress_bar(f"{scheme} + search")
    return adversary.run_adversarial(warmup(budget), scheme, budget, search, progress=bar, forced=forced)


costs = list(BUDGET.costs)
REF = costs.index(0.2)  # the price used where one price is shown
MAIN = "prob"
warm = warmup(BUDGET)
# Each run is evaluated for what the post reads: the prob run in full (its answers give the
# always/never/oracle baselines, and the fixed query set); the other schemes' policies at every
# price; the search run's policy at every price and its baselines at the reference price; the
# on-policy ablation at the reference price only.
runs = {scheme: policy(scheme, BUDGET) if scheme == MAIN else
        policy(scheme, BUDGET, forced=(), fixed_prompts=False) for scheme in dream.SCHEMES}
on_policy_run = policy("prob", BUDGET, on_policy=True, levels=(REF,), fixed_prompts=False)
SEARCH = adversary.SearchConfig()
adv = adversarial("prob", BUDGET, SEARCH, forced=(REF,))
params = warm["params"]
caps = tooluse.Caps()
main = runs[MAIN]
ref_cost = costs[REF]
total_seconds = warm["history"]["seconds"] + warm["history"]["relabel_seconds"] + sum(
    r["seconds"] for r in [*runs.values(), on_policy_run, adv])
train_seconds = warm["history"]["seconds"] + sum(r["train_seconds"] for r in [*runs.values(), on_policy_run, adv])
n_runs = 2 + len(runs) + 1  # the warm-up, the schemes, the on-policy ablation, the search

# %% tags=["hide-input"]
warm_rounds = warm["history"]["rounds"]
policy_rounds = main["history"]["rounds"]
KINDS = tools.QUERY_TYPES
COLORS = {"mul1": style.BLUE, "mul2": style.VERMILLION, "fact_frequent": style.GREEN,
          "fact_rare": style.ORANGE, "fact_unseen": style.PURPLE}


def smooth(xs, k=25):
    xs = np.asarray(xs, dtype=float)
    return np.convolve(xs, np.ones(k) / k, mode="valid")


fig_loss = style.figure(height=3.6)
ax_loss, ax_acc, ax_lab = fig_loss.subplots(1, 3)
ax_acc.sharex(ax_loss)      # both span warm-up and policy training
steps = warm["history"]["step"] + main["history"]["step"]
answer_loss = warm["history"]["answer_loss"] + main["history"]["answer_loss"]
k = 25
ax_loss.plot(steps[k - 1:], smooth(answer_loss, k), color=style.BLUE, label="train (smoothed)")
rounds_all = warm_rounds + policy_rounds[1:]
ax_loss.plot([r["step"] for r in rounds_all], [r["val_loss"] for r in rounds_all], "o-", markersize=3,
             color=style.VERMILLION, label="validation")
ax_loss.axvline(BUDGET.warmup_steps, color=style.INK, lw=0.8, ls="--")
ax_loss.set_yscale("log")
style.plain_log_labels(ax_loss.yaxis)
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("loss per trained token (nats)")
ax_loss.legend()
for kind in KINDS:
    ax_acc.plot([r["step"] for r in rounds_all], [r["test_right_no_tool"][kind] for r in rounds_all], "o-",
                markersize=3, color=COLORS[kind], label=kind)
ax_acc.axvline(BUDGET.warmup_steps, color=style.INK, lw=0.8, ls="--")
ax_acc.set_xlabel("step")
ax_acc.set_ylabel("test answers right without the tool")
ax_acc.legend(handlelength=1, loc="center right")
for level in (costs.index(0.05), REF, costs.index(0.5)):
    ax_lab.plot([r["step"] for r in warm_rounds], [r["label_call_share"][level]["all"] for r in warm_rounds],
                "o-", markersize=3, label=f"price {costs[level]:g}")
ax_lab.set_xlabel("step (warm-up)")
ax_lab.set_ylabel("training queries labelled 'call' (prob)")
ax_lab.legend()

final_warm = warm_rounds[-1]
LAB_LEVEL = costs.index(0.5)
price_matters = next((r["step"] for r in warm_rounds if r["label_call_share"][LAB_LEVEL]["all"] < 0.9), None)
mul1_learned = next((r["step"] for r in warm_rounds if r["test_right_no_tool"]["mul1"] >= 0.95), None)
freq_learned = next((r["step"] for r in warm_rounds if r["test_right_no_tool"]["fact_frequent"] >= 0.95), None)
val_first, val_last = warm_rounds[0]["val_loss"], rounds_all[-1]["val_loss"]

# %% [markdown]
# ## What training looks like
#
# {{ figure(fig_loss, "training", alt="Three panels: training and validation loss against step on a log scale; the share of test answers right without the tool for each kind of query against step; the share of training queries the prob labels would mark as call at three prices against step", caption="Left: loss of the trained tokens (answers and tool expressions), training (smoothed) and validation. Middle: test answers right without the tool, per kind. Right: during the warm-up, the share of training queries the prob labels would send to the tool at three prices. The dashed line is the end of the warm-up.") }}
#
# Validation loss falls from {{ num(val_first, ".2f") }} to {{ num(val_last, ".3f") }} nats per
# token. The one-digit products are answered from memory (95% or more right) by step
# {{ mul1_learned }}, the frequent facts by step {{ freq_learned }}; the two-digit products never are (the model gets
# {{ pct(final_warm["test_right_no_tool"]["mul2"]) }} of the fresh ones right at the end of the warm-up), and the
# unseen facts cannot be. The right panel is the economics arriving. At the start every
# answer is a guess, every label says "call", and the price changes nothing. Only once the
# model knows some answers does the price matter: at a price of
# {{ num(costs[LAB_LEVEL], ".1f") }}, fewer than 90% of the training queries are labelled "call"
# from step {{ price_matters }} on. Before that, a policy trained on these labels would learn
# "always call" at every price.

# %% tags=["hide-input"]
def level_of(run, level=REF):
    return run["eval"]["levels"][level]


L = level_of(main)
ref_rows = []
for kind in KINDS:
    ref_rows.append([kind, L["never"]["by_kind"][kind]["accuracy"], L["always"]["by_kind"][kind]["accuracy"],
                     L["policy"]["by_kind"][kind]["accuracy"], L["policy"]["by_kind"][kind]["call_rate"]])
ref_rows.append(["all", L["never"]["accuracy"], L["always"]["accuracy"], L["policy"]["accuracy"],
                 L["policy"]["call_rate"]])
ref_headers = ["kind", "no tool (end of training)", "always call", "learned policy", "policy's call rate"]
ref_formats = {h: "pct" for h in ref_headers[1:]}
unseen_rate = L["policy"]["by_kind"]["fact_unseen"]["call_rate"]
mul2_rate = L["policy"]["by_kind"]["mul2"]["call_rate"]
mem_rate = max(L["policy"]["by_kind"]["mul1"]["call_rate"], L["policy"]["by_kind"]["fact_frequent"]["call_rate"])
always_failed = L["always"]["failed_calls"]
always_malformed = L["always"]["malformed_calls"]
failed_kinds = Counter(q.kind for q, st in zip(suite.test, L["always_status"]) if st in ("malformed_call", "tool_error", "cap"))
failed_unseen = failed_kinds.get("fact_unseen", 0)
wrong_after_call = sum(st == "answered" and not ok for st, ok in zip(L["always_status"], L["always_correct"]))
wrong_after_kinds = Counter(q.kind for q, st, ok in zip(suite.test, L["always_status"], L["always_correct"])
                            if st == "answered" and not ok)
failed_words = (f"{failed_unseen} of them on unseen facts, whose names the model copied wrongly into the expression"
                if failed_unseen >= always_failed / 2 else "spread over the kinds of query")
n_test = len(suite.test)
agreement = L["agreement"]

# bins of how often a fact was seen in training
BINS = [(0, 0), (1, 1), (2, 3), (4, 9), (10, 29), (30, 10**9)]
seen = np.array([q.seen for q in suite.test])
is_fact = np.array([q.kind.startswith("fact") for q in suite.test])
calls_ref = np.array([e["decision"] == "call" for e in L["episodes"]])
never_right = np.array(L["never_correct"])
bin_rows, bin_labels, bin_call, bin_right = [], [], [], []
for lo, hi in BINS:
    m = is_fact & (seen >= lo) & (seen <= hi)
    label = f"{lo}" if lo == hi else (f"{lo}+" if hi > 10**6 else f"{lo}–{hi}")
    bin_labels.append(label)
    bin_call.append(float(calls_ref[m].mean()))
    bin_right.append(float(never_right[m].mean()))
    bin_rows.append([label, int(m.sum()), float(never_right[m].mean()), float(calls_ref[m].mean())])

most_called_seen = max(bin_call[1:])  # the seen-fact bin the policy calls for most
seen_mask = is_fact & (seen >= 1)
seen_right, seen_call = float(never_right[seen_mask].mean()), float(calls_ref[seen_mask].mean())

fig_seen = style.figure(height=3.4, width=6.5)
ax = fig_seen.subplots()
xs = np.arange(len(BINS))
ax.bar(xs - 0.2, bin_right, width=0.4, color=style.GREEN, label="right without the tool")
ax.bar(xs + 0.2, bin_call, width=0.4, color=style.VERMILLION, label=f"policy calls (price {ref_cost:g})")
ax.set_xticks(xs, bin_labels)
ax.set_xlabel("times the fact was mentioned in training")
ax.set_ylabel("share of test facts")
ax.legend()

# %% [markdown]
# ## The learned policy at one price
#
# At a price of {{ num(ref_cost, ".1f") }} (a call costs a fifth of a right answer), with the
# prob labels, on the {{ num(n_test, ",") }} test queries:
#
# {{ table(ref_rows, headers=ref_headers, formats=ref_formats, key="policy_at_ref") }}
#
# The policy calls for {{ pct(mul2_rate) }} of the two-digit products and at most
# {{ pct(mem_rate) }} of the queries it has memorized: {{ claim(mul2_rate > 0.9 and mem_rate < 0.1, "it learned which questions it can answer", mul2_rate=mul2_rate, mem_rate=mem_rate) }}. The always-call column is the tool's ceiling, and it is not 100%: of the
# {{ num(n_test, ",") }} forced calls, {{ always_failed }} failed ({{ always_malformed }} of them
# malformed), {{ failed_words }}, and {{ wrong_after_call }} more answers went wrong after a
# successful call ({{ wrong_after_kinds.get("mul2", 0) }} of them two-digit products): the model
# has to copy the result, and its own guess can get in the way. Tools add failure modes, even
# here.
#
# {{ claim(unseen_rate < 0.5, "The weak spot is the unseen facts: the policy calls for only", unseen_rate=unseen_rate, otherwise="The unseen facts need the tool, and the policy calls for") }} {{ pct(unseen_rate) }} of them.
# Agreement with the *oracle* router, which calls exactly when the no-tool answer is
# wrong, is {{ pct(agreement) }}. By how often a fact was mentioned in training:
#
# {{ figure(fig_seen, "calls-by-frequency", alt="Bar chart: for test facts grouped by how often training mentioned them, the share answered right without the tool and the share for which the policy calls", caption="Facts grouped by how often training mentioned them: the share the model answers right without the tool (bluish green) and the share for which the learned policy calls (vermillion), at a price of " ~ ref_cost ~ ".") }}
#
# {{ table(bin_rows, headers=["times mentioned", "facts", "right without the tool", "policy calls"], formats={"right without the tool": "pct", "policy calls": "pct"}, key="by_frequency") }}
#
# For the facts mentioned at least once, the model answers {{ pct(seen_right) }} right without
# the tool and the policy calls for {{ pct(seen_call) }} of them. {{ claim(unseen_rate <= most_called_seen, "A fact it never saw looks, to the decision, like a rare one it knows, because the dream only labels training queries and an unseen fact is never among them. The dream as built so far cannot find its own blind spots.", unseen_rate=unseen_rate, most_called_seen=most_called_seen, otherwise="The decision calls for the unseen facts more often than for any facts it has seen, although the dream only labels training queries and an unseen fact is never among them.") }}
# The adversary in the original idea would *search* for queries where the model and the tool
# disagree; the section "An adversary that searches", below, builds that search
# and measures what it does to this row.

# %% tags=["hide-input"]
def sweep(run, mode="policy"):
    return [lv[mode] for lv in run["eval"]["levels"]]


fig_sweep = style.figure(height=3.6)
ax_rate, ax_acc2, ax_score = fig_sweep.subplots(1, 3, sharex=True)
STYLE = {"agree": (style.SKY, "s-"), "prob": (style.VERMILLION, "o-"), "toolformer": (style.PURPLE, "^-")}
for scheme, run in runs.items():
    color, marker = STYLE[scheme]
    ax_rate.plot(costs, [s["call_rate"] for s in sweep(run)], marker, color=color, label=scheme, markersize=4)
    ax_acc2.plot(costs, [s["accuracy"] for s in sweep(run)], marker, color=color, label=scheme, markersize=4)
    ax_score.plot(costs, [s["score"] for s in sweep(run)], marker, color=color, label=scheme, markersize=4)
for mode, dashes in (("always", "--"), ("never", ":")):
    line = dict(color=style.INK, ls=dashes, lw=1, label=f"{mode} call")
    ax_rate.plot(costs, [s["call_rate"] for s in sweep(main, mode)], **line)
    ax_acc2.plot(costs, [s["accuracy"] for s in sweep(main, mode)], **line)
    ax_score.plot(costs, [s["score"] for s in sweep(main, mode)], **line)
adv_line = dict(color=style.BLUE, marker="D", ls="-", markersize=4, label="prob + search")
ax_rate.plot(costs, [s["call_rate"] for s in sweep(adv)], **adv_line)
ax_acc2.plot(costs, [s["accuracy"] for s in sweep(adv)], **adv_line)
ax_score.plot(costs, [s["score"] for s in sweep(adv)], **adv_line)
oracle_line = dict(color=style.GREEN, lw=1, label="oracle")
ax_rate.plot(costs, [s["call_rate"] for s in sweep(main, "oracle")], **oracle_line)
ax_acc2.plot(costs, [s["accuracy"] for s in sweep(main, "oracle")], **oracle_line)
ax_score.plot(costs, [s["score"] for s in sweep(main, "oracle")], **oracle_line)
ax_rate.set_ylabel("call rate")
ax_acc2.set_ylabel("accuracy")
ax_score.set_ylabel("score = accuracy − price × call rate")
for a in (ax_rate, ax_acc2, ax_score):
    a.set_xlabel("price of a call")
ax_score.legend(handlelength=1.5)

sweep_rows = []
for level, cost in enumerate(costs):
    lv = main["eval"]["levels"][level]
    p = lv["policy"]
    sweep_rows.append([cost, p["call_rate"], p["accuracy"], p["calls_per_correct"], p["score"],
                       lv["always"]["score"], lv["never"]["score"], lv["oracle"]["score"]])
sweep_headers = ["price", "call rate", "accuracy", "calls per right answer", "score", "always call",
                 "never call", "oracle"]
sweep_formats = {"price": ".2f", "call rate": "pct", "accuracy": "pct", "calls per right answer": ".2f",
                 "score": ".3f", "always call": ".3f", "never call": ".3f", "oracle": ".3f"}
beats_always = [c for lv, c in zip(main["eval"]["levels"], costs) if lv["policy"]["score"] > lv["always"]["score"]]
beats_always_from = next((c for i, c in enumerate(costs)
                          if all(lv["policy"]["score"] > lv["always"]["score"] for lv in main["eval"]["levels"][i:])),
                         None)
last_level = main["eval"]["levels"][-1]
beats_both = [c for lv, c in zip(main["eval"]["levels"], costs)
              if lv["policy"]["score"] > max(lv["always"]["score"], lv["never"]["score"])]
gap_to_oracle = [lv["oracle"]["score"] - lv["policy"]["score"] for lv in main["eval"]["levels"]]
mid = [costs.index(c) for c in (0.05, 0.1, 0.2, 0.35, 0.5, 0.75)]
rate_range = {s: (min(sweep(r)[i]["call_rate"] for i in mid), max(sweep(r)[i]["call_rate"] for i in mid))
              for s, r in runs.items()}
distinct_rates = {s: len({round(sweep(r)[i]["call_rate"], 3) for i in mid}) for s, r in runs.items()}
label_share = {s: [r["history"]["rounds"][-1]["label_call_share"][i]["all"] for i in range(len(costs))]
               for s, r in runs.items()}
agree_label_range = max(label_share["agree"][i] for i in mid) - min(label_share["agree"][i] for i in mid)
prob_label_range = max(label_share["prob"][i] for i in mid) - min(label_share["prob"][i] for i in mid)
best_scheme = {c: max(runs, key=lambda s: runs[s]["eval"]["levels"][i]["policy"]["score"]) for i, c in enumerate(costs)}
wins = {s: sum(best_scheme[c] == s for c in costs) for s in runs}
NEAR = 0.02  # "a point or two": what the post treats as within another seed's reach
span = {s: hi - lo for s, (lo, hi) in rate_range.items()}  # how far each policy's call rate follows the price
prob_smoother = span["prob"] > span["agree"] + NEAR

# %% [markdown]
# ## The price of a call
#
# One model covers every price, because the price is part of its prompt. Sweeping it, for the
# three labelling schemes, against calling always, never, and the oracle:
#
# {{ figure(fig_sweep, "cost-sweep", alt="Three panels against the price of a call: call rate, accuracy, and score (accuracy minus price times call rate) for the three labelling schemes, the prob labels with the adversary's search, always call, never call and the oracle", caption="The cost sweep on the test set. Score is accuracy minus the price times the call rate: what a right answer is worth minus what the calls cost, per query. Always/never call and the oracle use the prob model's answers. 'prob + search' is the run with the adversary's search (a later section), at the same number of training steps.") }}
#
# The prob policy in numbers:
#
# {{ table(sweep_rows, headers=sweep_headers, formats=sweep_formats, key="cost_sweep") }}
#
# {% if beats_always_from is not none %}The learned policy beats always calling at every price from
# {{ num(beats_always_from, ".2f") }} up{% else %}The learned policy does not beat always calling at the highest prices{% endif %},
# and beats both fixed strategies at {{ beats_both | length }} of the {{ costs | length }} prices.
# Below the oracle it loses up to {{ num(gap_to_oracle | max, ".3f") }} in score. The oracle
# here ignores the price (it calls whenever the model would be wrong), so once a call costs
# nearly as much as the answer it buys it is no longer the best policy: at a price of
# {{ num(costs[-1], ".0f") }} a call can never pay, never calling scores
# {{ num(last_level["never"]["score"], ".3f") }}, the oracle {{ num(last_level["oracle"]["score"], ".3f") }}.
# The learned policy still calls for {{ pct(last_level["policy"]["call_rate"]) }} of the
# queries there and scores {{ num(last_level["policy"]["score"], ".3f") }}: at that price the
# prob labels' margin for a two-digit product is nearly zero, so its weight teaches the
# decision almost nothing, and the decision stays where the lower prices put it.
#
# ## Three ways to label a decision
#
# How the decision is labelled shapes the cost curve. Between the prices
# {{ num(costs[mid[0]], ".2f") }} and {{ num(costs[mid[-1]], ".2f") }}, the agree labels change
# the share of training queries labelled "call" by {{ pct(agree_label_range) }}, the prob labels
# by {{ pct(prob_label_range) }}. That follows from their definitions: a 0-or-1 value is above
# any price between 0 and 1 or below all of them, so the price only changes the *weights*,
# and the labels flip all at once at a price of 1. A probability crosses the price somewhere,
# query by query. On the test set the call rate of the agree policy ranges from
# {{ pct(rate_range["agree"][0]) }} to {{ pct(rate_range["agree"][1]) }} over those prices, that
# of the prob policy from {{ pct(rate_range["prob"][0]) }} to {{ pct(rate_range["prob"][1]) }}.
# Toolformer's labels measure something else, nats of loss rather than answers: a two-digit
# product the model gets wrong costs it several nats, so the tool's saving dwarfs any price
# below 1, and its call rate, from {{ pct(rate_range["toolformer"][0]) }} to
# {{ pct(rate_range["toolformer"][1]) }}, says more about the scale of a loss than about the
# value of an answer. Counting which labels give the best score at each of the
# {{ costs | length }} prices: agree {{ wins["agree"] }}, prob {{ wins["prob"] }}, toolformer
# {{ wins["toolformer"] }}. {% if prob_smoother %}{{ claim(prob_smoother, "A smoother cost curve is not by itself a better policy;", prob_span=span["prob"], agree_span=span["agree"], near=NEAR) }}{% else %}{{ claim(not prob_smoother and prob_label_range > agree_label_range, "On the test set the prob policy's call rate follows the price hardly more than the agree policy's, although its training labels do.", prob_span=span["prob"], agree_span=span["agree"], near=NEAR, prob_label_range=prob_label_range, agree_label_range=agree_label_range) }} With{% endif %} one
# run per scheme, differences of a point or two are within what another seed could change.
# {% if wins["agree"] > wins["prob"] and prob_smoother %}This post features the prob labels for their smoother
# curve, not for their score: on score, the agree labels win at more prices
# ({{ wins["agree"] }} against {{ wins["prob"] }}).{% endif %}

# %% tags=["hide-input"]
searched = adv["history"]["search"]
n_rounds_searched = len(searched)
tried = sum(r["tried"] for r in searched)
unknown = sum(r["unknown_name"] for r in searched)
scored = sum(r["scored"] for r in searched)
diverged = sum(sum(r["diverged"].values()) for r in searched)
kept = sum(sum(r["kept"].values()) for r in searched)
kept_agreeing = sum(r["kept_agreeing"] for r in searched)
kept_products = sum(r["kept"]["search_product"] for r in searched)
kept_names = sum(r["kept"]["search_name"] for r in searched)
products_tried = n_rounds_searched * SEARCH.products_per_round
products_diverged = sum(r["diverged"]["search_product"] for r in searched)
names_tried = n_rounds_searched * SEARCH.names_per_round
names_diverged = sum(r["diverged"]["search_name"] for r in searched)
fw = adv["forward"]
base_sequences = fw["train"] + fw["relabel_without_search"]
adv_sequences = fw["train"] + fw["relabel"] + fw["search"]
extra_share = adv_sequences / base_sequences - 1

adv_L = level_of(adv)
compared = {"prob (dream only)": main, "prob + search": adv, "agree": runs["agree"], "toolformer": runs["toolformer"]}
adv_rows = []
for name, run in compared.items():
    P = level_of(run)["policy"]
    adv_rows.append([name, P["by_kind"]["fact_unseen"]["call_rate"], P["by_kind"]["mul2"]["call_rate"],
                     P["by_kind"]["fact_rare"]["call_rate"], P["by_kind"]["fact_frequent"]["call_rate"],
                     P["by_kind"]["fact_unseen"]["accuracy"], P["accuracy"], P["call_rate"], P["score"]])
adv_headers = ["labels", "calls: unseen facts", "calls: fresh products", "calls: rare facts", "calls: frequent facts",
               "right: unseen facts", "accuracy", "call rate", f"score at {ref_cost:g}"]
adv_formats = {h: "pct" for h in adv_headers[1:-1]} | {adv_headers[-1]: ".3f"}

before, after = L["policy"]["by_kind"], adv_L["policy"]["by_kind"]
unseen_before, unseen_after = before["fact_unseen"]["call_rate"], after["fact_unseen"]["call_rate"]
mul2_before, mul2_after = before["mul2"]["call_rate"], after["mul2"]["call_rate"]
freq_before, freq_after = before["fact_frequent"]["call_rate"], after["fact_frequent"]["call_rate"]
rare_before, rare_after = before["fact_rare"]["call_rate"], after["fact_rare"]["call_rate"]
right_unseen_before, right_unseen_after = before["fact_unseen"]["accuracy"], after["fact_unseen"]["accuracy"]
score_before, score_after = L["policy"]["score"], adv_L["policy"]["score"]
acc_before, acc_after = L["policy"]["accuracy"], adv_L["policy"]["accuracy"]
score_gaps = [a["score"] - b["score"] for a, b in zip(sweep(adv), sweep(main))]
search_scores_higher = [c for c, g in zip(costs, score_gaps) if g > NEAR]
search_scores_near = [c for c, g in zip(costs, score_gaps) if abs(g) <= NEAR]
search_scores_lower = [c for c, g in zip(costs, score_gaps) if g < -NEAR]
unseen_right_after_n = round(after["fact_unseen"]["accuracy"] * after["fact_unseen"]["n"])
unseen_failed_after = sum(1 for q, e in zip(suite.test, adv_L["episodes"])
                          if q.kind == "fact_unseen" and e["decision"] == "call" and e["status"] != "answered")
n_unseen = test_kinds["fact_unseen"]
agree_unseen = level_of(runs["agree"])["policy"]["by_kind"]["fact_unseen"]["call_rate"]
toolformer_unseen = level_of(runs["toolformer"])["policy"]["by_kind"]["fact_unseen"]["call_rate"]
best_rule_unseen = max(agree_unseen, toolformer_unseen)
freq_right_never = adv_L["never"]["by_kind"]["fact_frequent"]["accuracy"]
names_scored = names_tried - unknown
n_pairs = 90 * 90
suite_pairs = {tuple(int(x) for x in q.question.split("*")) for q in suite.train + suite.val + suite.test
               if q.kind == "mul2"}
pairs_in_suite = len(suite_pairs)
n_pairs_searchable = sum((a, b) not in suite_pairs and (b, a) not in suite_pairs
                         for a in range(10, 100) for b in range(10, 100))
n_names_searched = n_rounds_searched * SEARCH.names_per_round


def prices(cs):
    return ", ".join(f"{c:g}" for c in cs)


higher_text, near_text, lower_text = (prices(search_scores_higher), prices(search_scores_near),
                                      prices(search_scores_lower))
ref_gap = score_gaps[REF]
cheap_pays = (bool(search_scores_higher) and bool(search_scores_lower)
              and max(search_scores_higher) < min(search_scores_lower))


# %% [markdown]
# ## An adversary that searches
#
# The dream labels only the queries training holds, which is why the unseen facts fell
# through. The series plan's adversary does what the dream does not: it searches the tools'
# domain for queries on which the model's no-tool answer diverges from the tool's, and
# adds them to the training stream, the divergences to be labelled "call", the agreements
# "no call".
#
# **What the search may try.** The search space is the tools' domain minus every question
# the suite asks, so no test query can reach training through it. For the calculator this
# is easy: the suite's splits use {{ num(pairs_in_suite, ",") }} of the
# {{ num(n_pairs, ",") }} products of two two-digit numbers, and the search draws from the
# {{ num(n_pairs_searchable, ",") }} whose factors are asked in neither order (`64*37` has the
# answer of `37*64`), so never from the test's {{ suite.config.n_mul2_test }} fresh pairs. For the lookup
# table it is not: the test asks every name the table holds, so a search that drew names
# from the table would train the decision on the test's own facts. The search makes up
# names instead: half of them one-letter changes of names training mentions (`zorvak` could
# become `zorvek`), half new names from the generator that made the table, and none of them
# a name of the table or a question of any split. For
# {{ num(adv["appendix_size"], ",") }} of the {{ num(n_names_searched, ",") }} names (a
# seeded coin for each) the table gains an *appendix* entry with a value of its own, facts
# the test never asks; the tool does not know the other names. A test in
# `tests/test_lab_adversary.py` checks that the search space and the test (and validation)
# questions are disjoint.
#
# **A name the tool does not know** is a failed call, as in the harness. The search asks
# the tool before it runs the model, so such a name costs no forward pass, and it drops the
# name without a label: there is no right answer to compare the model's with, and a
# "no call" label would teach the model to answer made-up names from its weights, the
# opposite of what an unseen fact needs.
#
# **Each round**, just before the dream relabels, the search tries
# {{ SEARCH.products_per_round }} fresh products and {{ SEARCH.names_per_round }} names. It
# scores the ones the tool answers with the dream's own teacher-forced pass, and keeps every
# query on which the model's greedy no-tool answer agrees with the tool, plus, per domain,
# the {{ SEARCH.keep }} on which it diverges most (the highest loss of the right answer
# without the tool). What it keeps joins the training queries: the dream labels it with
# the prob labels like any other query, and the batches draw it from then on, as often as a
# fact mentioned once. Everything else is the prob run of the sections above: the same
# warm-up, and the same {{ BUDGET.policy_steps }} steps, batch size, schedule and seed, in
# the same training loop: `dream.train_steps` takes a hook, `before_relabel`, that it calls
# just before each relabelling but the last, and whose returned setup supplies that round's
# labels and the batches until the next. The search is that hook:
#
# {{ code(adversary.Searcher) }}
#
# and a round of it:
#
# {{ code(adversary.search_round) }}
#
# Over its {{ n_rounds_searched }} rounds the search tried {{ num(tried, ",") }} queries. It
# dropped {{ num(unknown, ",") }} names the tool did not know and scored the other
# {{ num(scored, ",") }}: {{ num(products_diverged, ",") }} of the
# {{ num(products_tried, ",") }} products and {{ count_of(names_diverged, names_scored, "name") }}
# the tool knew diverged. It kept {{ num(kept, ",") }}
# ({{ num(kept_products, ",") }} products and {{ num(kept_names, ",") }} names), of which
# {{ kept_agreeing }} were agreements. The search's forward passes count: it ran
# {{ num(fw["search"], ",") }} sequences through the model (one per branch of each scored
# query), and the dream's relabelling, now over more training queries, ran
# {{ num(fw["relabel"] - fw["relabel_without_search"], ",") }} more than it does without the
# search. With training's {{ num(fw["train"], ",") }} sequences, the decision stage with the
# search ran {{ pct(extra_share, 1) }} more sequences through the model than the prob run
# without it ({{ num(adv_sequences, ",") }} against {{ num(base_sequences, ",") }},
# evaluation not counted, the same for both). Counts are the comparable measure here: in
# wall-clock time, on a machine shared with other work, the stage took
# {{ seconds(adv["seconds"] - adv["eval_seconds"]) }} without its evaluation against
# {{ seconds(main["seconds"] - main["eval_seconds"]) }} for the prob run, of which the search itself took
# {{ seconds(adv["search_seconds"]) }}.
#
# At a price of {{ num(ref_cost, ".1f") }}, against the three labelling schemes without a
# search, at the same number of training steps:
#
# {{ table(adv_rows, headers=adv_headers, formats=adv_formats, key="search_at_ref") }}
#
# With the search the policy calls for {{ pct(unseen_after) }} of the unseen facts, against
# {{ pct(unseen_before) }} without it, and answers {{ pct(right_unseen_after) }} of them right
# against {{ pct(right_unseen_before) }}{% if unseen_after > 0.75 %}{{ claim(unseen_after > 0.75 and unseen_after > unseen_before + 0.25 and right_unseen_after > right_unseen_before, ": the row the dream left blind is mostly covered", unseen_after=unseen_after, unseen_before=unseen_before, right_unseen_after=right_unseen_after, right_unseen_before=right_unseen_before) }}{% else %}{{ claim(unseen_after > unseen_before + 0.25 and right_unseen_after > right_unseen_before, ": the search covers part of the row the dream left blind, not most of it", unseen_after=unseen_after, unseen_before=unseen_before, right_unseen_after=right_unseen_after, right_unseen_before=right_unseen_before, otherwise=": the search does not cover the row the dream left blind") }}{% endif %}.
# Of the {{ n_unseen - unseen_right_after_n }} unseen facts still answered wrongly,
# {{ unseen_failed_after }} end in a failed call (an expression the tool could not run){{ claim(unseen_failed_after * 2 > n_unseen - unseen_right_after_n, ": the ceiling is now the model's copying of names, not its decision", unseen_failed_after=unseen_failed_after, wrong=n_unseen - unseen_right_after_n, otherwise="") }}.
# {{ claim(mul2_before > 0.95, "On the fresh products there was nothing to find", mul2_before=mul2_before, otherwise="On the fresh products") }}:
# the policy called for {{ pct(mul2_before) }} of them before and calls for
# {{ pct(mul2_after) }} with the search.
#
# {{ claim(freq_after > freq_before + 0.05, "The search has a price of its own.", freq_after=freq_after, freq_before=freq_before, otherwise="Elsewhere the search changes less.") }} The decision now calls for
# {{ pct(freq_after) }} of the frequent facts (against {{ pct(freq_before) }}), which the
# model answers right without the tool {{ pct(freq_right_never) }} of the time, and for
# {{ pct(rare_after) }} of the rare ones (against {{ pct(rare_before) }}).
# {{ claim(names_diverged == names_scored, "Every name the search scored was one the model got wrong, so every name it kept is a lesson in calling", names_diverged=names_diverged, names_scored=names_scored, otherwise="Nearly every name the search kept was one the model got wrong") }},
# and half of the names it tries are one letter away from a name the model knows.
# {{ claim(freq_after - freq_before > 0.05, 'One reading, not tested here, is that the decision learns "a name I do not know well is worth a call" with a looser idea of *well* than the answers have.', freq_after=freq_after, freq_before=freq_before, otherwise="") }}
# Overall, accuracy goes from {{ pct(acc_before) }} to {{ pct(acc_after) }} and the score at this
# price from {{ num(score_before, ".3f") }} to {{ num(score_after, ".3f") }}.
# {% if ref_gap > NEAR %}{{ claim(ref_gap > NEAR, "At this price the answers the extra calls buy are worth more than the calls.", ref_gap=ref_gap, near=NEAR) }}{% elif ref_gap < -NEAR %}{{ claim(ref_gap < -NEAR, "At this price the extra calls cost more than the answers they buy: the search does not pay.", ref_gap=ref_gap, near=NEAR) }}{% else %}{{ claim(-NEAR <= ref_gap <= NEAR, "One seed cannot separate a difference that small: at this price the extra answers pay for the extra calls and no more, and the search does not change the score measurably.", ref_gap=ref_gap, near=NEAR) }}{% endif %}
# Across the sweep (the "prob + search" line in the cost-sweep figure above), the search
# scores higher than the dream alone by more than {{ num(NEAR, ".2f") }} at
# {% if search_scores_higher %}the prices {{ higher_text }}{% else %}no price{% endif %},
# within {{ num(NEAR, ".2f") }} at {% if search_scores_near %}{{ near_text }}{% else %}none{% endif %},
# and lower by more than that at {% if search_scores_lower %}{{ lower_text }}{% else %}none{% endif %}{{ claim(cheap_pays, ": it pays where calls are cheap and costs where they are not", cheap_pays=cheap_pays, otherwise="") }}.
# Each of these numbers is one run with one seed, and this post has no seed-to-seed spread
# to hold them against; score differences of a point or two are within what another seed
# could change, so the shape of the sweep is the finding, not the score at any one price.
#
# Two published rules are close to the labels here, and neither looks beyond the training
# queries. Toolformer's filter is the toolformer labels above. [AdaTIR](https://arxiv.org/abs/2601.14696)
# (Fang and Sun, 2026) trains with a difficulty-aware efficiency reward that discourages
# calls on tasks the model finds easy; turned from a reward into a label, the nearest rule
# here is the agree labels (a call is worth something only where the model's own answer is
# wrong). They call for {{ pct(toolformer_unseen) }} and {{ pct(agree_unseen) }} of the
# unseen facts, against {{ pct(unseen_after) }} with the search: {{ claim(unseen_after > best_rule_unseen, "a rule for labelling the queries training holds, however it weighs difficulty, does not reach the queries it does not hold; a search does", unseen_after=unseen_after, agree_unseen=agree_unseen, toolformer_unseen=toolformer_unseen) }}.
# The search can be combined with any of the three labels; this post runs it with the prob
# labels only.

# %% tags=["hide-input"]
on_rounds = on_policy_run["history"]["rounds"]
off_rounds = main["history"]["rounds"]
on_L, off_L = level_of(on_policy_run), level_of(main)
abl_rows = []
for kind in KINDS:
    abl_rows.append([kind, off_rounds[-1]["test_right_no_tool"][kind], on_rounds[-1]["test_right_no_tool"][kind],
                     off_L["always"]["by_kind"][kind]["accuracy"], on_L["always"]["by_kind"][kind]["accuracy"],
                     off_L["policy"]["by_kind"][kind]["call_rate"], on_L["policy"]["by_kind"][kind]["call_rate"]])
abl_headers = ["kind", "no tool, both branches", "no tool, branch taken", "forced call, both branches",
               "forced call, branch taken", "call rate, both", "call rate, branch taken"]
abl_formats = {h: "pct" for h in abl_headers[1:]}
rare_drop = off_rounds[-1]["test_right_no_tool"]["fact_rare"] - on_rounds[-1]["test_right_no_tool"]["fact_rare"]
rate_rise = on_L["policy"]["call_rate"] - off_L["policy"]["call_rate"]
call_drop = off_L["always"]["accuracy"] - on_L["always"]["accuracy"]
score_diff = on_L["policy"]["score"] - off_L["policy"]["score"]
abl_words = ("the no-tool skill on rare facts falls and the policy calls more: the feedback loop the design avoids"
             if rare_drop > 0.02 and rate_rise > 0.01 else
             "the no-tool skill falls but the call rate barely moves in this short stage"
             if rare_drop > 0.02 else
             "the withering of the no-tool skill does not show within this short stage")
call_words = ("What does wither is the other branch: the forced-call accuracy drops, because the call branch is now "
              "trained only where the policy calls"
              if call_drop > NEAR else
              "The forced-call accuracy moves by less than the two points another seed could change"
              if call_drop >= -NEAR else "The forced-call accuracy holds up as well")

# %% [markdown]
# ## Training both branches, or only the one taken
#
# The obvious way to train the answers is on the branch the model actually takes. Then a
# query the policy sends to the tool never trains the no-tool answer again, and the worry is
# a loop: that answer decays, the dream sees more disagreement, and the policy calls more.
# This post trains both branches to keep the loop from starting; the run below tests whether
# it starts at this scale. From the same
# warm-up, the decision stage run that way (same {{ BUDGET.policy_steps }} steps, prob labels),
# at a price of {{ num(ref_cost, ".1f") }}:
#
# {{ table(abl_rows, headers=abl_headers, formats=abl_formats, key="on_policy") }}
#
# Here {{ abl_words }}: against training both branches, the share of rare facts answered
# without the tool changes by {{ num(-rare_drop * 100, "+.1f") }} points and the call rate by
# {{ num(rate_rise * 100, "+.1f") }} points. {{ call_words }}
# ({{ num(-call_drop * 100, "+.1f") }} points overall). The first two columns are measured
# at the last dream pass, shortly before the end of the stage, so they can differ by a point
# from the end-of-training "no tool" column above. The policy's score at this price differs
# by {{ num(score_diff, "+.3f") }}{% if score_diff > 0 %}, in favour of training the branch
# taken: on score, this one short run gives no reason to prefer training both branches{% endif %}.
# The stage is only {{ BUDGET.policy_steps }} steps long, which gives the loop little time to
# run; whether it runs away over longer training is not tested here.

# %% tags=["hide-input"]
fixed = main["fixed_prompts"][REF]
fixed_rows = [[p["question"], p["kind"], p["seen"], p["decision"],
               p["transcript"], "yes" if p["correct"] else "no"] for p in fixed]
decisions_export = {
    "description": "Part 6: the learned tool decisions (prob labels) for the fixed query set at every price, and the cost sweep per labelling scheme",
    "prices": costs,
    "fixed_queries": [{"price": c, "queries": [{k: p[k] for k in ("question", "answer", "kind", "seen", "decision", "status", "model_answer", "transcript", "correct")} for p in main["fixed_prompts"][i]]} for i, c in enumerate(costs)],
    "sweep": {s: [{k: lv["policy"][k] for k in ("call_rate", "accuracy", "score", "calls_per_correct")} for lv in r["eval"]["levels"]] for s, r in runs.items()},
    "baselines": {m: [{k: lv[m][k] for k in ("call_rate", "accuracy", "score")} for lv in main["eval"]["levels"]] for m in ("always", "never", "oracle")},
}

# %% [markdown]
# ## The fixed query set
#
# The same ten queries in every run of this post (two of each kind), as the harness ran
# them at a price of {{ num(ref_cost, ".1f") }}:
#
# {{ table(fixed_rows, headers=["query", "kind", "times mentioned", "decision", "transcript", "right"], formats={"query": "code", "transcript": "code"}, key="fixed_queries") }}
#
# The decisions for these queries at every price, and the whole cost sweep, are exported as
# [JSON]({{ data_file(decisions_export, "tool-decisions") }}) for an interactive tool-decision
# view.
#
# ## What stops tools from being the default
#
# Tool use is not an alternative to scaling, the general method that Sutton's
# [Bitter Lesson](http://www.incompleteideas.net/IncIdeas/BitterLesson.html) says wins in
# the long run; it scales a different resource: computation
# and memory outside the weights, which are exact, can be updated without retraining, and
# leave a visible trace. Here, calling on every query lifts accuracy from
# {{ pct(L["never"]["accuracy"]) }} to {{ pct(L["always"]["accuracy"]) }}. What keeps a call
# from being the default is that it is not free, and that its value is uneven: for the
# queries the model already knows, it buys nothing. At a price of {{ num(ref_cost, ".1f") }},
# calling always scores {{ num(L["always"]["score"], ".3f") }}; the learned policy, which
# calls for {{ pct(L["policy"]["call_rate"]) }} of the queries, scores
# {{ num(L["policy"]["score"], ".3f") }}, and the oracle {{ num(L["oracle"]["score"], ".3f") }}.
# Two more costs showed up without being priced: calls that fail ({{ always_failed }} of
# {{ num(n_test, ",") }} when every query calls), and a model that has to know what it does
# not know, which this one only learned for the kinds of query its training contained.
#
# The same decision runs through this series. [Part 4](/blog/neural-nets-mixture-of-experts/)
# routed tokens between internal experts, Part 5 routed inputs through more passes, and this
# post routes queries to an external system. Each time a learned gate weighs what more
# computation would buy against what it costs.
#
# ## What this shows, and what it does not
#
# Everything ran on one core of a {{ cpu_cores }}-core CPU, no GPU: all {{ n_runs }} training runs of this post
# took {{ seconds(train_seconds) }} of training ({{ seconds(total_seconds) }} with the dream
# passes and the evaluation), budgeted in steps: {{ num(BUDGET.warmup_steps, ",") }} warm-up steps
# and {{ num(BUDGET.policy_steps, ",") }} decision steps per labelling scheme.
#
# The toy shows the mechanism: a decision token, a price in the prompt, labels from the
# model's own answers, and a policy that calls where it would be wrong and declines where it
# knows. It shows that the way the decision is labelled changes the cost curve{% if call_drop > NEAR %}, and that
# training answers only on the branch taken lets the other branch's skill slip (here, the
# calls){% endif %}.
#
# It does not show that a large model would learn the same way. Its knowledge here is
# nearly all-or-nothing (a fact is memorized or not), so a price moves only the few queries
# in between, and the unseen facts show the dream's blind spot: it learns only from
# queries it is shown. {{ claim(unseen_after > unseen_before + 0.25 and freq_after > freq_before + 0.1, "A search over the tools' domain shows it more, and the policy then calls on the unseen facts, but also on facts it knows", unseen_after=unseen_after, unseen_before=unseen_before, freq_after=freq_after, freq_before=freq_before, otherwise="A search over the tools' domain shows it more; see its section for what that changes") }}{% if -NEAR <= ref_gap <= NEAR %}{{ claim(-NEAR <= ref_gap <= NEAR, ", and at the price of 0.2 its score stays within a point or two of the dream alone's", ref_gap=ref_gap, near=NEAR) }}{% elif ref_gap < -NEAR %}{{ claim(ref_gap < -NEAR, ", and at the price of 0.2 it scores lower than the dream alone", ref_gap=ref_gap, near=NEAR) }}{% endif %}.
# Each number is one training run with one seed. The idea of weighing
# a call's value against its price is close to the on-demand retrieval of Self-RAG and to
# cost-aware routers such as RouteLLM; the "dream" comparison of the model's own answer with
# the tool's is our simplification of the adversarial search first proposed for this series,
# and the search section builds that search at CPU scale.
#
# The next post goes one step further: instead of calling fixed tools, a system that writes
# its own programs and grows a library of them.
#
# *Next: [Programs That Write Programs](/blog/neural-nets-programs-that-write-programs/)*

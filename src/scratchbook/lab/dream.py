"""Part 6's experiments: learning when a call is worth its price.

The model is Part 3's Transformer over the tool vocabulary (tooluse.py). Its
answers are trained on *both* branches of every query, whatever it would
decide, so the skill of answering without the tool keeps improving even where
the policy calls. The decision is trained separately, from labels that are
recomputed every `relabel_every` steps from the model itself:

- "agree" (the dream state, as first proposed): run the model's own no-tool
  answer against the tool's output. Where they diverge the call buys the
  answer (value 1), where they agree it buys nothing (value 0). Whether the
  greedy answer would match is read from one teacher-forced pass: greedy
  decoding writes the right answer exactly when the right token is the argmax
  at every answer position, so no decoding is needed.
- "prob" (the dream state with probabilities): the value of a call is
  1 - P(the no-tool answer is right), the probability read from the same pass.
- "toolformer": Toolformer's filter (Schick et al., 2023) as a label: call when
  the result lowers the answer's loss (nats, summed over the answer) by more
  than the cost.

For the dream labels the decision is "call" where the value exceeds the price
c, and each example is weighted by |value - c|, the margin: a near-tie teaches
little, a clear case a lot. Toolformer's labels have weight 1. Every price
level gets its own labels; the price is a token in the prompt (tooluse.py), so
one model learns the whole cost curve.

Budgets are in steps; seconds are measured and returned alongside.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from scratchbook.lab.models import ModelConfig, Transformer, count_params
from scratchbook.lab.tooluse import (
    ANSWER, CALL, NO_TOOL, Caps, Encoded, ToolVocab, block_size_for, encode_queries, run_queries,
)
from scratchbook.lab.tools import QUERY_TYPES, Query, Suite, SuiteConfig, build_suite, pick_prompts
from scratchbook.lab.train import TrainConfig, columns_needed, lr_at

SCHEMES = ("agree", "prob", "toolformer")


@dataclass
class Budget:
    """Sizes of everything Part 6 trains."""

    warmup_steps: int = 1200  # answers only, from scratch
    policy_steps: int = 300  # then answers and decision, per labelling scheme
    batch_size: int = 128  # queries per step; each contributes both branches
    lr: float = 3e-3
    relabel_every: int = 100  # recompute the decision labels this often (steps)
    decision_weight: float = 2.0  # the decision loss's weight against the answer loss
    costs: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)  # price of a call, per level
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 48
    seed: int = 0
    threads: int = 1


@dataclass
class Setup:
    suite: Suite
    vocab: ToolVocab
    block_size: int
    train_queries: list[Query]  # distinct training questions
    train_index: torch.Tensor  # per training row (with repeats): its index into train_queries
    train: Encoded  # of train_queries
    val: Encoded
    test: Encoded


def make_setup(budget: Budget, suite_config: SuiteConfig | None = None) -> Setup:
    suite = build_suite(suite_config)
    vocab = ToolVocab(len(budget.costs))
    block_size = block_size_for(suite.train + suite.val + suite.test, vocab)
    distinct = list(dict.fromkeys(suite.train))  # Query is frozen: equal questions collapse
    where = {q: i for i, q in enumerate(distinct)}
    return Setup(suite, vocab, block_size, distinct, torch.tensor([where[q] for q in suite.train]),
                 encode_queries(distinct, vocab, block_size), encode_queries(suite.val, vocab, block_size),
                 encode_queries(suite.test, vocab, block_size))


def make_model(setup: Setup, budget: Budget) -> Transformer:
    torch.manual_seed(budget.seed)
    config = ModelConfig(vocab_size=setup.vocab.size, block_size=setup.block_size, n_layer=budget.n_layer,
                         n_head=budget.n_head, n_embd=budget.n_embd)
    return Transformer(config)


# -----------------------------------------------------------------------------
# reading the model: one teacher-forced pass per branch


def with_cost(X: torch.Tensor, vocab: ToolVocab, levels: torch.Tensor | int) -> torch.Tensor:
    X = X.clone()
    X[:, 1] = vocab.cost_token(0) + levels  # cost tokens are consecutive
    return X


def used_columns(Y: torch.Tensor) -> int:
    """Columns a batch needs: up to its last target anywhere (the rest is padding)."""
    return int(columns_needed(Y).max())


@torch.no_grad()
def score(model, enc: Encoded, vocab: ToolVocab, level: int = 0, batch_size: int = 2048) -> dict[str, torch.Tensor]:
    """Per query: how likely the model is to be right, with and without the tool.

    nll_no_tool: the answer's loss (nats, summed, end token included) with no tool;
    right_no_tool: greedy decoding with no tool writes exactly the answer;
    nll_call_answer: the answer's loss after the tool's result; nll_call: the
    expression's and the answer's; right_call: greedy writes both exactly.
    All at one price level (the answers are trained at every level alike).
    """
    was_training = model.training
    model.eval()
    out = {k: [] for k in ("nll_no_tool", "right_no_tool", "nll_call_answer", "nll_call", "right_call")}
    for i in range(0, len(enc), batch_size):
        sl = slice(i, i + batch_size)
        for branch in ("no_tool", "call"):
            b = getattr(enc, branch)
            T = used_columns(b.Y[sl])
            X, Y, P = with_cost(b.X[sl, :T], vocab, level), b.Y[sl, :T], b.part[sl, :T]
            logits, _ = model(X)
            nll = F.cross_entropy(logits.transpose(1, 2), Y, ignore_index=-1, reduction="none")  # (B, T)
            hit = (logits.argmax(-1) == Y) | (Y == -1)
            if branch == "no_tool":
                out["nll_no_tool"].append(nll.sum(1))
                out["right_no_tool"].append(hit.all(1))
            else:
                out["nll_call_answer"].append((nll * (P == ANSWER)).sum(1))
                out["nll_call"].append(nll.sum(1))
                out["right_call"].append(hit.all(1))
    model.train(was_training)
    return {k: torch.cat(v) for k, v in out.items()}


@torch.no_grad()
def call_probability(model, enc: Encoded, vocab: ToolVocab, level: int) -> torch.Tensor:
    """P(<CALL>) against <NO_TOOL> at the decision, per query, at a price level: a pass over the prompts only."""
    was_training = model.training
    model.eval()
    T = int(enc.decision_pos.max()) + 1
    logits, _ = model(with_cost(enc.no_tool.X[:, :T], vocab, level))
    d = logits[torch.arange(len(enc)), enc.decision_pos][:, [vocab.stoi[NO_TOOL], vocab.stoi[CALL]]]
    model.train(was_training)
    return torch.softmax(d, -1)[:, 1]


def call_value(scheme: str, s: dict[str, torch.Tensor]) -> torch.Tensor:
    """What a call is worth per query under a labelling scheme (compared with the price)."""
    if scheme == "agree":
        return 1.0 - s["right_no_tool"].float()
    if scheme == "prob":
        return 1.0 - torch.exp(-s["nll_no_tool"])
    if scheme == "toolformer":
        return s["nll_no_tool"] - s["nll_call_answer"]
    raise ValueError(f"unknown labelling scheme {scheme!r}; choose from {SCHEMES}")


def make_labels(scheme: str, value: torch.Tensor, costs) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels (1 = call) and weights, (N, levels), from each query's call value at every price."""
    c = torch.tensor(costs, dtype=value.dtype)
    margin = value[:, None] - c[None, :]
    labels = (margin > 0).long()
    weights = torch.ones_like(margin) if scheme == "toolformer" else margin.abs()
    return labels, weights


# -----------------------------------------------------------------------------
# training


def train_steps(model, setup: Setup, budget: Budget, cfg: TrainConfig, scheme: str, decide: bool,
                on_policy: bool = False, step0: int = 0, progress=None, before_relabel=None) -> dict:
    """cfg.steps steps of training; relabel from the model every budget.relabel_every steps.

    Answers are trained on both branches of every query. decide=False leaves the
    decision untrained (the labels are still computed and recorded: what the
    scheme would have taught). on_policy=True (the ablation) trains each answer
    only on the branch the model currently picks, so the no-tool skill is
    trained only where the policy declines the tool.

    before_relabel, if given, is called as before_relabel(model, setup, r, step)
    just before relabelling round r (at history step `step`, step0 included),
    except the last round (after the final step, where nothing is trained on the
    labels). It returns the Setup to go on with: the same one, or one with more
    training queries (the adversary's search adds what it finds). The round's
    labels, and the batches until the next round, then come from that setup's
    `train` and `train_index`. It must draw no random numbers from torch's
    global generator if the run is to match one without it.

    The history: per step, "step", "answer_loss" and "decision_loss"; per
    round, "rounds" (relabel's summary, with its "step"); and "seconds"
    (training), "relabel_seconds" (the time in before_relabel not included)
    and "relabel_sequences" (sequences the relabelling passed forward: one per
    branch of every training, test and validation query, per round).
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    vocab, enc, K = setup.vocab, setup.train, len(budget.costs)
    call, no_tool = vocab.stoi[CALL], vocab.stoi[NO_TOOL]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    rows = setup.train_index
    hist = {"step": [], "answer_loss": [], "decision_loss": [], "rounds": []}
    labels = weights = None
    seconds = relabel_seconds = 0.0
    relabel_sequences = 0
    model.train()
    for step in range(cfg.steps + 1):
        if step % budget.relabel_every == 0 or step == cfg.steps:
            if before_relabel is not None and step < cfg.steps:
                setup = before_relabel(model, setup, len(hist["rounds"]), step0 + step)
                enc, rows = setup.train, setup.train_index
            t0 = time.perf_counter()
            labels, weights, info = relabel(model, setup, budget, scheme)
            hist["rounds"].append({"step": step0 + step, **info})
            relabel_sequences += 2 * (len(setup.train) + len(setup.test) + len(setup.val))
            relabel_seconds += time.perf_counter() - t0
        if step == cfg.steps:
            break
        t0 = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        ix = rows[torch.randint(len(rows), (cfg.batch_size,), generator=gen)]
        lev = torch.randint(K, (cfg.batch_size,), generator=gen)
        # the two branches run separately, each trimmed to its own longest row
        Tn, Tc = used_columns(enc.no_tool.Y[ix]), used_columns(enc.call.Y[ix])
        xn, xc = with_cost(enc.no_tool.X[ix, :Tn], vocab, lev), with_cost(enc.call.X[ix, :Tc], vocab, lev)
        yn, yc = enc.no_tool.Y[ix, :Tn].clone(), enc.call.Y[ix, :Tc].clone()
        ln, _ = model(xn)
        lc, _ = model(xc)
        d = ln[torch.arange(len(ix)), enc.decision_pos[ix]][:, [no_tool, call]]  # (B, 2): column 1 = call
        if on_policy:
            calls = d.detach().argmax(-1).bool()
            yn[calls] = -1  # train the answer only on the branch taken
            yc[~calls] = -1
        logits = torch.cat([ln.reshape(-1, ln.size(-1)), lc.reshape(-1, lc.size(-1))])
        answer_loss = F.cross_entropy(logits, torch.cat([yn.reshape(-1), yc.reshape(-1)]), ignore_index=-1)
        decision_loss = (F.cross_entropy(d, labels[ix, lev], reduction="none") * weights[ix, lev]).mean()
        loss = answer_loss + (budget.decision_weight * decision_loss if decide else 0.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        seconds += time.perf_counter() - t0
        hist["step"].append(step0 + step + 1)
        hist["answer_loss"].append(answer_loss.item())
        hist["decision_loss"].append(decision_loss.item())
        if progress is not None:
            progress(step + 1, cfg.steps, loss.item())
    hist["seconds"] = seconds
    hist["relabel_seconds"] = relabel_seconds
    hist["relabel_sequences"] = relabel_sequences
    return hist


def by_kind(values: torch.Tensor, queries: list[Query]) -> dict[str, float]:
    """Mean of values per query type, and over all queries ("all")."""
    out = {"all": float(values.float().mean())}
    for kind in QUERY_TYPES:
        mask = torch.tensor([q.kind == kind for q in queries])
        if mask.any():
            out[kind] = float(values[mask].float().mean())
    return out


def relabel(model, setup: Setup, budget: Budget, scheme: str):
    """Labels and weights (distinct training queries x price levels), and a summary of the round."""
    s = score(model, setup.train, setup.vocab)
    labels, weights = make_labels(scheme, call_value(scheme, s), budget.costs)
    st, sv = score(model, setup.test, setup.vocab), score(model, setup.val, setup.vocab)
    n_val_tokens = int((setup.val.no_tool.Y != -1).sum() + (setup.val.call.Y != -1).sum())
    info = {
        # per price level: {kind: share of the distinct training queries labelled "call"}
        "label_call_share": [by_kind(labels[:, k], setup.train_queries) for k in range(len(budget.costs))],
        "train_right_no_tool": by_kind(s["right_no_tool"], setup.train_queries),
        "test_right_no_tool": by_kind(st["right_no_tool"], setup.suite.test),
        "val_loss": float((sv["nll_no_tool"].sum() + sv["nll_call"].sum()) / n_val_tokens),
    }
    return labels, weights, info


# -----------------------------------------------------------------------------
# evaluation through the harness


def evaluate(model, setup: Setup, budget: Budget, caps: Caps | None = None, levels=None, forced=None) -> dict:
    """Per price level, on the test set: never call, always call, the learned policy and the oracle.

    The harness runs both forced branches at a level. The policy's run needs no
    third pass: decoding is greedy, so after a decision the harness continues
    exactly as the forced run of that branch does; the policy's episode is the
    forced episode of the branch its decision picks.

    levels: the price levels to evaluate (default all); the others are None in
    the result. forced: of those, the levels that also get never, always and
    the oracle (default all). At the rest only the policy runs: each query
    through the forced branch its decision picks, which gives the same episodes
    as the full evaluation for about half the decoding.
    """
    suite, vocab, queries = setup.suite, setup.vocab, setup.suite.test
    levels = range(len(budget.costs)) if levels is None else levels
    forced = levels if forced is None else forced
    out = [None] * len(budget.costs)
    for level in levels:
        cost = budget.costs[level]
        p_call = call_probability(model, setup.test, vocab, level)
        calls = [p > 0.5 for p in p_call.tolist()]
        if level not in forced:
            policy = policy_episodes(model, vocab, queries, level, suite.execute, calls, caps)
            out[level] = {"cost": cost, "policy": summarize(policy, queries, cost), "p_call": p_call.tolist(),
                          "episodes": [episode_record(e, q) for e, q in zip(policy, queries)]}
            continue
        never = run_queries(model, vocab, queries, level, suite.execute, force="no_tool", caps=caps)
        always = run_queries(model, vocab, queries, level, suite.execute, force="call", caps=caps)
        policy = [al if c else nv for al, nv, c in zip(always, never, calls)]
        orc = oracle(never, always, queries, cost)
        out[level] = {
            "cost": cost,
            "never": summarize(never, queries, cost), "always": summarize(always, queries, cost),
            "policy": summarize(policy, queries, cost), "oracle": orc,
            "agreement": sum((e.decision == "call") == c for e, c in zip(policy, orc["calls"])) / len(queries),
            "p_call": p_call.tolist(),
            "episodes": [episode_record(e, q) for e, q in zip(policy, queries)],
            "never_correct": [e.correct(q.answer) for e, q in zip(never, queries)],
            "always_correct": [e.correct(q.answer) for e, q in zip(always, queries)],
            "always_status": [e.status for e in always],
        }
    return {"levels": out}


def policy_episodes(model, vocab: ToolVocab, queries: list[Query], level: int, tool, calls: list[bool],
                    caps: Caps | None = None) -> list:
    """The policy's episodes: each query through the forced branch of its decision (calls[i]), in query order."""
    picked = {}
    for branch, want in (("call", True), ("no_tool", False)):
        ix = [i for i, c in enumerate(calls) if c == want]
        eps = run_queries(model, vocab, [queries[i] for i in ix], level, tool, force=branch, caps=caps)
        picked.update(zip(ix, eps))
    return [picked[i] for i in range(len(queries))]


def episode_record(e, q: Query) -> dict:
    return {"decision": e.decision, "status": e.status, "answer": e.answer, "expression": e.expression,
            "correct": e.correct(q.answer)}


def summarize(episodes, queries: list[Query], cost: float) -> dict:
    n = len(queries)
    correct = [e.correct(q.answer) for e, q in zip(episodes, queries)]
    calls = [e.decision == "call" for e in episodes]
    out = {"accuracy": sum(correct) / n, "call_rate": sum(calls) / n,
           "failed_calls": sum(e.failed_call for e in episodes),
           "malformed_calls": sum(e.status == "malformed_call" for e in episodes),
           "capped": sum(e.status == "cap" for e in episodes)}
    out["score"] = out["accuracy"] - cost * out["call_rate"]
    out["calls_per_correct"] = sum(calls) / max(1, sum(correct))
    out["by_kind"] = {}
    for kind in QUERY_TYPES:
        ix = [i for i, q in enumerate(queries) if q.kind == kind]
        if ix:
            out["by_kind"][kind] = {"n": len(ix), "accuracy": sum(correct[i] for i in ix) / len(ix),
                                    "call_rate": sum(calls[i] for i in ix) / len(ix)}
    return out


def oracle(never, always, queries: list[Query], cost: float) -> dict:
    """The router that calls exactly when the no-tool answer is wrong (it knows the answers)."""
    n = len(queries)
    calls = [not e.correct(q.answer) for e, q in zip(never, queries)]
    correct = [nv.correct(q.answer) or (c and al.correct(q.answer))
               for nv, al, c, q in zip(never, always, calls, queries)]
    acc, rate = sum(correct) / n, sum(calls) / n
    return {"accuracy": acc, "call_rate": rate, "score": acc - cost * rate,
            "calls_per_correct": sum(calls) / max(1, sum(correct)), "calls": calls}


# -----------------------------------------------------------------------------
# the experiments: a shared warm-up, then one run per labelling scheme


def warmup_config(b: Budget) -> TrainConfig:
    return TrainConfig(steps=b.warmup_steps, batch_size=b.batch_size, lr=b.lr, min_lr=b.lr / 10,
                       warmup=min(100, b.warmup_steps // 10), schedule="cosine", grad_clip=1.0, seed=b.seed,
                       threads=b.threads)


def policy_config(b: Budget) -> TrainConfig:
    return TrainConfig(steps=b.policy_steps, batch_size=b.batch_size, lr=b.lr / 3, min_lr=b.lr / 30,
                       warmup=20, schedule="cosine", grad_clip=1.0, seed=b.seed + 1, threads=b.threads)


def run_warmup(budget: Budget, suite_config: SuiteConfig | None = None, progress=None) -> dict:
    """Train the answers (both branches, every price) from scratch; the decision is left alone.

    Returns the model's weights and the history, with the labels each scheme
    would have given at every round.
    """
    setup = make_setup(budget, suite_config)
    model = make_model(setup, budget)
    hist = train_steps(model, setup, budget, warmup_config(budget), "prob", decide=False, progress=progress)
    s = score(model, setup.train, setup.vocab)  # what each scheme would label at the end of the warm-up
    hist["rounds"][-1]["label_call_share_by_scheme"] = {
        scheme: [by_kind(labels[:, k], setup.train_queries) for k in range(len(budget.costs))]
        for scheme in SCHEMES for labels in [make_labels(scheme, call_value(scheme, s), budget.costs)[0]]}
    return {"state": dict(model.state_dict()), "history": hist, "params": count_params(model)}


def run_policy(warm: dict, scheme: str, budget: Budget, on_policy: bool = False,
               suite_config: SuiteConfig | None = None, progress=None, levels=None, forced=None,
               fixed_prompts: bool = True) -> dict:
    """From the warm-up's weights: learn the decision with a labelling scheme, then evaluate. Plain data out.

    levels, forced: what `evaluate` runs (default: everything); fixed_prompts=False
    skips the fixed query set (an empty list in the result).
    """
    setup = make_setup(budget, suite_config)
    model = make_model(setup, budget)
    model.load_state_dict(warm["state"])
    t0 = time.perf_counter()
    hist = train_steps(model, setup, budget, policy_config(budget), scheme, decide=True, on_policy=on_policy,
                       step0=budget.warmup_steps, progress=progress)
    t1 = time.perf_counter()
    ev = evaluate(model, setup, budget, levels=levels, forced=forced)
    prompts = pick_prompts(setup.suite)
    fixed = []
    for level in range(len(budget.costs)) if fixed_prompts else ():
        eps = run_queries(model, setup.vocab, prompts, level, setup.suite.execute)
        fixed.append([{"question": q.question, "answer": q.answer, "kind": q.kind, "seen": q.seen,
                       "decision": e.decision, "status": e.status, "model_answer": e.answer,
                       "transcript": e.transcript, "correct": e.correct(q.answer)} for q, e in zip(prompts, eps)])
    return {"scheme": scheme, "on_policy": on_policy, "history": hist, "eval": ev, "fixed_prompts": fixed,
            "train_seconds": hist["seconds"], "relabel_seconds": hist["relabel_seconds"],
            "eval_seconds": time.perf_counter() - t1, "seconds": time.perf_counter() - t0}

"""Tool tokens and the harness that runs them.

A query becomes one of two token sequences, which differ after the decision:

    no tool:  . <$k> 3 7 * 6 4 = <NO_TOOL> 2 3 6 8 .
    call:     . <$k> 3 7 * 6 4 = <CALL> 3 7 * 6 4 <EXEC> 2 3 6 8 </RESULT> 2 3 6 8 .
                                                         ^^^^^^^^^^^^^^^^^^^^ written by the harness

"." starts and ends a sequence (token 0, as in makemore). <$k> is the price of
a call, one token per cost level, so one model can learn a decision for every
price. After "=" the model decides: <NO_TOOL> and it answers from its weights,
or <CALL>, a tool expression, and <EXEC>. The harness then runs the expression
and writes the result and </RESULT> into the sequence; the model never predicts
those tokens (their targets are -1: no loss), and it finishes by writing the
answer itself, which it can copy from the result.

The harness (run_queries) is what a deployed model would run inside: greedy
decoding with a cap on every phase, the decision read as the likelier of the
two decision tokens, and a malformed call (no tool reads the expression, the
expression never ends, a name the table lacks) reported and counted as a
failed call, which leaves the query unanswered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from scratchbook.lab.tools import Query, ToolError, UnknownName

CALL, NO_TOOL, EXEC, RESULT_END = "<CALL>", "<NO_TOOL>", "<EXEC>", "</RESULT>"
_TOKEN = re.compile(r"<[^<>]+>|.", re.DOTALL)

# parts of a sequence, per target position: what the model is trained to write there
IGNORE, EXPRESSION, ANSWER, DECISION = 0, 1, 2, 3


class ToolVocab:
    """Characters of queries and answers, the four tool tokens, and one price token per cost level."""

    def __init__(self, n_costs: int):
        self.tokens = (["."] + list("0123456789") + [chr(c) for c in range(ord("a"), ord("z") + 1)]
                       + ["*", "=", CALL, NO_TOOL, EXEC, RESULT_END] + [f"<${k}>" for k in range(n_costs)])
        self.stoi = {t: i for i, t in enumerate(self.tokens)}
        self.n_costs = n_costs

    @property
    def size(self) -> int:
        return len(self.tokens)

    def cost_token(self, level: int) -> int:
        return self.stoi[f"<${level}>"]

    def encode(self, text: str) -> list[int]:
        """Token ids of a text written with the tokens above, e.g. "37*64=<CALL>"."""
        try:
            return [self.stoi[t] for t in _TOKEN.findall(text)]
        except KeyError as e:
            raise ValueError(f"{text!r}: {e.args[0]!r} is not a token of the tool vocabulary") from None

    def decode(self, ids) -> str:
        return "".join(self.tokens[int(i)] for i in ids)


def segments(q: Query, branch: str) -> list[tuple[str, int]]:
    """The sequence of a query's branch after the cost token, as (text, part) pieces."""
    if branch == "no_tool":
        return [(f"{q.question}=", IGNORE), (NO_TOOL, DECISION), (q.answer, ANSWER)]
    return [(f"{q.question}=", IGNORE), (CALL, DECISION), (f"{q.expression}{EXEC}", EXPRESSION),
            (f"{q.answer}{RESULT_END}", IGNORE),  # the tool's result, written by the harness
            (q.answer, ANSWER)]


@dataclass
class Branch:
    """One branch of a list of queries, as makemore-style X/Y tensors, each (N, block_size).

    X[:, 1] is the cost token; it is a placeholder (level 0) here and each batch
    sets it. Y holds -1 wherever the model is not trained to predict: the
    question, the inserted result, padding and the decision itself, whose
    target comes from a label. part marks each target position IGNORE,
    EXPRESSION or ANSWER.
    """

    X: torch.Tensor
    Y: torch.Tensor
    part: torch.Tensor


@dataclass
class Encoded:
    """Both branches of a list of queries, and the position that predicts the decision
    (the "=" of the question, the same in both branches)."""

    no_tool: Branch
    call: Branch
    decision_pos: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return len(self.decision_pos)


def token_parts(q: Query, branch: str, vocab: ToolVocab) -> tuple[list[int], list[int]]:
    """Token ids of ". <$0> sequence ." and, per token, the part it belongs to."""
    ids, parts = [0, vocab.cost_token(0)], [IGNORE, IGNORE]
    for text, part in segments(q, branch):
        t = vocab.encode(text)
        ids += t
        parts += [part] * len(t)
    return ids + [0], parts + [ANSWER]  # the end token closes the answer


def encode_queries(queries: list[Query], vocab: ToolVocab, block_size: int) -> Encoded:
    n = len(queries)
    out = []
    for branch in ("no_tool", "call"):
        X = torch.zeros(n, block_size, dtype=torch.long)
        Y = torch.full((n, block_size), -1, dtype=torch.long)
        P = torch.zeros(n, block_size, dtype=torch.long)
        dpos = torch.zeros(n, dtype=torch.long)
        for r, q in enumerate(queries):
            ids, parts = token_parts(q, branch, vocab)
            if len(ids) - 1 > block_size:
                raise ValueError(f"{q.question}: {len(ids) - 1} tokens, over the block size {block_size}")
            x, y, p = ids[:-1], ids[1:], parts[1:]  # position i predicts token i + 1
            X[r, : len(x)] = torch.tensor(x)
            Y[r, : len(y)] = torch.tensor([t if pp in (EXPRESSION, ANSWER) else -1 for t, pp in zip(y, p)])
            P[r, : len(p)] = torch.tensor([pp if pp in (EXPRESSION, ANSWER) else IGNORE for pp in p])
            dpos[r] = p.index(DECISION)
        out.append(Branch(X, Y, P))
    return Encoded(*out, dpos)


def block_size_for(queries: list[Query], vocab: ToolVocab) -> int:
    return max(len(token_parts(q, "call", vocab)[0]) - 1 for q in queries)


# -----------------------------------------------------------------------------
# the harness


@dataclass
class Episode:
    """What happened to one query in the harness."""

    question: str
    cost_level: int
    decision: str  # "call" or "no_tool"
    status: str  # "answered", "malformed_call", "tool_error" or "cap"
    expression: str | None = None  # what the model wrote after <CALL>
    result: str | None = None  # what the tool returned
    answer: str | None = None  # what the model wrote as its answer
    transcript: str = ""  # the whole sequence after the cost token

    @property
    def failed_call(self) -> bool:
        return self.decision == "call" and self.result is None

    def correct(self, expected: str) -> bool:
        return self.status == "answered" and self.answer == expected


@dataclass
class Caps:
    """The harness's limits, in tokens."""

    expression: int = 10  # tokens after <CALL> before <EXEC> must come
    answer: int = 6  # answer tokens before the end token must come


@torch.no_grad()
def run_queries(model, vocab: ToolVocab, queries: list[Query], cost_level: int, tool, force: str | None = None,
                caps: Caps | None = None, batch_size: int = 1024) -> list[Episode]:
    """Answer queries through the harness, greedily, all rows side by side.

    tool(expression) -> result text, raising ToolError when it cannot run.
    force: None (the model decides), "call" or "no_tool".
    """
    caps = caps or Caps()
    episodes = []
    for i in range(0, len(queries), batch_size):
        episodes += _run_batch(model, vocab, queries[i : i + batch_size], cost_level, tool, force, caps)
    return episodes


def _run_batch(model, vocab, queries, cost_level, tool, force, caps) -> list[Episode]:
    was_training = model.training
    model.eval()
    block_size = model.config.block_size
    call_id, no_tool_id, exec_id = (vocab.stoi[t] for t in (CALL, NO_TOOL, EXEC))
    rows = [[0, vocab.cost_token(cost_level)] + vocab.encode(f"{q.question}=") for q in queries]
    eps = [Episode(q.question, cost_level, "", "") for q in queries]
    phase = ["decide"] * len(rows)  # decide -> expression -> answer -> done
    written = [[] for _ in rows]  # tokens of the current phase
    stop = {"expression": exec_id, "answer": 0}  # the token that ends each writing phase
    cap = {"expression": caps.expression, "answer": caps.answer}
    derails = {0, vocab.stoi["="]} | {i for i, t in enumerate(vocab.tokens) if t.startswith("<")}
    while True:
        active = [r for r, p in enumerate(phase) if p != "done"]
        if not active:
            break
        T = max(len(rows[r]) for r in active)
        x = torch.zeros(len(active), T, dtype=torch.long)
        for j, r in enumerate(active):
            x[j, : len(rows[r])] = torch.tensor(rows[r])
        logits, _ = model(x)
        last = logits[torch.arange(len(active)), torch.tensor([len(rows[r]) - 1 for r in active])]
        for j, r in enumerate(active):
            e, p = eps[r], phase[r]
            if p == "decide":
                if force is None:
                    tok = call_id if last[j, call_id] > last[j, no_tool_id] else no_tool_id
                else:
                    tok = call_id if force == "call" else no_tool_id
                e.decision = "call" if tok == call_id else "no_tool"
                rows[r].append(tok)
                phase[r] = "expression" if tok == call_id else "answer"
                continue
            tok = int(last[j].argmax())
            if tok == stop[p]:
                setattr(e, p, vocab.decode(written[r]))  # Episode.expression or Episode.answer
                rows[r].append(tok)
                written[r] = []
                phase[r] = "done"
                if p == "answer":
                    e.status = "answered"
                    continue
                try:
                    e.result = tool(e.expression)
                except ToolError as err:
                    e.status = "tool_error" if isinstance(err, UnknownName) else "malformed_call"
                    continue
                rows[r] += vocab.encode(e.result + RESULT_END)
                phase[r] = "answer"
            elif p == "expression" and tok in derails:
                e.expression = vocab.decode(written[r] + [tok])
                rows[r].append(tok)
                e.status = "malformed_call"  # ended or derailed before <EXEC>
                phase[r] = "done"
            elif len(written[r]) >= cap[p]:
                setattr(e, p, vocab.decode(written[r]))
                e.status = "cap"
                phase[r] = "done"
            else:
                written[r].append(tok)
                rows[r].append(tok)
            if phase[r] != "done" and len(rows[r]) > block_size:
                e.status = "cap"  # the block is full
                phase[r] = "done"
    for r, e in enumerate(eps):
        e.transcript = vocab.decode(rows[r][2:])
    model.train(was_training)
    return eps

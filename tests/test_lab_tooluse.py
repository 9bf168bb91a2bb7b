"""Tool tokens and the harness: encoding, decisions, calls, malformed calls and caps."""

from dataclasses import dataclass

import pytest
import torch
import torch.nn as nn

from scratchbook.lab import tooluse
from scratchbook.lab.tooluse import CALL, EXEC, NO_TOOL, RESULT_END, Caps, ToolVocab, run_queries
from scratchbook.lab.tools import Query, SuiteConfig, build_suite

VOCAB = ToolVocab(n_costs=3)
FACTS = {"zorvak": "417", "pelim": "803"}


def tool(expression):
    from scratchbook.lab.tools import execute

    return execute(expression, FACTS)


@dataclass
class Config:
    block_size: int


class Scripted(nn.Module):
    """A model that writes what a script says: script(text so far after the price token) -> next token.

    It is a real module with the models' interface (logits for every position), so
    the harness runs it exactly as it runs a Transformer; it lets a test make the
    model misbehave in a chosen way.
    """

    def __init__(self, script, block_size=30):
        super().__init__()
        self.config = Config(block_size)
        self.script = script

    def forward(self, idx, targets=None):
        B, T = idx.shape
        logits = torch.zeros(B, T, VOCAB.size)
        for b in range(B):
            for t in range(T):
                text = VOCAB.decode(idx[b, 2 : t + 1].tolist())
                logits[b, t, VOCAB.stoi[self.script(text)]] = 10.0
        return logits, None


def answers_correctly(text):
    """Calls for facts, answers products itself; copies results."""
    q, _, rest = text.partition("=")
    if not rest:
        return NO_TOOL if "*" in q else CALL
    if rest.startswith(NO_TOOL):
        written = rest[len(NO_TOOL):]
        answer = tool(q)
        return answer[len(written)] if len(written) < len(answer) else "."
    body = rest[len(CALL):]
    if EXEC not in body:
        return q[len(body)] if len(body) < len(q) else EXEC
    result, _, written = body.split(EXEC)[1].partition(RESULT_END)
    return result[len(written)] if len(written) < len(result) else "."


def test_tokens_round_trip_and_unknown_ones_are_refused():
    text = f"37*64={CALL}37*64{EXEC}2368{RESULT_END}2368."
    assert VOCAB.decode(VOCAB.encode(text)) == text
    assert len(VOCAB.encode(CALL)) == 1 and VOCAB.cost_token(2) == VOCAB.stoi["<$2>"]
    with pytest.raises(ValueError, match="<SEARCH>"):
        VOCAB.encode("ab<SEARCH>")


def test_encoding_trains_the_expression_and_answer_but_not_the_inserted_result():
    q = Query("37*64", "2368", "mul2")
    enc = tooluse.encode_queries([q], VOCAB, 30)
    x, y = enc.call.X[0].tolist(), enc.call.Y[0].tolist()
    d = int(enc.decision_pos[0])
    assert VOCAB.decode(x[2 : d + 1]) == "37*64="  # the decision is predicted at "="
    assert y[d] == -1  # ... from a label, not from the sequence
    trained = "".join(VOCAB.tokens[t] for t in y if t != -1)
    assert trained == f"37*64{EXEC}2368."  # the expression, then the answer and the end token
    assert VOCAB.decode(x[1:]).startswith(f"<$0>37*64={CALL}37*64{EXEC}2368{RESULT_END}2368")
    yn = enc.no_tool.Y[0].tolist()
    assert "".join(VOCAB.tokens[t] for t in yn if t != -1) == "2368."
    assert int(enc.decision_pos[0]) == d


def test_the_harness_calls_the_tool_and_the_model_finishes_the_answer():
    qs = [Query("zorvak", "417", "fact_rare"), Query("7*8", "56", "mul1")]
    eps = run_queries(Scripted(answers_correctly), VOCAB, qs, 1, tool)
    assert [e.decision for e in eps] == ["call", "no_tool"]
    assert eps[0].expression == "zorvak" and eps[0].result == "417" and eps[0].answer == "417"
    assert eps[0].transcript == f"zorvak={CALL}zorvak{EXEC}417{RESULT_END}417."
    assert eps[1].transcript == f"7*8={NO_TOOL}56."
    assert all(e.status == "answered" and e.correct(q.answer) for e, q in zip(eps, qs))
    assert not any(e.failed_call for e in eps)


def test_forcing_a_branch_overrides_the_decision():
    q = [Query("7*8", "56", "mul1")]
    e = run_queries(Scripted(answers_correctly), VOCAB, q, 0, tool, force="call")[0]
    assert e.decision == "call" and e.result == "56" and e.correct("56")
    e = run_queries(Scripted(answers_correctly), VOCAB, [Query("zorvak", "417", "fact_rare")], 0, tool,
                    force="no_tool")[0]
    assert e.decision == "no_tool" and e.result is None


def test_a_malformed_call_is_reported_and_counted_as_a_failed_call():
    def garbles(text):  # writes "37*" then asks to execute it
        if text.endswith("="):
            return CALL
        return {f"37*64={CALL}": "3", f"37*64={CALL}3": "7", f"37*64={CALL}37": "*"}.get(text, EXEC)

    e = run_queries(Scripted(garbles), VOCAB, [Query("37*64", "2368", "mul2")], 0, tool)[0]
    assert e.status == "malformed_call" and e.expression == "37*"
    assert e.failed_call and e.result is None and not e.correct("2368")


def test_a_call_that_derails_before_exec_is_malformed():
    def derails(text):
        return CALL if text.endswith("=") else "="

    e = run_queries(Scripted(derails), VOCAB, [Query("37*64", "2368", "mul2")], 0, tool)[0]
    assert e.status == "malformed_call" and e.failed_call


def test_a_name_the_table_lacks_is_a_tool_error():
    def misspells(text):
        q, _, rest = text.partition("=")
        body = rest[len(CALL):]
        if not rest:
            return CALL
        return "zorvax"[len(body)] if len(body) < 6 else EXEC

    e = run_queries(Scripted(misspells), VOCAB, [Query("zorvak", "417", "fact_rare")], 0, tool)[0]
    assert e.status == "tool_error" and e.expression == "zorvax" and e.failed_call


def test_an_expression_that_never_ends_stops_at_the_cap():
    def rambles(text):
        return CALL if text.endswith("=") else "7"

    e = run_queries(Scripted(rambles), VOCAB, [Query("3*4", "12", "mul1")], 0, tool, caps=Caps(expression=4))[0]
    assert e.status == "cap" and e.expression == "7777" and e.failed_call


def test_an_answer_that_never_ends_stops_at_the_cap():
    def stutters(text):
        return NO_TOOL if text.endswith("=") else "1"

    e = run_queries(Scripted(stutters), VOCAB, [Query("3*4", "12", "mul1")], 0, tool, caps=Caps(answer=3))[0]
    assert e.status == "cap" and e.answer == "111" and not e.correct("12")


def test_the_harness_never_feeds_the_model_more_than_its_block():
    def stutters(text):
        return NO_TOOL if text.endswith("=") else "1"

    e = run_queries(Scripted(stutters, block_size=8), VOCAB, [Query("3*4", "12", "mul1")], 0, tool,
                    caps=Caps(answer=50))[0]
    assert e.status == "cap" and len(VOCAB.encode(e.transcript)) + 2 <= 9


def test_the_price_token_reaches_the_model():
    def price_sensitive(text):
        return CALL if text.endswith("=") else "."

    seen = []

    class Spy(Scripted):
        def forward(self, idx, targets=None):
            seen.append(int(idx[0, 1]))
            return super().forward(idx, targets)

    run_queries(Spy(price_sensitive), VOCAB, [Query("3*4", "12", "mul1")], 2, tool)
    assert set(seen) == {VOCAB.cost_token(2)}


def test_every_suite_query_fits_the_block_the_suite_asks_for():
    suite = build_suite(SuiteConfig(seed=3, n_facts=40, fact_mentions=200, mul1_repeats=2, n_mul2_train=50,
                                    n_mul2_val=10, n_mul2_test=20, n_val_facts=20))
    queries = suite.train + suite.val + suite.test
    block = tooluse.block_size_for(queries, VOCAB)
    enc = tooluse.encode_queries(queries, VOCAB, block)
    assert enc.call.X.shape == (len(queries), block)
    with pytest.raises(ValueError, match="over the block size"):
        tooluse.encode_queries(queries, VOCAB, block - 1)

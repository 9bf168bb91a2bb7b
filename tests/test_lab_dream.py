"""Labelling a call's value, the oracle, and the training loop, with real (tiny) training."""

import pytest
import torch

from scratchbook.lab import dream, tooluse
from scratchbook.lab.dream import Budget
from scratchbook.lab.tooluse import Episode
from scratchbook.lab.tools import Query, SuiteConfig

SMALL_SUITE = SuiteConfig(seed=3, n_facts=30, fact_mentions=300, mul1_repeats=6, n_mul2_train=200, n_mul2_val=20,
                          n_mul2_test=30, n_val_facts=30)
TINY = Budget(warmup_steps=120, policy_steps=40, batch_size=64, lr=1e-2, relabel_every=40, n_layer=1,
              n_embd=32, costs=(0.0, 0.5))


def test_dream_labels_on_a_hand_made_example():
    # three queries: the model is sure and right, sure and wrong, right with probability 0.7
    s = {"right_no_tool": torch.tensor([True, False, True]),
         "nll_no_tool": torch.tensor([0.0, 5.0, -torch.log(torch.tensor(0.7)).item()]),
         "nll_call_answer": torch.tensor([0.0, 0.1, 0.0])}
    costs = (0.0, 0.2, 0.5)

    value = dream.call_value("agree", s)  # diverges -> 1, agrees -> 0
    assert value.tolist() == [0.0, 1.0, 0.0]
    labels, weights = dream.make_labels("agree", value, costs)
    assert labels.tolist() == [[0, 0, 0], [1, 1, 1], [0, 0, 0]]
    assert weights.flatten().tolist() == pytest.approx([0.0, 0.2, 0.5, 1.0, 0.8, 0.5, 0.0, 0.2, 0.5])

    value = dream.call_value("prob", s)  # 1 - P(right without the tool)
    assert value.tolist() == pytest.approx([0.0, 1 - torch.exp(torch.tensor(-5.0)).item(), 0.3], abs=1e-6)
    labels, weights = dream.make_labels("prob", value, costs)
    assert labels.tolist() == [[0, 0, 0], [1, 1, 1], [1, 1, 0]]  # the unsure one: call while the price is below 0.3
    assert weights[2].tolist() == pytest.approx([0.3, 0.1, 0.2], abs=1e-6)

    value = dream.call_value("toolformer", s)  # loss saved by the result, in nats
    labels, weights = dream.make_labels("toolformer", value, costs)
    assert labels.tolist() == [[0, 0, 0], [1, 1, 1], [1, 1, 0]]
    assert weights.tolist() == [[1.0] * 3] * 3
    with pytest.raises(ValueError, match="unknown labelling scheme"):
        dream.call_value("vibes", s)


def episode(decision, status, answer=None, result=None):
    return Episode("q", 0, decision, status, answer=answer, result=result)


def test_the_oracle_calls_exactly_where_the_no_tool_answer_is_wrong_and_scores_pay_the_price():
    qs = [Query("1*2", "2", "mul1"), Query("11*12", "132", "mul2"), Query("zorvak", "417", "fact_rare")]
    never = [episode("no_tool", "answered", "2"), episode("no_tool", "answered", "131"),
             episode("no_tool", "answered", "400")]
    always = [episode("call", "answered", "2", "2"), episode("call", "answered", "132", "132"),
              episode("call", "tool_error")]  # the lookup failed: a failed call
    o = dream.oracle(never, always, qs, cost=0.25)
    assert o["calls"] == [False, True, True]
    assert o["accuracy"] == pytest.approx(2 / 3) and o["call_rate"] == pytest.approx(2 / 3)
    assert o["score"] == pytest.approx(2 / 3 - 0.25 * 2 / 3)
    s = dream.summarize(always, qs, cost=0.25)
    assert s["accuracy"] == pytest.approx(2 / 3) and s["call_rate"] == 1.0 and s["failed_calls"] == 1
    assert s["score"] == pytest.approx(2 / 3 - 0.25) and s["calls_per_correct"] == pytest.approx(1.5)
    assert s["by_kind"]["fact_rare"] == {"n": 1, "accuracy": 0.0, "call_rate": 1.0}


@pytest.fixture(scope="module")
def warm():
    return dream.run_warmup(TINY, SMALL_SUITE)


def test_warmup_learns_the_memorizable_answers_and_leaves_the_decision_untrained(warm):
    rounds = warm["history"]["rounds"]
    assert [r["step"] for r in rounds] == [0, 40, 80, 120]
    assert rounds[-1]["val_loss"] < rounds[0]["val_loss"] / 2
    assert rounds[-1]["train_right_no_tool"]["mul1"] > rounds[0]["train_right_no_tool"]["mul1"]
    assert rounds[0]["label_call_share"][1]["mul1"] == 1.0  # untrained: every answer wrong, every label "call"
    assert set(rounds[-1]["label_call_share_by_scheme"]) == set(dream.SCHEMES)


def test_warmup_is_deterministic(warm):
    again = dream.run_warmup(TINY, SMALL_SUITE)
    assert again["history"]["answer_loss"] == warm["history"]["answer_loss"]
    for k, v in warm["state"].items():
        assert torch.equal(v, again["state"][k])


def test_teacher_forced_right_matches_what_greedy_decoding_writes(warm):
    setup = dream.make_setup(TINY, SMALL_SUITE)
    model = dream.make_model(setup, TINY)
    model.load_state_dict(warm["state"])
    s = dream.score(model, setup.test, setup.vocab)
    eps = tooluse.run_queries(model, setup.vocab, setup.suite.test, 0, setup.suite.execute, force="no_tool")
    greedy = [e.correct(q.answer) for e, q in zip(eps, setup.suite.test)]
    assert s["right_no_tool"].tolist() == greedy
    assert any(greedy)  # the check means something only if some answers are right


def test_a_policy_run_learns_a_decision_and_reports_every_price(warm):
    r = dream.run_policy(warm, "prob", TINY, suite_config=SMALL_SUITE)
    levels = r["eval"]["levels"]
    assert [lv["cost"] for lv in levels] == list(TINY.costs)
    for lv in levels:
        assert lv["always"]["call_rate"] == 1.0 and lv["never"]["call_rate"] == 0.0
        assert lv["oracle"]["accuracy"] >= max(lv["never"]["accuracy"], lv["policy"]["accuracy"]) - 1e-9
        assert 0.0 <= lv["agreement"] <= 1.0
    # a call that costs half an answer is made less often than a free one
    assert levels[1]["policy"]["call_rate"] <= levels[0]["policy"]["call_rate"]
    assert len(r["fixed_prompts"]) == len(TINY.costs)
    decisions = {p["decision"] for lv in r["fixed_prompts"] for p in lv}
    assert decisions <= {"call", "no_tool"}


def test_the_policy_run_through_its_chosen_branches_matches_the_forced_runs(warm):
    setup = dream.make_setup(TINY, SMALL_SUITE)
    model = dream.make_model(setup, TINY)
    model.load_state_dict(warm["state"])
    queries, tool = setup.suite.test, setup.suite.execute
    calls = [i % 3 == 0 for i in range(len(queries))]  # any mix of decisions
    never = tooluse.run_queries(model, setup.vocab, queries, 1, tool, force="no_tool")
    always = tooluse.run_queries(model, setup.vocab, queries, 1, tool, force="call")
    picked = dream.policy_episodes(model, setup.vocab, queries, 1, tool, calls)
    assert [vars(e) for e in picked] == [vars(al if c else nv) for al, nv, c in zip(always, never, calls)]


def test_evaluation_runs_only_the_levels_and_baselines_asked_for(warm):
    setup = dream.make_setup(TINY, SMALL_SUITE)
    model = dream.make_model(setup, TINY)
    model.load_state_dict(warm["state"])
    full = dream.evaluate(model, setup, TINY)["levels"]
    policy_only = dream.evaluate(model, setup, TINY, forced=())["levels"]
    one = dream.evaluate(model, setup, TINY, levels=(1,))["levels"]
    for lv, part in zip(full, policy_only):
        assert part["policy"] == lv["policy"] and part["episodes"] == lv["episodes"]
        assert "never" not in part and "always" not in part and "oracle" not in part
    assert one[0] is None and one[1] == full[1]

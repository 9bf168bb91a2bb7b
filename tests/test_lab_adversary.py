"""The adversary's search: its space holds no query the suite asks, what it drops and keeps, a tiny run."""

import random

import pytest
import torch

from scratchbook.lab import adversary, dream, tools
from scratchbook.lab.adversary import SearchConfig, SearchSpace
from scratchbook.lab.dream import Budget
from scratchbook.lab.tools import Query, SuiteConfig

SMALL_SUITE = SuiteConfig(seed=3, n_facts=30, fact_mentions=300, mul1_repeats=6, n_mul2_train=200, n_mul2_val=20,
                          n_mul2_test=30, n_val_facts=30)
TINY = Budget(warmup_steps=80, policy_steps=40, batch_size=64, lr=1e-2, relabel_every=20, n_layer=1,
              n_embd=32, costs=(0.0, 0.5))
SMALL_SEARCH = SearchConfig(products_per_round=48, names_per_round=48, keep=8)


def test_the_search_space_of_part_6_holds_no_test_or_validation_question_and_no_name_of_the_table():
    suite = tools.build_suite()  # Part 6's own suite
    space = adversary.build_search_space(suite, SearchConfig(), rounds=3)
    searched = set(space.products) | set(space.names)
    asked = {q.question for q in suite.train + suite.val + suite.test}
    assert len(space.products) == 3 * SearchConfig().products_per_round
    assert len(space.names) == len(set(space.names)) == 3 * SearchConfig().names_per_round
    assert searched.isdisjoint({q.question for q in suite.test})  # fresh test products and every test fact
    assert searched.isdisjoint(asked)
    assert set(space.names).isdisjoint(suite.facts) and set(space.appendix).isdisjoint(suite.facts)
    assert all(q.kind != "fact_unseen" or q.question not in searched for q in suite.test)
    commuted = {"*".join(reversed(q.question.split("*"))) for q in suite.test if q.kind == "mul2"}
    assert searched.isdisjoint(commuted)  # 64*37 would teach the answer of the test's 37*64


def test_the_search_space_is_seeded_and_its_appendix_holds_about_the_configured_share():
    suite = tools.build_suite(SMALL_SUITE)
    a = adversary.build_search_space(suite, SMALL_SEARCH, rounds=2)
    b = adversary.build_search_space(suite, SMALL_SEARCH, rounds=2)
    assert a == b
    assert 0.25 < len(a.appendix) / len(a.names) < 0.75
    assert set(a.appendix) <= set(a.names)
    name = next(iter(a.appendix))
    assert a.execute(name) == a.appendix[name]
    unknown = next(n for n in a.names if n not in a.appendix)
    with pytest.raises(tools.UnknownName):
        a.execute(unknown)


def test_a_perturbation_changes_one_letter_within_its_class():
    rng = random.Random(0)
    for _ in range(200):
        out = adversary.perturb(rng, "zorvak")
        changed = [i for i, (x, y) in enumerate(zip("zorvak", out)) if x != y]
        assert len(out) == 6 and len(changed) == 1
        i = changed[0]
        assert ("zorvak"[i] in "aeiou") == (out[i] in "aeiou")


def test_select_keeps_every_agreement_and_the_most_divergent_per_kind():
    qs = [Query(f"q{i}", "1", kind) for i, kind in enumerate(["a", "a", "a", "b", "b", "a"])]
    right = torch.tensor([True, False, False, False, False, False])
    nll = torch.tensor([0.1, 2.0, 5.0, 1.0, 3.0, 4.0])
    assert adversary.select(qs, right, nll, keep=1) == [0, 2, 4]  # q0 agrees; a: q2 (nll 5); b: q4 (nll 3)
    assert adversary.select(qs, right, nll, keep=2) == [0, 2, 3, 4, 5]  # a: q2, q5; b: both
    assert adversary.select(qs, right, nll, keep=0) == [0]


def test_a_name_the_tool_does_not_know_is_dropped_unscored_and_unlabelled():
    suite = tools.build_suite(SMALL_SUITE)
    setup = dream.make_setup(TINY, SMALL_SUITE)
    model = dream.make_model(setup, TINY)
    space = adversary.build_search_space(suite, SMALL_SEARCH, rounds=1)
    kept, report = adversary.search_round(model, setup, space, SMALL_SEARCH, 0)
    known = [n for n in space.names if n in space.appendix]
    assert report["tried"] == 96 and report["unknown_name"] == 48 - len(known)
    assert report["scored"] == 48 + len(known) and report["sequences"] == 2 * report["scored"]
    assert {q.question for q in kept} <= set(space.products) | set(known)
    assert all(q.answer == space.execute(q.question) for q in kept)
    # an untrained model agrees with the tool nowhere: it keeps `keep` per domain
    assert report["kept"] == {"search_product": 8, "search_name": 8}


def test_with_queries_appends_the_kept_queries_to_the_training_stream_once_each():
    setup = dream.make_setup(TINY, SMALL_SUITE)
    extra = [Query("12*34", "408", "search_product"), Query("zorvek", "512", "search_name")]
    grown = adversary.with_queries(setup, extra)
    n = len(setup.train_queries)
    assert grown.train_queries[n:] == extra and len(grown.train) == n + 2
    assert grown.train_index[-2:].tolist() == [n, n + 1]
    assert torch.equal(grown.train.no_tool.X[:n], setup.train.no_tool.X)
    assert len(setup.train_queries) == n  # the original setup is untouched


@pytest.fixture(scope="module")
def run():
    warm = dream.run_warmup(TINY, SMALL_SUITE)
    return adversary.run_adversarial(warm, "prob", TINY, SMALL_SEARCH, SMALL_SUITE)


def test_the_adversarial_run_searches_every_round_and_counts_its_forward_passes(run):
    search = run["history"]["search"]
    assert [r["step"] for r in search] == [80, 100]  # every relabelling but the last
    assert len(run["history"]["rounds"]) == 3
    assert run["forward"]["search"] == sum(r["sequences"] for r in search) > 0
    assert run["forward"]["train"] == 2 * TINY.policy_steps * TINY.batch_size
    kept = sum(sum(r["kept"].values()) for r in search)
    # the dream relabels the grown stream: more sequences than without the search
    assert run["forward"]["relabel"] > run["forward"]["relabel_without_search"]
    assert kept > 0
    assert len(run["eval"]["levels"]) == len(TINY.costs)

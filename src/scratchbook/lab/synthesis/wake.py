"""Wake: spend one candidate budget searching for every task, with or without the guide.

Without a guide, the whole budget is one shared search under the library's
grammar. With one, a share of the budget (`guide_share`) goes to guided
searches instead. The guide predicts a grammar per task, but one search per
task would throw away what makes our search cheap (sharing work across
tasks), so the unsolved tasks are clustered by their predicted grammars
(k-means on the log-weights) and each cluster gets one search under the mean
of its members' predictions, with budget in proportion to its size. Each of
those searches still checks every unsolved task.

Tried and dropped at this scale: one search per task (each gets a few
thousand candidates: too few), and groups by output type (the mean grammar
of all list-returning tasks is too blurred to help).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scratchbook.lab.synthesis.enumerate import SearchMemo, SearchTarget, search
from scratchbook.lab.synthesis.grammar import Grammar, Library
from scratchbook.lab.synthesis.guide import TrainedGuide
from scratchbook.lab.synthesis.tasks import Suite


@dataclass
class WakeResult:
    solutions: dict  # task name -> program, for every task this wake solved
    candidates: int
    guided: list  # names first solved by a guided search
    overfit: list  # Overfit, from every search of this wake (a task can overfit in several)
    levels: int  # cost levels the shared search started: how far it got, in grammar units


def targets(tasks) -> list[SearchTarget]:
    """Every search, in every condition, checks a match against held-out examples and fresh lists."""
    return [SearchTarget(t.name, t.output_type, t.outputs, t.heldout, t.fresh) for t in tasks]


def guided_log_weights(library: Library, guide: TrainedGuide, tasks, mix: float) -> np.ndarray:
    """(tasks, names) log-weights: mix * the guide's prediction + (1 - mix) * the library's."""
    names = library.names()
    lib_w = np.array([library.weights[n] for n in names], dtype=np.float64)
    lib_log = np.log(lib_w / lib_w.sum())
    return (1 - mix) * lib_log + mix * guide.log_weights([t.examples for t in tasks])


def grammar_from_log_weights(library: Library, log_weights: np.ndarray) -> Grammar:
    return Grammar(library, {n: float(math.exp(v)) for n, v in zip(library.names(), log_weights)})


def cluster(points: np.ndarray, k: int, iterations: int = 10) -> list[int]:
    """Deterministic k-means: farthest-point start from the first point, then Lloyd steps."""
    k = min(k, len(points))
    centers = [points[0]]
    for _ in range(1, k):
        d = np.min([((points - c) ** 2).sum(axis=1) for c in centers], axis=0)
        centers.append(points[int(np.argmax(d))])
    centers = np.array(centers)
    labels = np.zeros(len(points), dtype=int)
    for _ in range(iterations):
        labels = np.argmin(((points[:, None, :] - centers[None]) ** 2).sum(axis=-1), axis=1)
        centers = np.array([points[labels == c].mean(axis=0) if (labels == c).any() else centers[c]
                            for c in range(k)])
    return [int(v) for v in labels]


def guided_groups(library: Library, guide: TrainedGuide, tasks, mix: float, k: int) -> list[tuple]:
    """[(member tasks, Grammar)] for k clusters of tasks by predicted grammar, empty clusters dropped."""
    log_w = guided_log_weights(library, guide, tasks, mix)
    labels = cluster(log_w, k)
    groups = []
    for c in range(max(labels) + 1):
        members = [i for i, label in enumerate(labels) if label == c]
        if members:
            groups.append(([tasks[i] for i in members],
                           grammar_from_log_weights(library, log_w[members].mean(axis=0))))
    return groups


def wake(library: Library, guide: TrainedGuide | None, suite: Suite, solved_train: set, budget: int,
         guide_share: float = 0.5, guide_mix: float = 1.0, groups: int = 4,
         memo: SearchMemo | None = None) -> WakeResult:
    """Search for all tasks with `budget` candidates in total; solved_train need not be found again.
    A search that is the prefix of one in `memo` is read from it (the same result)."""
    shared_budget = budget if guide is None else round(budget * (1 - guide_share))
    result = search(Grammar(library), list(suite.inputs), targets(suite.tasks), shared_budget, memo)
    found = dict(result.solutions)
    spent = result.candidates
    overfit = list(result.overfit)
    guided: list[str] = []
    if guide is not None:
        open_tasks = [t for t in suite.tasks if t.name not in found and t.name not in solved_train]
        plan = guided_groups(library, guide, open_tasks, guide_mix, groups) if open_tasks else []
        remaining = budget - spent
        for i, (members, grammar) in enumerate(plan):
            still_open = [t for t in open_tasks if t.name not in found]
            if not still_open or remaining <= 0:
                break
            # budget in proportion to cluster size; the last cluster takes whatever is left
            left = sum(len(m) for m, _ in plan[i:])
            share = remaining if i == len(plan) - 1 else round(remaining * len(members) / left)
            r = search(grammar, list(suite.inputs), targets(still_open), share, memo)
            for name, program in r.solutions.items():
                found[name] = program
                guided.append(name)
            overfit += r.overfit
            spent += r.candidates
            remaining -= r.candidates
    return WakeResult(found, spent, guided, overfit, result.levels)

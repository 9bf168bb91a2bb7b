"""DreamCoder's loop at toy scale: wake, sleep-abstraction, sleep-dreaming, repeat.

- wake (wake.py): one shared search over every task (train and test) with
  the current library's grammar. Once a guide exists, half of the same
  candidate budget goes to guided searches instead: the unsolved tasks are
  clustered by the grammars the guide predicts for them, and each cluster
  gets one search under its mean predicted grammar.
- sleep-abstraction (compression): learn functions from the TRAIN solutions
  and refit the grammar's weights to them (both count as "library learning").
- sleep-dreaming: train a fresh guide on replays (train solutions) and on
  fantasies sampled from the new library.

Test tasks are searched every wake but never learned from; "test solved" is
what this cycle's library and guide solve. Train solutions are kept from one
cycle to the next (rewritten in the new library's terms); a new one replaces
an old one when it is more probable.

Ablations, at the same candidate budget: no library learning (the grammar
stays the uniform one over the 21 primitives, no functions are learned), no
recognition model (one shared search per wake), and plain enumeration
(neither: the same search every cycle).

The seed reaches only the guide (its initial weights and its dreams). A
condition without a guide draws no random numbers, so `run_seeds` runs it
once and lets that run stand for every seed.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from scratchbook.lab.synthesis.compress import CompressionConfig, compress
from scratchbook.lab.synthesis.enumerate import SearchMemo
from scratchbook.lab.synthesis.grammar import Grammar, Library
from scratchbook.lab.synthesis.guide import GuideConfig, TrainedGuide, train_guide
from scratchbook.lab.synthesis.program import show, size
from scratchbook.lab.synthesis.tasks import Suite, build_suite
from scratchbook.lab.synthesis.wake import grammar_from_log_weights, guided_log_weights, wake

CONDITIONS = {  # name -> (learn_library, use_guide)
    "full": (True, True),
    "no-library": (False, True),
    "no-guide": (True, False),
    "plain": (False, False),
}


@dataclass
class WakeSleepConfig:
    cycles: int = 5
    wake_budget: int = 200_000  # candidates per wake, whatever the condition
    learn_library: bool = True
    use_guide: bool = True
    guide_share: float = 0.5  # of the wake budget spent in guided searches, once there is a guide
    guide_mix: float = 1.0  # 1: guided grammars are the guide's alone; 0: the library's alone
    guided_groups: int = 4  # clusters of unsolved tasks, one guided search each
    compression: CompressionConfig = field(default_factory=CompressionConfig)
    guide: GuideConfig = field(default_factory=GuideConfig)
    seed: int = 0
    tracked_tasks: tuple = ("keep-primes", "keep-even")


@dataclass
class CycleReport:
    cycle: int
    train_solved: int  # training tasks with a solution in hand after this wake
    train_total: int
    test_solved: int  # test tasks this cycle's wake solved
    test_total: int
    library_size: int  # learned functions after this cycle's sleep
    new_functions: list  # the functions learned this cycle, as readable programs
    mean_size_found: float  # nodes per train solution before the sleep (cycle 1: in primitives)
    mean_solution_size: float  # nodes per train solution, in library terms, after the sleep
    mean_size_first_solved: float  # the same over the tasks solved in cycle 1 only
    candidates: int  # programs enumerated this wake
    levels: int  # cost levels this wake's shared search started (its frontier, in grammar units)
    candidates_per_solved: float  # this wake's candidates / tasks (train + test) it solved
    guided_solved: int  # tasks first solved by a guided search this wake
    guide_bits_saved: float | None  # mean over this wake's solutions: bits under the library's
    #   grammar minus bits under the guide's grammar for that task (None: no guide yet)
    overfit: list  # [task, program, check failed] for every match this wake that failed a check
    tracked_found: dict  # task -> solution as this wake found it, in the old library's terms
    tracked: dict  # task -> solution at the end of the cycle, in the new library's terms (None: unsolved)
    solved_train: list
    solved_test: list
    seconds: dict  # wake, abstraction, dreaming: processor time


@dataclass
class WakeSleepRun:
    condition: str
    config: dict
    cycles: list  # CycleReport per cycle
    library: list  # every learned function, readable
    solutions: dict  # task -> solution text after the last cycle (train: in hand; test: last wake)
    seconds: float  # wall clock
    cpu_seconds: float  # processor time of this process: the compute, whatever else the machine runs
    guide_loss: list = field(default_factory=list)  # final training loss of each cycle's guide
    guide_curves: list = field(default_factory=list)  # per cycle: [[step, loss], ...] of its guide
    reused: bool = False  # the run of another seed, standing for this one (a condition without a guide)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# -----------------------------------------------------------------------------
# the loop


def run_wake_sleep(config: WakeSleepConfig = WakeSleepConfig(), condition: str = "custom",
                   suite: Suite | None = None, searches: SearchMemo | None = None) -> WakeSleepRun:
    """Run config.cycles cycles; everything returned is plain data (dataclasses of lists, dicts, numbers).
    `searches` remembers searches across runs (see enumerate.SearchMemo)."""
    suite = suite or build_suite()
    start, cpu_start = time.perf_counter(), time.process_time()
    train_names = [t.name for t in suite.train]
    test_names = {t.name for t in suite.test}
    library = Library()
    solutions: dict = {}  # train task name -> program in library terms
    guide = None
    reports, guide_losses, guide_curves = [], [], []
    first_solved: list[str] = []
    memo = None  # (key, WakeResult): without learning, every wake is the same search
    for cycle in range(1, config.cycles + 1):
        t0 = time.process_time()
        key = (tuple(library.inventions), tuple(sorted(library.weights.items())))
        if guide is None and memo is not None and memo[0] == key:
            woke = memo[1]
        else:
            woke = wake(library, guide, suite, set(solutions), config.wake_budget, config.guide_share,
                        config.guide_mix, config.guided_groups, searches)
            memo = (key, woke)
        grammar = Grammar(library)
        bits_saved = None if guide is None else _bits_saved(library, guide, suite, woke.solutions, config)
        for name in train_names:
            new = woke.solutions.get(name)
            if new is not None and (name not in solutions or grammar.bits(new) < grammar.bits(solutions[name])):
                solutions[name] = new
        if cycle == 1:
            first_solved = sorted(solutions)
        size_found = _mean([size(p) for p in solutions.values()])
        t1 = time.process_time()
        added = []
        if config.learn_library and solutions:
            compressed = compress(library, solutions, config.compression)
            library, solutions, added = compressed.library, compressed.programs, compressed.added
        t2 = time.process_time()
        if config.use_guide:
            replays = [(suite.task(name).examples, program) for name, program in solutions.items()]
            guide_config = dataclasses.replace(config.guide, seed=config.seed * 1000 + cycle)
            guide = train_guide(library, replays, guide_config)
            guide_losses.append(guide.losses[-1] if guide.losses else None)
            guide_curves.append([list(point) for point in guide.curve])
        t3 = time.process_time()
        solved_test = sorted(n for n in woke.solutions if n in test_names)
        n_solved = len([n for n in woke.solutions if n in test_names or n in solutions])
        tracked_found = {name: _text(woke.solutions.get(name)) for name in config.tracked_tasks}
        tracked = {name: _text(solutions.get(name, woke.solutions.get(name))) for name in config.tracked_tasks}
        reports.append(CycleReport(
            cycle=cycle,
            train_solved=len(solutions),
            train_total=len(train_names),
            test_solved=len(solved_test),
            test_total=len(test_names),
            library_size=len(library.inventions),
            new_functions=[inv.text() for inv in added],
            mean_size_found=size_found,
            mean_solution_size=_mean([size(p) for p in solutions.values()]),
            mean_size_first_solved=_mean([size(solutions[n]) for n in first_solved]),
            candidates=woke.candidates,
            levels=woke.levels,
            candidates_per_solved=woke.candidates / max(1, n_solved),
            guided_solved=len(woke.guided),
            guide_bits_saved=bits_saved,
            overfit=[[o.key, show(o.program), o.failed] for o in woke.overfit],
            tracked_found=tracked_found,
            tracked=tracked,
            solved_train=sorted(solutions),
            solved_test=solved_test,
            seconds={"wake": t1 - t0, "abstraction": t2 - t1, "dreaming": t3 - t2},
        ))
    final = {**{n: p for n, p in woke.solutions.items() if n in test_names}, **solutions}
    return WakeSleepRun(condition, _plain(dataclasses.asdict(config)), reports,
                        [inv.text() for inv in library.inventions],
                        {t.name: show(final[t.name]) for t in suite.tasks if t.name in final},
                        time.perf_counter() - start, time.process_time() - cpu_start, guide_losses,
                        guide_curves)


def _bits_saved(library: Library, guide: TrainedGuide, suite: Suite, solutions: dict,
                config: WakeSleepConfig) -> float:
    """How much more probable the guide makes this wake's solutions, in bits, on average."""
    if not solutions:
        return 0.0
    tasks = [suite.task(name) for name in solutions]
    log_w = guided_log_weights(library, guide, tasks, config.guide_mix)
    plain = Grammar(library)
    saved = [plain.bits(solutions[t.name]) - grammar_from_log_weights(library, row).bits(solutions[t.name])
             for t, row in zip(tasks, log_w)]
    return float(sum(saved) / len(saved))


def _text(program) -> str | None:
    return None if program is None else show(program)


def _mean(values) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _plain(d: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def run_ablations(config: WakeSleepConfig = WakeSleepConfig(), conditions=tuple(CONDITIONS),
                  suite: Suite | None = None, searches: SearchMemo | None = None) -> dict[str, WakeSleepRun]:
    """The same budget and seed under each condition: name -> run. The runs share one memo of
    searches (every run's first wake is the same search)."""
    suite = suite or build_suite()
    searches = searches or SearchMemo()
    runs = {}
    for name in conditions:
        learn, guide = CONDITIONS[name]
        runs[name] = run_wake_sleep(dataclasses.replace(config, learn_library=learn, use_guide=guide),
                                    name, suite, searches)
    return runs


def run_seeds(config: WakeSleepConfig, seeds, conditions=tuple(CONDITIONS),
              suite: Suite | None = None) -> dict[int, dict[str, WakeSleepRun]]:
    """Every condition under every seed: seed -> name -> run, at the same budget.

    A condition without a guide does not depend on the seed, so it runs once (under the first
    seed) and the other seeds get that run, marked `reused`. Those run first: their searches are
    the guided conditions' first searches too, and every run shares one memo of searches.
    """
    suite = suite or build_suite()
    searches = SearchMemo()
    seeds = list(seeds)
    once = [name for name in conditions if not CONDITIONS[name][1]]
    shared = run_ablations(dataclasses.replace(config, seed=seeds[0]), once, suite, searches)
    out = {}
    for seed in seeds:
        seeded = run_ablations(dataclasses.replace(config, seed=seed),
                               [name for name in conditions if name not in shared], suite, searches)
        out[seed] = {name: seeded[name] if name in seeded else
                     (shared[name] if seed == seeds[0] else dataclasses.replace(shared[name], reused=True))
                     for name in conditions}
    return out

"""Part 7, "Programs That Write Programs": a DreamCoder-style library learner on list tasks.

The modules, by concern:

- dsl.py: types (int, bool, list, arrows), the 21 primitives and their safe semantics;
- program.py: programs as trees: print, parse, size, canonical order, compile to Python;
- tasks.py: the pinned suite of 82 list tasks (54 train, 28 test);
- grammar.py: the library (primitives + learned functions + weights) and its grammar;
- enumerate.py: one shared bottom-up search, cheapest first, with a budget in candidates;
- compress.py: sleep-abstraction, learning functions that shorten the solutions;
- guide.py: the recognition model, trained on replays and dreams;
- wake.py: a wake's searches, unguided and guided;
- wake_sleep.py: the cycles and the ablations.

What a post calls:

    from scratchbook.lab.synthesis import WakeSleepConfig, run_ablations, run_wake_sleep
    runs = run_ablations(WakeSleepConfig(cycles=5, wake_budget=200_000))
    runs["full"].cycles[-1].test_solved       # plain numbers, lists, dicts and strings
    runs["full"].to_dict()                    # all of it, JSON-ready
"""

from scratchbook.lab.synthesis.tasks import GENERATOR_VERSION, Suite, Task, build_suite
from scratchbook.lab.synthesis.wake_sleep import (
    CONDITIONS,
    CycleReport,
    WakeSleepConfig,
    WakeSleepRun,
    run_ablations,
    run_seeds,
    run_wake_sleep,
)

__all__ = ["CONDITIONS", "CycleReport", "GENERATOR_VERSION", "Suite", "Task", "WakeSleepConfig",
           "WakeSleepRun", "build_suite", "run_ablations", "run_seeds", "run_wake_sleep"]

# ---
# title: "Programs That Write Programs"
# description: "A small DreamCoder on a laptop CPU: search for list programs, fold what the solutions share into a library, train a guide on replays and dreams, then switch each part off at the same search budget to see what it was worth."
# weight: 70
# series: "Neural Nets from Scratch"
# skin: chalkboard
# draft: true
# slug: neural-nets-programs-that-write-programs
# ---

# %% [markdown]
# [Part 6](/blog/neural-nets-economics-of-tool-use/) let a model call tools, paying for each
# call, and learn when a call was worth its price. The tools themselves were fixed: nothing
# the model learned could change what they computed. This last post of the series takes
# away that limit. What if the system could write its own tools,
# small exact programs, and then build new tools out of the ones it already has?
#
# That is the question behind DreamCoder, and it splits into two questions I can test on a
# laptop. **Can a small system discover reusable abstractions** (functions it was never
# given, which make later problems shorter to state)? Lake et al. argue, in
# ["Building machines that learn and think like people"](https://arxiv.org/abs/1604.00289)
# (2017), that this kind of compositional reuse is much of what makes people learn from few
# examples. And **does a neural guide make the
# search for programs cheaper**, once there is something to search over?
#
# ## DreamCoder in one loop
#
# [DreamCoder](https://arxiv.org/abs/2006.08381) (Ellis et al.; code at
# [ellisk42/ec](https://github.com/ellisk42/ec)) solves problems by writing programs in a
# small functional language, and it improves by alternating three phases, named after
# Hinton et al.'s [wake-sleep algorithm](https://www.cs.toronto.edu/~hinton/absps/ws.pdf)
# (1995), in which a recognition model is trained on samples dreamed by a generative one:
#
# - **wake**: for each task (a handful of input/output examples) search for a program that
#   maps every input to its output. The search enumerates programs from most to least
#   probable under a *grammar*, a probability for every function in the library.
# - **sleep, abstraction**: look at the programs that worked, find the sub-programs they
#   have in common, and turn the ones that pay for themselves into new library functions.
#   The solutions are rewritten with them and get shorter; the grammar is refit, so
#   functions that get used become cheap to propose.
# - **sleep, dreaming**: train a *recognition model*, a neural network that reads a task's
#   examples and predicts which library functions its solution will use. It trains on
#   *replays* (tasks solved so far, with their solutions) and on *fantasies* (random
#   programs drawn from the library, run on random inputs, so the answer is known).
#
# The next wake searches with the bigger library, and with the grammar the recognition
# model predicts for each task. A library makes good programs shorter; the guide reorders
# the search so the likely ones come first. Both are ways of spending a fixed search budget
# better.
#
# The list-processing experiments come from the version before DreamCoder,
# [EC²](https://proceedings.neurips.cc/paper/2018/hash/7aa685b3b1dc1d6780bf36f7340078c9-Abstract.html)
# (Ellis et al., NeurIPS 2018). Its language has 22 list primitives (`map`, `fold`,
# `cons`, `car`, `+`, `mod`, `is-prime` and so on), and its benchmark has about 218 list
# tasks in families (add k to every element, keep the elements above k, count the k's...),
# each with 15 input/output examples. The paper reports 94% of the held-out list tasks
# solved, with a library of 38 learned subroutines, on 64 CPUs running for hours. The
# version below is much smaller, and the differences matter for reading its numbers; they
# are listed once the numbers are in.
#
# ## Our language and our tasks

# %% tags=["hide-input"]
import itertools
import os

import numpy as np
from scratchbook import claim, experiment, stands_out, style
from scratchbook.lab.synthesis import CONDITIONS, WakeSleepConfig, run_seeds
from scratchbook.lab.synthesis import compress as compression
from scratchbook.lab.synthesis import dsl
from scratchbook.lab.synthesis import tasks as task_module
from scratchbook.lab.synthesis import wake as waking
from scratchbook.lab.synthesis.grammar import Grammar, Library
from scratchbook.lab.synthesis.program import parse

cpu_cores = os.cpu_count()
suite = task_module.build_suite()
n_tasks, n_train, n_test = len(suite.tasks), len(suite.train), len(suite.test)
suite_sha = suite.checksum[:16]
n_search, n_heldout, n_fresh = task_module.N_SEARCH, task_module.N_HELDOUT, len(suite.fresh_inputs)
list_lengths = f"{task_module.MIN_LEN} to {task_module.MAX_LEN}"
value_range = f"{task_module.LOW} to {task_module.HIGH}"
CONFIG = WakeSleepConfig(cycles=5, wake_budget=200_000, seed=0)
guide_share, guided_groups = CONFIG.guide_share, CONFIG.guided_groups

# The language, grouped for reading (every primitive appears exactly once).
PRIMITIVE_GROUPS = {
    "higher-order": ["map", "fold"],
    "lists": ["empty", "cons", "car", "cdr", "empty?", "length", "index", "range"],
    "numbers": ["0", "1", "+", "-", "*", "mod"],
    "tests and choice": ["gt?", "eq?", "is-prime", "is-square", "if"],
}
primitive_names = [p.name for p in dsl.PRIMITIVES]
assert sorted(sum(PRIMITIVE_GROUPS.values(), [])) == sorted(primitive_names)
n_primitives = len(primitive_names)
primitive_rows = [[group, ", ".join(names)] for group, names in PRIMITIVE_GROUPS.items()]


def type_text(t) -> str:
    return str(t) if isinstance(t, dsl.Arrow) else t


def signatures(name: str) -> list[str]:
    """The monomorphic instances of a primitive, as `args -> ret` text."""
    prim = dsl.PRIMITIVES_BY_NAME[name]
    return [" -> ".join([*(type_text(a) for a in args), ret]) for args, ret in prim.signatures]


map_types, fold_types = signatures("map"), signatures("fold")

# The suite: families with their train/test counts, in the suite's own order.
families: dict[str, list] = {}
for task in suite.tasks:
    families.setdefault(task.family, []).append(task)
n_families = len(families)
family_rows = [[family, sum(t.split == "train" for t in members), sum(t.split == "test" for t in members),
                ", ".join(t.name + ("*" if t.split == "test" else "") for t in members)]
               for family, members in families.items()]


def show_value(value) -> str:
    return "[" + " ".join(str(v) for v in value) + "]" if isinstance(value, tuple) else str(value).lower()


def change(n: int, noun: str) -> str:
    """'3 more tasks', '2 fewer tasks' or 'no more tasks': a difference in words."""
    if n == 0:
        return f"no more {noun}"
    return f"{abs(n)} {'more' if n > 0 else 'fewer'} {noun}"


EXAMPLE_TASKS = ["keep-primes", "rotate-left-1", "count-even", "kth-largest-2"]
example_rows = []
for name in EXAMPLE_TASKS:
    task = suite.task(name)
    for xs, out in task.examples[2:4]:
        example_rows.append([name, show_value(xs), show_value(out)])

# %% [markdown]
# Programs are written in a typed Lisp over three types, `int`, `bool` and `list` (a list
# of ints), and start from the {{ n_primitives }} primitives below. They are EC²'s list
# primitives with one dropped (`unfold`, which none of our tasks needs and whose three
# function arguments would multiply the size of the search) and with the polymorphic ones
# made concrete: `map` has the type {% for t in map_types %}`{{ t }}`{% endfor %}, and `fold`,
# a right fold, comes in {{ fold_types | length }} versions,
# {% for t in fold_types %}`{{ t }}`{{ " and " if not loop.last else "" }}{% endfor %}.
#
# {{ table(primitive_rows, headers=["kind", "primitives"], formats={"primitives": "code"}, key="primitives") }}
#
# A task program is a function of one list, `xs`. Functions passed to `map` and `fold` are
# written as lambdas, `(λ (x acc) ...)`, and a lambda cannot see `xs`. So "keep the primes"
# is
#
# ```lisp
# (fold xs empty (λ (x acc) (if (is-prime x) (cons x acc) acc)))
# ```
#
# walk the list from the right, and put `x` in front of the accumulated list when it is
# prime.
#
# The suite has {{ n_tasks }} tasks in {{ n_families }} families, modelled on EC²'s. Each
# family's tasks differ by a constant or a property (add 1, add 2, ...; keep the even ones,
# keep the primes, ...). A seeded third of every family with more than one task is held out
# as the test set (marked * below): {{ n_train }} training tasks and {{ n_test }} test tasks.
# Test tasks are searched for in every wake, but the library never learns from their
# solutions, so a solved test task measures what the library and the guide carry over to a
# relative they have not seen.
#
# {{ table(family_rows, headers=["family", "train", "test", "tasks"], formats={"tasks": "code"}, key="families") }}
#
# Every task has {{ n_search }} examples for the search and {{ n_heldout }} held-out ones, and
# the suite has {{ num(n_fresh, ",") }} fresh lists, drawn from a seed of their own, on which
# each task's reference function gives the right answer. The search never sees the
# held-out examples or the fresh lists. A program that fits the {{ n_search }} examples
# counts as a solution only if it also gets the {{ n_heldout }} held-out examples and all
# {{ num(n_fresh, ",") }} fresh lists right; otherwise it is an **overfit**, a program that
# fits the examples and not the task, and the task stays unsolved. Every search in every
# condition applies the same check. Inputs are lists of {{ list_lengths }} integers from
# {{ value_range }}. A few tasks, two examples each:
#
# {{ table(example_rows, headers=["task", "input", "output"], formats={"task": "code", "input": "code", "output": "code"}, key="examples") }}
#
# All tasks share the same {{ n_search }} search inputs. That is what makes a search on one
# CPU affordable: a single enumeration of programs checks each new program against every
# task at once, by looking up its outputs in a table. The suite is generated from a seed
# (sha256 `{{ suite_sha }}`), so it is the same on every machine.
#
# ## Running the loop
#
# The budget of a wake is a number of **candidates**: programs whose outputs were computed,
# whether they turned out useful or not. Not seconds: the same budget gives the same
# programs on a fast machine and a slow one. Every wake, in every condition, gets the same
# number. Once a guide exists, the wake splits its budget: {{ pct(1 - guide_share, 0) }} goes
# to one shared search under the library's grammar, and {{ pct(guide_share, 0) }} to up to
# {{ guided_groups }} searches under grammars the guide predicts, one for each cluster of
# still-unsolved tasks that the guide sees as alike:
#
# {{ code(waking.wake) }}

# %% tags=["hide-input"]
CONDITION_LABELS = {"full": "full (library + guide)", "no-library": "no library learning",
                    "no-guide": "no recognition model", "plain": "plain enumeration"}
RUN_NAMES = {"full": "the full loop", "no-library": "the run without library learning",
             "no-guide": "the run without a guide", "plain": "plain enumeration"}
COLOURS = {"full": style.VERMILLION, "no-library": style.BLUE, "no-guide": style.ORANGE, "plain": style.INK}


@experiment
def wake_sleep_runs(config: WakeSleepConfig, seeds: tuple) -> dict:
    """The four conditions (full, no library, no guide, plain) under each seed, at one candidate
    budget per wake: seed -> name -> run. The two without a guide run once (see run_seeds)."""
    return {str(seed): {name: run.to_dict() for name, run in by_name.items()}
            for seed, by_name in run_seeds(config, seeds).items()}


SEEDS = (CONFIG.seed, 1, 2)
by_seed = {int(k): v for k, v in wake_sleep_runs(CONFIG, SEEDS).items()}
runs = by_seed[CONFIG.seed]
full = runs["full"]
cycles = full["cycles"]
last = {name: run["cycles"][-1] for name, run in runs.items()}
best_test = {name: max(c["test_solved"] for c in run["cycles"]) for name, run in runs.items()}
n_cycles, wake_budget = CONFIG.cycles, CONFIG.wake_budget
total_candidates = sum(c["candidates"] for run in runs.values() for c in run["cycles"])
# the runs actually computed: a condition without a guide runs once and stands for every seed
computed = [run for seed in SEEDS for run in by_seed[seed].values() if not run["reused"]]
seeded_labels = [RUN_NAMES[name] for name in CONDITIONS if CONDITIONS[name][1]]
unseeded_labels = [RUN_NAMES[name] for name in CONDITIONS if not CONDITIONS[name][1]]
n_runs_all = len(computed)
candidates_all = sum(c["candidates"] for run in computed for c in run["cycles"])
n_guides_all = sum(len(run["guide_curves"]) for run in computed)
stage_seconds = {stage: sum(c["seconds"][stage] for run in computed for c in run["cycles"])
                 for stage in ("wake", "abstraction", "dreaming")}
guide_cfg = CONFIG.guide
full_test_share = last["full"]["test_solved"] / last["full"]["test_total"]
plain_test_share = last["plain"]["test_solved"] / last["plain"]["test_total"]

# %% [markdown]
# The experiment runs {{ n_cycles }} wake-sleep cycles at {{ num(wake_budget, ",") }}
# candidates per wake, under four conditions: the full loop, and the loop with library
# learning, the recognition model, or both switched off. The four runs have a budget of
# {{ num(total_candidates, ",") }} candidate programs between them. They are repeated under
# {{ SEEDS | length - 1 }} more seeds, at the same budget per wake, to see how much of a
# difference between conditions is luck. The seed reaches only the guide (its starting
# weights and the programs it dreams), so only the runs with a guide,
# {{ listing(seeded_labels) }}, depend on it. The runs without one,
# {{ listing(unseeded_labels) }}, draw no random numbers: each runs once and stands for
# every seed. Identical searches are not run twice either. What a search enumerates depends
# only on its grammar; the tasks decide only what gets checked and when it may stop. So a
# search under a grammar that was already searched, with no larger budget, is read from that
# search's record: the same solutions, found at the same candidate. Every run's first wake,
# under the starting grammar, is one such search.
#
# All told, the post's experiments are {{ n_runs_all }} runs with a budget of
# {{ num(candidates_all, ",") }} candidates and {{ n_guides_all }} guides trained for
# {{ guide_cfg.steps }} steps each. Counted as processor time
# ({{ cpu_cores }} CPU cores on this machine, one of them used, no GPU), which other programs
# on the machine inflate less than the wall clock, they take
# {{ seconds(post_cpu_seconds, key="processor time, all runs") }} of one core:
# {{ seconds(stage_seconds["wake"], key="processor time, all runs, searching") }} searching,
# {{ seconds(stage_seconds["abstraction"], key="processor time, all runs, compressing") }} compressing and
# {{ seconds(stage_seconds["dreaming"], key="processor time, all runs, training guides") }} training guides.
#
# Against EC², this is a toy, and it differs in ways that make its numbers easier to get:
#
# - **the language**: {{ n_primitives }} primitives, all with fixed types, against EC²'s 22
#   polymorphic ones; our lambdas cannot nest or see the task's input, which keeps the
#   search space small;
# - **the tasks**: {{ n_tasks }} of them against about 218, with
#   {{ n_search }}+{{ n_heldout }} examples instead of 15, and every test task has close
#   relatives (the same family with another constant) among the training tasks;
# - **the guide**: a two-layer network ({{ guide_cfg.hidden }} hidden units,
#   {{ guide_cfg.steps }} training steps, {{ guide_cfg.fantasies }} fantasies per sleep) over
#   a fixed vector of hand-written features of the examples (does the output keep the
#   input's order, what share of it is even or prime...), where DreamCoder learns its
#   features with a GRU that reads the examples token by token;
# - **the compression**: candidate functions come from anti-unifying pairs of solutions
#   (below), a simpler relative of DreamCoder's refactoring with version spaces;
# - **the scale**: {{ n_cycles }} cycles of {{ num(wake_budget, ",") }} candidates on one
#   core, against searches with a time limit per task, spread over 64 CPUs for hours.
#
# The full loop ends with {{ last["full"]["test_solved"] }} of {{ n_test }} test tasks solved
# ({{ pct(full_test_share, 0) }}). That looks close to EC²'s 94%, but the two numbers measure
# different things: on these easier tasks, plain enumeration with no learning at all
# already solves {{ pct(plain_test_share, 0) }}. The comparisons worth making are the ones inside this
# post, where everything but one switch is held equal.
#
# ## Cycle by cycle

# %% tags=["hide-input"]
cycle_rows = [[c["cycle"], c["train_solved"], c["test_solved"], c["library_size"], len(c["new_functions"]),
               c["mean_solution_size"], c["candidates_per_solved"], c["guided_solved"]] for c in cycles]
cycle_headers = ["cycle", f"train solved (of {n_train})", f"test solved (of {n_test})", "library size",
                 "new functions", "mean solution size", "candidates per solved task",
                 "first found by a guided search"]
cycle_formats = {"mean solution size": ".2f", "candidates per solved task": ",.0f"}

first, final = cycles[0], cycles[-1]
n_full_spent = sum(c["candidates"] == wake_budget for c in cycles)
full_spent_all = n_full_spent == n_cycles
first_found_size = first["mean_size_found"]  # cycle 1's solutions, in primitives
first_tasks_final_size = final["mean_size_first_solved"]  # the same tasks, in the final library
n_first_solved = first["train_solved"]
cost_first, cost_final = first["candidates_per_solved"], final["candidates_per_solved"]
peak_library_cycle = next(c["cycle"] for c in cycles if c["library_size"] == final["library_size"])
grew_after_peak = any(c["new_functions"] for c in cycles if c["cycle"] > peak_library_cycle)
train_gain = change(final["train_solved"] - first["train_solved"], "training tasks")
test_gain = change(final["test_solved"] - first["test_solved"], "test tasks")
cost_verb = "fall" if cost_final < cost_first else "rise"
stopped_growing = peak_library_cycle < n_cycles and not grew_after_peak

fig_growth = style.figure(height=3.9)
panels = fig_growth.subplots(1, 3, sharex=True)
for name, run in runs.items():
    xs = [c["cycle"] for c in run["cycles"]]
    line = dict(color=COLOURS[name], marker="o", markersize=4, label=CONDITION_LABELS[name],
                linewidth=2.2 if name == "full" else 1.4)
    panels[0].plot(xs, [c["train_solved"] for c in run["cycles"]], **line)
    panels[1].plot(xs, [c["test_solved"] for c in run["cycles"]], **line)
    panels[2].plot(xs, [c["library_size"] for c in run["cycles"]], **line)
for ax, title, top in zip(panels, (f"training tasks solved\n(of {n_train})", f"test tasks solved\n(of {n_test})",
                                   "learned functions\nin the library"),
                          (n_train, n_test, None)):
    ax.set_title(title)
    ax.set_xlabel("wake-sleep cycle")
    ax.set_xticks(range(1, n_cycles + 1))
    if top:
        ax.axhline(top, color=style.INK, linewidth=0.6, linestyle=":")
        ax.set_ylim(0, top + 2)
fig_growth.legend(*panels[0].get_legend_handles_labels(), loc="outside lower center", ncol=2)

# %% [markdown]
# The full loop, one row per cycle. "Solved" for training tasks counts the solutions in
# hand after that wake (they are kept from cycle to cycle); for test tasks, what that
# cycle's wake found. Solution size is the mean number of nodes per training solution,
# written with the library as it stands after the cycle's sleep. **Candidates per solved
# task** is what a wake paid for each task it solved: the candidates the wake enumerated
# (its budget is {{ num(wake_budget, ",") }}, and {% if full_spent_all %}every wake of the full
# loop spent all of it{% else %}{{ n_full_spent }} of the full loop's {{ n_cycles }} wakes
# spent all of it; a wake stops early only when no task is left to find{% endif %}) divided by
# the tasks, training and test, that this wake solved, counting training tasks it found
# again after an earlier cycle. Overfits cost candidates and count as nothing.
#
# {{ table(cycle_rows, headers=cycle_headers, formats=cycle_formats, key="full_cycles") }}
#
# {{ figure(fig_growth, "library-growth", alt="Three line charts over five wake-sleep cycles: training tasks solved, test tasks solved, and library size, for the full loop and the three ablations", caption="Tasks solved and library size per cycle, for the full loop and the three ablations, all at " ~ num(wake_budget, ",") ~ " candidates per wake. The dotted lines mark all tasks solved; the two runs without library learning keep an empty library.") }}
#
# Between the first cycle and the last, the full loop comes to solve {{ train_gain }} and
# {{ test_gain }} with the same budget per wake. The candidates spent per solved task
# {{ cost_verb }} from
# {{ num(cost_first, ",.0f") }} to {{ num(cost_final, ",.0f") }}. And the solutions get
# shorter. The {{ n_first_solved }} training tasks solved in the first wake took
# {{ num(first_found_size, ".2f") }} nodes on average, written in primitives; in the final
# library the same tasks take {{ num(first_tasks_final_size, ".2f") }}. The library reaches
# its final size in cycle {{ peak_library_cycle }}{% if stopped_growing %} and then stops
# growing: no further candidate function pays for itself{% endif %}.
#
# ## What it learned

# %% tags=["hide-input"]
def split_definition(text: str) -> tuple[str, str]:
    name, body = text.split(" = ", 1)
    return name, body


# A small interpreter of the printed programs, independent of the lab's compiler, to rerun
# the final solutions on lists they have never seen.
def read_sexp(text: str):
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()

    def read(i):
        if tokens[i] != "(":
            return tokens[i], i + 1
        items, i = [], i + 1
        while tokens[i] != ")":
            item, i = read(i)
            items.append(item)
        return items, i + 1

    return read(0)[0]


def evaluate(tree, env: dict):
    if isinstance(tree, str):
        return env[tree] if tree in env else dsl.PRIMITIVES_BY_NAME[tree].fn
    head, *rest = tree
    if head == "λ":
        params, body = rest
        params = [params] if isinstance(params, str) else params
        return lambda *args: evaluate(body, {**env, **dict(zip(params, args))})
    if head == "if":
        return evaluate(rest[1] if evaluate(rest[0], env) else rest[2], env)
    return evaluate(head, env)(*(evaluate(arg, env) for arg in rest))


def load_library(definitions: list) -> dict:
    env: dict = {}
    for text in definitions:
        name, body = split_definition(text)
        env[name] = evaluate(read_sexp(body), dict(env))
    return env


def run_program(text: str, library: dict, xs):
    try:
        return evaluate(read_sexp(text), {**library, "xs": tuple(xs)})
    except dsl.EvalError:
        return None


def expected(task: str, xs):
    return task_module.reference(task)(xs)


fresh_inputs = suite.fresh_inputs  # the lists every solution was checked on inside the loop
full_library = load_library(full["library"])

# Plain-English readings of the functions this run learns, matched by their exact text, each
# with a Python version it must agree with on sample arguments: a reading that disagrees stops
# the build, and a function with no reading here shows "—".
def slide(l, ys, f):
    """From ys, for each x of l, last first: append f(x, acc) and drop acc's first element."""
    acc = ys
    for x in reversed(l):
        acc = (*acc, f(x, acc))[1:]
    return acc


GLOSSES = {
    "(λ (l p) (fold l empty (λ (x acc) (if (p x) (cons x acc) acc))))":
        ("filter: keep the elements where p holds", lambda l, p: tuple(x for x in l if p(x))),
    "(λ (n) (+ (+ 1 n) 1))": ("add 2", lambda n: n + 2),
    "(λ (f l) (map (λ (x) (+ (f x) x)) l))": ("map each x to x + f(x)", lambda f, l: tuple(x + f(x) for x in l)),
    "(λ (n l) (map (λ (x) (mod x (f2 n))) l))":
        ("each element modulo n + 2", lambda n, l: tuple(x % (n + 2) for x in l)),
    "(λ (l n) (fold l (cons n empty) cons))": ("append n at the end", lambda l, n: l + (n,)),
    "(λ (l n) (length (f1 l (λ (x) (eq? n x)))))": ("count the elements equal to n", lambda l, n: l.count(n)),
    "(λ (l) (fold (cdr l) l (λ (x acc) (cons x (cons (car acc) empty)))))":
        ("the 2nd and 3rd elements (of a list of 3 or more)", lambda l: l[1:3]),
    "(λ (n) (gt? n 0))": ("is n positive?", lambda n: n > 0),
    "(λ (l ys f) (fold l ys (λ (x acc) (cdr (f5 acc (f x acc))))))":
        ("start from acc = ys; for each x of l, last first, append f(x, acc) to acc, then drop "
         "the first element of acc (with ys = l and f(x, acc) = x, it reverses l)", slide),
    "(λ (l n) (f6 (f4 0 l) n))":
        ("count the elements whose value mod 2 is n", lambda l, n: sum(1 for x in l if x % 2 == n)),
    "(f2 0)": ("the constant 2", lambda: 2),
    "(f2 1)": ("the constant 3", lambda: 3),
}
SAMPLE_LISTS = [tuple(xs) for xs in fresh_inputs[:30]]
SAMPLE_ARGS = {"l": SAMPLE_LISTS, "ys": SAMPLE_LISTS, "n": list(range(-3, 5)), "m": list(range(5)),
               "p": [dsl.p_is_prime, lambda x: x % 2 == 0, lambda x: x > 2],
               # f takes x, or x and the accumulator: the last one also reads the accumulator
               "f": [lambda x, *acc: 1, lambda x, *acc: x, lambda x, *acc: x * x,
                     lambda x, *acc: x + sum(len(a) for a in acc)]}


def reading_holds(name: str, body: str, reference) -> bool:
    """Does the learned function agree with the Python version of its reading on sample arguments?"""
    if not body.startswith("(λ"):
        return full_library[name] == reference()
    params = read_sexp(body)[1]
    params = [params] if isinstance(params, str) else params
    if any(p not in SAMPLE_ARGS for p in params):
        return False
    for args in itertools.product(*(SAMPLE_ARGS[p] for p in params)):
        try:
            got = full_library[name](*args)
        except dsl.EvalError:
            got = None
        try:
            want = reference(*args)
        except ArithmeticError:  # e.g. modulo 0, where the learned function has no output
            want = None
        if got != want:
            return False
    return True


NO_READING = "—"
readings = {}
for text in full["library"]:
    name, body = split_definition(text)
    words, reference = GLOSSES.get(body, (NO_READING, None))
    readings[text] = words if reference is None or reading_holds(name, body, reference) else None
wrong_readings = [split_definition(text)[0] for text, words in readings.items() if words is None]
claim(not wrong_readings, "Every reading in the library table agrees with its Python version.",
      wrong=", ".join(wrong_readings))


def reading(text: str) -> str:
    return readings[text]


library_rows = []
for c in cycles:
    for text in c["new_functions"]:
        name, body = split_definition(text)
        library_rows.append([name, c["cycle"], body, reading(text)])
n_learned = len(full["library"])
n_higher_order = sum(1 for text in full["library"] if "(λ (" in split_definition(text)[1][3:])
n_built_on_learned = sum(1 for text in full["library"]
                         if any(f"f{i}" in split_definition(text)[1].replace("(", " ").replace(")", " ").split()
                                for i in range(1, n_learned + 1)))
n_constants = sum(1 for text in full["library"] if not split_definition(text)[1].startswith("(λ"))
glossed = {reading(text) for text in full["library"]}
n_read = sum(1 for text in full["library"] if reading(text) != NO_READING)
shows_layers = {"count the elements equal to n", "count the elements whose value mod 2 is n"} <= glossed
FILTER = "(λ (l p) (fold l empty (λ (x acc) (if (p x) (cons x acc) acc))))"
filter_name = next((split_definition(t)[0] for t in full["library"] if split_definition(t)[1] == FILTER), None)
first_is_filter = bool(library_rows) and library_rows[0][2] == FILTER


def calls(text: str) -> set:
    return set(text.replace("(", " ").replace(")", " ").split())


# the learned functions that reach the filter, directly or through other learned functions
reaches_filter = set()
for text in full["library"]:
    name, body = split_definition(text)
    if name == filter_name or calls(body) & reaches_filter:
        reaches_filter.add(name)
filter_direct = sorted(t for t, text in full["solutions"].items() if filter_name in calls(text))
filter_any = sorted(t for t, text in full["solutions"].items() if calls(text) & reaches_filter)
# training tasks solved in the first wake that the first sleep rewrote as filters
first_filtered = [f"`{t}`" for t in cycles[0]["solved_train"] if t in filter_direct]

TRACKED = CONFIG.tracked_tasks[0]  # keep-primes
before = cycles[0]["tracked_found"][TRACKED]
after = cycles[0]["tracked"][TRACKED]
SHOWCASE = ["keep-even", "keep-odd", "count-primes", "mult-4", "take-2", "reverse"]
showcase_rows = [[t, full['solutions'][t]] for t in SHOWCASE if t in full["solutions"]]

# %% [markdown]
# The full loop learns {{ n_learned }} functions. Their names are just numbers. The readings
# on the right are mine; each was checked against a short Python version of it on sample
# arguments ({{ count_of(n_read, n_learned, "function") }} {{ "has" if n_read == 1 else "have" }} one{% if n_read < n_learned %}; the others show "—"{% endif %}).
#
# {{ table(library_rows, headers=["name", "learned in cycle", "definition", "what it does"], formats={"definition": "code"}, key="library") }}
#
# {% if first_is_filter %}The first function learned is a filter, with the predicate as an
# argument. Among the first wake's solutions were {{ listing(first_filtered) }}, and nothing
# told the loop that these are one idea with a hole in it. {% endif %}{{ n_higher_order }} of the
# {{ n_learned }} functions contain a lambda, and {{ n_built_on_learned }} are defined in
# terms of earlier learned functions, so the library grows in layers{% if shows_layers %}:
# "count the n's" is a filter followed by `length`, and "count the elements whose value mod
# 2 is n" is that count run on the list taken modulo 2{% endif %}. Some of what it keeps is less grand: {{ n_constants }} of the
# functions are plain constants, numbers the language can only spell as sums of ones.
# Compression has no notion of elegance; anything that shortens the solutions enough gets
# in.
#
# Here is `{{ TRACKED }}` as the first wake found it, and after the first sleep rewrote it
# with the new library:
#
# ```lisp
# ; found in the first wake, in primitives
# {{ before }}
# ; after the first sleep
# {{ after }}
# ```
#
# {% if filter_name %}By the end, {{ filter_direct | length }} of the final solutions call the
# filter `{{ filter_name }}` directly, and {{ filter_any | length }} reach it directly or
# through a function built on it.{% endif %} Here are a few final
# solutions. Some are what a person would write; others take a detour through whatever the
# library happened to offer:
#
# {{ table(showcase_rows, headers=["task", "final solution (full loop)"], formats={0: "code", 1: "code"}, key="showcase") }}
#
# The rule that decides what enters the library is a description length. A candidate
# function is kept when it lowers
#
# $$ \sum_{\text{solutions } \rho} -\log_2 P(\rho \mid \text{grammar}) \;+\; c \cdot (\text{nodes in the learned functions}) $$
#
# where the grammar's weights are refit to the rewritten solutions for every candidate and
# \( c \) = {{ num(CONFIG.compression.library_bits_per_node, ".1f") }} bits per node is what a
# function costs to write down. A function must save more bits in the solutions than it
# costs in the library. The greedy loop that applies it:
#
# {{ code(compression.compress) }}

# %% tags=["hide-input"]
SETTINGS = {name: (run["config"]["learn_library"], run["config"]["use_guide"]) for name, run in runs.items()}


def overfits(run: dict, check: str) -> set:
    """Distinct (task, program) pairs of a run that fitted a task's examples but failed `check`."""
    return {(task, program) for c in run["cycles"] for task, program, failed in c["overfit"] if failed == check}


fresh_overfits = {name: overfits(run, "fresh") for name, run in runs.items()}
heldout_overfits = {name: overfits(run, "held-out") for name, run in runs.items()}
ablation_rows = [[CONDITION_LABELS[name], "yes" if SETTINGS[name][0] else "no", "yes" if SETTINGS[name][1] else "no",
                  last[name]["train_solved"], last[name]["test_solved"], best_test[name], last[name]["library_size"],
                  last[name]["mean_solution_size"], last[name]["candidates_per_solved"],
                  len(heldout_overfits[name]), len(fresh_overfits[name])]
                 for name, run in runs.items()]
ablation_headers = ["condition", "library learning", "guide", f"train solved (of {n_train})",
                    f"test solved (of {n_test})", "best test, any cycle", "library size", "mean solution size",
                    "candidates per solved task", "overfits: failed held-out", "overfits: failed fresh lists"]
ablation_formats = {"mean solution size": ".2f", "candidates per solved task": ",.0f"}
n_fresh_overfits = sum(len(v) for v in fresh_overfits.values())
fresh_overfit_tasks = sorted({task for v in fresh_overfits.values() for task, _ in v})
fresh_overfit_names = [f"`{task}`" for task in fresh_overfit_tasks]

# The same conditions over seeds: the seed sets each cycle's guide (its initial weights and its
# dreams); the tasks, the budget and the search are the same. A condition without a guide ran
# once and stands for every seed (its spread is zero).
seed_last = {name: [by_seed[seed][name]["cycles"][-1] for seed in SEEDS] for name in runs}
seed_test = {name: [c["test_solved"] for c in seed_last[name]] for name in runs}
seed_train = {name: [c["train_solved"] for c in seed_last[name]] for name in runs}
seed_cells = {name: [CONDITION_LABELS[name], *seed_test[name]] for name in runs}  # the prose adds seeds(...)
seed_mean = {name: float(np.mean(v)) for name, v in seed_test.items()}
seed_sd = {name: float(np.std(v, ddof=1)) for name, v in seed_test.items()}  # sample sd, as seeds() shows
seed_headers = ["condition", *[f"test solved, seed {seed}" for seed in SEEDS], "test solved, over seeds",
                f"train solved (of {n_train}), over seeds"]
seed_once = [name for name in runs if all(by_seed[seed][name]["reused"] for seed in SEEDS[1:])]
seed_once_labels = [CONDITION_LABELS[name] for name in seed_once]
unguided = [name for name in runs if not SETTINGS[name][1]]


def seed_effect(a: str, b: str) -> dict:
    """Mean test tasks of a minus b over seeds, and whether it stands out of the seed noise by
    the engine's rule (Welch's t-test at 5%, as the prose helper difference() words it);
    "noise" is the threshold the difference was compared with."""
    real, diff, noise, _ = stands_out([c["test_solved"] for c in seed_last[a]],
                                      [c["test_solved"] for c in seed_last[b]])
    return {"diff": diff, "noise": noise, "real": real, "word": "more" if diff > 0 else "fewer"}


guide_with_library = seed_effect("full", "no-guide")
guide_without_library = seed_effect("no-library", "plain")
library_with_guide = seed_effect("full", "no-library")
library_without_guide = seed_effect("no-guide", "plain")
library_matters_more = (library_with_guide["real"] and library_without_guide["real"]
                        and min(library_with_guide["diff"], library_without_guide["diff"])
                        > max(guide_with_library["diff"], guide_without_library["diff"]))

# The guide's training loss, per cycle: -log P(program) in bits, averaged over replays and dreams
LN2 = float(np.log(2))
loss_curves = {name: [[(step, loss / LN2) for step, loss in curve] for curve in runs[name]["guide_curves"]]
               for name in ("full", "no-library")}
full_loss = [(curve[0][1], curve[-1][1]) for curve in loss_curves["full"]]
loss_falls_every_cycle = all(end < start for start, end in full_loss)
start_trend = "lower" if full_loss[-1][0] < full_loss[0][0] else "higher"
end_trend = "lower" if full_loss[-1][1] < full_loss[0][1] else "higher"
nolib_loss = [(curve[0][1], curve[-1][1]) for curve in loss_curves["no-library"]]
fig_loss = style.figure(height=3.4)
loss_panels = fig_loss.subplots(1, 2, sharey=True)
cycle_colours = [style.PALETTE[i % len(style.PALETTE)] for i in range(n_cycles)]
for ax, name in zip(loss_panels, ("full", "no-library")):
    for i, curve in enumerate(loss_curves[name]):
        ax.plot([p[0] for p in curve], [p[1] for p in curve], marker="o", markersize=3,
                color=cycle_colours[i], label=f"cycle {i + 1}")
    ax.set_title(CONDITION_LABELS[name])
    ax.set_xlabel("guide training step")
loss_panels[0].set_ylabel("bits per program")
loss_panels[0].legend(frameon=False)


def mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(sum(values) / len(values)) if values else 0.0


guide_helps_less_with_library = guide_with_library["diff"] < guide_without_library["diff"]
bits_saved = {name: mean(c["guide_bits_saved"] for c in runs[name]["cycles"]) for name in ("full", "no-library")}
guide_helps_more_without_library = bits_saved["no-library"] > bits_saved["full"]
plain_repeats = all(c["solved_train"] == runs["plain"]["cycles"][0]["solved_train"] for c in runs["plain"]["cycles"])

# Which families each condition solves at the end (train solutions in hand + the last wake's test ones)
family_names = list(families)
solved_share = np.array([[sum(t.name in runs[name]["solutions"] for t in families[f]) / len(families[f])
                          for name in runs] for f in family_names])
fig_families = style.figure(height=7.4)
ax = fig_families.subplots()
ax.imshow(solved_share, cmap="Greens", vmin=0, vmax=1, aspect="auto")
for i, f in enumerate(family_names):
    for j, name in enumerate(runs):
        solved = sum(t.name in runs[name]["solutions"] for t in families[f])
        ax.text(j, i, f"{solved}/{len(families[f])}", ha="center", va="center", gid=style.ON_IMAGE,
                color="white" if solved_share[i, j] > 0.6 else "#1b1b1b")
ax.set_xticks(range(len(runs)), [CONDITION_LABELS[n].replace(" (", "\n(") for n in runs])
ax.set_yticks(range(len(family_names)), family_names)
ax.xaxis.tick_top()


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'; 'no family' when empty."""
    if not items:
        return "no family"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def family_solved(name: str, family: str) -> int:
    return sum(t.name in runs[name]["solutions"] for t in families[family])


def families_ahead(a: str, b: str) -> list[str]:
    """Families where run a ends with more tasks solved than run b."""
    return [f"`{f}`" for f in family_names if family_solved(a, f) > family_solved(b, f)]


guide_ahead_with_library = families_ahead("full", "no-guide")
guide_behind_with_library = families_ahead("no-guide", "full")
guide_ahead_without_library = families_ahead("no-library", "plain")
guide_behind_without_library = families_ahead("plain", "no-library")

# %% [markdown]
# ## What each part is worth
#
# Now the switches. Every condition gets the same {{ num(wake_budget, ",") }} candidates per
# wake, the same tasks and the same seed. The two overfit columns count distinct programs
# that fitted a task's {{ n_search }} search examples and were turned down, over the whole
# run: by a held-out example, or, having passed those, by one of the
# {{ num(n_fresh, ",") }} fresh lists.
#
# {{ table(ablation_rows, headers=ablation_headers, formats=ablation_formats, key="ablations") }}
#
# {% if n_fresh_overfits %}In these {{ runs | length }} runs (seed {{ CONFIG.seed }}), the fresh lists
# turned down {{ n_fresh_overfits }} programs, counted run by run
# ({% for name in runs %}{{ fresh_overfits[name] | length }} in {{ RUN_NAMES[name] }}{{ ", " if not loop.last else "" }}{% endfor %}),
# on {{ listing(fresh_overfit_names) }}: each of
# them fitted all {{ n_search + n_heldout }} examples, so without the fresh lists it would have
# counted as a solution.{% else %}No program that passed the held-out examples failed a
# fresh list in any of these {{ runs | length }} runs (seed {{ CONFIG.seed }}).{% endif %}
#
# With a guide, the loop that learns a library ends with {{ last["full"]["train_solved"] }}
# training and {{ last["full"]["test_solved"] }} test tasks solved, against
# {{ last["no-library"]["train_solved"] }} and {{ last["no-library"]["test_solved"] }} for the
# same loop without library learning. Without a guide it is
# {{ last["no-guide"]["train_solved"] }} and {{ last["no-guide"]["test_solved"] }}, against
# {{ last["plain"]["train_solved"] }} and {{ last["plain"]["test_solved"] }} for plain
# enumeration. {% if plain_repeats %}Plain enumeration has nothing to learn from, so each
# of its wakes repeats the first one exactly: the flat grey lines in the figure above.{% endif %}
#
# A difference of a task or two from one seed could be luck, so the runs were repeated with
# seeds {{ SEEDS[1:] | join(" and ") }}. The seed sets each cycle's guide, its starting
# weights and its dreams; the tasks, the budget and the search stay the same.
# {% if seed_once == unguided %}Without a guide nothing in the loop is random, so the runs
# without one ({{ listing(seed_once_labels) }}) were run once, and that run stands for every
# seed: the same number under each seed, with no spread.{% endif %} Test tasks solved in the
# last cycle:
#
# {% set seed_rows = [] %}{% for name in runs %}{% set _ = seed_rows.append(seed_cells[name] + [seeds(seed_test[name], ".1f", key="seeds[" ~ name ~ "][test]"), seeds(seed_train[name], ".1f", key="seeds[" ~ name ~ "][train]")]) %}{% endfor %}{{ table(seed_rows, headers=seed_headers, key="seeds") }}
#
# I count a difference between two conditions as an effect only when Welch's two-sample
# t-test at the 5% level says their means over the {{ SEEDS | length }} seeds differ (the rule
# Parts 4 and 5 use for their seeds too); otherwise it is within seed noise.
# {% if library_matters_more %}**The library is what carries the result.** {% endif %}With a
# guide, {% if library_with_guide["real"] %}library learning solves {{ num(library_with_guide["diff"] | abs, ".1f") }}
# {{ library_with_guide["word"] }} test tasks on average
# ({{ num(seed_mean["full"], ".1f") }} ± {{ num(seed_sd["full"], ".1f") }} against
# {{ num(seed_mean["no-library"], ".1f") }} ± {{ num(seed_sd["no-library"], ".1f") }}){% else %}library
# learning's effect ({{ num(seed_mean["full"], ".1f") }} ± {{ num(seed_sd["full"], ".1f") }} against
# {{ num(seed_mean["no-library"], ".1f") }} ± {{ num(seed_sd["no-library"], ".1f") }} test tasks, a
# difference of {{ num(library_with_guide["diff"] | abs, ".1f") }} where the test asks for more
# than {{ num(library_with_guide["noise"], ".1f") }}) is within seed noise{% endif %}; without a
# guide,
# {% if library_without_guide["real"] %}it solves {{ num(library_without_guide["diff"] | abs, ".1f") }}
# {{ library_without_guide["word"] }}
# ({{ num(seed_mean["no-guide"], ".1f") }} ± {{ num(seed_sd["no-guide"], ".1f") }} against
# {{ num(seed_mean["plain"], ".1f") }} ± {{ num(seed_sd["plain"], ".1f") }}){% else %}its effect
# ({{ num(seed_mean["no-guide"], ".1f") }} ± {{ num(seed_sd["no-guide"], ".1f") }} against
# {{ num(seed_mean["plain"], ".1f") }} ± {{ num(seed_sd["plain"], ".1f") }} test tasks, a
# difference of {{ num(library_without_guide["diff"] | abs, ".1f") }} where the test asks for more
# than {{ num(library_without_guide["noise"], ".1f") }}) is within seed noise{% endif %}.
# **{% if guide_with_library["real"] %}On top of a library, the guide solves
# {{ num(guide_with_library["diff"] | abs, ".1f") }} {{ guide_with_library["word"] }} test
# tasks on average{% else %}On top of a library, the guide's effect is within seed
# noise{% endif %}**: {{ seeds(seed_test["full"], ".1f") }} test tasks with it, against
# {{ seeds(seed_test["no-guide"], ".1f") }} without it{% if not guide_with_library["real"] %}, a difference of
# {{ num(guide_with_library["diff"] | abs, ".1f") }} where the test asks for more than
# {{ num(guide_with_library["noise"], ".1f") }}{% endif %}. Without a library,
# {% if guide_without_library["real"] %}the guide solves {{ num(guide_without_library["diff"] | abs, ".1f") }}
# {{ guide_without_library["word"] }} test tasks than plain enumeration
# ({{ num(seed_mean["no-library"], ".1f") }} ± {{ num(seed_sd["no-library"], ".1f") }} against
# {{ num(seed_mean["plain"], ".1f") }} ± {{ num(seed_sd["plain"], ".1f") }}){% else %}the guide's
# effect ({{ num(seed_mean["no-library"], ".1f") }} ± {{ num(seed_sd["no-library"], ".1f") }} against
# {{ num(seed_mean["plain"], ".1f") }} ± {{ num(seed_sd["plain"], ".1f") }} test tasks, a
# difference of {{ num(guide_without_library["diff"] | abs, ".1f") }} where the test asks for more
# than {{ num(guide_without_library["noise"], ".1f") }}) is within seed noise{% endif %}.
# {% if guide_helps_less_with_library and guide_without_library["real"] %}So the guide is
# worth less once there is a library. One way to see why: {% else %}A measure that does not
# depend on how many tasks a seed happens to solve: {% endif %}how much more
# probable the guide's grammar makes the solutions the wake found, compared with the
# library's own grammar. On average over the cycles that had a guide (seed
# {{ CONFIG.seed }}), it is {{ num(bits_saved["full"], ".1f") }} bits with a library and
# {{ num(bits_saved["no-library"], ".1f") }} bits without one{% if guide_helps_more_without_library %}.
# Each bit doubles a program's probability under the grammar, and roughly halves the number
# of programs the search tries before it. A likely reason: refitting the grammar to the
# solutions already does much of what a guide would do (it makes `is-prime` and the filter
# cheap because many solutions use them), so there is less left for the guide to add{% endif %}.
#
# What the guide learns in each sleep shows in its training loss: the bits it takes to
# describe a program under the grammar the guide predicts from the task's examples,
# averaged over the replays and over the dreams. Before training, the guide predicts the
# library's own grammar for every task, so the first point of each curve is what the
# library alone gives.
#
# {{ figure(fig_loss, "guide-loss", alt="Two panels of line charts, one line per wake-sleep cycle: the guide's training loss in bits per program against training step, for the full loop and for the loop without library learning", caption="The recognition model's training loss in each cycle's sleep (seed " ~ CONFIG.seed ~ "), in bits per program, averaged over replays of solved tasks and dreamed programs. A point every 50 steps and at the last step; a fresh guide is trained in every sleep.") }}
#
# In the full loop, training {% if loss_falls_every_cycle %}lowers the loss in every
# cycle{% else %}does not lower the loss in every cycle{% endif %}: from
# {{ num(full_loss[0][0], ".1f") }} to {{ num(full_loss[0][1], ".1f") }} bits per program in
# the first sleep, and from {{ num(full_loss[-1][0], ".1f") }} to
# {{ num(full_loss[-1][1], ".1f") }} in the last. The last sleep starts
# {{ start_trend }} than the first and ends {{ end_trend }}{% if start_trend == "lower" %}:
# the library itself has made the programs cheaper to describe{% endif %}. Without a
# library the first sleep goes from {{ num(nolib_loss[0][0], ".1f") }} to
# {{ num(nolib_loss[0][1], ".1f") }} and the last from {{ num(nolib_loss[-1][0], ".1f") }} to
# {{ num(nolib_loss[-1][1], ".1f") }}. These are losses on the guide's own training data, so
# they say what it can fit, not how much it speeds up a search. The guide here is small and
# reads hand-written features. DreamCoder's own ablations, and neural synthesizers such as
# Nye et al.'s ["Learning Compositional Rules via Neural Program
# Synthesis"](https://arxiv.org/abs/2003.05562) (2020), which reads examples with a learned
# encoder and proposes whole programs, are the place to look for what a neural guide adds at
# scale; this toy cannot speak to that.
#
# By family, at the end of each run (solved tasks out of the family's tasks):
#
# {{ figure(fig_families, "families-solved", alt="A grid of task families by condition, each cell showing how many of the family's tasks were solved", caption="Tasks solved per family at the end of each run: training solutions in hand plus the test tasks the last wake solved.") }}
#
# With a library, the guide's effect is {% if (guide_ahead_with_library | length) + (guide_behind_with_library | length) <= 3 %}local{% else %}spread out{% endif %}:
# the full loop ends ahead of the run without a guide in
# {{ listing(guide_ahead_with_library) }}, and behind it in
# {{ listing(guide_behind_with_library) }}. Without a library, the guide
# puts the loop ahead of plain enumeration in {{ guide_ahead_without_library | length }}
# families and behind it in {{ guide_behind_without_library | length }}{% if guide_behind_without_library %}
# ({{ listing(guide_behind_without_library) }}){% endif %}.

# %% tags=["hide-input"]
unsolved = {name: sorted(t.name for t in suite.tasks if t.name not in run["solutions"]) for name, run in runs.items()}
never_solved = sorted(set.intersection(*(set(v) for v in unsolved.values())), key=[t.name for t in suite.tasks].index)
full_unsolved = [t.name for t in suite.tasks if t.name in unsolved["full"]]
solved_elsewhere = {t: [RUN_NAMES[n] for n in runs if t not in unsolved[n]] for t in full_unsolved}


# How far the first wake got: plain enumeration's first wake is the search under the starting
# (uniform) grammar, and every one of its wakes repeats it
start_grammar = Grammar(Library())
plain_first = runs["plain"]["cycles"][0]
assert plain_repeats, "plain enumeration's wakes differ: its solutions are not the first wake's"
frontier = {"levels": plain_first["levels"], "resolution": start_grammar.resolution,
            "candidates": plain_first["candidates"],
            "bits": {name: start_grammar.bits(parse(runs["plain"]["solutions"][name]))
                     for name in plain_first["solved_train"] + plain_first["solved_test"]}}
post_cpu_seconds = sum(run["cpu_seconds"] for run in computed)
frontier_bits = frontier["levels"] / frontier["resolution"]
costliest_found = max(frontier["bits"].values())

# Correct programs for tasks no condition solved, written by hand in primitives only.
HAND_WRITTEN = {
    "remove-1": "(fold xs empty (λ (x acc) (if (eq? x 1) acc (cons x acc))))",
    "remove-2": "(fold xs empty (λ (x acc) (if (eq? x (+ 1 1)) acc (cons x acc))))",
    "kth-largest-2": ("(car (cdr (fold xs (cons (- 0 (* (+ 1 1) (+ 1 1))) (cons (- 0 (* (+ 1 1) (+ 1 1))) empty))"
                      " (λ (x acc) (if (gt? x (car acc)) (cons x (cons (car acc) empty))"
                      " (if (gt? x (car (cdr acc))) (cons (car acc) (cons x empty)) acc))))))"),
}
hand_bits = {task: start_grammar.bits(parse(text)) for task, text in HAND_WRITTEN.items()}
remove_one_just_past = frontier_bits < hand_bits["remove-1"] <= frontier_bits + 2


hand_written_ok = all(run_program(text, {}, xs) == expected(task, xs)
                      for task, text in HAND_WRITTEN.items() for xs in fresh_inputs)
remove_zero = full["solutions"].get("remove-0")
task_order = [t.name for t in suite.tasks]


def misses(task: str, text: str, library: dict, lists) -> list:
    """The lists on which a program (run by the interpreter above) disagrees with the task's reference."""
    return [xs for xs in lists if run_program(text, library, xs) != expected(task, xs)]


def failure_row(task: str, text: str, library: dict, lists) -> list:
    wrong_on = misses(task, text, library, lists)
    first = wrong_on[0] if wrong_on else None
    return [task, text, len(wrong_on), show_value(tuple(first)) if first else "",
            show_value(run_program(text, library, first)) if first else "",
            show_value(expected(task, first)) if first else ""]


# the full loop's programs that fitted all the examples and were turned down by a fresh list
full_overfits = sorted(fresh_overfits["full"], key=lambda pair: (task_order.index(pair[0]), pair[1]))
overfit_rows = [failure_row(task, text, full_library, fresh_inputs) for task, text in full_overfits]
overfit_fates = {task: full["solutions"].get(task) for task, _ in full_overfits}


def folds_from_constant(text: str) -> bool:
    """(fold xs CONSTANT ...): the accumulator starts from a constant, not from the list."""
    tree = read_sexp(text)
    return tree[:2] == ["fold", "xs"] and isinstance(tree[2], str)


all_fold_from_constant = bool(full_overfits) and all(folds_from_constant(text) for _, text in full_overfits)

# An audit the loop never saw: every final solution of every run computed (all seeds; a run
# without a guide ran once and stands for every seed), on other fresh lists
audit_inputs = task_module.fresh_lists(len(fresh_inputs), seed=task_module.FRESH_SEED + 1)
audit_wrong = []
n_audited = n_audited_runs = 0
for seed in SEEDS:
    for name, run in by_seed[seed].items():
        if run["reused"]:
            continue
        n_audited_runs += 1
        library = load_library(run["library"])
        label = f"{RUN_NAMES[name]}, seed {seed}" if SETTINGS[name][1] else RUN_NAMES[name]
        for task, text in run["solutions"].items():
            n_audited += 1
            if misses(task, text, library, audit_inputs):
                audit_wrong.append([label, *failure_row(task, text, library, audit_inputs)])
assert n_audited_runs == n_runs_all

# %% [markdown]
# ## What never got solved, and what only fitted the examples
#
# At the end, the full loop has no solution for {{ full_unsolved | length }} tasks:
# {% for t in full_unsolved %}`{{ t }}`{{ ", " if not loop.last else "" }}{% endfor %}.
# {% for t, where in solved_elsewhere.items() if where %}`{{ t }}` was solved by
# {{ where | join(" and ") }}. {% endfor %}No condition solved
# {% for t in never_solved %}`{{ t }}`{{ ", " if not loop.last else "" }}{% endfor %}.
#
# The search's budget explains the pattern. Enumeration goes from the most probable programs
# to the less probable, and a program's cost is its description length: the bits it takes
# to pick each of its parts under the grammar. With the starting grammar (every primitive
# equally likely), the first wake's {{ num(wake_budget, ",") }} candidates run out among
# programs of {{ num(frontier_bits, ".1f") }} bits; the costliest program it found is
# {{ num(costliest_found, ".1f") }} bits. Correct programs for {{ HAND_WRITTEN | length }} of the
# unsolved tasks, written by hand{% if hand_written_ok %} (and checked on the
# {{ num(n_fresh, ",") }} fresh lists){% endif %}:
#
# {% for task, text in HAND_WRITTEN.items() %}- `{{ task }}`, {{ num(hand_bits[task], ".1f") }} bits: `{{ text }}`
# {% endfor %}
# Every bit past the frontier roughly doubles the number of programs ahead in the queue.
# {% if remove_one_just_past %}`remove-1` sits just past it, and the run without library
# learning, whose guided searches reorder the queue, {% if "remove-1" not in unsolved["no-library"] %}does
# reach it{% else %}still misses it{% endif %}. {% endif %}The full loop's library does not
# help with this family: its `filter` keeps the
# elements for which a predicate holds, and the language has no `not`, so "x is not 1" has
# no short predicate. {% if remove_zero %}The one member of the family it did solve,
# `remove-0`, went through a trick that only works for zero: `{{ remove_zero }}`, keep
# x when x² is positive.{% endif %} `kth-largest-2` needs a sort, or a fold that carries
# the two largest values so far, and that costs far more bits than any budget here could
# buy. A library learned from these tasks will not contain a sort, because no other task
# needs one.
#
# Then the programs that only looked like solutions. Inside the loop, in the
# {{ runs | length }} runs of seed {{ CONFIG.seed }}, {{ n_fresh_overfits }} programs (counted run by run) fitted
# all {{ n_search + n_heldout }} of a task's examples and were turned down only by the
# {{ num(n_fresh, ",") }} fresh lists{% if full_overfits %}; {{ full_overfits | length }} of them
# in the full loop. Rerun with a separate small interpreter of the printed programs (not the
# lab's compiler), on the same fresh lists:
#
# {{ table(overfit_rows, headers=["task", "overfit program", "wrong on (of " ~ n_fresh ~ " fresh lists)", "first failing input", "gives", "should give"], formats={0: "code", 1: "code", 3: "code", 4: "code", 5: "code"}, key="overfits") }}
#
# {% if all_fold_from_constant %}Each of them starts its fold from a constant instead of
# from the list's first element. That is right whenever some element is at least as
# extreme as the constant, which every one of the task's examples happened to satisfy. {% endif %}
# {% for task, final_text in overfit_fates.items() %}{% if final_text %}For `{{ task }}`, the
# full loop went on to find `{{ final_text }}`, which passes every check. {% else %}`{{ task }}`
# is left unsolved by the full loop: observational equivalence drops any later program with
# the same outputs on the search examples, so only a different grammar, in a later cycle or a
# guided search, can put a correct program first, and none did. {% endif %}{% endfor %}{% else %}, none of
# them in the full loop.{% endif %}
#
# Passing {{ num(n_fresh, ",") }} fresh lists is still evidence, not proof. So every final
# solution of all {{ n_audited_runs }} runs the post computed (every seed) was also rerun, with the same separate interpreter, on
# {{ num(audit_inputs | length, ",") }} other random lists that the loop never used:
# {% if audit_wrong %}{{ n_audited - audit_wrong | length }} of the {{ n_audited }} agree with
# their task's definition on every list, and {{ audit_wrong | length }} do not:
#
# {{ table(audit_wrong, headers=["run", "task", "solution", "wrong on (of " ~ (audit_inputs | length) ~ " lists)", "first failing input", "gives", "should give"], formats={1: "code", 2: "code", 4: "code", 5: "code", 6: "code"}, key="audit") }}
# {% else %}all {{ n_audited }} agree with their task's definition on every one of them.{% endif %}

# %% tags=["hide-input"]
ROUTING = [
    ["4: mixture of experts", "each token", "to one or two of several expert MLPs", "k experts per token, and a capacity per expert"],
    ["5: adaptive computation", "each input", "through more or fewer passes of the same block", "a penalty per extra pass"],
    ["6: tool use", "each query", "to the model's own weights or to an external tool", "a price per tool call"],
    ["7: program synthesis", "search effort", "towards the programs a library and a guide make probable", "candidate programs per wake"],
]

growth = {
    "budget_per_wake": wake_budget,
    "train_total": n_train,
    "test_total": n_test,
    "conditions": {
        name: {
            "label": CONDITION_LABELS[name],
            "cycles": [{"cycle": c["cycle"], "train_solved": c["train_solved"], "test_solved": c["test_solved"],
                        "library_size": c["library_size"], "new_functions": c["new_functions"],
                        "mean_solution_size": round(c["mean_solution_size"], 3),
                        "candidates_per_solved": round(c["candidates_per_solved"], 1),
                        "solved_train": c["solved_train"], "solved_test": c["solved_test"]}
                       for c in run["cycles"]],
            "final_library": run["library"],
        } for name, run in runs.items()
    },
}

# %% [markdown]
# ## All routing is resource allocation
#
# Parts 4 to 7 have each taken a fixed budget and asked where to spend it:
#
# {{ table(ROUTING, headers=["part", "what is routed", "where it goes", "the budget"], key="routing") }}
#
# [Part 4](/blog/neural-nets-mixture-of-experts/) spent parameters: many experts, few of them
# awake for any one token. [Part 5](/blog/neural-nets-adaptive-computation/) spent depth,
# more passes where the input is hard. [Part 6](/blog/neural-nets-economics-of-tool-use/)
# spent calls, each with a price, on exact answers where a guess would cost more. This post spent
# search: a fixed number of candidate programs per wake, and two learned ways of pointing
# them. The library changes what is cheap to say; the guide changes what gets tried first.
# {% if library_matters_more %}Here the library mattered more than the guide. {% endif %}Each
# of the four posts holds a budget fixed and learns where to spend it; what changes from
# post to post is the thing being spent.
#
# The numbers behind the growth chart, every cycle of every condition with the functions
# learned and the tasks solved, are exported as [JSON]({{ data_file(growth, "library-growth") }})
# for an animated version.
#
# ## What this post left out
#
# - **Harder domains.** DreamCoder also learns to draw with a turtle, build towers and
#   rediscover physics formulas from data, with libraries many layers deep. Our list tasks
#   are the domain where a CPU and a minute are enough.
# - **Polymorphism and `unfold`.** Our fixed types make the search smaller and the code
#   simpler, and they rule out abstractions such as a `map` over lists of lists.
# - **A learned feature extractor.** A GRU over the examples would replace the hand-written
#   features. It would need much more training than a few seconds per sleep, and whether it
#   would make the guide worth more on these tasks is untested here.
# - **Time limits per task.** DreamCoder gives each task its own search with a timeout; ours
#   shares one search across all tasks and counts candidates, which is what makes it fast
#   and reproducible here.
#
# That is the end of the series. Every experiment in it runs on a laptop CPU, and every
# number on these pages was produced by the code that built them.

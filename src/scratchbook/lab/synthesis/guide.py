"""The recognition model: from a task's examples to the grammar its search should use.

DreamCoder's recognition model reads a task's input/output examples and
outputs the weights of the library's grammar for that task, so that the
search for "keep the primes" starts with is-prime and the learned filter
cheap. Ours is the same idea at toy scale:

- features: a fixed vector of hand-written, task-agnostic measurements of the
  examples (the output's type and length against the input's, whether the
  output is a subsequence, a permutation or the reverse of the input, what
  share of its elements are even / prime / square / positive compared with the
  input's, element-wise offsets and ratios...), averaged over the examples.
  DreamCoder learns its features with a GRU over the tokens; at our budget of
  seconds, hand-written ones train in a blink and are easy to inspect;
- a two-layer MLP from features to one logit per library name (primitives,
  learned functions, variables), added to the library's own log-weights: the
  guide learns how a task should DEPART from the library's grammar;
- the loss is the negative log-probability of a program under the grammar the
  logits define, with DreamCoder's per-type normalisation: at a node that
  must return type t in some context, the choice is a softmax over the names
  allowed there;
- training data: replays (the training tasks solved so far, with their
  solutions in library terms) and dreams ("fantasies": programs sampled from
  the current library's grammar and run on random inputs), half the weight
  each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from scratchbook.lab.synthesis.dsl import BASE_TYPES, BOOL, INT, LIST, p_is_prime, p_is_square
from scratchbook.lab.synthesis.grammar import TOP, VAR, Grammar, Library
from scratchbook.lab.synthesis.program import Call, Lam, Var, compile_function, output_type_of, run
from scratchbook.lab.synthesis.tasks import HIGH, LOW, MAX_LEN, MIN_LEN


@dataclass
class GuideConfig:
    hidden: int = 64
    steps: int = 300
    lr: float = 3e-3
    weight_decay: float = 1e-4
    fantasies: int = 400  # dreamed programs per sleep
    fantasy_inputs: int = 12  # random inputs each dream is run on (as many as a task's search examples)
    max_depth: int = 4  # of dreamed programs (deeper ones mostly err or run long)
    seed: int = 0


# -----------------------------------------------------------------------------
# features of a task's examples


def _share(values, test) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _is_subsequence(small, big) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def _clip(v: float, bound: float = 3.0) -> float:
    return max(-bound, min(bound, v))


PROPERTIES = (lambda v: v % 2 == 0, lambda v: v % 2 == 1, p_is_prime, p_is_square, lambda v: v > 0)


def example_features(xs: tuple, out) -> list[float]:
    tp = output_type_of(out)
    f = [float(tp == INT), float(tp == BOOL), float(tp == LIST), len(xs) / 10, _clip(sum(xs) / len(xs) / 10)]
    ints = [0.0] * 8
    if tp == INT:
        ints = [_clip(out / 10), float(out == len(xs)), float(out in xs), float(xs and out == xs[0]),
                float(xs and out == xs[-1]), float(out >= max(xs)), float(out <= min(xs)),
                float(0 <= out <= len(xs))]
    bools = [float(out)] if tp == BOOL else [0.0]
    lists = [0.0] * 18 + [0.0] * (2 * len(PROPERTIES))
    if tp == LIST:
        n, m = len(xs), len(out)
        same = n == m
        diffs = [o - x for o, x in zip(out, xs)] if same else []
        ratios = [o / x for o, x in zip(out, xs) if x != 0] if same else []
        lists = [m / 10, _clip((m - n) / 5), float(same), float(m < n), float(m > n), float(m == 0),
                 float(_is_subsequence(out, xs)), float(set(out) <= set(xs)), float(_is_subsequence(xs, out)),
                 float(list(out) == list(xs)[::-1]), float(sorted(out) == sorted(xs)),
                 float(list(out) == list(range(m))),
                 float(same and len(set(diffs)) == 1), _clip(sum(diffs) / len(diffs) / 5) if diffs else 0.0,
                 float(bool(ratios) and len(set(ratios)) == 1),
                 float(same and all(o <= x for o, x in zip(out, xs))),
                 float(bool(out) and bool(xs) and out[0] == xs[0]),
                 float(bool(out) and bool(xs) and out[-1] == xs[-1])]
        # which kinds of elements survive: the signature of a filter
        lists += [_share(out, p) for p in PROPERTIES]
        lists += [_share(out, p) - _share(xs, p) for p in PROPERTIES]
    return f + ints + bools + lists


N_FEATURES = len(example_features((1, 2), 3))


def task_features(examples) -> np.ndarray:
    """Mean of the per-example features: one fixed-length vector per task."""
    rows = np.array([example_features(xs, out) for xs, out in examples], dtype=np.float32)
    return rows.mean(axis=0)


# -----------------------------------------------------------------------------
# the model and its loss


class Guide(nn.Module):
    """Features -> logits = the library's log-weights + a learned, task-specific correction.

    The correction's last layer starts at zero, so an untrained guide IS the
    library's grammar, and weight decay pulls it back there: with a few dozen
    replays, a free-standing softmax learned sharp wrong grammars for tasks
    unlike its replays, and those made searches slower than no guide at all.
    """

    def __init__(self, base_log_weights: torch.Tensor, hidden: int = 64):
        super().__init__()
        n_names = base_log_weights.shape[0]
        self.register_buffer("base", base_log_weights.float())
        self.net = nn.Sequential(nn.Linear(N_FEATURES, hidden), nn.Tanh(), nn.Linear(hidden, n_names))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.base + self.net(features)


class ChoiceSlots:
    """The distinct (context, type) slots where a choice is made, and which names each allows."""

    def __init__(self, library: Library):
        self.names = library.names()
        self.index = {n: i for i, n in enumerate(self.names)}
        self.grammar = Grammar(library)
        self.keys: list = []
        self.masks: list = []

    def slot(self, params, top, tp) -> int:
        key = (params, top, tp)
        if key not in self.keys:
            mask = torch.zeros(len(self.names), dtype=torch.bool)
            for option, _, _ in self.grammar.table(params, top)[tp]:
                mask[self.index[VAR if isinstance(option, Var) else option.name]] = True
            self.keys.append(key)
            self.masks.append(mask)
        return self.keys.index(key)

    def counts(self, program) -> dict:
        """(slot, name index) -> how many times the program makes that choice."""
        out: dict = {}

        def walk(node, params, top):
            if isinstance(node, Lam):
                walk(node.body, node.params, False)
                return
            key = (self.slot(params, top, node.tp), self.index[VAR if isinstance(node, Var) else node.op])
            out[key] = out.get(key, 0) + 1
            if isinstance(node, Call):
                for a in node.args:
                    walk(a, params, top)

        walk(program, TOP, True)
        return out

    def tensor(self, programs) -> torch.Tensor:
        """(programs, slots, names) choice counts."""
        all_counts = [self.counts(p) for p in programs]
        c = torch.zeros(len(programs), len(self.keys), len(self.names))
        for i, counts in enumerate(all_counts):
            for (s, n), k in counts.items():
                c[i, s, n] = k
        return c


def program_nll(logits: torch.Tensor, counts: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """-log P(program) per row: logits (B, names), counts (B, slots, names), masks (slots, names)."""
    masked = logits[:, None, :].masked_fill(~masks[None], float("-inf"))  # (B, slots, names)
    log_z = torch.logsumexp(masked, dim=-1)  # (B, slots)
    chosen = (counts * logits[:, None, :]).sum(dim=(1, 2))
    return (counts.sum(dim=-1) * log_z).sum(dim=1) - chosen


# -----------------------------------------------------------------------------
# dreams


def random_inputs(rng: random.Random, n: int) -> list[tuple]:
    """Lists drawn like the suite's inputs."""
    return [tuple(rng.randint(LOW, HIGH) for _ in range(rng.randint(MIN_LEN, MAX_LEN))) for _ in range(n)]


def _reads_input(program) -> bool:
    """Whether xs occurs outside every lambda (bodies cannot see it)."""
    if isinstance(program, Var):
        return True
    return isinstance(program, Call) and any(_reads_input(a) for a in program.args)


def dream(library: Library, n: int, rng: random.Random, config: GuideConfig) -> list[tuple]:
    """(examples, program) for up to n sampled programs that run without error and are not constant."""
    grammar = Grammar(library)
    # a few input sets, reused: drawing fresh lists for every attempt cost more than the dreams
    input_sets = [random_inputs(rng, config.fantasy_inputs) for _ in range(16)]
    seen: set = set()
    out = []
    for _ in range(n * 10):
        if len(out) >= n:
            break
        tp = BASE_TYPES[rng.randrange(3)]
        program = grammar.sample(rng, tp, config.max_depth)
        if program is None or not _reads_input(program):
            continue  # too deep, or a constant: no examples could tell what it does
        inputs = input_sets[rng.randrange(len(input_sets))]
        fn = compile_function(program, 1, library.runtime, library.pynames)
        outputs = tuple(run(fn, xs) for xs in inputs)
        if None in outputs or len(set(outputs)) == 1 or outputs in seen:
            continue
        seen.add(outputs)
        out.append((tuple(zip(inputs, outputs)), program))
    return out


# -----------------------------------------------------------------------------
# training and prediction


@dataclass
class TrainedGuide:
    model: Guide
    names: list[str]
    losses: list[float]  # training loss every 50 steps, and at the last step
    n_replays: int
    n_fantasies: int
    steps: list[int] = field(default_factory=list)  # the step of each loss

    @property
    def curve(self) -> list[tuple[int, float]]:
        return list(zip(self.steps, self.losses))

    def log_weights(self, examples_per_task: list) -> np.ndarray:
        """(tasks, names) log-probabilities over names (a softmax; the grammar renormalises per type)."""
        x = torch.tensor(np.stack([task_features(e) for e in examples_per_task]))
        with torch.no_grad():
            return torch.log_softmax(self.model(x), dim=-1).numpy().astype(np.float64)


def train_guide(library: Library, replays: list[tuple], config: GuideConfig = GuideConfig()) -> TrainedGuide:
    """Fit a fresh guide to replays [(examples, program)] and fresh dreams from the library."""
    rng = random.Random(config.seed)
    fantasies = dream(library, config.fantasies, rng, config)
    slots = ChoiceSlots(library)
    parts = [part for part in (replays, fantasies) if part]
    features, counts = [], []
    for part in parts:
        features.append(torch.tensor(np.stack([task_features(e) for e, _ in part])))
        counts.append(slots.tensor([p for _, p in part]))
    # slots first seen in a later part: zero counts for the earlier parts
    counts = [torch.nn.functional.pad(c, (0, 0, 0, len(slots.keys) - c.shape[1])) for c in counts]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small only loses from a second thread
    try:
        torch.manual_seed(config.seed)
        base = torch.log(torch.tensor([library.weights[n] for n in slots.names], dtype=torch.float64))
        model = Guide(base - base.logsumexp(0), config.hidden)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        losses, logged = [], []
        masks = torch.stack(slots.masks) if parts else None
        for step in range(config.steps if parts else 0):
            # replays and dreams weigh the same however many of each there are
            loss = sum(program_nll(model(f), c, masks).mean() for f, c in zip(features, counts)) / len(parts)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 50 == 0 or step == config.steps - 1:
                losses.append(loss.item())
                logged.append(step)
    finally:
        torch.set_num_threads(threads)
    return TrainedGuide(model, slots.names, losses, len(replays), len(fantasies), logged)

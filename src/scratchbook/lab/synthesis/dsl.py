"""The typed list language every program in Part 7 is written in.

Types are three base types, ``int``, ``bool`` and ``list`` (a list of ints),
plus arrows for the functions that higher-order primitives take. The
primitives are DreamCoder's list set (EC2, Ellis et al. 2021) with two
changes:

- ``unfold`` is dropped: ``range`` and ``fold`` cover what our tasks need, and
  its three function arguments multiply the search for no task we pose;
- ``map``, ``fold`` and ``if`` are monomorphic instances instead of
  polymorphic ones: ``map`` maps int -> int, ``fold`` and ``if`` exist at
  ``int`` and at ``list``. A grammar weight still belongs to the name, so
  ``fold`` is one choice whichever type it builds.

That leaves 21 primitives: map fold range index length if + - * mod gt? eq?
empty cons car cdr empty? 0 1 is-prime is-square.

Evaluation is safe: every primitive bounds its result (ints within
+-MAX_INT, lists at most MAX_LEN long) and raises EvalError when a program
leaves those bounds or asks for the car of an empty list. A caller turns
EvalError into "no output".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INT, BOOL, LIST = "int", "bool", "list"
BASE_TYPES = (INT, BOOL, LIST)

MAX_INT = 10_000  # beyond any answer our tasks ask for; stops * chains from growing bigints
MAX_LEN = 20  # twice our longest input, so `stutter` (every element twice) still fits


@dataclass(frozen=True, slots=True)
class Arrow:
    """The type of a function argument: params -> ret, params and ret base types."""

    params: tuple[str, ...]
    ret: str

    def __str__(self) -> str:
        return "(" + " -> ".join((*self.params, self.ret)) + ")"


class EvalError(Exception):
    """A program left the safe region: error, out-of-bounds value or over-long list."""


# -----------------------------------------------------------------------------
# the semantics, one plain function per primitive; lists are tuples (hashable)


def _int(v: int) -> int:
    if -MAX_INT <= v <= MAX_INT:
        return v
    raise EvalError("int out of bounds")


def _list(v: tuple) -> tuple:
    if len(v) <= MAX_LEN:
        return v
    raise EvalError("list too long")


def p_add(a, b):
    return _int(a + b)


def p_sub(a, b):
    return _int(a - b)


def p_mul(a, b):
    return _int(a * b)


def p_mod(a, b):
    if b == 0:
        raise EvalError("mod by zero")
    return a % b  # Python's floor modulo: the sign follows b, the same on every version


def p_gt(a, b):
    return a > b


def p_eq(a, b):
    return a == b


def p_cons(x, xs):
    return _list((x,) + xs)


def p_car(xs):
    if xs:
        return xs[0]
    raise EvalError("car of empty list")


def p_cdr(xs):
    if xs:
        return xs[1:]
    raise EvalError("cdr of empty list")


def p_is_empty(xs):
    return len(xs) == 0


def p_length(xs):
    return len(xs)


def p_index(i, xs):
    if 0 <= i < len(xs):  # no negative indexing: index -1 is an error, as in DreamCoder
        return xs[i]
    raise EvalError("index out of range")


def p_range(n):
    if n > MAX_LEN:
        raise EvalError("range too long")
    return tuple(range(n))  # [0 .. n-1]; empty for n <= 0


def p_map(f, xs):
    return tuple(f(x) for x in xs)


def p_fold(xs, init, f):
    """Right fold: fold [a b c] z f = f a (f b (f c z)), so cons rebuilds the list in order."""
    acc = init
    for x in reversed(xs):
        acc = f(x, acc)
    return acc


def p_if(c, a, b):
    # only used where both branches are already values (vectorised search);
    # compiled programs inline a lazy `a if c else b` instead
    return a if c else b


def p_is_prime(n):
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def p_is_square(n):
    return n >= 0 and math.isqrt(n) ** 2 == n


@dataclass(frozen=True)
class Primitive:
    """A name, its monomorphic signatures, its Python function and whether args commute."""

    name: str
    signatures: tuple[tuple[tuple, str], ...]  # ((arg types...), return type) per instance
    fn: object
    pyname: str  # the Python identifier compiled programs call it by
    commutative: bool = False


def _sig(*args_then_ret):
    *args, ret = args_then_ret
    return (tuple(args), ret)


PRIMITIVES: tuple[Primitive, ...] = (
    Primitive("map", (_sig(Arrow((INT,), INT), LIST, LIST),), p_map, "p_map"),
    Primitive("fold", (_sig(LIST, INT, Arrow((INT, INT), INT), INT),
                       _sig(LIST, LIST, Arrow((INT, LIST), LIST), LIST)), p_fold, "p_fold"),
    Primitive("range", (_sig(INT, LIST),), p_range, "p_range"),
    Primitive("index", (_sig(INT, LIST, INT),), p_index, "p_index"),
    Primitive("length", (_sig(LIST, INT),), p_length, "p_length"),
    Primitive("if", (_sig(BOOL, INT, INT, INT), _sig(BOOL, LIST, LIST, LIST)), p_if, "p_if"),
    Primitive("+", (_sig(INT, INT, INT),), p_add, "p_add", commutative=True),
    Primitive("-", (_sig(INT, INT, INT),), p_sub, "p_sub"),
    Primitive("*", (_sig(INT, INT, INT),), p_mul, "p_mul", commutative=True),
    Primitive("mod", (_sig(INT, INT, INT),), p_mod, "p_mod"),
    Primitive("gt?", (_sig(INT, INT, BOOL),), p_gt, "p_gt"),
    Primitive("eq?", (_sig(INT, INT, BOOL),), p_eq, "p_eq", commutative=True),
    Primitive("empty", (_sig(LIST),), (), "EMPTY"),
    Primitive("cons", (_sig(INT, LIST, LIST),), p_cons, "p_cons"),
    Primitive("car", (_sig(LIST, INT),), p_car, "p_car"),
    Primitive("cdr", (_sig(LIST, LIST),), p_cdr, "p_cdr"),
    Primitive("empty?", (_sig(LIST, BOOL),), p_is_empty, "p_is_empty"),
    Primitive("0", (_sig(INT),), 0, "0"),
    Primitive("1", (_sig(INT),), 1, "1"),
    Primitive("is-prime", (_sig(INT, BOOL),), p_is_prime, "p_is_prime"),
    Primitive("is-square", (_sig(INT, BOOL),), p_is_square, "p_is_square"),
)

PRIMITIVE_NAMES = tuple(p.name for p in PRIMITIVES)
PRIMITIVES_BY_NAME = {p.name: p for p in PRIMITIVES}

# what compiled programs see: every primitive under its Python name
RUNTIME = {p.pyname: p.fn for p in PRIMITIVES if p.pyname.startswith("p_")}
RUNTIME["EMPTY"] = ()

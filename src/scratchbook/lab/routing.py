"""Where did the tokens go? Summaries of a mixture-of-experts router's decisions.

Everything here is a pure function of plain arrays (numpy arrays, lists, or CPU
tensors): expert ids per token, router probabilities, domain and character-class
labels. Nothing knows about models or training, so the same functions describe
a router at initialisation, after training, or a hand-made example in a test.

Entropies are in nats (natural log) unless normalised.
"""

from __future__ import annotations

import numpy as np

CHAR_CLASSES = ("letter", "digit", "operator", "other")
OPERATORS = set("+-*/%=<>!")  # '!' only ever appears in '!='


def _ints(a) -> np.ndarray:
    return np.asarray(a, dtype=np.int64).reshape(-1)


# -----------------------------------------------------------------------------
# load: how evenly the tokens spread over the experts


def expert_fractions(experts, n_expert: int) -> np.ndarray:
    """(n_expert,) share of the tokens sent to each expert."""
    counts = np.bincount(_ints(experts), minlength=n_expert).astype(np.float64)
    return counts / max(1.0, counts.sum())


def load_balance_ratio(fractions) -> float:
    """Busiest expert's share over the mean share: 1 = perfectly even, n_expert = one expert takes all."""
    f = np.asarray(fractions, dtype=np.float64)
    return float(f.max() / f.mean())


def coefficient_of_variation(fractions) -> float:
    """Standard deviation of the expert shares over their mean (0 = perfectly even)."""
    f = np.asarray(fractions, dtype=np.float64)
    return float(f.std() / f.mean())


def entropy(p, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats along axis; 0 log 0 counts as 0."""
    p = np.asarray(p, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -(p * logp).sum(axis=axis)


def routing_entropy(probs, normalize: bool = False) -> float:
    """Mean per-token entropy of the router's distribution, probs (..., n_expert).

    Near 0: the router is sure of each choice; log(n_expert) (1 when
    normalized): it cannot tell the experts apart.
    """
    p = np.asarray(probs, dtype=np.float64)
    h = float(entropy(p).mean())
    return h / np.log(p.shape[-1]) if normalize else h


def usage_entropy(fractions, normalize: bool = False) -> float:
    """Entropy of the expert shares: how many experts are in use, as log of an effective count."""
    f = np.asarray(fractions, dtype=np.float64)
    h = float(entropy(f))
    return h / np.log(len(f)) if normalize else h


# -----------------------------------------------------------------------------
# specialisation: does the expert tell you the domain?


def count_matrix(rows, cols, n_rows: int, n_cols: int) -> np.ndarray:
    """(n_rows, n_cols) int counts of the pairs (rows[i], cols[i])."""
    r, c = _ints(rows), _ints(cols)
    return np.bincount(r * n_cols + c, minlength=n_rows * n_cols).reshape(n_rows, n_cols)


def expert_domain_counts(experts, domains, n_expert: int, n_domain: int) -> np.ndarray:
    """(n_expert, n_domain): how many tokens of each domain each expert received."""
    return count_matrix(experts, domains, n_expert, n_domain)


def mutual_information(counts) -> float:
    """Mutual information (nats) between the row and the column label of a count table."""
    joint = np.asarray(counts, dtype=np.float64)
    joint = joint / joint.sum()
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float((joint[nz] * np.log(joint[nz] / outer[nz])).sum())


def conditional_mutual_information(counts) -> float:
    """I(row; col | stratum) in nats from counts (strata, rows, cols): each stratum's mutual
    information weighted by its share of the events; 0 for an empty table. A (rows, cols)
    table is one stratum, and this is its mutual information."""
    c = np.asarray(counts, dtype=np.float64)
    c = c.reshape((1,) * (3 - c.ndim) + c.shape)
    total = c.sum()
    if total == 0:
        return 0.0
    return float(sum(s.sum() / total * mutual_information(s) for s in c if s.sum() > 0))


def normalized_mutual_information(counts) -> float:
    """I(row; col) / mean(H(row), H(col)) for a count table, in [0, 1].

    1: each label determines the other (e.g. every domain has its own experts
    and every expert serves one domain); 0: independent. The arithmetic mean in
    the denominator is scikit-learn's default. If both labels are constant there
    is nothing to share and the result is 0.
    """
    joint = np.asarray(counts, dtype=np.float64)
    joint = joint / joint.sum()
    h = 0.5 * (entropy(joint.sum(axis=1)) + entropy(joint.sum(axis=0)))
    if h <= 0:
        return 0.0
    return float(min(1.0, max(0.0, mutual_information(counts) / h)))


# -----------------------------------------------------------------------------
# characters: is it the domain or the character that decides?


def char_class(ch: str) -> int:
    """Index into CHAR_CLASSES. The start/end token '.' and spaces count as 'other'."""
    if ch.isalpha():
        return 0
    if ch.isdigit():
        return 1
    if ch in OPERATORS:
        return 2
    return 3


def char_class_ids(token_ids, itos) -> np.ndarray:
    """Character class of every token id, same shape. itos: id -> character (dict or list)."""
    ids = np.asarray(token_ids, dtype=np.int64)
    n = max(itos) + 1 if isinstance(itos, dict) else len(itos)
    table = np.array([char_class(itos[i]) for i in range(n)], dtype=np.int64)
    return table[ids]


def expert_by_char_class(experts, classes, domains, n_expert: int, n_domain: int) -> np.ndarray:
    """(n_domain, n_class, n_expert) counts: which experts take letters, digits, ... in each domain."""
    e, c, d = _ints(experts), _ints(classes), _ints(domains)
    n_class = len(CHAR_CLASSES)
    flat = (d * n_class + c) * n_expert + e
    return np.bincount(flat, minlength=n_domain * n_class * n_expert).reshape(n_domain, n_class, n_expert)


def row_normalize(counts) -> np.ndarray:
    """Each row (last axis) divided by its sum; all-zero rows stay zero."""
    c = np.asarray(counts, dtype=np.float64)
    s = c.sum(axis=-1, keepdims=True)
    return np.divide(c, s, out=np.zeros_like(c), where=s > 0)


# -----------------------------------------------------------------------------
# stability: do tokens keep their expert as training goes on?


def expert_change_share(experts_a, experts_b) -> float:
    """Share of tokens routed to a different expert at checkpoint b than at checkpoint a.

    Both arrays must describe the same tokens in the same order (e.g. the
    validation set at two checkpoints of one run, where expert i is the same
    module throughout).
    """
    a, b = _ints(experts_a), _ints(experts_b)
    assert a.shape == b.shape, "the two checkpoints must route the same tokens"
    return float((a != b).mean())

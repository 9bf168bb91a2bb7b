"""Words around numbers, so generated sentences read as a person would write them.

Pure functions over plain numbers (the prose helpers in :mod:`.show` record the numbers in
the ledger, then call these): ``1 task`` / ``3 tasks``, ``all 26 letters`` / ``none of the
26 letters``, ``under 0.1%`` rather than ``0.0%``, ``2.350 ± 0.012 (5 seeds)``, and a
difference between two sets of repeated measurements worded as one only when it stands out
of their noise.
"""

from __future__ import annotations

import math
import statistics

# Two-sided 5% critical values of Student's t for 1..30 degrees of freedom (any statistics
# table, e.g. NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.2).
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def noun(count, word: str, plural: str | None = None) -> str:
    """``word`` for a count of exactly one, else its plural (``word + "s"`` unless given)."""
    return word if count == 1 else (plural or word + "s")


def count_phrase(count: int, total: int, shown_count: str, shown_total: str, word: str,
                 plural: str | None = None) -> str:
    """``all 26 letters``, ``none of the 26 letters``, ``3 of the 26 letters``; ``both``
    for all of two, and ``the only letter`` for all of one."""
    if not 0 <= count <= total:
        raise ValueError(f"{count} of {total}: the count must be between 0 and the total")
    many = noun(total, word, plural)
    if count == total:
        if total == 1:
            return f"the only {word}"
        return f"both {many}" if total == 2 else f"all {shown_total} {many}"
    if count == 0:
        return f"none of the {shown_total} {many}"
    return f"{shown_count} of the {shown_total} {many}"


def format_share(value: float, digits: int = 1) -> str:
    """A fraction as a percentage that never rounds to a false extreme: a share above 0 that
    would read ``0.0%`` reads ``under 0.1%``, one below 1 that would read ``100.0%`` reads
    ``over 99.9%``; exactly 0 and 1 read ``0%`` and ``100%``."""
    step = 10.0 ** -digits                      # the smallest step shown, in percent
    percent = value * 100
    if value == 0 or value == 1:
        return f"{percent:.0f}%"
    if 0 < percent < step / 2:
        return f"under {step:.{digits}f}%"
    if 100 - step / 2 <= percent < 100:
        return f"over {100 - step:.{digits}f}%"
    return f"{percent:.{digits}f}%"


def mean_sd(values) -> tuple[float, float, int]:
    """Mean, sample standard deviation (n - 1; 0 for one value) and count."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("no values: pass one value per seed")
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), sd, len(values)


def t_critical(dof: float) -> float:
    """Student's t two-sided 5% critical value, for the degrees of freedom rounded down
    (conservative); 2.042 (30 dof) beyond the table."""
    whole = int(math.floor(dof + 1e-9))   # 3.9999999999 from rounding is 4
    return T_975[min(max(whole, 1), len(T_975)) - 1]


def stands_out(a, b) -> tuple[bool, float, float, float]:
    """Whether the means of two sets of repeated measurements differ beyond their noise.

    The rule is Welch's two-sample t-test at the two-sided 5% level (B. L. Welch, "The
    generalization of 'Student's' problem when several different population variances are
    involved", Biometrika 34, 1947): the difference of the means counts when
    ``|mean_a - mean_b| > t * sqrt(sd_a^2 / n_a + sd_b^2 / n_b)``, with ``t`` Student's
    critical value for the Welch-Satterthwaite degrees of freedom (rounded down). Unlike
    "larger than the larger sd", it accounts for how many seeds each side has. Each side
    needs at least two values (one gives no spread to compare with).

    Returns (stands out, difference a - b, the threshold it was compared with, t).
    """
    mean_a, sd_a, n_a = mean_sd(a)
    mean_b, sd_b, n_b = mean_sd(b)
    if n_a < 2 or n_b < 2:
        raise ValueError(f"{n_a} and {n_b} values: each side needs at least 2 (seeds) to "
                         "measure its noise")
    va, vb = sd_a ** 2 / n_a, sd_b ** 2 / n_b
    se = math.sqrt(va + vb)
    if se == 0:
        dof = float(n_a + n_b - 2)
    else:
        dof = (va + vb) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1))
    t = t_critical(dof)
    difference = mean_a - mean_b
    return abs(difference) > t * se, difference, t * se, t

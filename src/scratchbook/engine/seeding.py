"""Seeds and threads: the same build twice gives the same numbers."""

from __future__ import annotations

import random
import sys
from contextlib import contextmanager

DEFAULT_THREADS = 1


def _torch():
    """torch if something has imported it, else None.

    The engine does not import torch itself (it costs a second or two); torch's default
    generator starts from a fixed seed on import, and the build seeds it as soon as a
    cell has imported it.
    """
    return sys.modules.get("torch")


def fix_threads(threads: int = DEFAULT_THREADS) -> None:
    # Float sums are order-dependent; a fixed thread count fixes the order on CPU. One
    # thread by default: tiny models gain little from a second one, a busy machine makes
    # the second one spin, and `--jobs 2` then builds two posts side by side.
    torch = _torch()
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def seed_everything(seed: int) -> None:
    import numpy as np   # here, not at the top: the command's own process never loads numpy

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = _torch()
    if torch is not None:
        torch.manual_seed(seed)


@contextmanager
def isolated_rng(seed: int):
    """Run with fresh seeds and restore the global generators afterwards.

    A cached experiment then leaves the post's random state exactly as a computed one
    would, so a warm build and a cold build run the rest of the post identically.
    """
    import numpy as np

    torch = _torch()
    saved = (random.getstate(), np.random.get_state(),
             torch.get_rng_state() if torch is not None else None)
    seed_everything(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        if torch is not None:
            torch.set_rng_state(saved[2])

"""Seeds and threads: the same build twice gives the same numbers."""

from __future__ import annotations

import random
import sys
from contextlib import contextmanager

DEFAULT_THREADS = 1


def _torch():
    """torch if something has imported it, else None.

    The engine does not import torch itself (it costs a second or two). torch's default
    generator starts from a random seed on import, so a build seeds it the moment a cell
    imports it (:func:`seeded_on_import`), before the cell can draw from it.
    """
    return sys.modules.get("torch")


class _SeedOnImport:
    """A meta path finder (PEP 451) that finds torch the usual way and seeds it, and fixes
    its threads, right after the module runs: in the cell that imports it, before anything
    there draws from it."""

    def __init__(self, seed: int, threads: int):
        self.seed, self.threads = seed, threads

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch":
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.manual_seed(self.seed)
            if module.get_num_threads() != self.threads:
                module.set_num_threads(self.threads)

        spec.loader.exec_module = exec_module
        return spec


@contextmanager
def seeded_on_import(seed: int, threads: int = DEFAULT_THREADS):
    """While the block runs, a first import of torch seeds it (see :class:`_SeedOnImport`)."""
    finder = None
    if "torch" not in sys.modules:
        finder = _SeedOnImport(seed, threads)
        sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder is not None and finder in sys.meta_path:
            sys.meta_path.remove(finder)


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

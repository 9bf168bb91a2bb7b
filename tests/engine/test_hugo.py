"""A real Hugo 0.168 build of generated markdown, with the mounts the README documents."""

import subprocess

import pytest

from conftest import hugo_binary

SITE_CONFIG = '''
baseURL = "http://example.org/"
title = "test"
disableKinds = ["taxonomy", "term", "rss", "sitemap"]

[[module.mounts]]
source = "hugo_content"
target = "content"
[[module.mounts]]
source = "figures"
target = "static/figures"

[markup.goldmark.extensions.passthrough]
enable = true
[markup.goldmark.extensions.passthrough.delimiters]
block = [["$$", "$$"]]
inline = [["\\\\(", "\\\\)"]]
'''

SINGLE = ('<html><body><h1>{{ .Title }}</h1><p id="skin">{{ .Params.skin }}</p>'
          '<p id="series">{{ .Params.series }}</p><p id="weight">{{ .Weight }}</p>'
          '<p id="description">{{ .Description }}</p>{{ .Content }}</body></html>')
LIST = "<html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>"

POST = r'''
# ---
# title: "Hugo fixture"
# description: "Rendered by Hugo"
# weight: 42
# series: "Neural Nets from Scratch"
# ---

# %% [markdown]
# Inline math \( \sum_i p_i = 1 \) and a loss of {{ num(loss, ".3f") }}.
#
# $$
# \mathcal{L} = -\frac{1}{N} \sum_{n} \log p(x_n)
# $$
#
# {{ figure(fig, "curve", alt="a falling curve", caption="loss " ~ num(loss, ".2f")) }}
#
# {{ diff(Base, Variant) }}

# %% tags=["hide-input"]
import matplotlib.pyplot as plt

class Base:
    def forward(self, x):
        y = x + 1
        return y

class Variant:
    def forward(self, x):
        y = x + 2
        return y

loss = 2.0417
fig, ax = plt.subplots()
ax.plot([3, 2, 1])
'''


@pytest.mark.skipif(hugo_binary() is None, reason="the 'hugo' package is not installed")
def test_hugo_renders_front_matter_figures_diff_and_math(project):
    project.post("01_hugo", POST)
    project.run("build", check=True)
    project.write("hugo.toml", SITE_CONFIG)
    project.write("layouts/single.html", SINGLE)
    project.write("layouts/list.html", LIST)
    project.write("layouts/home.html", LIST)
    result = subprocess.run([str(hugo_binary()), "--panicOnWarning", "--buildDrafts",
                             "--destination", "public"], cwd=project.root, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    html = project.read("public/blog/hugo/index.html")
    assert "<h1>Hugo fixture</h1>" in html
    assert '<p id="skin">chalkboard</p>' in html and '<p id="weight">42</p>' in html
    assert '<p id="series">Neural Nets from Scratch</p>' in html
    assert '<p id="description">Rendered by Hugo</p>' in html
    # The figure resolves to a file Hugo published.
    assert '<img src="/figures/hugo/curve.svg"' in html and 'alt="a falling curve"' in html
    assert "<figcaption>" in html and "loss 2.04" in html
    assert (project.root / "public/figures/hugo/curve.svg").is_file()
    # The diff is a highlighted diff block, with only the changed hunk.
    assert 'data-lang="diff"' in html and "+        y = x + 2" in html
    assert "<span style=" in html.split('data-lang="diff"')[1][:400]
    # Math passes through untouched for the page's math renderer.
    assert r"\( \sum_i p_i = 1 \)" in html
    assert r"\mathcal{L} = -\frac{1}{N} \sum_{n} \log p(x_n)" in html

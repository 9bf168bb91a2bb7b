"""Real Hugo 0.168 builds (``--panicOnWarning``) of generated markdown, with the site
configuration the README documents. One fixture post is built once and rendered under two
baseURLs; each test reads one behaviour off the HTML."""

from __future__ import annotations

import html as htmllib
import re
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from conftest import FixtureProject, hugo_binary

pytestmark = pytest.mark.skipif(hugo_binary() is None, reason="the 'hugo' package is not installed")

# The README's configuration (module mounts, math passthrough, raw HTML kept).
SITE_CONFIG = '''
baseURL = "{base}"
title = "test"
disableKinds = ["taxonomy", "term", "rss", "sitemap"]

[[module.mounts]]
source = "hugo_content"
target = "content"
[[module.mounts]]
source = "figures"
target = "static/figures"

[markup.goldmark.renderer]
unsafe = true
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
NOTE = '<aside class="note">{{ .Inner }}</aside>'

POST = r'''
# ---
# title: "Hugo fixture"
# description: "Rendered by Hugo"
# weight: 42
# series: "Neural Nets from Scratch"
# aliases: ["/blog/old-hugo-name/"]
# ---

# %% [markdown]
# Inline math \( \sum_i p_i = 1 \) and a loss of {{ num(loss, ".3f") }}.
#
# $$
# \mathcal{L} = -\frac{1}{N} \sum_{n} \log p(x_n)
# $$
#
# {{ figure(fig, "curve", alt="a falling curve " ~ odd, caption="loss " ~ num(loss, ".2f") ~ " " ~ odd) }}
#
# {{ diff(Base, Variant) }}
#
# {{ code(template_user) }}
#
# {{ table(rows, headers=["task", "answer"]) }}
#
# {{ table(examples, headers=["example"], formats={"example": "code"}) }}
#
# Shortcodes on purpose: {{< note >}}a note from prose{{< /note >}} and {{% note %}}*marked*{{% /note %}}.
#
# {{< youtube abc123 >}}
#
# Raw HTML: E = mc<sup>2</sup>.
#
# <details><summary>More</summary>Hidden detail.</details>
#
# ## Results {{ '{#' }}results}
#
# The [points]({{ data_file(points, "points") }}) are data.
#
# Wins counted: agree
# {{ n_wins }}. The sentence goes on after a value that opens a line.
#
# {{ n_wins }}) A paragraph that opens with a value.

# %% [raw]
# Raw cell: {{ n }} stays as written.

# %%
import matplotlib.pyplot as plt

class Base:
    def forward(self, x):
        y = x + 1
        return y

class Variant:
    def forward(self, x):
        y = x + 2
        return y

def template_user():
    return "{{%s|token}}"

odd = "{{< b >}}"
loss = 2.0417
n_wins = 1
rows = [["`add-4`*", "88|18|45|81="], ["a_b_c", '"quoted" -- and ...'], ["{{% x %}}", "<b>bold</b>"],
        ["carry (columns)", "[c](d) and \\(x\\)"], ["- dash", "1. numbered"]]
examples = [["88|18|45|81= `x` {{< b >}} \"q\" -- ..."]]
points = [1, 2, 3]
fig, ax = plt.subplots()
ax.plot([3, 2, 1])
print("output with {{< b >}} and {{%s|token}}")
'''


def _hugo(root: Path, base: str, destination: str) -> subprocess.CompletedProcess:
    (root / "hugo.toml").write_text(SITE_CONFIG.format(base=base), encoding="utf-8")
    return subprocess.run([str(hugo_binary()), "--panicOnWarning", "--buildDrafts",
                           "--destination", destination], cwd=root, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> FixtureProject:
    project = FixtureProject(tmp_path_factory.mktemp("hugo") / "site")
    project.post("01_hugo", POST)
    project.run("build", check=True)
    project.write("layouts/single.html", SINGLE)
    project.write("layouts/list.html", LIST)
    project.write("layouts/home.html", LIST)
    project.write("layouts/_shortcodes/note.html", NOTE)
    for base, destination in (("http://example.org/", "public"),
                              ("https://example.org/sub/path/", "public-sub")):
        result = _hugo(project.root, base, destination)
        assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.fixture(scope="module")
def page(site) -> str:
    return site.read("public/blog/hugo/index.html")


def text_of(html: str) -> str:
    """What a reader sees: tags dropped, entities decoded."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


def test_front_matter_reaches_the_page(page):
    assert "<h1>Hugo fixture</h1>" in page
    assert '<p id="skin">chalkboard</p>' in page and '<p id="weight">42</p>' in page
    assert '<p id="series">Neural Nets from Scratch</p>' in page
    assert '<p id="description">Rendered by Hugo</p>' in page


def test_aliases_keep_an_old_url_working(site):
    redirect = site.read("public/blog/old-hugo-name/index.html")
    assert "http://example.org/blog/hugo/" in redirect


def test_the_diff_is_a_highlighted_block_of_the_changed_hunk(page):
    assert 'data-lang="diff"' in page
    assert "<span style=" in page.split('data-lang="diff"')[1][:400]
    assert "+        y = x + 2" in text_of(page)


def test_code_holding_shortcode_text_is_shown_literally(page):
    assert 'return "{{%s|token}}"' in text_of(page)


def test_output_holding_shortcode_text_is_shown_literally(page):
    assert "output with {{< b >}} and {{%s|token}}" in text_of(page)


def test_figure_alt_and_caption_values_are_literal(page):
    assert 'alt="a falling curve {{&lt; b &gt;}}"' in page
    caption = re.search(r"<figcaption>(.*?)</figcaption>", page, re.S).group(1)
    assert "loss 2.04 {{< b >}}" in text_of(caption)


@pytest.mark.parametrize("cell", ["`add-4`*", "88|18|45|81=", "a_b_c", '"quoted" -- and ...',
                                  "{{% x %}}", "<b>bold</b>", "carry (columns)",
                                  "[c](d) and \\(x\\)", "- dash", "1. numbered"])
def test_a_table_cell_shows_exactly_its_text(page, cell):
    cells = [text_of(c) for c in re.findall(r"<td>(.*?)</td>", page, re.S)]
    assert cell in cells


def test_a_code_column_shows_its_text_as_inline_code(page):
    code = re.search(r"<td><code>(.*?)</code></td>", page, re.S).group(1)
    assert htmllib.unescape(code) == '88|18|45|81= `x` {{< b >}} "q" -- ...'


def test_shortcodes_written_in_prose_reach_hugo(page):
    assert '<aside class="note">a note from prose</aside>' in page
    assert "<em>marked</em>" in page
    assert "youtube" in page and "abc123" in page and "<iframe" in page


def test_raw_html_in_prose_is_kept(page):
    assert "mc<sup>2</sup>" in page
    assert "<details><summary>More</summary>Hidden detail.</details>" in page


def test_a_heading_id_written_with_the_escape_rule(page):
    assert '<h2 id="results">Results</h2>' in page


def test_a_raw_cell_is_published_as_written(page):
    assert "Raw cell: {{ n }} stays as written." in text_of(page)


def test_math_passes_through_untouched(page):
    assert r"\( \sum_i p_i = 1 \)" in page
    assert r"\mathcal{L} = -\frac{1}{N} \sum_{n} \log p(x_n)" in page


@pytest.mark.parametrize("public, page_url", [
    ("public", "http://example.org/blog/hugo/"),
    ("public-sub", "https://example.org/sub/path/blog/hugo/"),
])
def test_figure_and_data_links_resolve_under_any_base_url(site, public, page_url):
    html = site.read(f"{public}/blog/hugo/index.html")
    base_path = urlparse(page_url).path.split("blog/hugo/")[0]
    links = [re.search(r'<img src="([^"]+)"', html).group(1),
             re.search(r'<a href="([^"]+)">points</a>', html).group(1)]
    for link in links:
        path = urlparse(urljoin(page_url, link)).path
        assert path.startswith(base_path), (link, path)
        assert (site.root / public / path[len(base_path):]).is_file(), (link, path)


def test_a_value_opening_a_line_never_starts_a_list(page):
    """'{{ n }}. More' renders '1. More': a sentence, not an ordered list, in a real Hugo."""
    assert "<ol" not in page and "<li" not in page
    text = text_of(page)
    assert "agree\n1. The sentence goes on" in text
    assert "1) A paragraph that opens with a value." in text

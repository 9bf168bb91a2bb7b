"""The numeric profile: cells compute with the same kernels whatever the host's settings,
and every post runs in a process of its own."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scratchbook.engine import profile

HAS_AVX2 = profile.machine()["isa"] in ("avx2", "avx512")

TRAINING = '''
# ---
# title: "Kernels"
# weight: 10
# ---

# %% [markdown]
# Kernels {{ kernels }} with {{ threads }} thread(s); final loss {{ loss_bits }}.

# %%
import torch
from scratchbook import experiment

kernels = torch.backends.cpu.get_cpu_capability()   # read back inside a running cell
threads = torch.get_num_threads()

@experiment
def train(steps: int) -> dict:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.Tanh(), torch.nn.Linear(64, 8))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x, y = torch.randn(256, 16), torch.randint(0, 8, (256,))
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"loss": loss.item()}

loss_bits = float(train(150)["loss"]).hex()
'''

# What a host may have set for its own reasons: every one of these changes the kernels (or
# the summation order) that torch, MKL, oneDNN or numpy would otherwise use.
HOSTILE = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "2",
           "MKL_NUM_THREADS": "2", "DNNL_MAX_CPU_ISA": "SSE41",
           "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "NPY_DISABLE_CPU_FEATURES": "X86_V3",
           "PYTHONHASHSEED": "7"}


def shown(project, slug: str) -> str:
    return project.read(f"hugo_content/blog/{slug}.md")


@pytest.mark.skipif(not HAS_AVX2, reason="the profile pins AVX2 kernels; this CPU has none")
def test_cells_run_under_the_profile_whatever_the_host_settings(project):
    project.post("01_kernels", TRAINING)
    project.run("build", "--no-cache", check=True, env={k: "" for k in HOSTILE})
    clean = shown(project, "kernels")
    assert "Kernels AVX2 with 1 thread(s)" in clean
    project.run("build", "--no-cache", check=True, env=HOSTILE)
    assert shown(project, "kernels") == clean   # bit-identical loss, same kernels


@pytest.mark.skipif(not HAS_AVX2, reason="the profile pins AVX2 kernels; this CPU has none")
def test_host_settings_do_change_the_numbers_without_the_profile(tmp_path):
    """Why the profile exists: the same training, run directly, follows the host's kernels."""
    script = tmp_path / "train.py"
    body = TRAINING.split("# %%\n", 1)[1].replace("from scratchbook import experiment\n", "")
    script.write_text(body.replace("@experiment\n", "") + "\nprint(kernels, loss_bits)\n")
    clean_env = {k: v for k, v in os.environ.items() if k not in HOSTILE and k != profile.MARKER}
    runs = {name: subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                 env={**clean_env, **extra}, check=True).stdout.split()
            for name, extra in [("own", {}), ("default", {"ATEN_CPU_CAPABILITY": "default"})]}
    assert runs["default"][0] == "DEFAULT"
    assert runs["own"][1] != runs["default"][1]


@pytest.mark.skipif(not HAS_AVX2, reason="the profile pins AVX2 kernels; this CPU has none")
def test_a_post_run_as_a_plain_script_runs_under_the_profile(project):
    post = project.post("01_kernels", TRAINING + "\nprint(kernels, threads, loss_bits)\n")
    project.run("build", check=True)
    environment = {**os.environ, **HOSTILE, "PYTHONPATH": str(project.root)}
    environment.pop(profile.MARKER, None)
    result = subprocess.run([sys.executable, str(post)], cwd=project.root, env=environment,
                            capture_output=True, text=True, check=True)
    kernels, threads, bits = result.stdout.split()
    assert (kernels, threads) == ("AVX2", "1")
    assert bits in shown(project, "kernels")


def test_the_ledger_records_the_profile_and_check_does_not_compare_it(project):
    post = project.post("01_kernels", TRAINING)
    project.run("build", check=True)
    ledger_path = post.with_suffix(".ledger.json")
    data = json.loads(ledger_path.read_text())
    assert data["profile"]["name"] == profile.NAME
    assert data["profile"]["settings"]["ATEN_CPU_CAPABILITY"] == "avx2"
    assert data["profile"]["torch_kernels"]   # what ran, not only what was asked for
    assert data["profile"]["openblas_kernels"] == "Haswell"
    assert "cpu" not in data["profile"] and "cpu_isa" not in data["profile"]  # the kernels, not the host
    # Another machine honouring the same profile writes its own record: not a drift.
    text = ledger_path.read_text()
    ledger_path.write_text(text.replace(json.dumps(data["profile"]["cpu_vendor"]), '"Other CPU"'))
    project.run("check", check=True)


def test_a_notebook_that_imported_torch_first_is_told_what_is_not_pinned(tmp_path):
    code = "import sys, torch\nsys.ps1 = '>>> '\nimport scratchbook\n"
    environment = {k: v for k, v in os.environ.items() if k != profile.MARKER}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, cwd=tmp_path, check=True)
    assert "cannot fully honour" in result.stderr
    assert "torch was imported before scratchbook" in result.stderr


def test_problems_name_each_part_that_is_not_honoured():
    found = {"machine": {"arch": "aarch64", "vendor": "", "model": "", "isa": ""},
             "torch": "2.9.1", "numpy": "2.4.6", "torch_capability": "DEFAULT",
             "numpy_avx512": True, "mkl": False, "openblas_core": "SkylakeX"}
    text = profile.paragraph(profile.problems(found))
    for part in ("aarch64", "torch is 2.9.1", "DEFAULT kernels", "numpy still dispatches",
                 "no MKL", "OpenBLAS runs its SkylakeX kernels", "will report those as drift"):
        assert part in text
    assert profile.problems({**found, "machine": {"arch": "x86_64", "vendor": "AuthenticAMD",
                                                   "isa": "avx2"}, "torch": "2.13.0+cpu",
                             "torch_capability": "AVX2", "numpy_avx512": False, "mkl": True,
                             "mkl_cnr": "AUTO,STRICT", "openblas_core": "Haswell"}) == []


def test_numpy_avx512_is_judged_by_dispatch_target_not_by_cpu_feature():
    # An AVX-512 CPU under the profile: numpy still lists the CPU's AVX512F, CD, BW ... as
    # present, but every AVX-512 dispatch target is off, so nothing AVX-512 runs.
    dispatch = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
    cpu = {"AVX2": True, "X86_V3": True, "AVX512F": True, "AVX512CD": True, "AVX512BW": True,
           "AVX512_CLX": True, "X86_V4": False, "AVX512_ICL": False, "AVX512_SPR": False}
    assert not profile.dispatches_avx512(["X86_V2"], dispatch, cpu)
    assert profile.dispatches_avx512(["X86_V2"], dispatch, {**cpu, "X86_V4": True})
    assert profile.dispatches_avx512(["X86_V2"], dispatch, {**cpu, "AVX512_ICL": True})
    assert profile.dispatches_avx512(["X86_V2", "X86_V3", "X86_V4"], ["AVX512_SPR"], cpu)  # compiled in
    assert not profile.dispatches_avx512(["X86_V2"], dispatch, {"AVX2": True, "X86_V3": True})  # no AVX-512


@pytest.mark.skipif(profile.machine()["isa"] != "avx512", reason="needs a CPU with AVX-512")
def test_on_an_avx512_cpu_the_profile_switches_numpy_avx512_off():
    code = "import numpy\nfrom scratchbook.engine.profile import numpy_avx512\nprint(numpy_avx512())"
    bare = {k: v for k, v in os.environ.items() if k not in profile.SETTINGS}
    without = subprocess.run([sys.executable, "-c", code], env=bare, capture_output=True, text=True, check=True)
    under = subprocess.run([sys.executable, "-c", code], env=profile.environment(), capture_output=True,
                           text=True, check=True)
    assert (without.stdout.strip(), under.stdout.strip()) == ("True", "False")


def test_numpys_linear_algebra_gives_the_same_bits_under_the_profile_whatever_core_openblas_would_pick():
    # numpy's SVD (Part 3's embedding plot) runs on the OpenBLAS in numpy's wheel, which picks
    # its kernels by CPU: SkylakeX kernels on a CPU with AVX-512 give other bits than Haswell's
    # for a 27 x 64 matrix. Under the profile the core is pinned, so a host's own choice
    # (here forced to SkylakeX, as an AVX-512 CPU would pick) cannot reach the numbers.
    code = ("import numpy as np, hashlib\n"
            "a = np.random.default_rng(64).standard_normal((27, 64)).astype(np.float32)\n"
            "c = a - a.mean(0); u, s, vt = np.linalg.svd(c, full_matrices=False)\n"
            "print(hashlib.sha256(vt.tobytes() + s.tobytes()).hexdigest())")
    def run(env):
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()
    pinned = run(profile.environment())
    assert run(profile.environment({**os.environ, "OPENBLAS_CORETYPE": "SkylakeX"})) == pinned
    if profile.machine()["isa"] == "avx512":  # the host's own pick differs from the pinned one here
        assert run({**os.environ, "OPENBLAS_CORETYPE": "SkylakeX"}) != pinned


def test_this_machine_honours_the_profile_or_says_why():
    found = profile.probe()
    issues = profile.problems(found)
    if HAS_AVX2 and profile.machine()["arch"] == "x86_64":
        assert issues == [], issues
        assert found["torch_capability"] == "AVX2" and found["mkl_cnr"].endswith("STRICT")
        assert found["openblas_core"] == "Haswell"
    else:
        assert issues


# --------------------------------------------------------------------------- isolation

NOISY = '''
# ---
# title: "Noisy"
# weight: 10
# ---

# %% [markdown]
# Done.

# %%
import random
import matplotlib.pyplot as plt
import numpy as np
import fixture_settings

plt.rcParams["lines.linewidth"] = 8
fixture_settings.SCALE = 1000
random.seed(123)
np.random.seed(123)
'''

QUIET = '''
# ---
# title: "Quiet"
# weight: 20
# ---

# %% [markdown]
# Line width {{ width }}, scale {{ scale }}, draw {{ num(draw, ".6f") }}, order {{ order }}.

# %%
import random
import matplotlib.pyplot as plt
import fixture_settings

width = str(plt.rcParams["lines.linewidth"])
scale = fixture_settings.SCALE
draw = random.random()
order = ",".join({"alpha", "beta", "gamma", "delta", "epsilon"})
'''


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_nothing_a_post_sets_reaches_the_next_post(project, jobs):
    project.write("fixture_settings.py", "SCALE = 1\n")
    project.post("01_noisy", NOISY)
    project.post("02_quiet", QUIET)
    project.run("build", "02_quiet", check=True)
    alone = shown(project, "quiet")
    project.run("build", "--jobs", jobs, check=True)
    assert shown(project, "quiet") == alone
    assert "Line width 1.5, scale 1," in alone


def test_string_sets_print_in_one_order_whatever_the_host_hash_seed(project):
    project.write("fixture_settings.py", "SCALE = 1\n")
    project.post("02_quiet", QUIET)
    project.run("build", check=True, env={"PYTHONHASHSEED": "1"})
    first = shown(project, "quiet")
    project.run("build", check=True, env={"PYTHONHASHSEED": "2"})
    assert shown(project, "quiet") == first

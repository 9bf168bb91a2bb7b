"""The numeric profile: one declared set of kernel choices that every post computes under.

PyTorch, MKL, oneDNN and numpy each pick their vector kernels by the CPU they find. Kernels
for wider vectors sum floats in another order, so the same training run gives other bits on
a CPU with AVX-512 than on one without, and a trained network amplifies the difference until
a printed loss changes. The profile fixes those choices, plus the thread count and Python's
hash seed, *before* the libraries are imported (they read these variables once, when they
initialise):

=============================  ==========================  ==================================
variable                       value                       what it pins
=============================  ==========================  ==================================
``ATEN_CPU_CAPABILITY``        ``avx2``                    PyTorch's own CPU kernels
``MKL_CBWR``                   ``AVX2,STRICT``             MKL's code branch (Intel CPUs);
                                                           on AMD CPUs MKL honours only AUTO
                                                           and COMPATIBLE, so it runs its AUTO
                                                           branch in CNR mode (fixed cache
                                                           sizes, deterministic reductions)
``ONEDNN_MAX_CPU_ISA``         ``AVX2``                    oneDNN's kernels
``NPY_DISABLE_CPU_FEATURES``   ``X86_V4 AVX512_ICL ...``   numpy's AVX-512 dispatch
``OPENBLAS_CORETYPE``          ``Haswell``                 the kernels of the OpenBLAS inside
                                                           numpy's wheel (``numpy.linalg``,
                                                           float matrix products): on a CPU
                                                           with AVX-512 it would pick SkylakeX
``OMP_NUM_THREADS``,           ``1``                       summation order across threads
``MKL_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``
``PYTHONHASHSEED``             ``0``                       the order of sets of strings
=============================  ==========================  ==================================

Aliases that would override those choices (``DNNL_MAX_CPU_ISA``, ``MKL_ENABLE_INSTRUCTIONS``,
``MKL_DEBUG_CPU_TYPE``, ``NPY_ENABLE_CPU_FEATURES``, ...) are removed.

``scratchbook`` applies the profile by starting the processes that run cells with this
environment (``build``, ``check`` and ``--jobs`` start one fresh process per post; ``watch``
forks each rebuild from a parent started under it), and a post run as a plain script
re-executes itself under it at ``import scratchbook``. Where the profile cannot be honoured
(no AVX2, another architecture, another torch or numpy build, a notebook kernel that had
imported torch before scratchbook), :func:`problems` says which part, and the build prints
it first, in one paragraph.

This module imports nothing heavy: it runs before numpy and torch are loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

NAME = "x86-64-avx2/2"          # bump the number when SETTINGS change: cache keys follow
THREADS = 1
SETTINGS = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2,STRICT",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",
    "OMP_NUM_THREADS": str(THREADS),
    "MKL_NUM_THREADS": str(THREADS),
    "OPENBLAS_NUM_THREADS": str(THREADS),
    "PYTHONHASHSEED": "0",
}
CLEARED = ("DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE",
           "NPY_ENABLE_CPU_FEATURES", "MKL_CBWR_BRANCH", "MKL_DYNAMIC", "OMP_DYNAMIC",
           "MKL_VERBOSE", "ONEDNN_VERBOSE", "DNNL_VERBOSE", "OPENBLAS_VERBOSE",
           "GOTO_NUM_THREADS", "OPENBLAS_DEFAULT_NUM_THREADS")
MARKER = "SCRATCHBOOK_PROFILE"  # set in every process started under the profile
PINNED = {"torch": "2.13.0", "numpy": "2.4.6"}
EXPECTED_TORCH_CAPABILITY = "AVX2"
EXPECTED_OPENBLAS_CORE = "Haswell"
HEAVY = ("torch", "numpy")


def environment(base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) with the profile applied."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in CLEARED}
    env.update(SETTINGS)
    env[MARKER] = NAME
    return env


def in_effect(env: dict | None = None) -> bool:
    """True when ``env`` (default: this process's) already carries the whole profile."""
    env = os.environ if env is None else env
    return (env.get(MARKER) == NAME and all(env.get(k) == v for k, v in SETTINGS.items())
            and not any(k in env for k in CLEARED))


def apply_in_process() -> list[str]:
    """Set the profile in ``os.environ`` for libraries not yet imported.

    Returns what could not be pinned because it was already loaded (or fixed at start-up).
    """
    late = [name for name in HEAVY if name in sys.modules]
    for key in CLEARED:
        os.environ.pop(key, None)
    os.environ.update({k: v for k, v in SETTINGS.items() if k != "PYTHONHASHSEED"})
    os.environ[MARKER] = NAME
    missed = [f"{name} was imported before scratchbook, so its kernels are the machine's own"
              for name in late]
    if sys.flags.hash_randomization and os.environ.get("PYTHONHASHSEED") != "0":
        missed.append("the hash seed is fixed when Python starts, so sets of strings may "
                      "iterate in another order")
    return missed


def reexec_script_under_profile() -> None:
    """Re-run a post started as ``python posts/NN_x.py`` under the profile (once).

    Called on ``import scratchbook``. Only a plain script inside a project's ``posts/``
    folder is re-executed; notebooks, tests and other programs are left alone.
    """
    if in_effect() or os.environ.get(MARKER + "_REEXEC"):
        return
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if not script or not sys.argv or not sys.argv[0]:
        return
    path = Path(script).resolve()
    if path != Path(sys.argv[0]).resolve() or path.parent.name != "posts" \
            or not (path.parent.parent / "templates").is_dir():
        return
    env = environment()
    env[MARKER + "_REEXEC"] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


# --------------------------------------------------------------------------- what runs

def observed() -> dict:
    """What the libraries loaded in *this* process actually use (cheap; no new imports)."""
    seen: dict = {"profile": NAME, "marker": os.environ.get(MARKER)}
    torch = sys.modules.get("torch")
    if torch is not None:
        seen["torch_capability"] = torch.backends.cpu.get_cpu_capability()
        seen["torch_threads"] = torch.get_num_threads()
    if "numpy" in sys.modules:
        seen["numpy_avx512"] = numpy_avx512()
    return seen


AVX512_TARGETS = ("AVX512", "X86_V4")  # numpy's names for its AVX-512 baselines and dispatch targets


def dispatches_avx512(baseline, dispatch, features: dict) -> bool:
    """Whether a numpy build may run AVX-512 kernels: an AVX-512 level in its compiled
    ``baseline``, or one of its ``dispatch`` targets that ``features`` (the CPU's, after
    ``NPY_DISABLE_CPU_FEATURES``) leaves on.

    numpy picks kernels by dispatch target (X86_V3, X86_V4, AVX512_ICL, ...), not by single
    CPU feature: on a CPU with AVX-512, ``features`` still lists AVX512F and the like as
    present once the profile has switched the targets off, and those alone run nothing
    (numpy's "CPU build options" and "runtime dispatch" documentation).
    """
    return (any(t.startswith(AVX512_TARGETS) for t in baseline)
            or any(t.startswith(AVX512_TARGETS) and features.get(t) for t in dispatch))


def numpy_avx512() -> bool | None:
    """:func:`dispatches_avx512` for the numpy loaded in this process (None: another layout,
    which the version check in :func:`problems` reports)."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:
        return None
    return dispatches_avx512(__cpu_baseline__, __cpu_dispatch__, __cpu_features__)


PROBE_VERSION = 3  # part of the probe cache's key: bump when _PROBE or what it reports changes
_PROBE = r"""
import json, os, sys, torch, numpy
from scratchbook.engine.profile import numpy_avx512
torch.set_num_threads(1)
a = torch.ones(64, 64); (a @ a).sum().item()
print("PROBE" + json.dumps({
    "torch": torch.__version__, "numpy": numpy.__version__,
    "torch_capability": torch.backends.cpu.get_cpu_capability(),
    "mkl": torch.backends.mkl.is_available(),
    "numpy_avx512": numpy_avx512()}))
"""


def machine() -> dict:
    """The CPU as the OS reports it: vendor, model name, and its widest vector extension."""
    info = {"arch": platform.machine(), "vendor": "", "model": "", "isa": ""}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    fields = dict(re.findall(r"^(vendor_id|model name|flags)\s*:\s*(.*)$", text, re.M))
    flags = set(fields.get("flags", "").split())
    info["vendor"] = fields.get("vendor_id", "")
    info["model"] = fields.get("model name", "")
    info["isa"] = ("avx512" if "avx512f" in flags else "avx2" if "avx2" in flags
                   else "avx" if "avx" in flags else "sse" if flags else "")
    return info


def probe(folder: Path | None = None) -> dict:
    """Start a process under the profile and read back which kernels it really ran.

    Reads torch's ATen capability, numpy's dispatch, and MKL's own report (``MKL_VERBOSE``:
    its build line and the CNR mode of a real SGEMM). About two seconds; the answer is kept
    per machine, Python, torch and numpy in ``folder`` (default: the user's cache folder,
    ``$XDG_CACHE_HOME/scratchbook``), so one probe serves every project and build.
    """
    signature = _signature()
    folder = folder or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scratchbook"
    cached = folder / f"profile-probe-{signature}.json"
    if cached.exists():
        try:
            data = json.loads(cached.read_text())
            if data.get("signature") == signature:
                return data
        except (OSError, ValueError):
            pass
    env = environment()
    env["MKL_VERBOSE"] = "1"
    env["OPENBLAS_VERBOSE"] = "2"  # OpenBLAS says which core's kernels it loaded: "Core: Haswell"
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                            text=True, timeout=120)
    data: dict = {"signature": signature, "profile": NAME, "machine": machine()}
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        if line.startswith("Core: "):
            data["openblas_core"] = line[len("Core: "):].strip()
        if line.startswith("PROBE"):
            data.update(json.loads(line[5:]))
        elif line.startswith("MKL_VERBOSE") and "SGEMM" in line:
            match = re.search(r"CNR:(\S+)", line)
            data["mkl_cnr"] = match[1] if match else ""
        elif line.startswith("MKL_VERBOSE") and " for " in line:
            data["mkl_build"] = line.split(" for ", 1)[1].split(",")[0].strip()
    if result.returncode != 0:
        data["error"] = (result.stderr.strip().splitlines() or ["no output"])[-1]
    if "error" not in data:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
            os.replace(tmp, cached)
        except OSError:  # a read-only home: probe again next time
            pass
    return data


def _signature() -> str:
    import importlib.metadata   # here: the command imports this module before it re-executes

    versions = {}
    for package in ("torch", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    material = json.dumps([NAME, PROBE_VERSION, machine(), versions, sys.executable], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def problems(found: dict) -> list[str]:
    """The parts of the profile that ``found`` (from :func:`probe`) shows were not honoured."""
    issues = []
    info = found.get("machine") or machine()
    if found.get("error"):
        return [f"the probe process failed ({found['error']})"]
    if info.get("arch") not in ("x86_64", "AMD64"):
        issues.append(f"this is a {info.get('arch')} machine; the profile pins x86-64 AVX2 "
                      "kernels")
    for package, version in PINNED.items():
        have = found.get(package, "")
        if have and have.split("+")[0] != version:
            issues.append(f"{package} is {have}, the profile is for {package} {version}")
    capability = found.get("torch_capability")
    if capability and capability != EXPECTED_TORCH_CAPABILITY:
        issues.append(f"torch runs its {capability} kernels, not AVX2 (this CPU has "
                      f"{info.get('isa') or 'no'} vector extensions)")
    if found.get("numpy_avx512"):
        issues.append("numpy still dispatches AVX-512 kernels")
    core = found.get("openblas_core")
    if core and core != EXPECTED_OPENBLAS_CORE:
        issues.append(f"numpy's OpenBLAS runs its {core} kernels, not {EXPECTED_OPENBLAS_CORE}")
    if found.get("mkl") is False:
        issues.append("this torch build has no MKL; its matrix products differ from MKL's")
    cnr = found.get("mkl_cnr")
    if cnr is not None:
        expected = "AVX2,STRICT" if "Intel" in info.get("vendor", "") else "AUTO,STRICT"
        if cnr != expected:
            issues.append(f"MKL reports reproducibility mode '{cnr}', expected '{expected}'")
    return issues


def paragraph(issues: list[str]) -> str:
    """One paragraph that says why this machine's numbers may differ from the committed ones."""
    return ("note: this machine cannot fully honour scratchbook's numeric profile "
            f"{NAME}: " + "; ".join(issues) + ". Posts still build, but trained numbers may "
            "differ from the committed ones, and 'scratchbook check' will report those as "
            "drift. See README, 'Same numbers on every machine'.")


def record(found: dict) -> dict:
    """What a ledger stores about the profile its numbers were produced under."""
    info = found.get("machine") or {}
    # The kernels, not the host: two machines of one kind whose kernels agree write the same
    # record, so a build on another such machine leaves the committed ledger as it is.
    return {"name": NAME, "settings": dict(SETTINGS),
            "cpu_vendor": info.get("vendor", ""),
            "torch": found.get("torch"), "numpy": found.get("numpy"),
            "torch_kernels": found.get("torch_capability"),
            "mkl": f"{found.get('mkl_build', '?')}; CNR:{found.get('mkl_cnr', '?')}",
            "numpy_avx512": found.get("numpy_avx512"),
            "openblas_kernels": found.get("openblas_core")}


def fingerprint() -> str:
    """The profile's part of every cache key: its name and what this process runs."""
    seen = observed()
    seen.pop("torch_threads", None)
    seen.pop("marker", None)
    seen["in_effect"] = in_effect()
    return json.dumps(seen, sort_keys=True)

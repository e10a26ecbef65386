"""What the README's two installs cost: disk, packages, install time, and a fresh process's first answer.

For the main install (``anb[xgboost-cpu]``, what the README's first command installs) and the
full test install (``anb[xgboost-cpu,test,gnn]``, what its test command adds), each in a fresh
venv in a temporary folder, built from a copy of this checkout:

1. the size of the venv on disk and the number of installed distributions (pip and setuptools
   included, as ``python -m venv`` makes them);
2. the time of ``pip install`` from a warm pip cache: every install runs once untimed into a
   throw-away venv first, which fills the cache, then again, timed, into the measured venv;
3. the time from a fresh ``python`` to the first answer of the default accuracy ensemble, with
   a warm surrogate cache (the caller's ``ANB_HOME``; the untimed first run builds it if it is
   empty), next to ``python -c "import xgboost, ConfigSpace"`` in the same venv, best of 5
   runs taken in turns so both see the same machine load; each measured from starting the
   process to the end of its code (the answer printed, the imports done), not to the process's
   exit.

Targets (issue 16): main install under 800 MB; first answer within 1.5x of the import floor.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/install_footprint.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _venvs import Venv, source_copy

INSTALLS = {"main": "xgboost-cpu", "test": "xgboost-cpu,test,gnn"}
SIZE_TARGET_MB = 800
STARTUP_TARGET = 1.5
REPEATS = 5

FLOOR = "import xgboost, ConfigSpace"
FIRST_ANSWER = """
import anb
from configurationspaces.searchspaces import EfficientNetSS
print(anb.ANBEnsemble("xgb").query(EfficientNetSS(seed=0).random_sample(1))[0])
"""
# Each snippet ends by printing the wall-clock time it got there: the time to the answer (or to
# the imports) is measured up to that point, not to the end of the process, which may still be
# finishing work in the background (anb waits at exit for numba's kernel to load).
REACHED = "\nimport time; print(repr(time.time()))"


def process_seconds(venv: Venv, code: str) -> float:
    """Seconds from starting ``python -c code`` to the end of ``code``."""
    start = time.time()
    out = subprocess.run([str(venv.python), "-c", code + REACHED], capture_output=True, check=True, text=True).stdout
    return float(out.split()[-1]) - start


def startup(venv: Venv) -> tuple[float, float]:
    """Best fresh-process seconds to the first answer and to importing xgboost and ConfigSpace."""
    venv.run(FIRST_ANSWER)  # builds the surrogates if the cache lacks them, and numba's kernel cache
    answers, floors = [], []
    for _ in range(REPEATS):
        floors.append(process_seconds(venv, FLOOR))
        answers.append(process_seconds(venv, FIRST_ANSWER))
    return min(answers), min(floors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip-cache-is-warm", action="store_true",
                        help="skip the untimed installs that fill pip's cache")
    args = parser.parse_args()
    if not os.environ.get("ANB_DATA_DIR"):
        print("note: ANB_DATA_DIR is not set; an empty surrogate cache will download the dataset")

    sizes, ratios = {}, {}
    with tempfile.TemporaryDirectory(prefix="anb_footprint_") as tmp:
        source = source_copy(Path(tmp) / "src")
        print("| install | venv size | distributions (pip, setuptools and anb included) | pip install, warm cache |")
        print("|---|---|---|---|", flush=True)
        venvs = {}
        for name, extras in INSTALLS.items():
            requirement = f"{source}[{extras}]"
            if not args.pip_cache_is_warm:
                Venv(Path(tmp) / f"warm_{name}").pip_install(requirement)
            venv = venvs[name] = Venv(Path(tmp) / name)
            seconds = venv.pip_install(requirement)
            sizes[name], distributions = venv.size_mb(), venv.distributions()
            builds = [d for d in distributions if d.lower() in ("xgboost", "xgboost-cpu")]
            print(f"| {name}: `anb[{extras}]` | {sizes[name]:.0f} MB | {len(distributions)} "
                  f"(xgboost builds: {', '.join(builds)}) | {seconds:.0f} s |", flush=True)

        print(f"\n| install | fresh `python` to the first answer | `python -c \"{FLOOR}\"` | ratio |")
        print("|---|---|---|---|", flush=True)
        for name, venv in venvs.items():
            answer, floor = startup(venv)
            ratios[name] = answer / floor
            print(f"| {name} | {answer:.2f} s | {floor:.2f} s | {ratios[name]:.2f}x |", flush=True)

    print(f"main install under {SIZE_TARGET_MB} MB: {'yes' if sizes['main'] < SIZE_TARGET_MB else 'NO'} "
          f"({sizes['main']:.0f} MB)")
    print(f"first answer within {STARTUP_TARGET}x of the floor: {'yes' if ratios['main'] <= STARTUP_TARGET else 'NO'} "
          f"({ratios['main']:.2f}x)")


if __name__ == "__main__":
    main()

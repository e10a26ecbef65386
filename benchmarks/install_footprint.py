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
   runs taken in turns so both see the same machine load.

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


def process_seconds(venv: Venv, code: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(venv.python), "-c", code], capture_output=True, check=True)
    return time.perf_counter() - start


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

    rows = []
    with tempfile.TemporaryDirectory(prefix="anb_footprint_") as tmp:
        source = source_copy(Path(tmp) / "src")
        for name, extras in INSTALLS.items():
            requirement = f"{source}[{extras}]"
            if not args.pip_cache_is_warm:
                Venv(Path(tmp) / f"warm_{name}").pip_install(requirement)
            venv = Venv(Path(tmp) / name)
            seconds = venv.pip_install(requirement)
            answer, floor = startup(venv)
            rows.append((name, extras, venv.size_mb(), len(venv.distributions()), seconds, answer, floor))

    print("| install | venv size | distributions | pip install, warm cache | first answer (floor: import xgboost, ConfigSpace) |")
    print("|---|---|---|---|---|")
    for name, extras, size, count, seconds, answer, floor in rows:
        print(f"| {name}: `anb[{extras}]` | {size:.0f} MB | {count} | {seconds:.0f} s "
              f"| {answer:.2f} s ({floor:.2f} s, {answer / floor:.2f}x) |")
    main_size, main_ratio = rows[0][2], rows[0][5] / rows[0][6]
    print(f"main install under {SIZE_TARGET_MB} MB: {'yes' if main_size < SIZE_TARGET_MB else 'NO'} ({main_size:.0f} MB)")
    print(f"first answer within {STARTUP_TARGET}x of the floor: {'yes' if main_ratio <= STARTUP_TARGET else 'NO'} "
          f"({main_ratio:.2f}x)")


if __name__ == "__main__":
    main()

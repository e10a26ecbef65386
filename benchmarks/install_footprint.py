"""What the README's two installs cost: disk, packages, install time, and a fresh process's first answer.

For the plain install (``anb``, no extra: a query of the shipped surrogates, no xgboost), the
main install (``anb[xgboost-cpu]``, what the README's first command installs) and the full test
install (``anb[xgboost-cpu,test,gnn]``, what its test command adds), each in a fresh venv in a
temporary folder, built from a copy of this checkout:

1. the size of the venv on disk and the number of installed distributions (pip and setuptools
   included, as ``python -m venv`` makes them);
2. the time of ``pip install`` from a warm pip cache: every install runs once untimed into a
   throw-away venv first, which fills the cache, then again, timed, into the measured venv;
3. the shipped surrogates (``anb/surrogates/default_surrogates``) in the installed package: their size, and
   that the plain install (where xgboost cannot be imported) answers accuracy and a100
   throughput queries from another folder with ``ANB_DATA_DIR`` unset and an empty ``ANB_HOME``,
   fitting nothing (the cache stays empty);
4. the time from a fresh ``python`` to the first answer of the default accuracy ensemble (no
   dataset, empty ``ANB_HOME``), next to ``python -c "import xgboost, ConfigSpace"`` in the same
   venv (``import ConfigSpace`` in the plain one): the very first run of the install, then the best of 5 runs taken in turns so both see
   the same machine load; each measured from starting the process to the end of its code (the
   answer printed, the imports done), not to the process's exit.

Targets (issues 16 and 26): main install under 800 MB; the shipped surrogates at most 25 MB; first
answer within 1.5x of the import floor, fitting nothing.

    python benchmarks/install_footprint.py [--installs plain main]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _venvs import Venv, source_copy

INSTALLS = {"plain": "", "main": "xgboost-cpu", "test": "xgboost-cpu,test,gnn"}
SIZE_TARGET_MB = 800
SHIPPED_TARGET_MB = 25
STARTUP_TARGET = 1.5
REPEATS = 5

FLOORS = {"plain": "import ConfigSpace", "main": "import xgboost, ConfigSpace", "test": "import xgboost, ConfigSpace"}
FIRST_ANSWER = """
import anb
from configurationspaces.searchspaces import EfficientNetSS
print(anb.ANBEnsemble("xgb").query(EfficientNetSS(seed=0).random_sample(1))[0])
"""
WITHOUT_DATA = """
import anb, pathlib
from configurationspaces.searchspaces import EfficientNetSS
samples = EfficientNetSS(seed=0).random_sample(3)
for device, metric in ((None, None), ("a100", "throughput")):
    ensemble = anb.ANBEnsemble("xgb", device=device, metric=metric)
    print(ensemble.target.label, ensemble.query(samples)[0])
try:
    import xgboost
    print("xgboost importable:", xgboost.__version__)
except ImportError:
    print("xgboost importable: no")
print(pathlib.Path(anb.__file__).parent)
"""
# Each snippet ends by printing the wall-clock time it got there: the time to the answer (or to
# the imports) is measured up to that point, not to the end of the process, which may still be
# finishing work in the background (anb waits at exit for numba's kernel to load).
REACHED = "\nimport time; print(repr(time.time()))"


def no_data_env(home: Path) -> dict:
    """The caller's environment with no dataset (``ANB_DATA_DIR`` unset) and ``ANB_HOME`` at ``home``."""
    env = {key: value for key, value in os.environ.items() if key != "ANB_DATA_DIR"}
    env["ANB_HOME"] = str(home)
    return env


def process_seconds(venv: Venv, code: str, env: dict, cwd: Path) -> float:
    """Seconds from starting ``python -c code`` (in ``cwd``) to the end of ``code``."""
    start = time.time()
    out = subprocess.run([str(venv.python), "-c", code + REACHED], capture_output=True, check=True, text=True,
                         env=env, cwd=cwd).stdout
    return float(out.split()[-1]) - start


def files_below(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def answers_without_data(venv: Venv, home: Path, cwd: Path) -> tuple[float, bool]:
    """(MB of shipped surrogates installed, whether accuracy and a100 answered leaving ``home`` empty)."""
    out = subprocess.run([str(venv.python), "-c", WITHOUT_DATA], capture_output=True, check=True, text=True,
                         env=no_data_env(home), cwd=cwd).stdout.splitlines()
    print("\n".join(f"    {line}" for line in out[:-1]))
    shipped = Path(out[-1]) / "surrogates" / "default_surrogates"
    return sum(f.stat().st_size for f in files_below(shipped)) / 2**20, not files_below(home)


def startup(venv: Venv, home: Path, cwd: Path, floor: str) -> tuple[float, float, float]:
    """Fresh-process seconds to the first answer: the install's very first run and the best of
    ``REPEATS``; and the best to running ``floor`` (the imports the answer cannot do without)."""
    env = no_data_env(home)
    first = process_seconds(venv, FIRST_ANSWER, env, cwd)
    answers, floors = [], []
    for _ in range(REPEATS):
        floors.append(process_seconds(venv, floor, env, cwd))
        answers.append(process_seconds(venv, FIRST_ANSWER, env, cwd))
    return first, min(answers), min(floors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip-cache-is-warm", action="store_true",
                        help="skip the untimed installs that fill pip's cache")
    parser.add_argument("--installs", nargs="+", choices=list(INSTALLS), default=list(INSTALLS),
                        help="which installs to measure (default: all)")
    args = parser.parse_args()
    if not {"plain", "main"} <= set(args.installs):
        parser.error("--installs must include plain and main, which the targets are checked on")
    sizes, ratios = {}, {}
    with tempfile.TemporaryDirectory(prefix="anb_footprint_") as tmp:
        source = source_copy(Path(tmp) / "src")
        print("| install | venv size | distributions (pip, setuptools and anb included) | pip install, warm cache |")
        print("|---|---|---|---|", flush=True)
        venvs = {}
        for name in args.installs:
            extras = INSTALLS[name]
            requirement = f"{source}[{extras}]" if extras else str(source)
            if not args.pip_cache_is_warm:
                Venv(Path(tmp) / f"warm_{name}").pip_install(requirement)
            venv = venvs[name] = Venv(Path(tmp) / name)
            seconds = venv.pip_install(requirement)
            sizes[name], distributions = venv.size_mb(), venv.distributions()
            builds = [d for d in distributions if d.lower() in ("xgboost", "xgboost-cpu")]
            print(f"| {name}: `anb{f'[{extras}]' if extras else ''}` | {sizes[name]:.0f} MB | {len(distributions)} "
                  f"(xgboost builds: {', '.join(builds)}) | {seconds:.0f} s |", flush=True)

        elsewhere = Path(tmp) / "elsewhere"
        elsewhere.mkdir()
        print("\nthe plain install, from another folder, ANB_DATA_DIR unset, empty ANB_HOME:")
        shipped_mb, nothing_fitted = answers_without_data(venvs["plain"], Path(tmp) / "home_answers", elsewhere)

        print(f"\n| install | fresh `python` to the first answer: first run, best of {REPEATS} | "
              f"floor (`python -c` of the imports it needs) | ratio |")
        print("|---|---|---|---|", flush=True)
        for name, venv in venvs.items():
            first, answer, floor = startup(venv, Path(tmp) / f"home_{name}", elsewhere, FLOORS[name])
            ratios[name] = answer / floor
            print(f"| {name} | {first:.2f} s, {answer:.2f} s | `{FLOORS[name]}` {floor:.2f} s | {ratios[name]:.2f}x |",
                  flush=True)

    print(f"main install under {SIZE_TARGET_MB} MB: {'yes' if sizes['main'] < SIZE_TARGET_MB else 'NO'} "
          f"({sizes['main']:.0f} MB)")
    print(f"shipped surrogates at most {SHIPPED_TARGET_MB} MB: {'yes' if shipped_mb <= SHIPPED_TARGET_MB else 'NO'} "
          f"({shipped_mb:.1f} MB)")
    print(f"answered with no dataset and an empty cache, fitting nothing: {'yes' if nothing_fitted else 'NO'}")
    print(f"first answer within {STARTUP_TARGET}x of the floor: {'yes' if ratios['main'] <= STARTUP_TARGET else 'NO'} "
          f"({ratios['main']:.2f}x)")


if __name__ == "__main__":
    main()

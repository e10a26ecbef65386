"""Does every machine get the same surrogates and the same numbers? Builds and queries, bit for bit.

Each setting below runs this script in a child process (``--worker``) with its own environment:
it builds the release (``anb.surrogates.release.build_release``: the default xgb ensembles of accuracy and
the 8 device targets, 5 members each, calibration included) into its own folder, then queries
``N`` random architectures (fixed seed) against two releases: the one it built, and the first
setting's. The first comparison says whether a build depends on the setting; the second whether a
query of one and the same release does.

Settings: one thread (affinity one core, ``OMP_NUM_THREADS=1``); two threads
(``OMP_NUM_THREADS=2``); ``OMP_NUM_THREADS`` unset; and the code paths of a CPU without AVX-512
(OpenBLAS's Haswell kernels, numpy's dispatch capped below AVX-512, numba compiling for haswell),
the nearest this machine comes to another CPU.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/reproducibility.py [--n 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
SEED = 0
NO_AVX512 = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
             "NUMBA_CPU_NAME": "haswell"}
# name -> (environment changes, None to unset; CPUs to run on, None for all)
SETTINGS = {
    "2 threads": ({"OMP_NUM_THREADS": "2"}, None),
    "1 thread": ({"OMP_NUM_THREADS": "1"}, {0}),
    "OMP_NUM_THREADS unset": ({"OMP_NUM_THREADS": None}, None),
    "no AVX-512 (2 threads)": ({"OMP_NUM_THREADS": "2", **NO_AVX512}, None),
}


def worker(out: Path, reference: Path | None, n: int) -> None:
    """In the child: build a release into ``out/release``, query it (and ``reference``), save the answers."""
    from anb.surrogates import release, shipped
    from anb.surrogates.ensemble import ANBEnsemble
    from configurationspaces.searchspaces import EfficientNetSS

    built = release.build_release(out / "release", progress=False)
    architectures = EfficientNetSS(seed=SEED).random_encoded(n)
    for name, folder in (("own", out / "release"), ("reference", reference)):
        if folder is None:
            continue
        shipped.ARTIFACT_DIR = folder  # the release this query reads
        answers = {}
        for target in release.released_targets():
            mean, std = ANBEnsemble("xgb", target.device, target.metric, source="shipped",
                                    progress=False).query(architectures)
            answers[f"{target.label}/mean"], answers[f"{target.label}/std"] = mean, std
        np.savez(out / f"{name}.npz", **answers)
    (out / "models.json").write_text(json.dumps({key: record["models_sha256"]
                                                 for key, record in built["entries"].items()}))


def run_setting(name: str, folder: Path, reference: Path | None, n: int) -> None:
    changes, cpus = SETTINGS[name]
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    command = [sys.executable, str(HERE), "--worker", str(folder), "--n", str(n)]
    if reference is not None:
        command += ["--reference", str(reference)]
    preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    print(f"{name}: building and querying ...", flush=True)
    subprocess.run(command, env=env, check=True, preexec_fn=preexec)


def bits(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def compare(first: dict, other: dict) -> tuple[int, int, float]:
    """(arrays identical bit for bit, arrays, largest relative difference of any value)."""
    same = sum(bits(first[key]) == bits(other[key]) for key in first)
    worst = max(float(np.max(np.abs(other[key] - first[key]) / np.maximum(np.abs(first[key]), 1e-300)))
                for key in first)
    return same, len(first), worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="random architectures queried (default 100,000)")
    parser.add_argument("--keep", type=Path, help="keep the builds and answers in this folder")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.reference, args.n)
        return

    root = args.keep or Path(tempfile.mkdtemp(prefix="anb-reproducibility-"))
    names = list(SETTINGS)
    folders = {name: root / f"setting{i}" for i, name in enumerate(names)}
    for name in names:
        reference = None if name == names[0] else folders[names[0]] / "release"
        run_setting(name, folders[name], reference, args.n)

    first = names[0]
    first_models = json.loads((folders[first] / "models.json").read_text())
    first_own = dict(np.load(folders[first] / "own.npz"))
    n_members = sum(len(hashes) for hashes in first_models.values())
    print(f"\n{args.n:,} random architectures (seed {SEED}), {len(first_models)} ensembles, {n_members} members; "
          f"each setting against '{first}':")
    print(f"{'setting':<26} {'models identical':>17} {'own build: answers identical':>29} {'max rel diff':>13} "
          f"{'same release: answers identical':>32} {'max rel diff':>13}")
    for name in names[1:]:
        models = json.loads((folders[name] / "models.json").read_text())
        same_models = sum(a == b for key in first_models for a, b in zip(first_models[key], models[key]))
        own = compare(first_own, dict(np.load(folders[name] / "own.npz")))
        queried = compare(first_own, dict(np.load(folders[name] / "reference.npz")))
        print(f"{name:<26} {same_models:>11}/{n_members:<5} {own[0]:>23}/{own[1]:<5} {own[2]:>13.1e} "
              f"{queried[0]:>26}/{queried[1]:<5} {queried[2]:>13.1e}")
    if args.keep is None:
        print(f"(builds and answers in {root})")


if __name__ == "__main__":
    main()

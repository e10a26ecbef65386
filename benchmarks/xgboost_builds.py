"""xgboost-cpu against xgboost (same version): the same answers, the same training, the same speed?

Two fresh venvs in a temporary folder, built from a copy of this checkout: the main install
(``anb[xgboost-cpu]``) and the same with the default ``xgboost`` wheel of the same version in its
place. In each, this script runs as ``--probe``, on the real dataset's published split:

1. it trains an xgboost accuracy booster with the project's tuned config and a fixed seed
   (``ROUNDS`` rounds, to keep the run short) and saves it;
2. it predicts, with the booster trained in the *first* venv, every architecture of the dataset
   and ``N_RANDOM`` random ones, so both builds answer with one and the same model;
3. it times the training, a bulk prediction and a one-row prediction (best of ``REPEATS``).

Bit-for-bit equality is checked on the saved models' bytes and on the predictions' bytes.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/xgboost_builds.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

from _venvs import Venv, source_copy

ROUNDS = 500
N_RANDOM = 100_000
REPEATS = 3
SEED = 0


def probe(out: Path, model_from: Path | None) -> None:
    """Runs inside one venv: train, save, predict; writes what it measured to ``out``."""
    import numpy as np
    import xgboost as xgb

    from anb.data.dataset import load_dataset
    from anb.data.splits import default_split
    from anb.devices.targets import resolve_target
    from anb.models.features import features_from_encoded
    from anb.fitting.model_config import default_config_path, read_model_params
    from anb.fitting.training import split_data
    from anb.models import make_surrogate
    from configurationspaces.searchspaces import EfficientNetSS

    data = load_dataset()
    sides, _ = split_data(data, default_split(data), resolve_target())
    params = read_model_params(default_config_path("xgb")) | {"num_rounds": ROUNDS}

    train_times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        model = make_surrogate("xgb", params, seed=SEED)
        model.fit(sides["train"].X, sides["train"].y, sides["val"].X, sides["val"].y)
        train_times.append(time.perf_counter() - start)
    model_path = out.with_suffix(".ubj")
    model.booster_.save_model(model_path)

    booster = xgb.Booster(model_file=str(model_from or model_path))
    X_all = np.vstack([side.X for side in sides.values()])
    X_random = features_from_encoded(EfficientNetSS(seed=SEED).random_encoded(N_RANDOM))
    predictions = np.concatenate([booster.inplace_predict(X_all), booster.inplace_predict(X_random)])
    bulk_seconds = min(_seconds(lambda: booster.inplace_predict(X_random)) for _ in range(REPEATS))
    one_row = X_random[:1]
    booster.set_param({"nthread": 1})  # as anb predicts small batches: no thread team to wake
    booster.inplace_predict(one_row)  # the first call pays for setting up the predictor
    out.write_text(json.dumps({
        "xgboost": xgb.__version__,
        "cuda": bool(xgb.build_info().get("USE_CUDA")),
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "predictions_sha256": hashlib.sha256(predictions.tobytes()).hexdigest(),
        "n_predictions": len(predictions),
        "train_s": min(train_times),
        "bulk_predict_s": bulk_seconds,
        "one_row_predict_ms": 1e3 * min(_seconds(lambda: booster.inplace_predict(one_row)) for _ in range(20)),
    }))


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model-from", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, args.model_from)
        return

    with tempfile.TemporaryDirectory(prefix="anb_xgboost_builds_") as tmp:
        tmp = Path(tmp)
        source = source_copy(tmp / "src")
        cpu = Venv(tmp / "cpu")
        cpu.pip_install(f"{source}[xgboost-cpu]")
        version = cpu.run("import xgboost; print(xgboost.__version__)").strip()
        default = Venv(tmp / "default")
        default.pip_install(str(source), f"xgboost=={version}")
        results = {}
        for name, venv in (("xgboost-cpu", cpu), ("xgboost", default)):
            out = tmp / f"{name}.json"
            model_from = ["--model-from", str(tmp / "xgboost-cpu.ubj")] if name == "xgboost" else []
            venv.run_script(Path(__file__), "--probe", str(out), *model_from)
            results[name] = json.loads(out.read_text()) | {"venv_mb": venv.size_mb()}

    cpu_result, default_result = results["xgboost-cpu"], results["xgboost"]
    print(f"xgboost {cpu_result['xgboost']} (xgboost-cpu: CUDA {cpu_result['cuda']}; xgboost: CUDA {default_result['cuda']})")
    print("| | xgboost-cpu | xgboost |")
    print("|---|---|---|")
    print(f"| venv size (main install) | {cpu_result['venv_mb']:.0f} MB | {default_result['venv_mb']:.0f} MB |")
    print(f"| train {ROUNDS} rounds, fixed seed (best of {REPEATS}) | {cpu_result['train_s']:.2f} s | {default_result['train_s']:.2f} s |")
    print(f"| predict {N_RANDOM:,} architectures | {cpu_result['bulk_predict_s']:.3f} s | {default_result['bulk_predict_s']:.3f} s |")
    print(f"| predict one architecture | {cpu_result['one_row_predict_ms']:.3f} ms | {default_result['one_row_predict_ms']:.3f} ms |")
    same_model = cpu_result["model_sha256"] == default_result["model_sha256"]
    same_predictions = cpu_result["predictions_sha256"] == default_result["predictions_sha256"]
    print(f"trained models identical byte for byte: {'yes' if same_model else 'NO'}")
    print(f"{cpu_result['n_predictions']:,} predictions of one model identical bit for bit: {'yes' if same_predictions else 'NO'}")


if __name__ == "__main__":
    main()

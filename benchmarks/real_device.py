"""A new device proven on real hardware: this machine's CPU, which Accel-NASBench never measured.

Two devices, both one thread at batch 1 (latency, ms), measured by ``anb measure``'s protocol
and committed under ``dataset/real_devices/<device>/`` so that this analysis reruns without
measuring:

* ``cpu-torch``: PyTorch eager;
* ``cpu-ort``: ONNX Runtime on the exported network.

Each device's folder holds one measurement of, in one shuffled-rounds run (so that drift falls
evenly on all of them):

* the test set: :data:`N_TEST` random architectures (seed :data:`TEST_SEED`);
* a training pool of :data:`N_POOL` random architectures (seed :data:`POOL_SEED`), from which
  the random training draws of N = 10, 20 and 50 are taken (:data:`DRAWS` draws each);
* the ``spread`` selections of ``anb measure --select spread`` for N = 10, 20 and 50 (seed 0).

For each device and N the script fits, on the N training measurements alone, the few-shot
transfer model that ``anb adapt`` installs (:class:`anb.adaptation.few_shot.TransferModel`, donors:
the shipped surrogates of the six Accel-NASBench devices) and reports its test Kendall tau
beside the baselines: ranking by MACs, by parameters, each donor surrogate as it is (the best
of them), xgb fitted on the N alone, and the measurement's own ceiling (tau of the test set's
first round against the median of its other rounds). Random draws are averaged over
:data:`DRAWS` draws. It ends with one line per device::

    real device cpu-torch latency: N=10 tau A, N=20 tau B, N=50 tau C; MACs tau D; best donor tau E; xgb alone N=20 tau F; ceiling G

    python benchmarks/real_device.py                 # from the committed measurements (1 min idle)
    python benchmarks/real_device.py --measure       # measure anew first (~25 min, one core)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from anb.adaptation import few_shot, measure, selection
from anb.data.dataset import load_dataset
from anb.models import make_surrogate
from configurationspaces.efficientnet_encoding import architecture_ids, encode
from configurationspaces.searchspaces import EfficientNetSS

ROOT = Path(__file__).resolve().parents[1] / "dataset" / "real_devices"
DEVICES = {"cpu-torch": "torch", "cpu-ort": "onnxruntime"}
N_TEST, TEST_SEED = 100, 1000
N_POOL, POOL_SEED = 150, 2000
SIZES = (10, 20, 50)
DRAWS = 10
SPREAD_SEED = 0
PROTOCOL = {"warmup": measure.DEFAULT_WARMUP, "runs": measure.DEFAULT_RUNS, "rounds": measure.DEFAULT_ROUNDS, "seed": 0}
ALONE_PARAMS = {"max_depth": 3, "learning_rate": 0.1, "num_rounds": 200, "subsample": 1.0, "nthread": 1}


def roles() -> dict[str, np.ndarray]:
    """The encoded architectures of each role: test and pool."""
    return {"test": EfficientNetSS(seed=TEST_SEED).random_encoded(N_TEST),
            "pool": EfficientNetSS(seed=POOL_SEED).random_encoded(N_POOL)}


def measure_device(name: str, runtime: str, by_role: dict[str, np.ndarray]) -> None:
    everything = np.vstack(list(by_role.values()))
    _, first = np.unique(architecture_ids(everything), return_index=True)
    protocol = measure.Protocol(name, "latency", runtime, "cpu", 1, 1, **PROTOCOL)
    measure.measure(protocol, everything[np.sort(first)], ROOT / name,
                    {"method": "given", "by": "benchmarks/real_device.py", "roles": {k: len(v) for k, v in by_role.items()}})


def tau(a, b) -> float:
    return float(kendalltau(a, b).statistic)


def ceiling(folder: Path, test_ids: np.ndarray) -> float:
    """Tau of the test set's first round against the median of its other rounds."""
    docs = [json.loads(file.read_text()) for file in folder.glob("result_*.json")]
    ids = architecture_ids(encode([doc["architecture"] for doc in docs]))
    lookup = {i: next(iter(doc["platform_perf"].values()))["latency_rounds"] for i, doc in zip(ids, docs)}
    values = np.array([lookup[i] for i in test_ids])
    return tau(values[:, 0], np.median(values[:, 1:], axis=1))


def analyse(name: str, by_role: dict[str, np.ndarray], donors: list, cache: dict) -> dict:
    folder = ROOT / name
    data = load_dataset(folder)
    y_by_id = dict(zip(data["arch_id"], data[f"latency_{name}"]))

    def rows(encoded):
        return np.array([y_by_id[i] for i in architecture_ids(encoded)])

    test = by_role["test"]
    y_test = rows(test)

    def donor_and_cost(encoded):
        key = architecture_ids(encoded).tobytes()
        if key not in cache:
            cache[key] = (few_shot.donor_predictions(donors, encoded), few_shot.log_cost(encoded))
        return cache[key]

    test_donors, test_cost = donor_and_cost(test)
    result = {"ceiling": ceiling(folder, architecture_ids(test))}
    macs, params = np.exp(test_cost[:, 0]) - 1, np.exp(test_cost[:, 1]) - 1
    result["macs"], result["params"] = tau(macs, y_test), tau(params, y_test)
    donor_taus = {d.label: abs(tau(test_donors[:, j], y_test)) for j, d in enumerate(donors)}
    result.update({f"as {label}": value for label, value in donor_taus.items()})
    result["best donor"] = max(donor_taus.values())
    result["best donor name"] = max(donor_taus, key=donor_taus.get)
    pool = by_role["pool"]
    for n in SIZES:
        few, alone = [], []
        for draw in range(DRAWS):
            train = pool[np.sort(np.random.default_rng([draw, n]).choice(len(pool), n, replace=False))]
            d, c = donor_and_cost(train)
            y = rows(train)
            model = few_shot.TransferModel().fit(d, c, y)
            few.append(tau(model.predict_log(test_donors, test_cost), y_test))
            xgb = make_surrogate("xgb", ALONE_PARAMS, seed=draw).fit(
                few_shot.features_from_encoded(train), np.log(y))
            alone.append(tau(xgb.predict(few_shot.features_from_encoded(test)), y_test))
        result[f"N={n}"], result[f"xgb alone N={n}"] = float(np.mean(few)), float(np.mean(alone))
        pool_donors, pool_cost = donor_and_cost(pool)
        points = few_shot.TransferModel().standardise(pool_donors, pool_cost)
        spread = [tau(few_shot.TransferModel().fit(pool_donors[i], pool_cost[i], rows(pool[i])).predict_log(
            test_donors, test_cost), y_test) for i in (selection.spread_indices(points, n, draw) for draw in range(DRAWS))]
        result[f"spread N={n}"] = float(np.mean(spread))
    return result


def draw(results: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), sharey=True, squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items()):
        ax.plot(SIZES, [r[f"N={n}"] for n in SIZES], "o-", label="anb adapt (few-shot transfer)")
        ax.plot(SIZES, [r[f"spread N={n}"] for n in SIZES], "o:", label="same, spread selection")
        ax.plot(SIZES, [r[f"xgb alone N={n}"] for n in SIZES], "s--", label="xgb on the N alone")
        for key, label, color, line in (("ceiling", "ceiling (round 1 vs the rest)", "k", "-"),
                                        ("best donor", "best known device as is", "C3", "-."),
                                        ("macs", "MACs", "C7", ":")):
            ax.axhline(r[key], color=color, linestyle=line, label=label)
        ax.set(title=f"{name} latency, {N_TEST} test architectures", xlabel="measurements N", xscale="log",
               xticks=SIZES, xticklabels=[str(n) for n in SIZES])
        ax.minorticks_off()
    axes[0][0].set_ylabel("test Kendall tau")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", action="store_true", help="measure both devices anew (overwrites nothing: "
                                                                "resumes, or refuses a folder of another protocol)")
    parser.add_argument("--devices", nargs="+", choices=list(DEVICES), default=list(DEVICES))
    parser.add_argument("--figure", help="draw test tau against N, with the baselines, into this PNG")
    args = parser.parse_args()
    start = time.perf_counter()
    by_role = roles()
    if args.measure:
        for name in args.devices:
            measure_device(name, DEVICES[name], by_role)
    donors = few_shot.donor_targets("")
    cache: dict = {}
    results = {name: analyse(name, by_role, donors, cache) for name in args.devices}
    table = pd.DataFrame(results)
    print("test Kendall tau (rows: what ranks the test architectures; 'as <device>': its surrogate as it is)")
    print(table.to_string())
    print(f"wall time {time.perf_counter() - start:.0f} s")
    if args.figure:
        draw(results, Path(args.figure))
        print(f"wrote {args.figure}")
    for name, r in results.items():
        print(f"real device {name} latency: N=10 tau {r['N=10']:.3f}, N=20 tau {r['N=20']:.3f}, "
              f"N=50 tau {r['N=50']:.3f}; MACs tau {r['macs']:.3f}; best donor tau {r['best donor']:.3f}; "
              f"xgb alone N=20 tau {r['xgb alone N=20']:.3f}; ceiling {r['ceiling']:.3f}")


if __name__ == "__main__":
    main()

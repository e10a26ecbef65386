"""Kendall tau of NAS-Bench-101 accuracy predictors on NASLib's 500-cell sample.

Train on the seeded random split ``172`` and test on the other 328 cells, for seeds 0..4
(split seed = model seed), and print mean ± standard deviation over the seeds as markdown
tables.

``features``: each predictor per feature set, trained as the package trains by default
(training cells below the robust accuracy floor dropped, the GCN on a Huber loss):

* ``rest``: all 328 test cells, as specified;
* ``unseen``: only the test cells not isomorphic to any training cell. The sample holds 292
  distinct cells for 500 entries (one cell 55 times), so ``rest`` rewards memorising the
  training cells; this column shows how well a predictor generalises to new ones.

The ``raw`` feature set is the flat encoding of NASLib's unpruned 7-vertex specs (the usual
NASLib baseline, tau about 0.35); ``flat``, ``path`` and ``cost`` are computed on the pruned
cell (:mod:`anb.nb101.features`), ``cost`` being the analytic log parameter count and log
FLOPs. The GCN reads the pruned graph.

``robustness``: each predictor on its usual input (flat encoding; the GCN on the graph) on
the clean sample and with diverged cells injected into each seed's training split (``10%``:
three cells set to 10 % validation accuracy; ``mixed``: four cells set to 9.5, 51.5, 76.8 and
79.0 %, the diverged runs of an independent 1,000-cell sample), trained two ways in the same
run: ``naive`` (every training cell kept, the GCN on a squared loss: the package before
robust training) and ``robust`` (the defaults). Test cells are never corrupted.

    ANB_NB101_DATA_DIR=../shared/data/nb101 python benchmarks/nb101_predictors.py
    python benchmarks/nb101_predictors.py --tables robustness --models xgb gcn
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from anb.fitting.metrics import evaluate_metrics
from anb.nb101 import (
    PREDICTORS,
    NASBench101Dataset,
    NB101Predictor,
    accuracy_floor,
    complement,
    data_dir,
    fit_eval,
    split_indices,
)
from anb.nb101.data import NASLIB_FILE
from anb.nb101.features import encode_cells
from anb.nb101.json_layouts import naslib_cell
from anb.nb101.layout import EPOCHS, POINTS, QUANTITIES
from anb.nb101.predictors import target_values
from anb.nb101.readers import read_json_file
from configurationspaces.nasbench101 import MAX_VERTICES, OP_LABELS
from configurationspaces.nasbench101_encoding import flat_encoding

FEATURE_SETS = ("raw", "raw+cost", "flat", "flat+cost", "path+cost")
GRAPH = "graph"
TRAIN_SPLIT = "172"
INJECTIONS = {"clean": (), "10%": (0.10, 0.10, 0.10), "mixed": (0.095, 0.515, 0.768, 0.790)}
VALIDATION = (EPOCHS.index(108), 0, POINTS.index("final"), QUANTITIES.index("validation_accuracy"))
TRAININGS = {
    "naive": lambda model: {"min_train_accuracy": None, "params": {"loss": "mse"} if model == "gcn" else None},
    "robust": lambda model: {},
}


def raw_flat_encoding(path) -> np.ndarray:
    """Flat encoding of the unpruned 7-vertex specs of the NASLib file, in file (= row) order."""
    keys = list(read_json_file(path)["nasbench101"]["cifar10"])
    cells = [naslib_cell(key) for key in keys]
    adjacency = np.stack([cell.original_matrix for cell in cells])
    labels = np.array([[OP_LABELS[op] for op in cell.original_ops] for cell in cells], dtype=np.int8)
    if adjacency.shape[1:] != (MAX_VERTICES, MAX_VERTICES):
        raise ValueError(f"{path}: expected 7-vertex specs")
    # Seven vertices with the output last: the encoder reads the spec as it is.
    return flat_encoding(adjacency, labels)


def design_matrix(features: str, dataset: NASBench101Dataset, raw: np.ndarray) -> np.ndarray:
    if features.startswith("raw"):
        rest = features[len("raw") :].lstrip("+")
        return np.column_stack([raw, encode_cells(dataset.adjacency, dataset.labels, rest)]) if rest else raw
    return encode_cells(dataset.adjacency, dataset.labels, features)


def feature_taus(dataset, raw, models, feature_sets, seeds):
    y = target_values(dataset)
    matrices = {features: design_matrix(features, dataset, raw) for features in feature_sets}
    taus = {}  # (model, features) -> {"rest": [...], "unseen": [...]}
    n_unseen = 0
    for model in models:
        for features in [GRAPH] if model == "gcn" else feature_sets:
            start = time.perf_counter()
            scores = {"rest": [], "unseen": []}
            for seed in seeds:
                sampled = split_indices(dataset, TRAIN_SPLIT, seed)
                test = complement(sampled, len(dataset))
                train = sampled[y[sampled] >= accuracy_floor(y[sampled])]
                predictor = NB101Predictor(model, seed=seed)
                if model == "gcn":
                    predictor.fit(dataset.adjacency[train], dataset.labels[train], y[train])
                    predicted = predictor.predict(dataset.adjacency[test], dataset.labels[test])
                else:
                    # The predictor's own estimator on the precomputed matrix: "raw" features
                    # come from the unpruned specs, which the dataset does not keep.
                    X = matrices[features]
                    predicted = predictor.estimator_.fit(X[train], y[train]).predict(X[test])
                unseen = ~np.isin(dataset.hashes[test], dataset.hashes[sampled])
                n_unseen = int(unseen.sum())
                scores["rest"].append(evaluate_metrics(y[test], predicted)["kendall_tau"])
                scores["unseen"].append(evaluate_metrics(y[test][unseen], predicted[unseen])["kendall_tau"])
            taus[model, features] = scores
            print(f"# {model:<15}{features:<11}tau(rest) {np.mean(scores['rest']):.3f}  "
                  f"tau(unseen) {np.mean(scores['unseen']):.3f}  [{time.perf_counter() - start:.0f}s]", flush=True)
    return taus, n_unseen


def with_diverged(dataset: NASBench101Dataset, seed: int, accuracies) -> NASBench101Dataset:
    """A copy whose seed's training split holds cells diverged to ``accuracies`` (fractions)."""
    copy = dataset.subset(np.arange(len(dataset)))
    train = split_indices(copy, TRAIN_SPLIT, seed)
    rows = np.random.default_rng(seed).choice(train, len(accuracies), replace=False)
    copy.metrics[(rows, *VALIDATION)] = accuracies
    return copy


def robustness(dataset, models, seeds):
    """(model, injection, training) -> per-seed results of fit_eval on the other 328 cells."""
    results = {}
    for model in models:
        for injection, accuracies in INJECTIONS.items():
            for training, options in TRAININGS.items():
                start = time.perf_counter()
                runs = [
                    fit_eval(with_diverged(dataset, seed, accuracies), TRAIN_SPLIT, model=model, split_seed=seed,
                             model_seed=seed, **options(model))
                    for seed in seeds
                ]
                results[model, injection, training] = runs
                taus = [r["kendall_tau"] for r in runs]
                print(f"# {model:<15}{injection:<7}{training:<7}tau {np.mean(taus):.3f} ± {np.std(taus):.3f}  "
                      f"[{time.perf_counter() - start:.0f}s]", flush=True)
    return results


def _mean_std(values) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def feature_table(taus, models, feature_sets, which: str) -> str:
    columns = [*feature_sets, GRAPH]
    lines = ["| predictor | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for model in models:
        cells = []
        for features in columns:
            scores = taus.get((model, features))
            cells.append(_mean_std(scores[which]) if scores else "")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def robustness_table(results, models) -> str:
    columns = [f"{injection} {training}" for injection in INJECTIONS for training in TRAININGS]
    lines = ["| predictor | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for model in models:
        cells = []
        for injection in INJECTIONS:
            for training in TRAININGS:
                runs = results[model, injection, training]
                mse = np.mean([r["mse"] for r in runs])
                cells.append(f"{_mean_std([r['kendall_tau'] for r in runs])} (MSE {mse:.2f} %²)")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help=f"NASLib JSON (default: $ANB_NB101_DATA_DIR/{NASLIB_FILE})")
    parser.add_argument("--models", nargs="+", default=list(PREDICTORS), choices=PREDICTORS)
    parser.add_argument("--features", nargs="+", default=list(FEATURE_SETS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tables", nargs="+", default=["features", "robustness"], choices=["features", "robustness"])
    args = parser.parse_args(argv)
    path = args.data or data_dir() / NASLIB_FILE
    dataset = NASBench101Dataset.from_naslib_json(path)
    seeds = range(args.seeds)
    if "features" in args.tables:
        taus, n_unseen = feature_taus(dataset, raw_flat_encoding(path), args.models, args.features, seeds)
        titles = {"rest": "all 328 test cells", "unseen": f"test cells not isomorphic to a training cell (~{n_unseen})"}
        for which, title in titles.items():
            print(f"\nMean test Kendall tau over {args.seeds} seeds, train 172 NASLib cells, {title}:\n")
            print(feature_table(taus, args.models, args.features, which))
        best = max(taus, key=lambda key: np.mean(taus[key]["rest"]))
        print(f"\nbest: {best[0]} on {best[1]}, mean tau {np.mean(taus[best]['rest']):.3f}")
    if "robustness" in args.tables:
        results = robustness(dataset, args.models, seeds)
        print(f"\nTest Kendall tau (mean ± std over {args.seeds} seeds) and MSE on the 328 test cells, "
              "training on 172 cells with diverged cells injected; naive = keep all cells, squared loss:\n")
        print(robustness_table(results, args.models))


if __name__ == "__main__":
    main()

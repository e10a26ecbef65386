"""Kendall tau of NAS-Bench-101 accuracy predictors on NASLib's 500-cell sample.

Train on the seeded random split ``172`` and test on the other 328 cells, for seeds 0..4;
print each predictor's mean (and standard deviation) test Kendall tau per feature set as
markdown tables:

* ``rest``: all 328 test cells, as specified;
* ``unseen``: only the test cells not isomorphic to any training cell. The sample holds 292
  distinct cells for 500 entries (one cell 55 times), so ``rest`` rewards memorising the
  training cells; this column shows how well a predictor generalises to new ones.

The ``raw`` feature set is the flat encoding of NASLib's unpruned 7-vertex specs (the usual
NASLib baseline, tau about 0.35); ``flat``, ``path`` and ``cost`` are computed on the pruned
cell (:mod:`anb.nb101.features`), ``cost`` being the analytic log parameter count and log
FLOPs. The GCN reads the pruned graph.

    ANB_NB101_DATA_DIR=../shared/data/nb101 python benchmarks/nb101_predictors.py
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from anb.metrics import evaluate_metrics
from anb.nb101.data import NASLIB_FILE, NASBench101Dataset, data_dir
from anb.nb101.json_layouts import naslib_cell
from anb.nb101.features import encode_cells
from anb.nb101.predictors import PREDICTORS, NB101Predictor, target_values
from anb.nb101.splits import complement, split_indices
from configurationspaces.nasbench101 import MAX_VERTICES, OP_LABELS
from configurationspaces.nasbench101_encoding import flat_encoding

FEATURE_SETS = ("raw", "raw+cost", "flat", "flat+cost", "path+cost")
GRAPH = "graph"


def raw_flat_encoding(path) -> np.ndarray:
    """Flat encoding of the unpruned 7-vertex specs of the NASLib file, in file (= row) order."""
    with open(path) as handle:
        keys = list(json.load(handle)["nasbench101"]["cifar10"])
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


def run(models, feature_sets, seeds, path):
    dataset = NASBench101Dataset.from_naslib_json(path)
    raw = raw_flat_encoding(path)
    y = target_values(dataset)
    matrices = {features: design_matrix(features, dataset, raw) for features in feature_sets}
    taus = {}  # (model, features) -> {"rest": [...], "unseen": [...]}
    for model in models:
        for features in [GRAPH] if model == "gcn" else feature_sets:
            start = time.perf_counter()
            scores = {"rest": [], "unseen": []}
            for seed in seeds:
                train = split_indices(dataset, "172", seed)
                test = complement(train, len(dataset))
                predictor = NB101Predictor(model, seed=seed)
                if model == "gcn":
                    predictor.fit(dataset.adjacency[train], dataset.labels[train], y[train])
                    predicted = predictor.predict(dataset.adjacency[test], dataset.labels[test])
                else:
                    # The predictor's own estimator on the precomputed matrix: "raw" features
                    # come from the unpruned specs, which the dataset does not keep.
                    X = matrices[features]
                    predicted = predictor.estimator_.fit(X[train], y[train]).predict(X[test])
                unseen = ~np.isin(dataset.hashes[test], dataset.hashes[train])
                scores["rest"].append(evaluate_metrics(y[test], predicted)["kendall_tau"])
                scores["unseen"].append(evaluate_metrics(y[test][unseen], predicted[unseen])["kendall_tau"])
            taus[model, features] = scores
            print(f"# {model:<15}{features:<11}tau(rest) {np.mean(scores['rest']):.3f}  "
                  f"tau(unseen) {np.mean(scores['unseen']):.3f}  [{time.perf_counter() - start:.0f}s]", flush=True)
    return taus, int(unseen.sum())


def table(taus, models, feature_sets, which: str) -> str:
    columns = [*feature_sets, GRAPH]
    lines = ["| predictor | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for model in models:
        cells = []
        for features in columns:
            scores = taus.get((model, features))
            cells.append(f"{np.mean(scores[which]):.3f} ± {np.std(scores[which]):.3f}" if scores else "")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help=f"NASLib JSON (default: $ANB_NB101_DATA_DIR/{NASLIB_FILE})")
    parser.add_argument("--models", nargs="+", default=list(PREDICTORS), choices=PREDICTORS)
    parser.add_argument("--features", nargs="+", default=list(FEATURE_SETS))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    path = args.data or data_dir() / NASLIB_FILE
    taus, n_unseen = run(args.models, args.features, range(args.seeds), path)
    titles = {"rest": "all 328 test cells", "unseen": f"test cells not isomorphic to a training cell (~{n_unseen})"}
    for which, title in titles.items():
        print(f"\nMean test Kendall tau over {args.seeds} seeds, train 172 NASLib cells, {title}:\n")
        print(table(taus, args.models, args.features, which))
    best = max(taus, key=lambda key: np.mean(taus[key]["rest"]))
    print(f"\nbest: {best[0]} on {best[1]}, mean tau {np.mean(taus[best]['rest']):.3f}")


if __name__ == "__main__":
    main()

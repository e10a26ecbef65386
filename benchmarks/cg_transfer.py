"""Computation-graph predictors within and across search-space families (GENNAPE's experiments).

(a) Within family: the k-GNN on MnasNet CGs (``anb.graphs.predictor``) against xgb on the 46
    surrogate features (``anb.models.features``), both fitted on the same 1,000 random training
    architectures of Accel-NASBench (ImageNet top-1), Kendall tau on the published test split.
(b) Across families: the k-GNN pretrained on NAS-Bench-101 CGs (NASLib's 500 samples, CIFAR-10
    validation accuracy) and fine-tuned on 50 Accel-NASBench architectures with the pairwise
    ranking loss (the row the target is about), against the same k-GNN fitted on those 50
    alone and xgb on those 50. For reference: the same fine-tuning with the Huber regression
    loss, a ridge regression on the frozen pretrained network's embedding of the 50, and the
    pretrained k-GNN zero-shot (no MnasNet sample at all). Tau on the same test split. The
    pretrained model is trained once (seed 0), as a published pretrained predictor would be,
    and every seed fine-tunes a copy of it on its own 50 architectures. The pairwise and
    ridge settings were chosen on a validation subset of the training split, not on the test.

Every seed draws its own training sample and seeds the models' initialisation and batches; the
table gives the mean and standard deviation of tau over seeds, and each seed's tau. Before that, graph building
speed: the vectorised batch builders against building the same graphs one architecture at a
time (the baseline). Torch runs one thread; run it niced on a shared machine:

    ANB_DATA_DIR=../shared/data/anb ANB_NB101_DATA_DIR=../shared/data/nb101 \\
        nice -n 15 python benchmarks/cg_transfer.py            # full: about an hour on a busy 2-core box
    ... python benchmarks/cg_transfer.py --quick               # smoke test: 1 seed, few epochs
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
from scipy.stats import kendalltau
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from anb.data import paths
from anb.data.dataset import load_dataset
from anb.data.splits import default_split, load_split_dir
from anb.graphs.predictor import DEFAULTS, GraphPredictor
from anb.models import make_surrogate
from anb.models.features import build_features
from anb.nb101 import NASBench101Dataset
from configurationspaces.cg_mnasnet import mnasnet_graphs
from configurationspaces.cg_nasbench101 import nasbench101_graphs
from configurationspaces.efficientnet_encoding import encode

TARGET = "val_top1"
WITHIN_TRAIN = 1000
FEW_SHOT = 50
# The NAS-Bench-101 predictors' xgb settings (anb.nb101.predictors), made for a few hundred rows.
XGB_PARAMS = {"max_depth": 4, "learning_rate": 0.05, "num_rounds": 400, "subsample": 0.8,
              "colsample_bytree": 0.8, "min_child_weight": 2, "nthread": 1}
QUICK_GNN = {"epochs": 4, "fine_tune_epochs": 8, "pairwise_fine_tune_epochs": 8}
RIDGE_ALPHAS = np.logspace(-2, 4, 25)
# (b)'s row that the target is about, and the two 50-sample baselines it must beat.
PAIRWISE = "cg k-GNN pretrained on NB-101 + pairwise fine-tune"
ALONE = "cg k-GNN on the 50 alone"
XGB_ALONE = "xgb on the 50 alone"
SPEED_GRAPHS = 5000
BASELINE_GRAPHS = 200


def published_split(data):
    """The train and test rows (with a target) of the split published with the dataset, else the
    package's default split."""
    directory = paths.data_dir() / "default_split"
    split = load_split_dir(directory, data) if directory.is_dir() else default_split(data)
    frames = split.frames(data)
    train, test = (frames[side][frames[side][TARGET].notna()].reset_index(drop=True) for side in ("train", "test"))
    return train, test, str(directory) if directory.is_dir() else split.source


def tau(predicted, measured) -> float:
    return float(kendalltau(predicted, measured).statistic)


def graph_speed(data, nb101) -> None:
    """Graphs per second, batch against one at a time."""
    encoded = np.tile(data, (SPEED_GRAPHS // len(data) + 1, 1))[:SPEED_GRAPHS]
    adjacency = np.tile(nb101.adjacency, (SPEED_GRAPHS // len(nb101) + 1, 1, 1))[:SPEED_GRAPHS]
    labels = np.tile(nb101.labels, (SPEED_GRAPHS // len(nb101) + 1, 1))[:SPEED_GRAPHS]
    builders = {
        "MnasNet": (lambda rows: mnasnet_graphs(encoded[rows]), len(encoded)),
        "NAS-Bench-101": (lambda rows: nasbench101_graphs(adjacency[rows], labels[rows]), len(adjacency)),
    }
    # CPU time of this process: on a shared machine wall time mostly measures the neighbours.
    print(f"graph building, CPU time ({SPEED_GRAPHS} graphs per batch; baseline: {BASELINE_GRAPHS} built one by one)")
    for name, (build, n) in builders.items():
        start = time.process_time()
        graphs = build(np.arange(n))
        batch = n / (time.process_time() - start)
        start = time.process_time()
        for i in range(BASELINE_GRAPHS):
            build(np.arange(i, i + 1))
        single = BASELINE_GRAPHS / (time.process_time() - start)
        print(f"  {name:14s} batch {batch:8.0f} graphs/s, one by one {single:6.0f} graphs/s "
              f"({batch / single:.0f}x); {graphs.n_nodes.mean():.0f} nodes, {graphs.n_edges.mean():.0f} edges "
              "per graph")


def summary(name: str, values: list[float]) -> str:
    values = np.asarray(values)
    seeds = " ".join(f"{v:.3f}" for v in values)
    return f"  {name:50s} {values.mean():.3f}  {values.std():.3f}  [{seeds}]"


def within_family(train, test, test_graphs, x_test, seeds, gnn_params) -> dict:
    results = {"cg k-GNN": [], "xgb, 46 features": []}
    for seed in range(seeds):
        rows = np.random.default_rng(seed).choice(len(train), WITHIN_TRAIN, replace=False)
        y = train[TARGET].to_numpy()[rows]
        gnn = GraphPredictor(gnn_params, seed=seed).fit(mnasnet_graphs(train.iloc[rows]), y)
        results["cg k-GNN"].append(tau(gnn.predict(test_graphs), test[TARGET]))
        xgb = make_surrogate("xgb", XGB_PARAMS, seed=seed).fit(build_features(train.iloc[rows]), y)
        results["xgb, 46 features"].append(tau(xgb.predict(x_test), test[TARGET]))
    return results


def across_families(train, test, test_graphs, x_test, nb101, seeds, gnn_params) -> dict:
    huber, ridge_head, zero_shot_name = ("cg k-GNN pretrained on NB-101 + Huber fine-tune",
                                         "cg k-GNN pretrained, frozen + ridge head", "cg k-GNN pretrained on NB-101, zero-shot")
    results = {name: [] for name in (PAIRWISE, huber, ridge_head, ALONE, XGB_ALONE, zero_shot_name)}
    pretrained = GraphPredictor(gnn_params, seed=0).fit(nasbench101_graphs(nb101.adjacency, nb101.labels),
                                                        nb101.accuracy("validation"))
    zero_shot = tau(pretrained.predict(test_graphs), test[TARGET])
    test_embedding = pretrained.embed(test_graphs)
    for seed in range(seeds):
        rows = np.random.default_rng(1000 + seed).choice(len(train), FEW_SHOT, replace=False)
        graphs, y = mnasnet_graphs(train.iloc[rows]), train[TARGET].to_numpy()[rows]
        for name, loss in ((PAIRWISE, "pairwise"), (huber, "huber")):
            tuned = copy.deepcopy(pretrained)
            tuned.seed = seed
            results[name].append(tau(tuned.fine_tune(graphs, y, loss=loss).predict(test_graphs), test[TARGET]))
        # Ridge's penalty by leave-one-out within the 50; the embedding standardised on them.
        head = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS)).fit(pretrained.embed(graphs), y)
        results[ridge_head].append(tau(head.predict(test_embedding), test[TARGET]))
        # As many epochs as the Huber fine-tuning gets, from scratch.
        epochs = gnn_params.get("fine_tune_epochs", DEFAULTS["fine_tune_epochs"])
        alone = GraphPredictor({**gnn_params, "epochs": epochs}, seed=seed).fit(graphs, y)
        results[ALONE].append(tau(alone.predict(test_graphs), test[TARGET]))
        xgb = make_surrogate("xgb", XGB_PARAMS, seed=seed).fit(build_features(train.iloc[rows]), y)
        results[XGB_ALONE].append(tau(xgb.predict(x_test), test[TARGET]))
        results[zero_shot_name].append(zero_shot)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 seed, a few epochs")
    parser.add_argument("--within-seeds", type=int, default=3, help="seeds of (a) (default 3)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of (b) (default 5)")
    parser.add_argument("--nb101", help="NASLib's NAS-Bench-101 sample (default: in anb.nb101.data_dir())")
    parser.add_argument("--part", choices=("a", "b", "both"), default="both",
                        help="run only (a) or (b), e.g. as two processes (default both)")
    args = parser.parse_args(argv)
    gnn_params = QUICK_GNN if args.quick else {}
    within_seeds, seeds = (1, 1) if args.quick else (args.within_seeds, args.seeds)

    data = load_dataset()
    nb101 = NASBench101Dataset.from_naslib_json(args.nb101)
    train, test, source = published_split(data)
    if args.part != "b":
        graph_speed(encode(data), nb101)
    test_graphs, x_test = mnasnet_graphs(test), build_features(test)
    print(f"\nKendall tau of {TARGET} on the test split of {source} ({len(test)} architectures); "
          f"k-GNN settings {({**DEFAULTS, **gnn_params})}")
    print(f"  {'':50s} mean   std    per seed")

    if args.part != "b":
        start = time.perf_counter()
        print(f"(a) within family: {WITHIN_TRAIN} training architectures, {within_seeds} seed(s)")
        within = within_family(train, test, test_graphs, x_test, within_seeds, gnn_params)
        for name, values in within.items():
            print(summary(name, values))
        gap = np.mean(within["cg k-GNN"]) - np.mean(within["xgb, 46 features"])
        print(f"  k-GNN - xgb: {gap:+.3f} (target: within 0.03)    [{time.perf_counter() - start:.0f} s]")

    if args.part != "a":
        start = time.perf_counter()
        print(f"(b) across families: pretrained on {len(nb101)} NAS-Bench-101 cells, {FEW_SHOT} MnasNet "
              f"architectures, {seeds} seed(s)")
        across = across_families(train, test, test_graphs, x_test, nb101, seeds, gnn_params)
        for name, values in across.items():
            print(summary(name, values))
        gap = np.mean(across[PAIRWISE]) - max(np.mean(across[ALONE]), np.mean(across[XGB_ALONE]))
        print(f"  pairwise fine-tuned - best 50-sample baseline: {gap:+.3f} (target: > 0)"
              f"    [{time.perf_counter() - start:.0f} s]")

if __name__ == "__main__":
    main()

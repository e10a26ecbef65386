"""The scikit-learn families as arrays (anb.models.forest_arrays, anb.models.kernel_machine) against scikit-learn.

A random forest and an RBF SVR are fitted on the training side of the a100 throughput split
(the project's default split), once through anb's surrogate and once by scikit-learn itself with
the same parameters and seed. Both then predict the test side tiled to ``--rows`` rows and one row
at a time; printed: the best of ``--repeats`` wall times of each and the largest relative
difference between their answers. Timed in one run, so the comparison holds on a shared machine.

    ANB_DATA_DIR=../shared/data/anb python benchmarks/sklearn_arrays.py [--rows 20000]
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_and_median
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from anb.data.dataset import load_dataset
from anb.data.splits import default_split
from anb.devices.targets import resolve_target
from anb.fitting.training import split_data
from anb.models import make_surrogate

FOREST = {"n_estimators": 100, "max_features": 0.5}
MACHINE = {"C": 10.0, "epsilon": 0.05}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = load_dataset()
    sides, _ = split_data(data, default_split(data), resolve_target("a100", "throughput"))
    train, test = sides["train"], sides["test"]
    X = np.resize(test.X, (args.rows, test.X.shape[1]))
    pairs = {
        "random forest": (make_surrogate("sklearn_forest", FOREST, seed=0).fit(train.X, train.y),
                          RandomForestRegressor(**FOREST, random_state=0, n_jobs=-1).fit(train.X, train.y)),
        "SVR (rbf)": (make_surrogate("svr", MACHINE, seed=0).fit(train.X, train.y),
                      TransformedTargetRegressor(make_pipeline(StandardScaler(), SVR(**MACHINE)),
                                                 transformer=StandardScaler()).fit(train.X, train.y)),
    }
    for name, (ours, theirs) in pairs.items():
        difference = np.max(np.abs(ours.predict(X) / theirs.predict(X) - 1))
        bulk_ours, _ = best_and_median(lambda: ours.predict(X), args.repeats)
        bulk_theirs, _ = best_and_median(lambda: theirs.predict(X), args.repeats)
        one_ours, _ = best_and_median(lambda: ours.predict(X[:1]), args.repeats * 20)
        one_theirs, _ = best_and_median(lambda: theirs.predict(X[:1]), args.repeats * 20)
        print(f"{name}: {args.rows:,} rows anb {bulk_ours * 1e3:.1f} ms, scikit-learn {bulk_theirs * 1e3:.1f} ms; "
              f"one row anb {one_ours * 1e3:.3f} ms, scikit-learn {one_theirs * 1e3:.3f} ms; "
              f"max relative difference {difference:.1e}")


if __name__ == "__main__":
    main()

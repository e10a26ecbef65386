"""NAS-Bench-101: read its data in any published format, split it, and fit accuracy predictors.

The search space itself (cells, validation, hashing, sampling, encodings, cost) lives in
``configurationspaces.nasbench101*``; see ``dataset/nasbench101.md`` for the data formats.

May import: :mod:`anb.models`, :mod:`anb.fitting` (the metrics), :mod:`anb.data` (where the data lies, the argument checks).
"""

from anb.nb101.data import NASBench101Dataset, data_dir, default_data_file
from anb.nb101.layout import EPOCHS, N_SEEDS, POINTS, QUANTITIES
from anb.nb101.predictors import PREDICTORS, NB101Predictor, fit_eval, fit_split, rank_cells
from anb.nb101.robust import accuracy_floor
from anb.nb101.splits import SPLIT_NAMES, complement, split_indices

__all__ = [
    "EPOCHS",
    "N_SEEDS",
    "NASBench101Dataset",
    "NB101Predictor",
    "POINTS",
    "PREDICTORS",
    "QUANTITIES",
    "SPLIT_NAMES",
    "accuracy_floor",
    "complement",
    "data_dir",
    "default_data_file",
    "fit_eval",
    "fit_split",
    "rank_cells",
    "split_indices",
]

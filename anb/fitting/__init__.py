"""Fitting, evaluating and tuning surrogates on the dataset.

- :mod:`~anb.fitting.features`: the feature matrix a surrogate is fitted on and queried with;
- :mod:`~anb.fitting.training`: fit ensemble members on a split and evaluate every side;
- :mod:`~anb.fitting.model_config`: the model configs (ConfigSpace JSON) and their hyperparameters;
- :mod:`~anb.fitting.calibration`: the ensemble's predictive std, fitted on the validation side;
- :mod:`~anb.fitting.metrics` and :mod:`~anb.fitting.plotting`: how predictions are scored and drawn;
- :mod:`anb.fitting.hpo`: cost-aware tuning of the model configs with SMAC (``do_hpo.py``).

May import: :mod:`anb.models`, :mod:`anb.data`, :mod:`anb.devices`.
"""

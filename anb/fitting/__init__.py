"""Fitting, evaluating and tuning surrogates on the dataset.

What a query needs as well lives in :mod:`anb.models`: the features a surrogate is fitted on and
queried with (:mod:`anb.models.features`) and the calibrated std (:mod:`anb.models.calibration`,
fitted here on the validation side).

- :mod:`~anb.fitting.training`: fit ensemble members on a split and evaluate every side;
- :mod:`~anb.fitting.model_config`: the model configs (ConfigSpace JSON) and their hyperparameters;
- :mod:`~anb.fitting.metrics` and :mod:`~anb.fitting.plotting`: how predictions are scored and drawn;
- :mod:`anb.fitting.hpo`: cost-aware tuning of the model configs with SMAC (``do_hpo.py``).

May import: :mod:`anb.models`, :mod:`anb.data`, :mod:`anb.devices`.
"""

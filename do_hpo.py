"""Tune a surrogate's hyperparameters with SMAC; the logic lives in :mod:`anb.fitting.hpo`.

Keeps the original's flags, each with a default. Examples::

    python do_hpo.py --model xgb --walltime 120 --n-workers 2
    python do_hpo.py --model lgb_accel --device a100 --metric throughput --n-trials 50
    python do_hpo.py --model xgb --scheduler-address tcp://127.0.0.1:8786

The tuned config (``<log_dir>/<model>/.../<model>_configspace.json``) is a model-config file
for ``fit_model.py --model_config_path``. Started again with the same arguments, a run resumes.
"""

import sys

from anb.fitting.hpo import main

if __name__ == "__main__":
    sys.exit(main())

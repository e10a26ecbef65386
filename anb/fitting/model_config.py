"""Model configs: ConfigSpace JSON files whose defaults are the hyperparameters to use.

The format is the original Accel-NASBench one: library parameters are named ``param:<name>``
(``param:num_rounds`` is the number of boosting rounds), ``early_stopping_rounds`` stands
alone, and the ranges of each hyperparameter are the space that ``do_hpo.py`` searches.
"""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

from ConfigSpace import ConfigurationSpace

from anb.models import Surrogate, family_class

PARAM_PREFIX = "param:"
# The original's flag for an alternative (path) encoding; this package has one encoding only.
IGNORED = {"bananas_enc"}


def read_configspace(path: str | Path) -> ConfigurationSpace:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model config {path} does not exist")
    with warnings.catch_warnings():
        # Files written by ConfigSpace < 1.0 say "default" where 1.x says "default_value";
        # 1.x reads them correctly and only warns about the old spelling.
        warnings.filterwarnings("ignore", message="The field 'default' should be", category=UserWarning)
        try:
            return ConfigurationSpace.from_json(path)
        except Exception as exc:
            raise ValueError(f"{path} is not a valid ConfigSpace JSON file: {exc}") from exc


def config_to_params(values: dict) -> dict:
    """Library parameters from a configuration: ``param:`` prefixes stripped, numpy scalars unwrapped."""
    params = {}
    for name, value in values.items():
        key = name[len(PARAM_PREFIX):] if name.startswith(PARAM_PREFIX) else name
        if key in IGNORED:
            continue
        params[key] = value.item() if hasattr(value, "item") else value
    return params


def check_params_for_family(names, family: str, source: str) -> None:
    """Refuse parameters (``param:`` prefixes allowed) that model ``family`` does not take.

    Such a config was most likely written for another family, and the libraries would only warn
    about an unknown parameter and carry on. The message names the families it would fit.
    """
    params = {name[len(PARAM_PREFIX):] if name.startswith(PARAM_PREFIX) else name for name in names} - IGNORED
    tunable = family_class(family).tunable_params
    unknown = sorted(params - tunable)
    if unknown:
        fits = [other for other, cls in Surrogate.families.items() if other != family and params <= cls.tunable_params]
        hint = f"; it looks like a config for {' or '.join(fits)}" if fits else f"; {family} takes: {', '.join(sorted(tunable))}"
        raise ValueError(f"{source} does not match model {family!r}: {family} takes no parameter "
                         f"{', '.join(repr(u) for u in unknown)}{hint}")


def read_model_params(path: str | Path) -> dict:
    """The hyperparameters a model config file prescribes (its defaults)."""
    space = read_configspace(path)
    return config_to_params(dict(space.get_default_configuration()))


def config_file_name(family: str, device: str | None = None, metric: str | None = None) -> str:
    if device is None:
        return f"{family}_configspace.json"
    return f"{family}_accel_{device}_{metric}_configspace.json"


def package_config_path(family: str, device: str | None = None, metric: str | None = None) -> Path:
    """Where the package keeps the config of this model and target (the file may not exist)."""
    folder = resources.files("anb.configs") / "model_configs" / family_class(family).config_folder
    return Path(str(folder / config_file_name(family, device, metric)))


def default_config_path(family: str, device: str | None = None, metric: str | None = None) -> Path:
    """The project's tuned config for a model and target, shipped inside the package.

    Falls back to the model's accuracy config when there is none for the device (e.g. a
    third-party device), since a config is a starting point, not a property of the data.
    """
    for candidate in (package_config_path(family, device, metric), package_config_path(family)):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no model config for {family!r} in the package ({candidate.parent})")

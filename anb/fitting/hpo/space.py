"""The search space of a tuning run: a model-config file, checked against the model family."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ConfigSpace import ConfigurationSpace

from anb.fitting.hpo.errors import HPOError
from anb.fitting.model_config import check_params_for_family, read_configspace
from anb.models import FAMILIES


def load_search_space(path: str | Path, family: str) -> ConfigurationSpace:
    """The config space at ``path``, checked to be one that model ``family`` can be tuned over."""
    try:
        space = read_configspace(path)
    except FileNotFoundError as exc:
        raise HPOError(str(exc)) from None
    check_space_for_family(space, family, source=str(path))
    return space


def check_space_for_family(space: ConfigurationSpace, family: str, source: str = "the config space") -> None:
    if family not in FAMILIES:
        raise HPOError(f"no hyperparameter optimisation for model family {family!r}; available: {', '.join(FAMILIES)}")
    names = list(space.keys())
    if not names:
        raise HPOError(f"{source} defines no hyperparameter")
    try:
        check_params_for_family(names, family, source)
    except ValueError as exc:
        raise HPOError(str(exc)) from None
    if not [hp for hp in space.values() if _is_tunable(hp)]:
        raise HPOError(f"{source} has no tunable hyperparameter (every one is a constant): nothing to optimise")


def _is_tunable(hp) -> bool:
    choices = getattr(hp, "choices", None) or getattr(hp, "sequence", None)
    if choices is not None:
        return len(choices) > 1
    return hasattr(hp, "lower") and hp.lower < hp.upper


def space_with_defaults(space: ConfigurationSpace, values: dict) -> ConfigurationSpace:
    """A copy of ``space`` whose defaults are ``values`` (ranges, conditions and forbiddens kept)."""
    serialized = space.to_serialized_dict()
    for hp in serialized["hyperparameters"]:
        if hp["name"] in values and "default_value" in hp:
            value = values[hp["name"]]
            hp["default_value"] = value.item() if hasattr(value, "item") else value
    return ConfigurationSpace.from_serialized_dict(serialized)


def space_fingerprint(space: ConfigurationSpace) -> str:
    text = json.dumps(space.to_serialized_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]

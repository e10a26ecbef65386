"""What a caller asks for: a model family and a target. The one place that checks such a request.

``fit_model.py``, ``do_hpo.py``, the ``anb`` CLI and :class:`anb.ANBEnsemble` all resolve
``(model, device, metric)`` here, so a bad name gets the same message from every door.
"""

from __future__ import annotations

from dataclasses import dataclass

from anb.devices.targets import Target, resolve_target
from anb.models import ACCEL_SUFFIX, split_model_name


@dataclass(frozen=True)
class Request:
    family: str  # "xgb", "lgb", ...
    target: Target

    @property
    def model(self) -> str:
        """The original's model name: ``<family>_accel`` for a device surrogate."""
        return f"{self.family}{ACCEL_SUFFIX}" if self.target.device is not None else self.family


def resolve_request(model: str = "xgb", device: str | None = None, metric: str | None = None) -> Request:
    """Check a ``(model, device, metric)`` request; ``ValueError`` names the bad value and the choices.

    ``model`` is a family (``xgb``) or its device form (``xgb_accel``), which needs a device.
    ``device=None`` means accuracy; ``metric`` defaults to the device's only metric.
    """
    family, is_accel = split_model_name(model)
    if is_accel and device is None:
        raise ValueError(f"model {model!r} is a device surrogate; give a device (and a metric)")
    return Request(family, resolve_target(device, metric))

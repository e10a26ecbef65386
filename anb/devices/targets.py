"""What a surrogate predicts: ImageNet top-1 accuracy, or one metric of one device."""

from __future__ import annotations

from dataclasses import dataclass

from anb.devices.plugins import discover_devices, get_device, resolve_metric

ACCURACY_COLUMN = "val_top1"


@dataclass(frozen=True)
class Target:
    device: str | None  # None for accuracy
    metric: str | None
    column: str  # the dataset column that holds it
    unit: str

    @property
    def label(self) -> str:
        return "accuracy" if self.device is None else f"{self.device}/{self.metric}"


def resolve_target(device: str | None = None, metric: str | None = None) -> Target:
    """Validate a (device, metric) request; ``device=None`` means accuracy."""
    if device is None:
        if metric is not None and str(metric).lower() not in ("accuracy", "val_top1"):
            raise ValueError(f"metric {metric!r} needs a device; without one the target is accuracy")
        return Target(None, None, ACCURACY_COLUMN, "%")
    plugin = get_device(device)
    metric = resolve_metric(plugin, metric)
    return Target(plugin.name, metric, plugin.target_column(metric), plugin.metrics[metric])


def all_targets() -> list[Target]:
    """Accuracy, then every metric of every installed device."""
    targets = [resolve_target()]
    for name, plugin in discover_devices().items():
        targets += [resolve_target(name, metric) for metric in plugin.metrics]
    return targets

"""Accelerators as plugins: every device is found through the ``anb.devices`` entry points.

A third-party package adds a device by declaring, in its own `pyproject.toml`:

```toml
[project.entry-points."anb.devices"]
mychip = "mypackage.anb_plugin:MYCHIP"
```

where `MYCHIP` is a `DevicePlugin`. The built-in devices are registered the same way
in this project's `pyproject.toml`; nothing in the code names them.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

ENTRY_POINT_GROUP = "anb.devices"
"""The entry-point group device plugins are registered under, in a package's `pyproject.toml`:
`[project.entry-points."anb.devices"]`, then `mychip = "mypackage.anb_plugin:MYCHIP"`."""
UNITS = {"throughput": "images/s", "latency": "ms"}
"""The units of the Accel-NASBench metrics: throughput in images/s, latency in ms."""
# A device name is part of file names, cache paths and dataset columns (``latency_cpu-torch``).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class SurrogateArchive:
    """A downloadable `.tar.gz` of a surrogate ensemble, as written by `anb build`.

    Attributes
    ----------
    url : str
        Where to download it.
    sha256 : str
        The archive's SHA-256, checked after the download.
    """

    url: str
    sha256: str


@dataclass(frozen=True)
class DevicePlugin:
    """A device: its metrics (with units) and where its surrogates come from.

    A plugin package exposes one under the [`ENTRY_POINT_GROUP`][anb.devices.ENTRY_POINT_GROUP]
    entry points (an instance, or a callable that returns one).

    Attributes
    ----------
    name : str
        The device's name: lower-case letters, digits, `_` and `-`, starting with a letter or
        digit (it is part of file names, cache paths and dataset columns).
    description : str
        One line on what the device is and what was measured.
    metrics : dict of str to str
        Metric name to unit, e.g. `{"throughput": "images/s"}`; at least one.
    archives : dict of str to SurrogateArchive, default {}
        Maps `"<model>/<metric>"` (e.g. `"xgb/throughput"`) to a downloadable archive.
    dataset : str | Path | None, default None
        A directory or `.tar.gz` of result JSONs whose `platform_perf` holds
        `<metric>_<name>` entries; `None` means the Accel-NASBench dataset itself.

    Raises
    ------
    ValueError
        For a name that breaks the pattern, or no metric.

    Examples
    --------
    ```python
    from anb.devices import DevicePlugin
    MYCHIP = DevicePlugin("mychip", "My accelerator, batch inference throughput",
                          {"throughput": "images/s"}, dataset="/data/mychip_results")
    ```
    """

    name: str
    description: str
    metrics: dict[str, str]
    archives: dict[str, SurrogateArchive] = field(default_factory=dict)
    dataset: str | Path | None = None

    def __post_init__(self):
        if not NAME_PATTERN.fullmatch(self.name or ""):
            raise ValueError(f"a device name must be lower-case letters, digits, '_' and '-', starting with a letter "
                             f"or digit; got {self.name!r}")
        if not self.metrics:
            raise ValueError(f"device {self.name!r} declares no metric")

    def target_column(self, metric: str) -> str:
        """The dataset column of a metric of this device.

        Parameters
        ----------
        metric : str
            One of the device's metrics.

        Returns
        -------
        str
            `"<metric>_<name>"`, e.g. `"latency_zcu102"`.
        """
        return f"{metric}_{self.name}"

    def archive(self, model: str, metric: str) -> SurrogateArchive | None:
        """The downloadable ensemble of a model family and a metric, if the device has one.

        Parameters
        ----------
        model : str
            The model family, e.g. `"xgb"`.
        metric : str
            One of the device's metrics.

        Returns
        -------
        SurrogateArchive or None
            The archive; `None` when there is none (the ensemble is built locally).
        """
        return self.archives.get(f"{model}/{metric}")

    def load_measurements(self) -> pd.DataFrame:
        """The device's measurements, loaded as [`load_dataset`][anb.data.dataset.load_dataset] loads them.

        Returns
        -------
        pandas.DataFrame
            The dataset of `dataset` (the Accel-NASBench dataset for `None`).
        """
        from anb.data.dataset import load_dataset

        return load_dataset(self.dataset)


@lru_cache(maxsize=1)
def discover_devices() -> dict[str, DevicePlugin]:
    """Every installed device plugin by name, found once through the entry points (cached).

    Broken plugins are skipped with a warning. The same entry point visible twice (e.g. an
    editable install next to a build directory) is one plugin.

    Returns
    -------
    dict of str to DevicePlugin
        The plugins, sorted by name.

    Raises
    ------
    RuntimeError
        When two plugins claim one device name.

    Warns
    -----
    UserWarning
        For every plugin that fails to load or gives something that is not a `DevicePlugin`.
    """
    devices: dict[str, DevicePlugin] = {}
    claimed_by: dict[str, str] = {}
    seen = set()
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        # The same distribution can be visible twice on sys.path (e.g. an editable install
        # next to a build directory); the same entry point twice is one plugin, not a clash.
        if (entry.name, entry.value) in seen:
            continue
        seen.add((entry.name, entry.value))
        try:
            plugin = entry.load()
            if callable(plugin) and not isinstance(plugin, DevicePlugin):
                plugin = plugin()
            if not isinstance(plugin, DevicePlugin):
                raise TypeError(f"it gives a {type(plugin).__name__}, not an anb.devices.DevicePlugin")
        except Exception as exc:  # a broken third-party plugin must not take the others down
            warnings.warn(
                f"device plugin {entry.name!r} ({entry.value}) failed to load and is skipped: {exc}",
                stacklevel=2,
            )
            continue
        if plugin.name in devices:
            raise RuntimeError(
                f"two plugins claim the device name {plugin.name!r}: {claimed_by[plugin.name]} and "
                f"{entry.value}; uninstall one of them"
            )
        devices[plugin.name] = plugin
        claimed_by[plugin.name] = entry.value
    return dict(sorted(devices.items()))


def get_device(name: str) -> DevicePlugin:
    """An installed device plugin by name.

    Parameters
    ----------
    name : str
        The device's name (case-insensitive), e.g. `"zcu102"`.

    Returns
    -------
    DevicePlugin
        The plugin.

    Raises
    ------
    ValueError
        For an unknown device, naming the installed ones.
    """
    devices = discover_devices()
    key = str(name).lower()
    if key not in devices:
        raise ValueError(f"unknown device {name!r}; available: {', '.join(devices) or 'none installed'}")
    return devices[key]


def resolve_metric(device: DevicePlugin, metric: str | None) -> str:
    """The metric to use: the one asked for, or the device's only one when none is asked for.

    Parameters
    ----------
    device : DevicePlugin
        The device.
    metric : str or None
        The metric asked for (case-insensitive), or `None`.

    Returns
    -------
    str
        The metric's name, lower-case.

    Raises
    ------
    ValueError
        When the device has no such metric, or `metric` is `None` and the device has several;
        the message names the device's metrics.
    """
    if metric is None:
        if len(device.metrics) == 1:
            return next(iter(device.metrics))
        raise ValueError(
            f"device {device.name!r} has several metrics; choose one of: {', '.join(device.metrics)}"
        )
    key = str(metric).lower()
    if key not in device.metrics:
        raise ValueError(
            f"device {device.name!r} has no metric {metric!r}; it has: {', '.join(device.metrics)}"
        )
    return key

"""What a surrogate predicts, and for which device: device plugins, targets and requests.

- `plugins`: [`DevicePlugin`][anb.devices.DevicePlugin] and the discovery of the `anb.devices`
  entry points (re-exported here: a plugin package imports `from anb.devices import DevicePlugin`);
- `builtin`: the six accelerators of Accel-NASBench, registered in pyproject.toml;
- `targets`: a `Target`, accuracy or one metric of one device;
- `request`: a model family and a target, the one resolver every door uses.

A new device is a plugin, not code here: see docs/architecture.md.

May import: `anb.models` and `anb.data` (a plugin loads its measurements with the
dataset loader).
"""

from anb.devices.plugins import (
    ENTRY_POINT_GROUP,
    UNITS,
    DevicePlugin,
    SurrogateArchive,
    discover_devices,
    get_device,
    resolve_metric,
)

__all__ = ["ENTRY_POINT_GROUP", "UNITS", "DevicePlugin", "SurrogateArchive", "discover_devices", "get_device",
           "resolve_metric"]

"""``anb adapt``: a new device from a few dozen measurements, written out as an installable plugin.

The measurements are a CSV or JSON records holding the 28 architecture columns (``block0_e``
... ``block6_se``) and one column of the metric, named ``throughput``/``latency`` or
``<metric>_<name>``, or a folder of Accel-NASBench result JSONs as ``anb measure`` writes it. The command writes a small Python project whose ``DevicePlugin`` carries
them as result JSONs in the Accel-NASBench format; once it is installed (``pip install
<folder>``), ``ANBEnsemble("xgb", device=<name>)`` builds the device's few-shot surrogate
(:mod:`anb.adaptation.few_shot`) on first use, like any device. It also reports the transfer model's
cross-validated Kendall tau on the measurements, which needs the other devices' surrogates
(cached, else built once).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from anb.adaptation import few_shot
from anb.data.validation import read_json
from anb.devices import UNITS, DevicePlugin, discover_devices
from anb.models.features import cost_features
from configurationspaces.efficientnet_encoding import decode_records, encode

MEASUREMENTS_FOLDER = "measurements"


def _measurement_table(path: Path) -> pd.DataFrame:
    """The measurements of a CSV, JSON records, or a folder of result JSONs (``anb measure``'s output)."""
    if path.is_dir():
        from anb.data.dataset import load_dataset

        return load_dataset(path)
    if path.suffix.lower() == ".json":
        return pd.DataFrame(read_json(path, "--measurements"))
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    raise ValueError(f"--measurements must be a .csv or .json file or a folder of result JSONs; got {path.name!r}")


def read_measurements(path: str | Path, name: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The encoded architectures and the measured values of a CSV or JSON file of measurements,
    or of a folder of Accel-NASBench result JSONs such as ``anb measure`` writes.

    The values are the column ``<metric>``, else ``<metric>_<name>``, else the folder's one
    ``<metric>_<device>`` column.
    """
    path = Path(path)
    if metric not in UNITS:
        raise ValueError(f"metric must be one of {', '.join(UNITS)}; got {metric!r}")
    if not path.exists():
        raise ValueError(f"--measurements {path} does not exist")
    frame = _measurement_table(path)
    measured = [c for c in frame.columns if str(c).startswith(f"{metric}_") and not str(c).endswith("_std")]
    column = next((c for c in (metric, f"{metric}_{name}") if c in frame), None)
    if column is None and path.is_dir() and len(measured) == 1:
        column = measured[0]
    if column is None:
        raise ValueError(f"{path} has no column {metric!r} or {metric + '_' + name!r}"
                         f"{' (and more than one ' + metric + '_<device>)' if len(measured) > 1 else ''}; its columns: "
                         f"{', '.join(map(str, frame.columns))}")
    y = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    if not (np.isfinite(y) & (y > 0)).all():
        bad = frame.index[~(np.isfinite(y) & (y > 0))][:3].tolist()
        raise ValueError(f"{path}: every {column} must be a positive number; rows {bad} are not")
    if len(y) < few_shot.MIN_MEASUREMENTS:
        raise ValueError(f"{path} holds {len(y)} measurement(s); a new device needs at least {few_shot.MIN_MEASUREMENTS}")
    return encode(frame), y


def result_documents(encoded: np.ndarray, y: np.ndarray, name: str, metric: str) -> list[dict]:
    """One Accel-NASBench result JSON per measured architecture."""
    cost = cost_features(encoded)
    return [{
        "architecture": architecture,
        "metrics": {},
        "model_info": {"macs": float(cost[i, 0]), "params": float(cost[i, 1])},
        "platform_perf": {f"{metric}_{name}": {f"{metric}_mean": float(y[i])}},
    } for i, architecture in enumerate(decode_records(encoded))]


def plugin_files(plugin: DevicePlugin, documents: list[dict]) -> dict[str, str]:
    """The plugin project's files, by path relative to its folder."""
    dist, package = f"anb-device-{plugin.name}", f"anb_device_{plugin.name.replace('-', '_')}"
    pyproject = "\n".join([
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{dist}"',
        'version = "0.1.0"',
        f"description = {json.dumps(plugin.description)}",
        'dependencies = ["anb"]',
        "",
        '[project.entry-points."anb.devices"]',
        f'"{plugin.name}" = "{package}:PLUGIN"',
        "",
        "[tool.setuptools]",
        f'packages = ["{package}"]',
        "",
        "[tool.setuptools.package-data]",
        f'{package} = ["{MEASUREMENTS_FOLDER}/*.json"]',
        "",
    ])
    module = "\n".join([
        f'"""The {plugin.name} device for anb: {len(documents)} measurements, written by `anb adapt`."""',
        "",
        "from pathlib import Path",
        "",
        "from anb.devices import DevicePlugin",
        "",
        f"PLUGIN = DevicePlugin({plugin.name!r}, {plugin.description!r}, {plugin.metrics!r},",
        f"                      dataset=Path(__file__).parent / {MEASUREMENTS_FOLDER!r})",
        "",
    ])
    files = {"pyproject.toml": pyproject, f"{package}/__init__.py": module}
    for i, document in enumerate(documents):
        files[f"{package}/{MEASUREMENTS_FOLDER}/result_{i}.json"] = json.dumps(document, indent=1)
    return files


def write_project(files: dict[str, str], folder: Path) -> Path:
    """Write the files into a staging folder and rename it to ``folder``, which must not exist."""
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; choose another --out or remove it")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.staging-"))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def cross_validated_tau(encoded: np.ndarray, y: np.ndarray, name: str) -> tuple[float, list[str]]:
    """Kendall tau of the transfer model's K-fold predictions of the measurements, and the donors used."""
    donors = few_shot.donor_targets(name)
    if not donors:
        raise ValueError("no device measured on the Accel-NASBench architectures is installed to transfer from")
    predictions = few_shot.cross_validated_predictions(
        few_shot.donor_predictions(donors, encoded, progress=True), few_shot.log_cost(encoded), y)
    return float(kendalltau(predictions, y).statistic), [d.label for d in donors]


def add_parser(sub) -> argparse.ArgumentParser:
    adapt = sub.add_parser("adapt", help="a new device from a few dozen measurements, as an installable plugin")
    adapt.add_argument("--measurements", required=True, help="CSV or JSON records (block0_e ... block6_se and the "
                                                             "metric), or a folder of result JSONs from `anb measure`")
    adapt.add_argument("--name", required=True, help="the device name (lower-case letters, digits, '_' and '-')")
    adapt.add_argument("--metric", required=True, choices=list(UNITS))
    adapt.add_argument("--description", default=None, help="one line about the device")
    adapt.add_argument("--out", default=None, help="the plugin project folder (default: ./anb-device-<name>)")
    adapt.set_defaults(func=run)
    return adapt


def run(args) -> int:
    name = str(args.name).lower()
    plugin = DevicePlugin(name, args.description or f"{name}, measured by the user ({args.metric})",
                          {args.metric: UNITS[args.metric]})
    if name in discover_devices():
        raise ValueError(f"a device named {name!r} is already installed; choose another --name")
    encoded, y = read_measurements(args.measurements, name, args.metric)
    tau, donors = cross_validated_tau(encoded, y, name)
    folder = write_project(plugin_files(plugin, result_documents(encoded, y, name, args.metric)),
                           Path(args.out or f"anb-device-{name}"))
    print(f"{name}/{args.metric}: {len(y)} measurements, transferred from {', '.join(donors)}")
    print(f"cross-validated Kendall tau ({min(few_shot.CV_FOLDS, len(y))}-fold over the measurements): {tau:.3f}")
    # a bare name would send pip to the package index: show the folder as a path
    where = folder if folder.is_absolute() else f"./{folder}"
    print(f"wrote the plugin project {folder}; install it with `pip install {where}`, then query it with "
          f"ANBEnsemble('xgb', device={name!r}, metric={args.metric!r})")
    return 0

"""Load the Accel-NASBench result JSONs into one pandas DataFrame, and say what was dropped.

One row per ``result_N.json``: the 28 architecture columns, ``val_top1``/``val_top5``/
``train_time``, ``macs``/``params`` (millions), and for every ``throughput_<device>`` or
``latency_<device>`` of ``platform_perf`` a column of that name (the mean) and one with ``_std``.
``name`` is the file's base name and ``arch_id`` a unique integer per architecture, shared by
the rows of a duplicated architecture.
"""

from __future__ import annotations

import gzip
import json
import re
import tarfile
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from anb.data import paths
from anb.data.download import fetch
from configurationspaces.efficientnet_encoding import architecture_ids, default_layout, encode

DATASET_URL = "https://github.com/afzalxo/Accel-NASBench/raw/master/anb_dataset/anb_dataset_jsons.tar.gz"
DATASET_SHA256 = "3520992d42e368b7c08c99fc3f6612855b5b366bf98668a7f19d49f3131aa4ae"
ARCHIVE_NAME = "anb_dataset_jsons.tar.gz"
RESULT_GLOB = "result_*.json"
METADATA_COLUMNS = ("val_top1", "val_top5", "train_time", "macs", "params")


class DatasetNotFoundError(FileNotFoundError):
    """No dataset where one was expected."""


@dataclass
class LoadReport:
    """What a load read, what it skipped and why, and what is missing or repeated."""

    source: str
    n_files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    missing_values: dict[str, int] = field(default_factory=dict)  # column -> rows with null
    duplicates: list[list[str]] = field(default_factory=list)  # files sharing one architecture

    def summary(self) -> str:
        lines = [f"read {self.n_files} files from {self.source}"]
        for name, reason in self.skipped:
            lines.append(f"skipped {name}: {reason}")
        for column, count in sorted(self.missing_values.items()):
            lines.append(f"{column}: {count} null measurement(s), dropped when this is the target")
        if self.duplicates:
            groups = "; ".join(" = ".join(group) for group in self.duplicates)
            lines.append(f"{len(self.duplicates)} architecture(s) measured more than once (kept, split together): {groups}")
        return "\n".join(lines)


def fetch_dataset() -> Path:
    """The dataset archive, downloaded (and sha256-checked) into ``anb.data.paths.data_dir()`` if needed."""
    return fetch(
        DATASET_URL,
        DATASET_SHA256,
        paths.data_dir(),
        ARCHIVE_NAME,
        "the Accel-NASBench dataset",
        hint=f"or set {paths.ENV_DATA_DIR} to a directory that holds {ARCHIVE_NAME} or its result_*.json files",
    )


def _natural_key(name: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _read_archive(path: Path):
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".json"):
                    yield Path(member.name).name, archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        hint = " (one result JSON: give the directory that holds the result_*.json files)" if path.suffix == ".json" else ""
        raise DatasetNotFoundError(f"{path} is not a readable .tar.gz of result JSONs, it is truncated or another "
                                   f"kind of file{hint}: {exc}") from None


def _read_directory(path: Path):
    for file in path.glob(RESULT_GLOB):
        yield file.name, file.read_bytes()


def _result_files(source: Path):
    """An iterator of (base name, bytes) for a directory of JSONs, an archive, or a folder holding one."""
    if source.is_file():
        return _read_archive(source)
    if source.is_dir():
        for candidate in (source, source / "anb_dataset_jsons"):
            if any(candidate.glob(RESULT_GLOB)):
                return _read_directory(candidate)
        if (source / ARCHIVE_NAME).is_file():
            return _read_archive(source / ARCHIVE_NAME)
    raise DatasetNotFoundError(
        f"no Accel-NASBench results at {source}: expected result_*.json files or {ARCHIVE_NAME} there. "
        f"Get the dataset with `anb.data.dataset.fetch_dataset()` (downloads {DATASET_URL}), "
        f"or set {paths.ENV_DATA_DIR} to a directory that holds it"
    )


def _parse_result(text: bytes) -> dict:
    """One row from one result JSON; raises KeyError/TypeError/ValueError if it is malformed."""
    doc = json.loads(text)
    row = dict(doc["architecture"])
    metrics, info = doc["metrics"], doc["model_info"]
    for key in ("val_top1", "val_top5", "train_time"):
        row[key] = metrics.get(key)
    for key in ("macs", "params"):
        row[key] = info.get(key)
    for target, measurement in (doc.get("platform_perf") or {}).items():
        kind = target.split("_", 1)[0]  # "throughput" or "latency"
        row[target] = measurement.get(f"{kind}_mean")
        row[f"{target}_std"] = measurement.get(f"{kind}_std")
    return row


def _drop_invalid_architectures(frame: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    try:
        encode(frame)
        return frame
    except ValueError:
        pass
    # Rare path: find the offending rows one by one so that the rest of the data survives.
    keep = np.ones(len(frame), dtype=bool)
    names = default_layout().names
    for i, row in enumerate(frame[list(names)].to_dict("records")):
        try:
            encode(row)
        except ValueError as exc:
            keep[i] = False
            reason = f"invalid architecture: {exc}"
            report.skipped.append((frame["name"].iat[i], reason))
            warnings.warn(f"skipping {frame['name'].iat[i]}: {reason}", stacklevel=3)
    return frame[keep].reset_index(drop=True)


def load_dataset(source: str | Path | None = None) -> pd.DataFrame:
    """The Accel-NASBench dataset as a DataFrame, with a report of what was dropped.

    One row per `result_N.json`: the 28 architecture columns, `val_top1`/`val_top5`/
    `train_time`, `macs`/`params` (millions), and for every `throughput_<device>` or
    `latency_<device>` of `platform_perf` a column of that name (the mean) and one with
    `_std`. `name` is the file's base name and `arch_id` a unique integer per architecture,
    shared by the rows of a duplicated architecture. Malformed JSONs and invalid architectures
    are skipped with a warning.

    Parameters
    ----------
    source : str | Path | None, default None
        A directory of `result_*.json` files, a `.tar.gz` of them, or a directory holding that
        archive. `None` is `$ANB_DATA_DIR` if that holds the data, else the archive fetched
        (once, hash-checked) by `fetch_dataset`.

    Returns
    -------
    pandas.DataFrame
        The rows in natural file-name order; `df.attrs["report"]` is the `LoadReport`: the files
        read, the ones skipped and why, the null measurements per column and the architectures
        measured more than once.

    Raises
    ------
    DatasetNotFoundError
        A `FileNotFoundError`: no result JSONs or archive at `source`, an archive that is not a
        readable `.tar.gz`, or no usable result JSON in it.

    Warns
    -----
    UserWarning
        For every file skipped (malformed JSON, invalid architecture).

    Examples
    --------
    <!-- example: needs dataset -->

    ```python
    from anb.data.dataset import load_dataset
    df = load_dataset()
    print(df.attrs["report"].summary())
    ```
    """
    if source is None:
        local = paths.data_dir()
        has_json = local.is_dir() and (any(local.glob(RESULT_GLOB)) or any((local / "anb_dataset_jsons").glob(RESULT_GLOB)))
        source = local if has_json else fetch_dataset()
    source = Path(source)
    report = LoadReport(source=str(source))
    rows = []
    for name, text in _result_files(source):
        report.n_files += 1
        try:
            row = _parse_result(text)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"malformed JSON ({type(exc).__name__}: {exc})"
            report.skipped.append((name, reason))
            warnings.warn(f"skipping {name}: {reason}", stacklevel=2)
            continue
        row["name"] = name
        rows.append(row)
    if not rows:
        raise DatasetNotFoundError(
            f"no usable result JSON in {source} ({report.n_files} file(s) read, all skipped). "
            f"Expected Accel-NASBench result_*.json files; get them with `anb.data.dataset.fetch_dataset()`"
        )
    rows.sort(key=lambda r: _natural_key(r["name"]))
    frame = _drop_invalid_architectures(pd.DataFrame(rows), report)
    frame.insert(0, "arch_id", architecture_ids(encode(frame)))
    frame.insert(0, "name", frame.pop("name"))

    value_columns = [c for c in frame.columns if c in METADATA_COLUMNS or c.startswith(("throughput_", "latency_"))]
    frame[value_columns] = frame[value_columns].apply(pd.to_numeric, errors="coerce")
    # Only the means are targets; the FPGA boards record no std at all, so std gaps say nothing.
    means = [c for c in value_columns if not c.endswith("_std")]
    report.missing_values = {c: int(n) for c, n in frame[means].isna().sum().items() if n}
    repeated = frame[frame["arch_id"].duplicated(keep=False)]
    report.duplicates = [list(group) for _, group in repeated.groupby("arch_id", sort=False)["name"]]
    frame.attrs["report"] = report
    return frame

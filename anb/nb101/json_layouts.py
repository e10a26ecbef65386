"""NAS-Bench-101 results in JSON, in every layout they commonly circulate in, told apart by content.

* NASLib: ``{"nasbench101": {"cifar10": {KEY: {"val_accuracy": %, "params": millions, ...}}}}``
  (KEY: 49 adjacency entries then 7 NASLib op codes of the unpruned spec);
* columns: ``{"key": [...], "adjacency": [...], "operations": [...], ...}``, parallel lists
  of one value per cell (what ``pandas.DataFrame.to_json(orient="list")``-style exports hold);
* records: ``[{...}, ...]``, one object per cell;
* records keyed by hash: ``{hash: {...}, ...}``, e.g. the official API's
  ``module_adjacency``/``module_operations``/``trainable_parameters``/``computed_stats``.

A column or record field names the cell (``module_adjacency``/``adjacency``/``matrix``: nested
0/1 lists or a row-major ``"0110..."`` string; ``module_operations``/``operations``/``ops``: op
names, or integer codes: official labels with input -1, output -2, conv3x3 0, conv1x1 1,
maxpool 2 and padding -3, or NASLib codes with input 0), optionally its hash
(``module_hash``/``hash``/``key``; a 32-digit MD5 is checked against the cell's) and parameter count
(``trainable_parameters``/``parameters``; counted analytically when absent, exact on every
published cell checked), and its results: ``computed_stats`` or fields named
``[EPOCHS_][halfway_|final_]QUANTITY`` (``108_final_validation_accuracy``,
``validation_accuracy``, ``val_accuracy``, ...; budget 108 and the final point by default)
holding a number, null, or a list of up to 3 runs. Accuracies are read as fractions when every
one is at most 1, else as percentages.
"""

from __future__ import annotations

import re

import numpy as np

from anb.nb101.layout import EPOCHS, N_SEEDS, POINTS, QUANTITIES, empty_metrics, epoch_index
from configurationspaces.nasbench101 import LABEL_OPS, MAX_VERTICES, Cell, cells_to_arrays
from configurationspaces.nasbench101_cost import network_cost

# NASLib's integer op codes in the keys of its NAS-Bench-101 JSON.
NASLIB_OPS = {0: "input", 1: "output", 2: "maxpool3x3", 3: "conv1x1-bn-relu", 4: "conv3x3-bn-relu"}
NASLIB_KEY_LENGTH = MAX_VERTICES * MAX_VERTICES + MAX_VERTICES
ADJACENCY_FIELDS = ("module_adjacency", "adjacency", "matrix")
OPS_FIELDS = ("module_operations", "operations", "ops")
HASH_FIELDS = ("module_hash", "hash", "key")
PARAMETER_FIELDS = ("trainable_parameters", "parameters")
_METRIC = re.compile(rf"^(?:(\d+)_)?(?:({'|'.join(POINTS)})_)?({'|'.join(QUANTITIES)}|val_accuracy)$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
LAYOUTS = (
    "NASLib {'nasbench101': {'cifar10': {...}}}",
    "columns {'adjacency': [...], 'operations': [...], ...}",
    "records [{'adjacency': ..., 'operations': ..., ...}, ...]",
    "records keyed by hash {hash: {'module_adjacency': ..., ...}}",
)


def read_json_content(content, source: str) -> dict:
    """Table columns of parsed JSON ``content`` in any layout above; ``source`` names it in errors."""
    if isinstance(content, dict) and "nasbench101" in content:
        return read_naslib(content, source)
    if isinstance(content, dict) and content and all(isinstance(v, list) for v in content.values()):
        return read_records(_columns_to_records(content, source), source)
    if isinstance(content, list) and content and all(isinstance(v, dict) for v in content):
        return read_records(content, source)
    if isinstance(content, dict) and content and all(isinstance(v, dict) for v in content.values()):
        return read_records([{"module_hash": k, **v} for k, v in content.items()], source)
    raise ValueError(f"{source}: not a NAS-Bench-101 layout; expected one of: {'; '.join(LAYOUTS)}")


def read_cells(content, source: str) -> list[Cell]:
    """The cells of parsed JSON: a non-empty list of records or a dict of columns (results not needed)."""
    if isinstance(content, dict) and content and all(isinstance(v, list) for v in content.values()):
        content = _columns_to_records(content, source)
    if not isinstance(content, list) or not content or not all(isinstance(v, dict) for v in content):
        raise ValueError(
            f"{source}: expected a non-empty list of cells ({{'matrix': [[...]], 'ops': [...]}}) or a dict of columns"
        )
    naslib_codes = _integer_ops(content, source) is NASLIB_OPS
    return [_cell(record, naslib_codes, f"{source}: cell {i}") for i, record in enumerate(content)]


def _columns_to_records(columns: dict, source: str) -> list[dict]:
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"{source}: the columns must be lists of one length; got lengths {lengths}")
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*columns.values())]


def _field(record: dict, names: tuple[str, ...]):
    return next((record[name] for name in names if name in record), None)


def _matrix(value, where: str) -> np.ndarray:
    if isinstance(value, str):
        n = int(round(len(value) ** 0.5))
        if n * n != len(value) or set(value) - {"0", "1"}:
            raise ValueError(f"{where}: adjacency string {value!r} is not n*n characters of 0/1")
        return (np.frombuffer(value.encode("ascii"), dtype=np.uint8) - ord("0")).reshape(n, n)
    return value


def _integer_ops(records: list[dict], source: str) -> dict[int, str] | None:
    """The code table of integer ops in this file (official labels or NASLib), None for names."""
    firsts = {ops[0] for r in records if isinstance(ops := _field(r, OPS_FIELDS), list) and ops}
    if not firsts or all(isinstance(f, str) for f in firsts):
        return None
    if firsts == {-1}:
        return None  # official labels: Cell.from_labels reads them, padding included
    if firsts == {0}:
        return NASLIB_OPS
    raise ValueError(
        f"{source}: integer ops must start with the input's code in every cell: -1 (official labels, "
        f"{LABEL_OPS}) or 0 (NASLib codes, {NASLIB_OPS}); got first codes {sorted(map(str, firsts))}"
    )


def _cell(record: dict, naslib_codes: bool, where: str) -> Cell:
    matrix, ops = _field(record, ADJACENCY_FIELDS), _field(record, OPS_FIELDS)
    if matrix is None or ops is None:
        raise ValueError(f"{where}: needs one of {list(ADJACENCY_FIELDS)} and one of {list(OPS_FIELDS)}")
    try:
        matrix = _matrix(matrix, where)
        if isinstance(ops, str):
            ops = ops.split(",")
        if ops and all(isinstance(op, str) for op in ops):
            return Cell(matrix, ops)
        if naslib_codes:
            return Cell(matrix, [NASLIB_OPS.get(op, op) for op in ops])
        return Cell.from_labels(matrix, ops)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{where}: {err}") from None


def _runs(value, where: str, name: str) -> list[float]:
    runs = value if isinstance(value, list) else [value]
    if len(runs) > N_SEEDS or not all(v is None or isinstance(v, (int, float)) for v in runs):
        raise ValueError(f"{where}: {name} must be a number, null or a list of up to {N_SEEDS}; got {value!r}")
    return [np.nan if v is None else float(v) for v in runs]


def _fill_metrics(metrics: np.ndarray, row: int, record: dict, where: str) -> None:
    stats = record.get("computed_stats") or {}
    if not isinstance(stats, dict):
        raise ValueError(f"{where}: computed_stats must map epoch budgets to lists of runs; got {stats!r}")
    for epochs, runs in stats.items():
        if not isinstance(runs, list) or len(runs) > N_SEEDS or not all(isinstance(r, dict) for r in runs):
            raise ValueError(f"{where}: computed_stats[{epochs!r}] must be a list of up to {N_SEEDS} run objects")
        e = epoch_index(int(epochs))
        for seed, run in enumerate(runs):
            for p, point in enumerate(POINTS):
                metrics[row, e, seed, p] = [run.get(f"{point}_{q}", np.nan) for q in QUANTITIES]
    for name, value in record.items():
        match = _METRIC.match(name)
        if not match:
            continue
        epochs, point, quantity = match.groups()
        quantity = "validation_accuracy" if quantity == "val_accuracy" else quantity
        runs = _runs(value, where, name)
        e = epoch_index(int(epochs)) if epochs else EPOCHS.index(108)
        metrics[row, e, : len(runs), POINTS.index(point or "final"), QUANTITIES.index(quantity)] = runs


def read_records(records: list[dict], source: str) -> dict:
    """Table columns of one record per cell (see the module docstring)."""
    naslib_codes = _integer_ops(records, source) is NASLIB_OPS
    cells, given_parameters = [], []
    metrics = empty_metrics(len(records))
    for i, record in enumerate(records):
        where = f"{source}: cell {i}"
        cell = _cell(record, naslib_codes, where)
        given = _field(record, HASH_FIELDS)
        if isinstance(given, str) and _MD5.match(given) and given != cell.module_hash():
            raise ValueError(f"{where}: hash {given} does not match the cell's {cell.module_hash()}")
        parameters = _field(record, PARAMETER_FIELDS)
        if parameters is not None and not isinstance(parameters, (int, float)):
            raise ValueError(f"{where}: parameters must be a number; got {parameters!r}")
        cells.append(cell)
        given_parameters.append(np.nan if parameters is None else parameters)
        _fill_metrics(metrics, i, record, where)
    if np.isnan(metrics).all():
        raise ValueError(f"{source}: no results; name them like '108_final_validation_accuracy' or 'val_accuracy'")
    accuracy = metrics[..., 1:]
    if np.nanmax(np.abs(accuracy), initial=0.0) > 1:
        metrics[..., 1:] = accuracy / 100  # percentages
    adjacency, labels = cells_to_arrays(cells)
    parameters = np.asarray(given_parameters, dtype=np.float64)
    missing = np.isnan(parameters)
    if missing.any():
        parameters[missing] = network_cost(adjacency[missing], labels[missing])[0]
    return {
        "hashes": [cell.module_hash() for cell in cells],
        "adjacency": adjacency,
        "labels": labels,
        "parameters": np.round(parameters).astype(np.int64),
        "metrics": metrics,
        "source": source,
    }


def naslib_cell(key: str) -> Cell:
    """The cell of a NASLib key: 49 adjacency entries then 7 NASLib op codes (unpruned spec)."""
    try:
        values = [int(x) for x in key.strip("()").split(",")]
    except ValueError:
        raise ValueError(f"NASLib key {key!r} is not a tuple of integers") from None
    if len(values) != NASLIB_KEY_LENGTH:
        raise ValueError(f"NASLib key has {len(values)} values; expected 49 adjacency entries and 7 op codes")
    n2 = MAX_VERTICES * MAX_VERTICES
    unknown = [c for c in values[n2:] if c not in NASLIB_OPS]
    if unknown:
        raise ValueError(f"NASLib key {key!r}: unknown op code {unknown[0]}; known codes are {NASLIB_OPS}")
    matrix = np.array(values[:n2]).reshape(MAX_VERTICES, MAX_VERTICES)
    return Cell(matrix, [NASLIB_OPS[c] for c in values[n2:]])


def _naslib_number(entry, name: str, where: str) -> float:
    value = entry.get(name) if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"{where}: '{name}' must be a finite number; got {value!r}")
    return float(value)


def read_naslib(content: dict, source: str) -> dict:
    """NASLib's sample: each entry is one run at 108 epochs (run 0, final validation accuracy).

    NASLib's ``params`` (millions) become ``parameters``. Isomorphic duplicates stay separate
    rows, as in the file.
    """
    entries = content["nasbench101"].get("cifar10") if isinstance(content["nasbench101"], dict) else None
    if not isinstance(entries, dict):
        raise ValueError(
            f"{source}: 'nasbench101' -> 'cifar10' must map NASLib spec keys to entries; "
            f"got {type(entries).__name__}"
        )
    cells, parameters, accuracy = [], [], []
    for key, entry in entries.items():
        where = f"{source}: entry {key!r}"
        try:
            cells.append(naslib_cell(key))
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        parameters.append(round(_naslib_number(entry, "params", where) * 1e6))
        accuracy.append(_naslib_number(entry, "val_accuracy", where) / 100.0)
    adjacency, labels = cells_to_arrays(cells)
    metrics = empty_metrics(len(cells))
    metrics[:, EPOCHS.index(108), 0, POINTS.index("final"), QUANTITIES.index("validation_accuracy")] = accuracy
    return {
        "hashes": [cell.module_hash() for cell in cells],
        "adjacency": adjacency,
        "labels": labels,
        "parameters": parameters,
        "metrics": metrics,
        "source": source,
    }

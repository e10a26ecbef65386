"""Vectorised encoding of MnasNet/EfficientNet architectures into one numpy matrix.

The encoded matrix has one row per architecture and one column per hyperparameter, in the
order of `ConfigurationSpace.keys()`; each value is the index of the chosen value in that
hyperparameter's `choices`. This is exactly what `Configuration.get_array()` gives, so a
model fitted on ConfigSpace arrays and one fitted on this encoder's output are interchangeable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from numbers import Real

import numpy as np
import pandas as pd
from ConfigSpace import Configuration, ConfigurationSpace

N_BLOCKS = 7
# The order of the rows of the original's ``manual_sample([[e x7], [k x7], [l x7], [se x7]])``.
FIELDS = ("e", "k", "l", "se")
FIELD_MEANING = {
    "e": "expansion factor",
    "k": "kernel size",
    "l": "number of layers",
    "se": "squeeze-excite",
}
CONFIGSPACE_FILE = "effnet_configspace.json"


def load_configspace() -> ConfigurationSpace:
    """A fresh ConfigurationSpace of the search space, read from the package's JSON.

    Returns
    -------
    ConfigSpace.ConfigurationSpace
        The space's 28 categorical hyperparameters, `block0_e` ... `block6_se`.
    """
    with resources.as_file(resources.files(__package__) / CONFIGSPACE_FILE) as path:
        return ConfigurationSpace.from_json(path)


class SpaceLayout:
    """The column order and the choices of every hyperparameter, read once from the space.

    Parameters
    ----------
    space : ConfigSpace.ConfigurationSpace
        A space with the hyperparameters `block{i}_{e,k,l,se}` of blocks 0..6.

    Attributes
    ----------
    names : tuple of str
        The hyperparameters, in column order.
    choices : tuple of tuple
        Every hyperparameter's choices, in column order.
    column : dict of str to int
        The column of every hyperparameter.
    n_choices : numpy.ndarray
        The number of choices per column (int64).

    Raises
    ------
    ValueError
        When the space's hyperparameters are not those of the 7 blocks.
    """

    def __init__(self, space: ConfigurationSpace):
        self.names: tuple[str, ...] = tuple(space.keys())
        self.choices: tuple[tuple, ...] = tuple(tuple(space[n].choices) for n in self.names)
        self.column = {name: i for i, name in enumerate(self.names)}
        self.n_choices = np.array([len(c) for c in self.choices], dtype=np.int64)
        self._matching_space: ConfigurationSpace | None = None
        expected = {f"block{b}_{f}" for b in range(N_BLOCKS) for f in FIELDS}
        if set(self.names) != expected:
            raise ValueError(f"search space hyperparameters {sorted(self.names)} are not {sorted(expected)}")

    def has_same_choices(self, space: ConfigurationSpace) -> bool:
        """Whether `space` has this layout's hyperparameters, in its order and with its choices.

        The last space found to match is remembered: a search loop asks this once per query,
        with Configurations of one space, and the full check costs more than the query.

        Parameters
        ----------
        space : ConfigSpace.ConfigurationSpace
            The space to compare.

        Returns
        -------
        bool
            Whether it matches.
        """
        if space is self._matching_space:
            return True
        matches = tuple(space.keys()) == self.names and all(
            tuple(space[n].choices) == choices for n, choices in zip(self.names, self.choices))
        if matches:
            self._matching_space = space
        return matches

    @staticmethod
    def split_name(name: str) -> tuple[int, str]:
        """A hyperparameter's block and field.

        Parameters
        ----------
        name : str
            A hyperparameter, e.g. `"block3_k"`.

        Returns
        -------
        block : int
            The block, e.g. 3.
        field : str
            The field, e.g. `"k"`.
        """
        block, field = name.split("_", 1)
        return int(block[len("block"):]), field

    def bad_value_error(self, name: str, value, row: int | None) -> ValueError:
        """The error for a value a hyperparameter does not have (returned, not raised).

        Parameters
        ----------
        name : str
            The hyperparameter.
        value : object
            The bad value, as the caller gave it.
        row : int or None
            The architecture's row, or `None` for a single architecture.

        Returns
        -------
        ValueError
            Naming the architecture, the block, the field, the bad value and the allowed values.
        """
        block, field = self.split_name(name)
        allowed = ", ".join(str(c) for c in self.choices[self.column[name]])
        where = "" if row is None else f"architecture #{row}: "
        return ValueError(
            f"{where}block {block}, field '{field}' ({FIELD_MEANING[field]}): "
            f"invalid value {value!r}; allowed values: {allowed}"
        )


@lru_cache(maxsize=1)
def default_layout() -> SpaceLayout:
    """The layout of the package's search space, made once (cached).

    Returns
    -------
    SpaceLayout
        The layout of [`load_configspace()`][configurationspaces.efficientnet_encoding.load_configspace].
    """
    return SpaceLayout(load_configspace())


def _column_to_index(layout: SpaceLayout, name: str, values: np.ndarray) -> np.ndarray:
    """Map one column of raw values to choice indices, rejecting anything not in ``choices``."""
    choices = layout.choices[layout.column[name]]
    n = len(values)
    raw = values  # kept for error messages, which show the value as the user gave it
    is_flag = all(isinstance(c, (bool, np.bool_)) for c in choices)
    if values.dtype == object:
        # Mixed Python objects: decide validity element-wise (this path is for lists of dicts).
        if is_flag:
            ok = np.fromiter((isinstance(v, (bool, np.bool_)) for v in values), bool, n)
        else:
            ok = np.fromiter(
                (isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in values), bool, n
            )
        if not ok.all():
            row = int(np.argmin(ok))
            raise layout.bad_value_error(name, values[row], row if n > 1 else None)
        values = values.astype(bool if is_flag else np.float64)

    if is_flag:
        if values.dtype != bool:
            raise layout.bad_value_error(name, values[0], 0 if n > 1 else None)
        index_of_true = choices.index(True)
        return np.where(values, index_of_true, 1 - index_of_true).astype(np.float64)

    if values.dtype.kind not in "iuf":
        raise layout.bad_value_error(name, values[0], 0 if n > 1 else None)
    # A lookup table from value to index; -1 marks values that are not choices.
    table = np.full(max(choices) + 1, -1.0)
    table[list(choices)] = np.arange(len(choices))
    if values.dtype.kind == "f":
        # nan, inf and values outside the table fail the range test and are zeroed before the cast
        in_range = (values >= 0) & (values < len(table))
        as_int = np.where(in_range, values, 0.0).astype(np.int64)
        in_range &= as_int == values
    else:
        as_int = values.astype(np.int64)
        in_range = (as_int >= 0) & (as_int < len(table))
    index = np.where(in_range, table[np.clip(as_int, 0, len(table) - 1)], -1.0)
    bad = index < 0
    if bad.any():
        row = int(np.argmax(bad))
        raise layout.bad_value_error(name, np.asarray(raw[row]).item(), row if n > 1 else None)
    return index


def _check_known_keys(layout: SpaceLayout, keys, where: str) -> None:
    """Keys named like a hyperparameter (``block<i>_...``) must be ones of the space; other keys
    (a name, a measurement) are the caller's own and are left alone."""
    unknown = [k for k in keys if isinstance(k, str) and k.startswith("block") and k not in layout.column]
    if unknown:
        raise ValueError(f"{where} has unknown hyperparameter(s) {sorted(unknown)}; the space has blocks "
                         f"0..{N_BLOCKS - 1}, each with the fields {', '.join(FIELDS)} (block0_e ... block{N_BLOCKS - 1}_se)")


def _encode_columns(layout: SpaceLayout, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    missing = [name for name in layout.names if name not in columns]
    if missing:
        raise ValueError(f"missing key(s) {missing}; every architecture needs all of {list(layout.names)}")
    out = np.empty((n, len(layout.names)), dtype=np.float64)
    for j, name in enumerate(layout.names):
        out[:, j] = _column_to_index(layout, name, np.asarray(columns[name]))
    return out


def _encode_dicts(layout: SpaceLayout, dicts: Sequence[Mapping]) -> np.ndarray:
    for row, d in enumerate(dicts):
        if not isinstance(d, Mapping):
            raise ValueError(f"architecture #{row} is a {type(d).__name__}; a list of architectures must hold only dicts")
        where = f"architecture #{row}" if len(dicts) > 1 else "architecture"
        missing = [name for name in layout.names if name not in d]
        if missing:
            raise ValueError(f"{where} is missing key(s) {missing}")
        if len(d) > len(layout.names):
            _check_known_keys(layout, d, where)
    columns = {name: np.array([d[name] for d in dicts], dtype=object) for name in layout.names}
    return _encode_columns(layout, columns, len(dicts))


def _encode_block_lists(layout: SpaceLayout, samples: Sequence) -> np.ndarray:
    """Encode the original's ``[[e x7], [k x7], [l x7], [se x7]]`` lists (one or many)."""
    for row, sample in enumerate(samples):
        if len(sample) != len(FIELDS) and len(sample) and _is_block_list(sample[0]):
            raise ValueError(
                f"architecture #{row} is a list of {len(sample)} architectures, nested one level too deep; "
                "one architecture is [[e x7], [k x7], [l x7], [se x7]]"
            )
        if len(sample) != len(FIELDS):
            raise ValueError(
                f"architecture #{row}: expected {len(FIELDS)} rows (expansion, kernel, layers, "
                f"squeeze-excite), got {len(sample)}"
            )
        for field, values in zip(FIELDS, sample):
            if len(values) != N_BLOCKS:
                raise ValueError(
                    f"architecture #{row}: field '{field}' ({FIELD_MEANING[field]}) has "
                    f"{len(values)} blocks; expected {N_BLOCKS}"
                )
    columns = {
        f"block{b}_{field}": np.array([sample[f][b] for sample in samples], dtype=object)
        for f, field in enumerate(FIELDS)
        for b in range(N_BLOCKS)
    }
    return _encode_columns(layout, columns, len(samples))


def _numeric_matrix(layout: SpaceLayout, matrix: np.ndarray) -> np.ndarray:
    """An object matrix as floats; a cell that is not a number is named by its block and field."""
    is_number = np.frompyfunc(lambda v: isinstance(v, Real) and not isinstance(v, (bool, np.bool_)), 1, 1)
    ok = is_number(matrix).astype(bool) if matrix.size else np.ones(matrix.shape, bool)
    if not ok.all():
        row, col = np.argwhere(~ok)[0]
        block, field = layout.split_name(layout.names[col])
        raise ValueError(f"encoded architecture #{row}: block {block}, field '{field}': {matrix[row, col]!r} is not "
                         f"a number; allowed indices: 0..{layout.n_choices[col] - 1}")
    return matrix.astype(np.float64)


def _check_encoded(layout: SpaceLayout, matrix: np.ndarray) -> np.ndarray:
    if np.ma.isMaskedArray(matrix) and np.ma.getmaskarray(matrix).any():
        # numpy would hand on the values under the mask, which are no one's answer.
        row, col = np.argwhere(np.ma.getmaskarray(matrix))[0]
        block, field = layout.split_name(layout.names[col])
        raise ValueError(f"encoded architecture #{row}: block {block}, field '{field}' is masked; a masked cell "
                         f"has no value, pass a matrix of indices 0..{layout.n_choices[col] - 1}")
    matrix = np.asarray(matrix)
    if matrix.dtype == object and matrix.ndim == 2 and matrix.shape[1] == len(layout.names):
        matrix = _numeric_matrix(layout, matrix)
    if matrix.dtype.kind not in "iuf":
        # Dates, timedeltas, bools and strings convert to numbers numpy's way, never to choice indices.
        raise ValueError(f"an encoded matrix must hold numbers (choice indices); got dtype {matrix.dtype}")
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(layout.names):
        raise ValueError(f"an encoded matrix must have shape (n, {len(layout.names)}); got {matrix.shape}")
    bad = (matrix < 0) | (matrix >= layout.n_choices) | (matrix != np.floor(matrix))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        name = layout.names[col]
        block, field = layout.split_name(name)
        raise ValueError(
            f"encoded architecture #{row}: block {block}, field '{field}': index {matrix[row, col]:g} "
            f"is not one of 0..{layout.n_choices[col] - 1}"
        )
    return matrix


def _is_block_list(sample) -> bool:
    return (
        isinstance(sample, (list, tuple, np.ndarray))
        and len(sample) > 0
        and all(isinstance(row, (list, tuple, np.ndarray)) for row in sample)
    )


def _encode_configurations(layout: SpaceLayout, configs: Sequence[Configuration]) -> np.ndarray:
    # Configurations of a space with our hyperparameters in our order already hold the encoded
    # row: stacking their arrays avoids touching their values one by one.
    space = configs[0].config_space
    if all(c.config_space is space for c in configs) and layout.has_same_choices(space):
        matrix = np.stack([c.get_array() for c in configs]).astype(np.float64)
        if matrix.shape[1] == len(layout.names):  # else the space grew since it was checked
            return matrix
    return _encode_dicts(layout, [dict(c) for c in configs])


def encode(samples, layout: SpaceLayout | None = None) -> np.ndarray:
    """Encode architectures into an `(n, 28)` float matrix of choice indices.

    Parameters
    ----------
    samples : Configuration | dict | DataFrame | list | numpy.ndarray
        One Configuration or a list of them, one dict or a list of dicts, a pandas DataFrame
        with the `block{i}_{e,k,l,se}` columns, one `[[e x7], [k x7], [l x7], [se x7]]` list
        or a list of them (or an `(n, 4, 7)` array), or an already encoded `(n, 28)` numpy
        matrix (checked and returned as float).
    layout : SpaceLayout or None, default None
        The space's layout; `None` is [`default_layout()`][configurationspaces.efficientnet_encoding.default_layout].

    Returns
    -------
    numpy.ndarray
        The `(n, 28)` float matrix; `(0, 28)` for no architectures.

    Raises
    ------
    ValueError
        For an invalid value (naming the block, the field, the bad value and the allowed
        values), a missing or unknown hyperparameter, an encoded index out of range, or
        something that is none of the forms above.

    Examples
    --------
    ```python
    from configurationspaces.efficientnet_encoding import encode
    encode([[1, 6, 6, 6, 6, 6, 6], [3, 3, 5, 3, 5, 5, 3], [1, 2, 2, 3, 3, 4, 1], [True] * 7]).shape   # (1, 28)
    ```
    """
    layout = layout or default_layout()
    width = len(layout.names)
    if isinstance(samples, pd.DataFrame):
        doubled = samples.columns[samples.columns.duplicated()]
        if len(doubled):
            raise ValueError(f"the DataFrame has duplicated column(s) {sorted(set(map(str, doubled)))}; each "
                             "hyperparameter must be one column")
        if len(samples.columns) > len(layout.names):
            _check_known_keys(layout, samples.columns, "the DataFrame")
        columns = {name: samples[name].to_numpy() for name in layout.names if name in samples}
        return _encode_columns(layout, columns, len(samples))
    if isinstance(samples, np.ndarray):
        if samples.ndim == 2 and samples.shape[1] == width:
            return _check_encoded(layout, samples)
        if samples.ndim == 1 and samples.size == 0:
            return np.empty((0, width))
        if samples.ndim in (2, 3) and samples.shape[-2:] == (len(FIELDS), N_BLOCKS):
            return _encode_block_lists(layout, samples.reshape(-1, len(FIELDS), N_BLOCKS).tolist())
        raise ValueError(
            f"a numpy array must be an encoded (n, {width}) matrix or (n, 4, 7) block lists; got shape {samples.shape}"
        )
    if isinstance(samples, Configuration):
        return _encode_configurations(layout, [samples])
    if isinstance(samples, Mapping):
        return _encode_dicts(layout, [samples])
    if _is_block_list(samples) and not isinstance(samples[0][0], (list, tuple, np.ndarray)):
        return _encode_block_lists(layout, [samples])
    if not isinstance(samples, Sequence) or isinstance(samples, (str, bytes)):
        raise ValueError(
            f"cannot encode a {type(samples).__name__}; pass Configurations, dicts, a DataFrame, "
            "[[e x7], [k x7], [l x7], [se x7]] lists or an encoded matrix"
        )
    if len(samples) == 0:
        return np.empty((0, width))
    first = samples[0]
    if isinstance(first, Configuration):
        if not all(isinstance(s, Configuration) for s in samples):
            raise ValueError("a list of samples must not mix Configurations with other types")
        return _encode_configurations(layout, samples)
    if isinstance(first, Mapping):
        return _encode_dicts(layout, samples)
    if _is_block_list(first):
        return _encode_block_lists(layout, samples)
    raise ValueError(
        f"cannot encode a list of {type(first).__name__}; pass Configurations, dicts, a DataFrame, "
        "[[e x7], [k x7], [l x7], [se x7]] lists or an encoded matrix"
    )


def decode_values(matrix: np.ndarray, layout: SpaceLayout | None = None) -> dict[str, np.ndarray]:
    """The raw values (expansion, kernel, ...) of an encoded matrix, column by column.

    Parameters
    ----------
    matrix : numpy.ndarray
        An `(n, 28)` encoded matrix (not checked).
    layout : SpaceLayout or None, default None
        The space's layout; `None` is [`default_layout()`][configurationspaces.efficientnet_encoding.default_layout].

    Returns
    -------
    dict of str to numpy.ndarray
        Every hyperparameter's `(n,)` values.
    """
    layout = layout or default_layout()
    index = np.asarray(matrix).astype(np.int64)
    return {
        name: np.asarray(layout.choices[j])[index[:, j]]
        for j, name in enumerate(layout.names)
    }


def decode_records(matrix: np.ndarray, layout: SpaceLayout | None = None) -> list[dict]:
    """One dict of plain Python values per row, the form of a result JSON's `architecture`.

    Parameters
    ----------
    matrix : numpy.ndarray
        An `(n, 28)` encoded matrix (not checked).
    layout : SpaceLayout or None, default None
        The space's layout; `None` is [`default_layout()`][configurationspaces.efficientnet_encoding.default_layout].

    Returns
    -------
    list of dict
        `{"block0_e": 6, ..., "block0_se": True, ...}` per row: ints, and bools for `_se`.
    """
    values = decode_values(matrix, layout)
    return [{key: (bool(column[i]) if key.endswith("_se") else int(column[i])) for key, column in values.items()}
            for i in range(len(matrix))]


def block_values(matrix: np.ndarray, layout: SpaceLayout | None = None) -> dict[str, np.ndarray]:
    """Per field, an ``(n, 7)`` array of raw values (the inputs of the analytic cost model)."""
    values = decode_values(matrix, layout)
    return {
        field: np.stack([values[f"block{b}_{field}"] for b in range(N_BLOCKS)], axis=1)
        for field in FIELDS
    }


def architecture_ids(matrix: np.ndarray, layout: SpaceLayout | None = None) -> np.ndarray:
    """A unique int64 per architecture (mixed-radix number of the choice indices).

    The space has about 1e11 members, well inside int64, so equal ids mean equal architectures:
    this is how duplicated architectures are found without comparing rows pairwise.

    Parameters
    ----------
    matrix : numpy.ndarray
        An `(n, 28)` encoded matrix (not checked).
    layout : SpaceLayout or None, default None
        The space's layout; `None` is [`default_layout()`][configurationspaces.efficientnet_encoding.default_layout].

    Returns
    -------
    numpy.ndarray
        `(n,)` int64 ids.
    """
    layout = layout or default_layout()
    index = np.asarray(matrix).astype(np.int64)
    ids = np.zeros(len(index), dtype=np.int64)
    for j in range(index.shape[1]):
        ids = ids * layout.n_choices[j] + index[:, j]
    return ids

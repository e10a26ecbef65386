"""NAS-Bench-101 files in the layouts users hold (parallel lists, records, padded cells), told apart
by content, and every malformed input refused with one line naming the file and the fault."""

import json
import os

import numpy as np
import pytest

from anb.nb101.cli import main
from anb.nb101.data import NASBench101Dataset
from configurationspaces.nasbench101 import LABEL_OPS, PAD_LABEL, output_last
from conftest import NB101_NASLIB, require_nb101


@pytest.fixture(scope="module")
def naslib():
    return NASBench101Dataset.from_naslib_json(require_nb101(NB101_NASLIB))


@pytest.fixture(scope="module")
def naslib_entries():
    with open(require_nb101(NB101_NASLIB)) as handle:
        return json.load(handle)["nasbench101"]["cifar10"]


def _same_cells_and_results(a: NASBench101Dataset, b: NASBench101Dataset) -> None:
    for name in ("hashes", "adjacency", "labels", "parameters"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.allclose(a.accuracy(), b.accuracy())


def _columns(dataset: NASBench101Dataset, percent: bool) -> dict:
    """The dict-of-parallel-lists layout: padded 7x7 cells, official op codes with -3 padding."""
    return {
        "key": dataset.hashes.tolist(),
        "adjacency": dataset.adjacency.tolist(),
        "operations": dataset.labels.tolist(),
        "trainable_parameters": dataset.parameters.tolist(),
        "108_final_validation_accuracy": (dataset.accuracy() * (100 if percent else 1)).tolist(),
    }


@pytest.mark.parametrize("percent", [True, False])
def test_dict_of_parallel_lists_is_read_by_content(naslib, tmp_path, percent):
    path = tmp_path / "sample.txt"  # the suffix says nothing
    path.write_text(json.dumps(_columns(naslib, percent)))
    _same_cells_and_results(NASBench101Dataset.load(path), naslib)


def test_records_with_padding_before_the_output_and_op_names(naslib, tmp_path):
    adjacency, labels = output_last(naslib.adjacency, naslib.labels)
    assert (labels[:, 1:-1] == PAD_LABEL).any()
    names = {**LABEL_OPS, PAD_LABEL: "conv3x3-bn-relu"}  # named padding: an isolated vertex, pruned
    records = [
        {"matrix": a.tolist(), "ops": [names[int(x)] for x in lab], "val_accuracy": float(acc * 100)}
        for a, lab, acc in zip(adjacency, labels, naslib.accuracy())
    ]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records))
    # No parameter counts in the file: they are counted analytically, exactly NASLib's.
    _same_cells_and_results(NASBench101Dataset.load(path), naslib)


def test_official_records_read_as_json_match_the_records(records, tmp_path):
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records))
    from_file = NASBench101Dataset.load(path)
    in_memory = NASBench101Dataset.from_official_records(records)
    assert from_file.hashes.tolist() == list(records)
    assert np.array_equal(from_file.metrics, in_memory.metrics, equal_nan=True)


def test_columns_from_memory(naslib):
    _same_cells_and_results(NASBench101Dataset.from_columns(_columns(naslib, percent=True)), naslib)


def _write(path, content) -> str:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def _naslib_with(entries: dict, change) -> dict:
    key, entry = next(iter(entries.items()))
    return {"nasbench101": {"cifar10": {key: change(dict(entry))}}}


HOSTILE = {
    "directory": (None, "is a directory"),
    "empty.hdf5": (b"", "is empty"),
    "text.hdf5": ("not hdf5 at all", "is not an HDF5 file"),
    "table.csv": ("hash,accuracy\n", "cannot tell the format"),
    "broken.json": ('{"nasbench101": ', "is not valid JSON"),
    "number.json": ("[1, 2]", "not a NAS-Bench-101 layout"),
    "ragged.json": ({"adjacency": [[[0, 1], [0, 0]]], "operations": []}, "lists of one length"),
    "no_results.json": ({"adjacency": [[[0, 1], [0, 0]]], "operations": [[-1, -2]]}, "no results"),
    "hash.json": (
        {"key": ["0" * 32], "adjacency": [[[0, 1], [0, 0]]], "operations": [[-1, -2]], "val_accuracy": [80]},
        "does not match the cell's",
    ),
    "codes.json": ({"adjacency": [[[0, 1], [0, 0]]], "operations": [[3, 1]], "val_accuracy": [80]}, "must start"),
    "cell.json": ({"adjacency": [[[0, 0], [0, 0]]], "operations": [[-1, -2]], "val_accuracy": [80]}, "cell 0"),
}


@pytest.fixture()
def hostile_files(tmp_path, naslib_entries):
    files = {name: _write(tmp_path / name, content) for name, (content, _) in HOSTILE.items() if content is not None}
    files["directory"] = str(tmp_path)
    naslib_faults = {
        "naslib_list.json": ({"nasbench101": {"cifar10": list(naslib_entries.values())}}, "must map NASLib spec keys"),
        "naslib_params.json": (
            _naslib_with(naslib_entries, lambda e: {k: v for k, v in e.items() if k != "params"}), "'params' must be"
        ),
        "naslib_null.json": (_naslib_with(naslib_entries, lambda e: {**e, "val_accuracy": None}), "'val_accuracy'"),
    }
    expected = {name: match for name, (_, match) in HOSTILE.items()}
    for name, (content, match) in naslib_faults.items():
        files[name] = _write(tmp_path / name, content)
        expected[name] = match
    return {name: (path, expected[name]) for name, path in files.items()}


def test_malformed_files_are_refused_naming_the_file(hostile_files):
    for name, (path, match) in hostile_files.items():
        with pytest.raises(ValueError, match=match) as raised:
            NASBench101Dataset.load(path)
        assert path in str(raised.value), name


def test_cli_refuses_malformed_data_in_one_line(hostile_files, capsys):
    for name, (path, match) in hostile_files.items():
        assert main(["fit-eval", "--model", "svr", "--data", path]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and match.strip("'") in err and "Traceback" not in err, (name, err)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files without permission")
def test_unreadable_file_is_refused(tmp_path, capsys):
    path = tmp_path / "locked.json"
    path.write_text("{}")
    path.chmod(0)
    assert main(["fit-eval", "--data", str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_missing_default_data_says_what_to_download(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANB_NB101_DATA_DIR", str(tmp_path))
    assert main(["fit-eval"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "nasbench_only108.tfrecord" in err and "--data" in err

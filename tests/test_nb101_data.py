"""NAS-Bench-101 data in its three formats (tfrecord, neural-predictor HDF5, NASLib JSON), the
converter and the named splits. The full files cannot be downloaded here, so the tests write
small files in the official formats from the 30 official records."""

import base64
import io
import json
import struct

import numpy as np
import pytest

from anb.nb101.data import EPOCHS, QUANTITIES, NASBench101Dataset
from anb.nb101.splits import SPLIT_NAMES, complement, split_indices
from anb.nb101.tfrecord import (
    NB101Record,
    build_record,
    crc32c,
    decode_model_metrics,
    encode_model_metrics,
    iter_nb101,
    iter_records,
    parse_record,
    write_records,
)
from configurationspaces.nasbench101 import Cell
from conftest import NB101_NASLIB, require_nb101





@pytest.fixture(scope="module")
def reference(records):
    return NASBench101Dataset.from_official_records(records)


@pytest.fixture(scope="module")
def naslib():
    return NASBench101Dataset.from_naslib_json(require_nb101(NB101_NASLIB))


def _runs_as_records(records, epochs=108, scale=1.0):
    """NB101Records of every run, as the official generator stores them (start, halfway, final)."""
    out = []
    for module_hash, record in records.items():
        for run in record["computed_stats"]["108"]:
            evaluations = [dict.fromkeys(("current_epoch", *QUANTITIES), 0.0)]
            for point, epoch in (("halfway", epochs / 2), ("final", float(epochs))):
                values = {q: run[f"{point}_{q}"] * scale for q in QUANTITIES}
                evaluations.append({"current_epoch": epoch, **values, "checkpoint_path": f"gs://x/{module_hash}"})
            metrics = {
                "evaluation_data": evaluations,
                "trainable_parameters": record["trainable_parameters"],
                "total_time": 1.0,
            }
            adjacency = np.array(record["module_adjacency"])
            out.append(NB101Record(module_hash, epochs, adjacency, record["module_operations"], metrics))
    return out


def _same_table(a: NASBench101Dataset, b: NASBench101Dataset) -> None:
    for name in ("hashes", "adjacency", "labels", "parameters"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.metrics, b.metrics, equal_nan=True)


# --- TFRecord framing and protobuf -----------------------------------------------------------


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value
    assert crc32c(b"") == 0


def test_protobuf_decoding_of_hand_written_bytes():
    double = struct.Struct("<d").pack
    evaluation = (
        b"\x09" + double(54.0)  # field 1 (current_epoch), wire type 1
        + b"\x11" + double(697.5)  # field 2 training_time
        + b"\x19" + double(0.8)  # field 3 train_accuracy
        + b"\x21" + double(0.75)  # field 4 validation_accuracy
        + b"\x29" + double(0.74)  # field 5 test_accuracy
        + b"\x32\x03abc"  # field 6 checkpoint_path
        + b"\x3a\x01z"  # field 7 (an older sample_metrics_file): skipped
    )
    message = b"\x0a" + bytes([len(evaluation)]) + evaluation + b"\x10\x96\x01" + b"\x19" + double(12.5)
    decoded = decode_model_metrics(message)
    assert decoded["trainable_parameters"] == 150
    assert decoded["total_time"] == 12.5
    assert decoded["evaluation_data"] == [
        {
            "current_epoch": 54.0,
            "training_time": 697.5,
            "train_accuracy": 0.8,
            "validation_accuracy": 0.75,
            "test_accuracy": 0.74,
            "checkpoint_path": "abc",
        }
    ]
    assert decode_model_metrics(encode_model_metrics(decoded)) == decoded
    with pytest.raises(ValueError, match="wire type"):
        decode_model_metrics(b"\x11" + double(1.0))  # field 2 must be a varint


def test_tfrecord_framing_round_trip_and_corruption():
    payloads = [b"", b"x", b"hello" * 100]
    buffer = io.BytesIO()
    write_records(buffer, payloads)
    raw = buffer.getvalue()
    assert len(raw) == sum(16 + len(p) for p in payloads)
    assert struct.unpack("<Q", raw[:8])[0] == 0
    assert list(iter_records(io.BytesIO(raw), verify_data_crc=True)) == payloads
    flipped = bytearray(raw)
    flipped[-6] ^= 1  # inside the last payload
    assert len(list(iter_records(io.BytesIO(bytes(flipped))))) == 3  # data CRC not checked by default
    with pytest.raises(ValueError, match="data checksum"):
        list(iter_records(io.BytesIO(bytes(flipped)), verify_data_crc=True))
    with pytest.raises(ValueError, match="length checksum"):
        list(iter_records(io.BytesIO(b"\x05" + raw[1:])))
    with pytest.raises(ValueError, match="truncated"):
        list(iter_records(io.BytesIO(raw[:-2])))


def test_parse_of_a_hand_built_official_row(records):
    module_hash, record = next(iter(records.items()))
    run = record["computed_stats"]["108"][0]
    double = struct.Struct("<d").pack

    def evaluation(point):
        return b"".join(
            bytes([(field << 3) | 1]) + double(run[f"{point}_{q}"]) for field, q in enumerate(QUANTITIES, start=2)
        )

    body = b"".join(b"\x0a" + bytes([len(e)]) + e for e in (b"", evaluation("halfway"), evaluation("final")))
    varint = bytearray()
    value = record["trainable_parameters"]
    while value > 0x7F:
        varint.append(value & 0x7F | 0x80)
        value >>= 7
    varint.append(value)
    body += b"\x10" + bytes(varint)
    adjacency = "".join(str(x) for row in record["module_adjacency"] for x in row)
    ops = ",".join(record["module_operations"])
    row = json.dumps([module_hash, 108, adjacency, ops, base64.b64encode(body).decode()])
    parsed = parse_record(row.encode())
    assert parsed.module_hash == module_hash and parsed.epochs == 108
    assert parsed.adjacency.tolist() == record["module_adjacency"]
    assert parsed.operations == record["module_operations"]
    assert parsed.metrics["trainable_parameters"] == record["trainable_parameters"]
    assert parsed.final["validation_accuracy"] == run["final_validation_accuracy"]
    assert parsed.halfway["training_time"] == run["halfway_training_time"]
    # The package's writer produces a row that parses to the same thing.
    again = parse_record(build_record(parsed))
    assert again.metrics == parsed.metrics and again.operations == parsed.operations
    with pytest.raises(ValueError, match="not a NAS-Bench-101 row"):
        parse_record(b"[1, 2]")


# --- tfrecord -> table -----------------------------------------------------------------------


def test_only108_tfrecord_round_trip(tmp_path, records, reference):
    path = tmp_path / "nasbench_only108.tfrecord"
    write_records(path, map(build_record, _runs_as_records(records)))
    assert sum(1 for _ in iter_nb101(path)) == 90
    dataset = NASBench101Dataset.from_tfrecord(path, verify_data_crc=True)
    _same_table(dataset, reference)
    assert list(dataset.hashes) == list(records)
    for cell, module_hash in zip(dataset.cells(), dataset.hashes):
        assert cell.module_hash() == module_hash
    # Only the 108-epoch budget is present.
    present = np.isfinite(dataset.metrics).any(axis=(0, 2, 3, 4))
    assert present.tolist() == [e == 108 for e in EPOCHS]


def test_full_tfrecord_with_interleaved_budgets(tmp_path, records):
    subset = dict(list(records.items())[:5])
    rows = []
    for scale, epochs in zip((0.25, 0.5, 0.75, 1.0), EPOCHS):
        rows += _runs_as_records(subset, epochs, scale)
    order = np.random.default_rng(0).permutation(len(rows))
    path = tmp_path / "nasbench_full.tfrecord"
    write_records(path, (build_record(rows[i]) for i in order))
    dataset = NASBench101Dataset.from_tfrecord(path)
    assert len(dataset) == 5
    for e, (scale, epochs) in enumerate(zip((0.25, 0.5, 0.75, 1.0), EPOCHS)):
        for module_hash, record in subset.items():
            row = list(dataset.hashes).index(module_hash)
            got = sorted(dataset.metrics[row, e, :, 1, 2])
            want = sorted(np.float32(r["final_validation_accuracy"] * scale) for r in record["computed_stats"]["108"])
            assert np.allclose(got, want)
    frame = dataset.to_frame()
    assert len(frame) == 5 * 4 * 3
    assert set(frame["epochs"]) == set(EPOCHS)


def test_fourth_run_at_a_budget_is_rejected(tmp_path, records):
    runs = _runs_as_records(dict(list(records.items())[:1]))
    path = tmp_path / "bad.tfrecord"
    write_records(path, map(build_record, runs + runs[:1]))
    with pytest.raises(ValueError, match="more than 3 runs"):
        NASBench101Dataset.from_tfrecord(path)


def test_to_frame_is_the_long_table(reference, records):
    frame = reference.to_frame()
    assert len(frame) == 90
    first_hash = next(iter(records))
    rows = frame[frame["hash"] == first_hash]
    assert rows["seed"].tolist() == [0, 1, 2]
    assert np.allclose(
        rows["final_test_accuracy"], [r["final_test_accuracy"] for r in records[first_hash]["computed_stats"]["108"]]
    )
    assert (rows["parameters"] == records[first_hash]["trainable_parameters"]).all()
    assert rows["ops"].iloc[0].split(",") == records[first_hash]["module_operations"]


# --- HDF5 ------------------------------------------------------------------------------------


def test_converter_writes_the_neural_predictor_layout(tmp_path, records, reference):
    h5py = pytest.importorskip("h5py")
    from anb.nb101.hdf5 import convert_tfrecord_to_hdf5

    tfrecord, hdf5 = tmp_path / "nasbench_only108.tfrecord", tmp_path / "nasbench.hdf5"
    write_records(tfrecord, map(build_record, _runs_as_records(records)))
    assert convert_tfrecord_to_hdf5(tfrecord, hdf5, progress=False) == 30
    with h5py.File(hdf5, "r") as handle:
        assert handle["hash"].dtype == np.dtype("S32")
        assert handle["adjacency"].shape == (30, 7, 7) and handle["adjacency"].dtype == np.int8
        assert handle["operations"].dtype == np.int8
        assert handle["metrics"].shape == (30, 4, 3, 2, 4) and handle["metrics"].dtype == np.float32
        assert handle["trainable_parameters"].dtype == np.int32
        small = np.flatnonzero(handle["num_vertices"][()] == 6)
        assert small.size and (handle["operations"][()][small, 6] == 0).all()  # padded with 0
        first = handle["metrics"][0, 3, 0, 1]  # 108 epochs, run 0, final
        run = next(iter(records.values()))["computed_stats"]["108"][0]
        assert np.allclose(first, [run[f"final_{q}"] for q in QUANTITIES])
    _same_table(NASBench101Dataset.load(hdf5), reference)


def test_hdf5_written_independently_is_read(tmp_path, records, reference):
    h5py = pytest.importorskip("h5py")
    codes = {"input": -1, "output": -2, "conv3x3-bn-relu": 0, "conv1x1-bn-relu": 1, "maxpool3x3": 2}
    n = len(records)
    adjacency, operations = np.zeros((n, 7, 7), np.int8), np.zeros((n, 7), np.int8)
    metrics = np.full((n, 4, 3, 2, 4), np.nan, np.float32)
    for i, record in enumerate(records.values()):
        k = len(record["module_operations"])
        adjacency[i, :k, :k] = record["module_adjacency"]
        operations[i, :k] = [codes[op] for op in record["module_operations"]]
        for s, run in enumerate(record["computed_stats"]["108"]):
            metrics[i, 3, s] = [[run[f"{p}_{q}"] for q in QUANTITIES] for p in ("halfway", "final")]
    path = tmp_path / "nasbench.h5"
    with h5py.File(path, "w") as handle:
        handle["hash"] = np.array([h.encode() for h in records])
        handle["num_vertices"] = np.array([len(r["module_operations"]) for r in records.values()], np.int8)
        handle["trainable_parameters"] = np.array([r["trainable_parameters"] for r in records.values()], np.int32)
        handle["adjacency"], handle["operations"], handle["metrics"] = adjacency, operations, metrics
    _same_table(NASBench101Dataset.from_hdf5(path), reference)


def test_hdf5_without_the_datasets_is_refused(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "other.hdf5"
    with h5py.File(path, "w") as handle:
        handle["hash"] = np.zeros(1)
    with pytest.raises(ValueError, match="missing datasets"):
        NASBench101Dataset.load(path)


def test_hdf5_is_written_atomically(tmp_path, reference):
    pytest.importorskip("h5py")
    path = reference.to_hdf5(tmp_path / "nasbench.hdf5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nasbench.hdf5"]  # no staging file left
    _same_table(NASBench101Dataset.load(path), reference)


# --- NASLib JSON -----------------------------------------------------------------------------


def test_naslib_sample(naslib):
    with open(NB101_NASLIB) as handle:
        entries = json.load(handle)["nasbench101"]["cifar10"]
    values = list(entries.values())
    assert len(naslib) == 500
    assert np.allclose(naslib.accuracy(), [v["val_accuracy"] / 100 for v in values])
    assert np.array_equal(naslib.parameters, [round(v["params"] * 1e6) for v in values])
    assert np.array_equal(naslib.accuracy(seed=0), naslib.accuracy(), equal_nan=True)
    assert np.isnan(naslib.accuracy("test")).all()
    # Hashes are those of the pruned cells; isomorphic duplicates share one.
    cells = naslib.cells()
    assert [c.module_hash() for c in cells] == naslib.hashes.tolist()
    assert len(set(naslib.hashes)) == 292
    assert len(naslib.to_frame()) == 500


def test_accuracy_argument_checks(reference):
    with pytest.raises(ValueError, match="kind must be"):
        reference.accuracy("val")
    with pytest.raises(ValueError, match="epoch budget 100"):
        reference.accuracy(epochs=100)
    with pytest.raises(ValueError, match="seed must be"):
        reference.accuracy(seed=3)
    assert np.isnan(reference.accuracy(epochs=4)).all()


def test_dataset_rejects_inconsistent_arrays(reference):
    with pytest.raises(ValueError, match="metrics must have shape"):
        NASBench101Dataset(
            reference.hashes, reference.adjacency, reference.labels, reference.parameters, reference.metrics[:, :2]
        )


# --- splits ----------------------------------------------------------------------------------


def test_random_splits_are_seeded_samples(naslib):
    first = split_indices(naslib, "172")
    assert len(first) == 172 and len(np.unique(first)) == 172
    assert np.array_equal(first, split_indices(naslib, "172", seed=0))
    assert not np.array_equal(first, split_indices(naslib, "172", seed=1))
    # The reproduction's recipe: one RandomState, a fresh permutation per size, in order.
    rng = np.random.RandomState(0)
    assert np.array_equal(first, np.sort(rng.permutation(500)[:172]))
    assert np.array_equal(split_indices(naslib, "334"), np.sort(rng.permutation(500)[:334]))
    with pytest.raises(ValueError, match="only 500"):
        split_indices(naslib, "860")


def test_accuracy_filtered_splits(naslib):
    accuracy = naslib.accuracy(seed=0)
    sample = split_indices(naslib, "172", seed=2)
    top = split_indices(naslib, "91-172", seed=2)
    assert set(top) <= set(sample) and (accuracy[top] >= 0.91).all()
    assert np.array_equal(top, sample[accuracy[sample] >= 0.91])
    assert np.array_equal(split_indices(naslib, "denoise-91"), np.flatnonzero(accuracy >= 0.91))
    assert np.array_equal(split_indices(naslib, "denoise-80"), np.flatnonzero(accuracy >= 0.80))
    assert 0 < len(split_indices(naslib, "denoise-91")) < len(split_indices(naslib, "denoise-80")) < 500
    assert np.array_equal(split_indices(naslib, "all"), np.arange(500))
    assert set(SPLIT_NAMES) == {"172", "334", "860", "91-172", "91-334", "91-860", "denoise-91", "denoise-80", "all"}


def test_split_errors_and_complement(naslib):
    with pytest.raises(ValueError, match="unknown split 'top'"):
        split_indices(naslib, "top")
    with pytest.raises(ValueError, match="non-negative integer"):
        split_indices(naslib, "172", seed=-1)
    train = split_indices(naslib, "172")
    rest = complement(train, len(naslib))
    assert len(rest) == 328 and not set(rest) & set(train)


def test_cells_from_dataset_are_valid(reference):
    assert all(isinstance(c, Cell) for c in reference.cells())
    assert np.array_equal(reference.num_vertices, [c.num_vertices for c in reference.cells()])


def test_hdf5_without_h5py_says_what_to_install(tmp_path, reference, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "h5py", None)  # makes `import h5py` fail
    with pytest.raises(ImportError, match=r"pip install 'anb\[nb101\]'"):
        reference.to_hdf5(tmp_path / "x.hdf5")
    # Everything else still works.
    assert len(reference.to_frame()) == 90

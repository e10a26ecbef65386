import json
import shutil
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from anb.data import dataset
from anb.data.dataset import DatasetNotFoundError, load_dataset
from anb.data.download import DownloadError
from anb.data.paths import data_dir


def test_real_dataset_loads_one_row_per_file_with_every_target(real_data):
    assert len(real_data) == 5138
    assert real_data["name"].is_unique
    for column in ["val_top1", "macs", "params", "throughput_a100", "throughput_a100_std", "throughput_tpuv2",
                   "throughput_tpuv3", "throughput_3090", "throughput_zcu102", "throughput_vck190",
                   "latency_zcu102", "latency_vck190"] + [f"block{i}_{f}" for i in range(7) for f in "ekl"]:
        assert column in real_data
    assert real_data["val_top1"].between(40, 70).all()


def test_report_names_nulls_and_duplicates(real_data):
    report = real_data.attrs["report"]
    assert report.n_files == 5138 and report.skipped == []
    assert report.missing_values == {
        "throughput_tpuv2": 37, "throughput_tpuv3": 44, "throughput_3090": 3, "throughput_zcu102": 2,
        "throughput_vck190": 2, "latency_zcu102": 2, "latency_vck190": 2,
    }
    assert len(report.duplicates) == 13
    assert ["result_0.json", "result_443.json"] in report.duplicates
    # duplicated rows really are the same architecture
    arch_cols = [f"block{i}_{f}" for i in range(7) for f in ("e", "k", "l", "se")]
    pair = real_data.set_index("name").loc[["result_0.json", "result_443.json"], arch_cols]
    assert (pair.iloc[0] == pair.iloc[1]).all()
    assert "13 architecture(s) measured more than once" in report.summary()


def test_directory_and_archive_give_the_same_frame(real_data, dataset_archive, tmp_path):
    with tarfile.open(dataset_archive) as tar:
        tar.extractall(tmp_path, filter="data")
    from_dir = load_dataset(tmp_path)
    assert from_dir.drop(columns=[]).equals(real_data)


def _write_results(directory: Path, archive: Path, n: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar if m.name.endswith(".json")][:n]
        for m in members:
            (directory / Path(m.name).name).write_bytes(tar.extractfile(m).read())


def test_malformed_and_invalid_files_are_skipped_with_a_warning(dataset_archive, tmp_path):
    _write_results(tmp_path, dataset_archive, 20)
    (tmp_path / "result_9001.json").write_text("{not json")
    (tmp_path / "result_9002.json").write_text(json.dumps({"architecture": {}}))
    good = json.loads(next(tmp_path.glob("result_*.json")).read_text())
    good["architecture"]["block2_k"] = 7
    (tmp_path / "result_9003.json").write_text(json.dumps(good))
    with pytest.warns(UserWarning) as warned:
        frame = load_dataset(tmp_path)
    messages = " ".join(str(w.message) for w in warned)
    assert "result_9001.json" in messages and "result_9002.json" in messages and "result_9003.json" in messages
    assert len(frame) == 20
    skipped = dict(frame.attrs["report"].skipped)
    assert set(skipped) == {"result_9001.json", "result_9002.json", "result_9003.json"}
    assert "block 2" in skipped["result_9003.json"] and "3, 5" in skipped["result_9003.json"]


def test_missing_or_empty_dataset_directory_says_what_to_do(tmp_path):
    for source in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(DatasetNotFoundError) as info:
            load_dataset(source)
        assert "result_*.json" in str(info.value) and "fetch_dataset" in str(info.value)


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving ``tmp_path/www``."""
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_downloads_and_checks_the_hash(dataset_archive, http_server, tmp_path, monkeypatch):
    root, url = http_server
    shutil.copy(dataset_archive, root / dataset.ARCHIVE_NAME)
    monkeypatch.setattr(dataset, "DATASET_URL", f"{url}/{dataset.ARCHIVE_NAME}")
    monkeypatch.setenv("ANB_DATA_DIR", str(tmp_path / "cache"))
    frame = load_dataset()
    assert len(frame) == 5138
    assert (tmp_path / "cache" / dataset.ARCHIVE_NAME).is_file()

    # a server holding a different file: nothing is kept, and the error says why
    (root / dataset.ARCHIVE_NAME).write_bytes(b"not the dataset")
    monkeypatch.setenv("ANB_DATA_DIR", str(tmp_path / "cache2"))
    with pytest.raises(DownloadError, match="does not match its sha256"):
        load_dataset()
    assert not any((tmp_path / "cache2").glob("*.tar.gz"))


def test_offline_fetch_tells_how_to_get_the_data_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "DATASET_URL", "http://127.0.0.1:9/anb_dataset_jsons.tar.gz")  # port 9: nobody
    monkeypatch.setenv("ANB_DATA_DIR", str(tmp_path))
    with pytest.raises(DownloadError) as info:
        load_dataset()
    message = str(info.value)
    assert "by hand" in message and dataset.DATASET_SHA256 in message and str(tmp_path) in message
    assert "ANB_DATA_DIR" in message


def test_archive_in_data_dir_is_used_without_network(real_data):
    # ANB_DATA_DIR points at the read-only shared copy: pooch finds the archive, checks its
    # hash and never writes or downloads. A data folder of unpacked JSON files has no archive to use.
    if not (data_dir() / dataset.ARCHIVE_NAME).is_file():
        pytest.skip(f"{data_dir()} holds no {dataset.ARCHIVE_NAME} (the dataset comes unpacked)")
    assert real_data.attrs["report"].source.endswith(dataset.ARCHIVE_NAME)
    assert np.isfinite(real_data["val_top1"]).all()

"""``anb measure``: the protocol, the Accel-NASBench output, resuming a killed run, and bad input.

The measurements here are real (this machine's CPU, PyTorch eager and ONNX Runtime) but tiny:
a few architectures, two or three rounds of two runs.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kendalltau

pytest.importorskip("torch")

from anb import cli  # noqa: E402
from anb.adaptation import few_shot, measure, selection  # noqa: E402
from anb.data.dataset import load_dataset  # noqa: E402
from configurationspaces.efficientnet_encoding import architecture_ids, encode  # noqa: E402
from configurationspaces.searchspaces import EfficientNetSS  # noqa: E402

FAST = ["--rounds", "2", "--runs", "2", "--warmup", "1", "--select", "random"]


def run_cli(args, capsys):
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_measurement_is_an_accel_nasbench_dataset(tmp_path, capsys):
    out = tmp_path / "m"
    code, printed, _ = run_cli(["measure", "--n", "3", "--seed", "4", *FAST, "--out", str(out)], capsys)
    assert code == 0
    assert "repeatability: Kendall tau" in printed and "anb adapt --measurements" in printed
    plan = json.loads((out / "measurement.json").read_text())
    assert plan["protocol"]["runtime"] == "torch" and plan["protocol"]["batch"] == 1
    assert plan["protocol"]["rounds"] == 2 and plan["protocol"]["threads"] == 1
    assert plan["hardware"]["cpu"] and plan["software"]["torch"]
    assert plan["repeatability"]["architectures"] == 3
    data = load_dataset(out)
    assert len(data) == 3 and (data["latency_cpu-torch"] > 0).all() and (data["latency_cpu-torch_std"] >= 0).all()
    expected = EfficientNetSS(seed=4).random_encoded(3)
    assert {tuple(r) for r in encode(data)} == {tuple(r) for r in expected}
    doc = json.loads((out / "result_0.json").read_text())
    perf = doc["platform_perf"]["latency_cpu-torch"]
    assert perf["latency_mean"] == np.median(perf["latency_rounds"]) and len(perf["latency_rounds"]) == 2
    assert doc["model_info"]["params"] > 1 and doc["model_info"]["macs"] > 100
    visits = [json.loads(line) for line in (out / "timings.jsonl").read_text().splitlines()]
    assert sorted((v["round"], v["index"]) for v in visits) == [(r, i) for r in range(2) for i in range(3)]
    # each round in its own order, as recorded
    assert [v["index"] for v in visits[:3]] == list(measure.Protocol(
        "x", "latency", "torch", "cpu", 1, 1, 1, 2, 2, 4).round_order(3, 0))
    # readable by whoever may read any other new file here (a temporary file would be owner-only)
    mask = os.umask(0)
    os.umask(mask)
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o666 & ~mask}


def test_throughput_is_images_per_second_at_the_batch(tmp_path, capsys):
    out = tmp_path / "t"
    code, _, _ = run_cli(["measure", "--metric", "throughput", "--batch", "2", "--n", "2", *FAST, "--out", str(out)],
                         capsys)
    assert code == 0
    doc = json.loads((out / "result_0.json").read_text())
    perf = doc["platform_perf"]["throughput_cpu-torch"]
    visit = next(json.loads(line) for line in (out / "timings.jsonl").read_text().splitlines()
                 if json.loads(line)["index"] == 0)
    assert 2 * 1000 / np.median(visit["ms"]) in perf["throughput_rounds"]


def test_onnx_runtime_measures_too(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "o"
    code, _, _ = run_cli(["measure", "--runtime", "onnxruntime", "--n", "2", *FAST, "--out", str(out)], capsys)
    assert code == 0
    plan = json.loads((out / "measurement.json").read_text())
    assert plan["software"]["onnxruntime"] and plan["protocol"]["name"] == "cpu-ort"
    assert len(load_dataset(out)) == 2
    assert not list(out.glob("*.onnx")), "the exported networks are temporary"


def test_a_killed_run_resumes_and_loses_nothing(tmp_path):
    out = tmp_path / "k"
    command = [sys.executable, "-m", "anb.cli", "measure", "--n", "4", "--seed", "2", "--rounds", "3", "--runs", "3",
               "--warmup", "0", "--select", "random", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timings = out / "timings.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if timings.is_file() and len(timings.read_text().splitlines()) >= 5:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = timings.read_text().splitlines()
    assert 5 <= len(before) < 12, "the run should have been killed midway"
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    after = timings.read_text().splitlines()
    complete = [line for line in before if line.endswith("}")]
    assert after[:len(complete)] == complete, "visits measured before the kill are kept as they were"
    visits = [json.loads(line) for line in after if line.endswith("}")]
    assert sorted((v["round"], v["index"]) for v in visits) == [(r, i) for r in range(3) for i in range(4)]
    assert len(load_dataset(out)) == 4
    assert "resuming" in finished.stderr


def test_another_protocol_or_foreign_files_are_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "p"
    assert run_cli(["measure", "--n", "2", *FAST, "--out", str(out)], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, err = run_cli(["measure", "--n", "2", *FAST[:2], "--runs", "3", *FAST[4:], "--out", str(out)], capsys)
    assert code == 2 and "another protocol" in err and "runs: 2 there, 3 now" in err
    assert len(err.strip().splitlines()) == 1
    # the same command again resumes a finished run: nothing to do, nothing changed
    assert run_cli(["measure", "--n", "2", *FAST, "--out", str(out)], capsys)[0] == 0
    assert {p.name for p in out.iterdir()} == set(before)
    assert all((out / name).read_bytes() == data for name, data in before.items() if name != "measurement.json")
    (out / "notes.txt").write_text("mine")
    code, _, err = run_cli(["measure", "--n", "2", *FAST, "--out", str(out)], capsys)
    assert code == 2 and "did not write (notes.txt)" in err
    assert (out / "notes.txt").read_text() == "mine"
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.csv").write_text("x")
    code, _, err = run_cli(["measure", "--n", "2", *FAST, "--out", str(other)], capsys)
    assert code == 2 and "data.csv" in err and (other / "data.csv").read_text() == "x"


@pytest.mark.parametrize("args, message", [
    (["--runtime", "tvm"], "invalid choice: 'tvm'"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
    (["--metric", "energy"], "invalid choice: 'energy'"),
    (["--metric", "throughput", "--batch", "0"], "--batch must be"),
    (["--batch", "4"], "latency is measured at batch 1"),
    (["--device", "cuda"], "no CUDA GPU"),
    (["--n", "1"], "--n must be"),
    (["--threads", "0"], "--threads must be"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "bad"
    with pytest.raises(SystemExit) if "invalid choice" in message or "must be" in message else _no_exit() as caught:
        code = cli.main(["measure", *args, *FAST, "--out", str(out)])
    code = caught.value.code if hasattr(caught, "value") else code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_missing_runtime_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    code, _, err = run_cli(["measure", "--runtime", "onnxruntime", "--n", "2", *FAST, "--out", str(tmp_path / "x")],
                           capsys)
    assert code == 2 and "anb[network]" in err


def test_repeatability_is_the_first_round_against_the_rest():
    protocol = measure.Protocol("x", "latency", "torch", "cpu", 1, 1, 0, 1, 3, 0)
    agreeing = {(r, i): [10.0 + i + 0.1 * r] for r in range(3) for i in range(5)}
    assert measure.repeatability(protocol, agreeing, 5) == pytest.approx(1.0)
    reversed_first = {**agreeing, **{(0, i): [20.0 - i] for i in range(5)}}
    assert measure.repeatability(protocol, reversed_first, 5) == pytest.approx(-1.0)


def test_spread_selection_leaves_every_candidate_nearer_a_measured_one_than_random_draws_do():
    points = np.random.default_rng(0).normal(size=(2000, 3))
    chosen = selection.spread_indices(points, 20, seed=0)
    assert len(set(chosen.tolist())) == 20
    assert np.array_equal(chosen, selection.spread_indices(points, 20, seed=0))

    def mean_distance_to_nearest(rows):
        return np.sqrt(((points[:, None, :] - points[None, rows, :]) ** 2).sum(axis=2)).min(axis=1).mean()

    random_draws = [mean_distance_to_nearest(np.random.default_rng(s).choice(2000, 20, replace=False))
                    for s in range(20)]
    assert mean_distance_to_nearest(chosen) < min(random_draws)


def test_spread_selection_picks_valid_distinct_architectures():
    encoded = selection.select_architectures("spread", 12, seed=1)
    assert encoded.shape == (12, 28) and len({tuple(r) for r in encoded}) == 12
    assert np.array_equal(encode(encoded), encoded)
    with pytest.raises(ValueError, match="--select must be one of random, spread"):
        selection.select_architectures("best", 5, seed=0)


def test_a_staging_file_a_killed_writer_left_is_ours(tmp_path):
    folder = measure.MeasurementFolder(tmp_path)
    (tmp_path / ".result_3.json.abc123.tmp").write_text("{")
    (tmp_path / "timings.jsonl").write_text("")
    assert folder.foreign_files() == []
    (tmp_path / "result_x.json").write_text("{}")
    assert folder.foreign_files() == ["result_x.json"]
    assert os.path.exists(tmp_path / ".result_3.json.abc123.tmp")


REAL_DEVICES = Path(__file__).resolve().parents[1] / "dataset" / "real_devices"


def test_adapt_takes_a_measure_folder_as_it_is(tmp_path, capsys):
    project = tmp_path / "plugin"
    code, printed, err = run_cli(["adapt", "--measurements", str(REAL_DEVICES / "cpu-ort"), "--name", "cpu-ort",
                                  "--metric", "latency", "--out", str(project)], capsys)
    assert code == 0, err
    assert "cpu-ort/latency: 250 measurements" in printed
    cv_tau = float(printed.split("cross-validated Kendall tau")[1].split(":")[1].split()[0])
    assert cv_tau > 0.85, printed
    assert f"pip install {project}" in printed
    assert '"cpu-ort" = "anb_device_cpu_ort:PLUGIN"' in (project / "pyproject.toml").read_text()
    assert len(load_dataset(project / "anb_device_cpu_ort" / "measurements")) == 250


@pytest.mark.parametrize("device", ["cpu-torch", "cpu-ort"])
def test_twenty_measurements_of_a_real_cpu_rank_better_than_macs_or_any_known_device(device):
    """The committed measurements of this machine's CPU: the transfer model `anb adapt` installs,
    fitted on 20 random pool architectures, against the 100 test architectures."""
    data = load_dataset(REAL_DEVICES / device)
    y = data[f"latency_{device}"].to_numpy()
    encoded = encode(data)
    test_ids = set(architecture_ids(EfficientNetSS(seed=1000).random_encoded(100)).tolist())
    is_test = np.array([i in test_ids for i in architecture_ids(encoded)])
    assert is_test.sum() == 100
    train = np.random.default_rng(0).choice(np.flatnonzero(~is_test), 20, replace=False)
    donors = few_shot.donor_predictions(few_shot.donor_targets(""), encoded)
    cost = few_shot.log_cost(encoded)
    model = few_shot.TransferModel().fit(donors[train], cost[train], y[train])
    test = np.flatnonzero(is_test)
    transfer = kendalltau(model.predict_log(donors[test], cost[test]), y[test]).statistic
    macs = kendalltau(data["macs"].to_numpy()[test], y[test]).statistic
    best_donor = max(abs(kendalltau(donors[test, j], y[test]).statistic) for j in range(donors.shape[1]))
    assert transfer > max(macs, best_donor), (transfer, macs, best_donor)

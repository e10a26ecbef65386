"""The ``anb`` command, in-process through ``anb.cli.main`` and once as the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anb import cli
from anb.devices import discover_devices
from anb.devices.targets import resolve_target
from anb.surrogates import store
from configurationspaces.searchspaces import EfficientNetSS
from helpers_store import (
    DEVICE,
    architecture_dicts,
    closed_port_url,
    fit_members,
    install_plugin,
    members_mean,
    plugin_site,  # noqa: F401 - a fixture
    plugin_source,
    sample_architectures,
    save_entry,
    set_home,
    staging_leftovers,
    synthetic_dataset,
    synthetic_throughput,
    use_fast_params,
)

A100 = resolve_target("a100", "throughput")
MEAN, STD = "mean (images/s)", "std (images/s)"


@pytest.fixture(scope="module")
def tiny_members():
    """Two small xgb members standing in for an a100 throughput surrogate."""
    archs = sample_architectures(240, seed=21)
    return fit_members(archs, synthetic_throughput(archs))


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    discover_devices.cache_clear()
    use_fast_params(monkeypatch)
    return set_home(monkeypatch, tmp_path / "home")


@pytest.fixture
def cached_a100(home, tiny_members):
    """The tiny ensemble in the cache entry of xgb a100/throughput."""
    return save_entry(tiny_members, store.entry_dir("xgb", A100, home), A100)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, command: str, *fragments: str) -> None:
    assert err.startswith(f"anb {command}: error: "), err
    assert len(err.strip().splitlines()) == 1, f"the error is not one line:\n{err}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


# --- devices, query, cache ---------------------------------------------------------------------


def test_devices_prints_a_table_of_every_device_metric_and_unit(capsys, cached_a100):
    code, out, err = run(capsys, "devices")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["device", "metric", "unit", "shipped", "cached", "description"]
    rows = [line.split() for line in lines[1:]]
    pairs = {(row[0], row[1]): row for row in rows}
    assert pairs[("-", "accuracy")][2] == "%"
    for device in ("3090", "a100", "tpuv2", "tpuv3", "vck190", "zcu102"):
        assert pairs[(device, "throughput")][2] == "images/s"
    for device in ("vck190", "zcu102"):
        assert pairs[(device, "latency")][2] == "ms"
    assert len(rows) == 1 + 6 + 2
    assert all(row[3] == "xgb" for row in rows)  # every built-in target ships
    assert pairs[("a100", "throughput")][4] == "xgb"  # the cached entry is shown
    assert pairs[("3090", "throughput")][4] == "no"


def test_query_json_gives_the_cached_ensembles_predictions(capsys, cached_a100, tiny_members):
    code, out, err = run(capsys, "query", "--device", "a100", "--source", "cache", "--random", "4", "--seed", "1", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 4
    archs = EfficientNetSS(seed=1).random_encoded(4)
    assert [{k: r[k] for k in r if k.startswith("block")} for r in records] == architecture_dicts(archs)
    np.testing.assert_allclose([r[MEAN] for r in records], members_mean(tiny_members, archs), rtol=1e-6)
    assert all(r[STD] >= 0 for r in records)


def test_query_reads_architectures_from_a_file_and_prints_a_table(capsys, cached_a100, tiny_members, tmp_path):
    archs = sample_architectures(3, seed=8)
    source = tmp_path / "archs.json"
    source.write_text(json.dumps(architecture_dicts(archs)))
    code, out, err = run(capsys, "query", "--device", "a100", "--source", "cache", "--input", str(source))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "a100/throughput from xgb_accel (2 members)"
    assert MEAN in lines[1] and len(lines) == 2 + 3
    printed = [float(line.split()[-2]) for line in lines[2:]]
    np.testing.assert_allclose(printed, members_mean(tiny_members, archs), rtol=1e-3)


def test_query_takes_one_architecture_object_as_input(capsys, cached_a100, tiny_members, tmp_path):
    archs = sample_architectures(1, seed=9)
    source = tmp_path / "one.json"
    source.write_text(json.dumps(architecture_dicts(archs)[0]))
    code, out, err = run(capsys, "query", "--device", "a100", "--source", "cache", "--input", str(source), "--json")
    assert code == 0, err
    (record,) = json.loads(out)
    np.testing.assert_allclose(record[MEAN], members_mean(tiny_members, archs)[0], rtol=1e-6)


def test_cache_shows_the_root_and_entries_and_clear_empties_it(capsys, cached_a100, home):
    code, out, _ = run(capsys, "cache")
    assert code == 0
    assert f"cache: {home}" in out
    version = store.package_version()
    assert f"{version}/xgb/a100/throughput" in out
    assert "no surrogates cached" not in out

    stranger = home / "notes.txt"
    stranger.write_text("not anb's")
    code, out, _ = run(capsys, "cache", "--clear")
    assert code == 0 and f"removed {cached_a100}" in out and f"anb wrote in {home}; nothing else" in out
    assert not cached_a100.exists() and stranger.read_text() == "not anb's"
    code, out, _ = run(capsys, "cache")
    assert code == 0 and "no surrogates cached" in out


def test_build_and_download_a_plugin_device(capsys, plugin_site, tmp_path, home):
    data = synthetic_dataset(tmp_path / "mychip_data")
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=data))
    entry = store.entry_dir("xgb", resolve_target(DEVICE, "throughput"), home)
    code, out, err = run(capsys, "build", "--device", DEVICE, "--members", "2")
    assert code == 0, err
    assert f"xgb {DEVICE}/throughput: ready in {entry} (test tau" in out
    assert "fitting xgb members" in err  # the progress bar
    first = (entry / "manifest.json").stat().st_mtime_ns

    code, out, err = run(capsys, "build", "--device", DEVICE, "--members", "2")
    assert code == 0 and "fitting" not in err  # cached: nothing fitted
    code, out, err = run(capsys, "build", "--device", DEVICE, "--members", "2", "--force")
    assert code == 0 and "fitting xgb members" in err
    assert (entry / "manifest.json").stat().st_mtime_ns != first  # a new entry was written and renamed into place
    assert not staging_leftovers(home)

    code, out, err = run(capsys, "download", "--device", DEVICE)
    assert code == 0 and "no download published; `anb build` makes it" in out


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["query", "--device", "a10"], ["unknown device 'a10'; available: 3090, a100, tpuv2, tpuv3, vck190, zcu102"]),
        (["query", "--device", "a100", "--metric", "latency"], ["has no metric 'latency'; it has: throughput"]),
        (["query", "--model", "resnet"], ["unknown model 'resnet'; available: xgb, lgb"]),
        (["build", "--device", "a10"], ["unknown device 'a10'"]),
        (["download", "--device", "a100", "--metric", "latency"], ["it has: throughput"]),
        (["query", "--random", "x"], ["argument --random: --random must be an integer; got 'x'"]),
        (["build", "--model", "resnet"], ["unknown model 'resnet'; available: xgb, lgb"]),
        (["download", "--model", "xgb_accel"], ["model 'xgb_accel' is a device surrogate; give a device"]),
    ],
)
def test_errors_are_one_line_without_a_traceback(capsys, home, argv, fragments):
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors exit
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert_one_line_error(err, argv[0], *fragments)
    assert list(home.iterdir()) == []  # a refused request caches nothing


def test_a_bad_architecture_in_the_input_is_a_one_line_error(capsys, cached_a100, tmp_path):
    arch = architecture_dicts(sample_architectures(1, seed=0))[0]
    arch["block3_e"] = 5
    source = tmp_path / "bad.json"
    source.write_text(json.dumps([arch]))
    code, out, err = run(capsys, "query", "--device", "a100", "--input", str(source))
    assert code == 2
    assert_one_line_error(err, "query", "block 3, field 'e'", "invalid value 5", "allowed values: 1, 4, 6")


def test_a_damaged_entry_without_any_source_is_a_one_line_error(capsys, cached_a100, monkeypatch, tmp_path):
    # The a100 surrogate has no download; its local rebuild needs the dataset, which is absent here
    # (an empty data dir, and the dataset download is pointed at a closed port).
    (cached_a100 / "member_1" / "model.ubj").write_bytes(b"garbage")
    monkeypatch.setenv("ANB_DATA_DIR", str(tmp_path / "no_data"))
    monkeypatch.setattr("anb.data.dataset.DATASET_URL", closed_port_url("anb_dataset_jsons.tar.gz"))
    with pytest.warns(UserWarning, match="discarding a damaged cache entry"):
        code, out, err = run(capsys, "query", "--device", "a100", "--source", "cache", "--json")
    assert code == 2
    assert_one_line_error(err, "query", "could not download the Accel-NASBench dataset", "by hand")


# --- the installed console script --------------------------------------------------------------


def test_the_console_script(cached_a100, home, tiny_members):
    script = shutil.which("anb", path=str(Path(sys.executable).parent))
    assert script, "the anb console script is not installed beside this Python"
    env = {**os.environ, "ANB_HOME": str(home)}
    ok = subprocess.Popen([script, "query", "--device", "a100", "--source", "cache", "--random", "3", "--seed", "5", "--json"],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bad = subprocess.Popen([script, "query", "--device", "a10"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ok_out, ok_err = ok.communicate(timeout=180)
    bad_out, bad_err = bad.communicate(timeout=180)

    assert ok.returncode == 0, ok_err
    records = json.loads(ok_out)
    archs = EfficientNetSS(seed=5).random_encoded(3)
    np.testing.assert_allclose([r[MEAN] for r in records], members_mean(tiny_members, archs), rtol=1e-6)

    assert bad.returncode == 2 and bad_out == ""
    assert_one_line_error(bad_err, "query", "unknown device 'a10'; available: 3090, a100")


def test_a_reader_that_stops_early_is_not_an_error(home):
    script = shutil.which("anb", path=str(Path(sys.executable).parent))
    process = subprocess.Popen([script, "devices"], env={**os.environ, "ANB_HOME": str(home)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # no reader from the start, so every write the command makes meets a closed pipe
    err = process.stderr.read()
    assert process.wait(timeout=180) == 141
    assert err == ""

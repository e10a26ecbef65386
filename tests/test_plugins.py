"""Devices as plugins: a second, really installed distribution adds a device through entry points."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import kendalltau

from anb import cli
from anb.devices import DevicePlugin, discover_devices, get_device
from anb.devices.targets import resolve_target
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.ensemble_io import verify_ensemble
from anb.surrogates.store import entry_dir
from helpers_store import (
    DEVICE,
    install_distribution,
    install_plugin,
    activate,
    plugin_site,  # noqa: F401 - a fixture
    plugin_source,
    sample_architectures,
    set_home,
    synthetic_dataset,
    synthetic_throughput,
    use_fast_params,
)

BUILTIN = ("3090", "a100", "tpuv2", "tpuv3", "vck190", "zcu102")


@pytest.fixture(scope="module")
def mychip_data(tmp_path_factory):
    return synthetic_dataset(tmp_path_factory.mktemp("mychip_data"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    use_fast_params(monkeypatch)
    return set_home(monkeypatch, tmp_path / "home")


def test_builtin_devices_come_from_entry_points():
    discover_devices.cache_clear()
    devices = discover_devices()
    assert set(BUILTIN) <= set(devices)
    assert all(isinstance(p, DevicePlugin) for p in devices.values())
    assert DEVICE not in devices


def test_third_party_device_is_queried_and_ranks_by_speed(plugin_site, mychip_data, private_cache):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=mychip_data))
    assert DEVICE in discover_devices()
    assert set(BUILTIN) <= set(discover_devices())

    ensemble = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False)
    assert ensemble.supported_metrics() == {"throughput": "images/s"}
    assert ensemble.target.column == "throughput_mychip" and ensemble.target.unit == "images/s"

    archs = sample_architectures(200, seed=123)
    mean, std = ensemble.query(archs)
    assert mean.shape == std.shape == (200,)
    assert np.isfinite(mean).all() and (std >= 0).all()
    truth = synthetic_throughput(archs)
    tau = kendalltau(mean, truth).statistic
    assert tau > 0.8, f"the plugin surrogate does not rank by speed (Kendall tau {tau:.3f})"
    # Predictions are in the data's units, not some normalised scale.
    assert 0.5 < np.median(mean / truth) < 2.0

    entry = entry_dir("xgb", resolve_target(DEVICE, "throughput"), private_cache)
    manifest = verify_ensemble(entry)
    assert manifest["n_members"] == 2
    assert manifest["target"]["column"] == "throughput_mychip"
    # A plugin's own data is split at random, not by the Accel-NASBench file names.
    assert manifest["split"].startswith("random")


def test_devices_command_lists_the_plugin(plugin_site, mychip_data, capsys):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                   plugin_source(dataset=mychip_data, description="Made-up chip for tests"))
    assert cli.main(["devices"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert DEVICE in rows and "images/s" in rows[DEVICE] and "Made-up chip for tests" in rows[DEVICE]
    assert set(BUILTIN) <= set(rows)


def test_a_plugin_that_fails_to_import_is_skipped_with_a_warning(plugin_site, mychip_data):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=mychip_data))
    broken = "import anb_no_such_dependency_xyz  # noqa\n" + plugin_source("brokenchip")
    install_plugin(plugin_site, "anb-test-broken", "anb_test_broken", broken, entry_name="brokenchip")
    with pytest.warns(UserWarning, match=r"device plugin 'brokenchip'.*anb_no_such_dependency_xyz"):
        devices = discover_devices()
    assert "brokenchip" not in devices
    assert DEVICE in devices and set(BUILTIN) <= set(devices)
    # The rest of the package works with the broken plugin still installed.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # discovery is cached: no second warning per call
        assert get_device(DEVICE).metrics == {"throughput": "images/s"}
        ensemble = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False)
        mean, _ = ensemble.query(sample_architectures(5, seed=1))
    assert mean.shape == (5,)
    with pytest.raises(ValueError, match="unknown device 'brokenchip'"):
        ANBEnsemble("xgb", device="brokenchip")


def test_an_entry_point_that_is_not_a_device_plugin_is_skipped(plugin_site):
    source = plugin_source("factorychip") + "def make():\n    return PLUGIN\nNOT_A_PLUGIN = 42\n"
    install_distribution(plugin_site, "anb-test-odd", {"factorychip": "anb_test_odd:make",
                                                       "oddchip": "anb_test_odd:NOT_A_PLUGIN"},
                         {"anb_test_odd": source})
    activate(plugin_site)
    with pytest.warns(UserWarning, match=r"'oddchip'.*int, not an anb.devices.DevicePlugin"):
        devices = discover_devices()
    assert "oddchip" not in devices
    assert devices["factorychip"].name == "factorychip"  # a factory is called


@pytest.mark.parametrize("claimed", [DEVICE, "a100"])
def test_two_plugins_claiming_one_device_name_raise_a_clear_error(plugin_site, mychip_data, claimed, capsys):
    if claimed == DEVICE:
        install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=mychip_data))
    install_plugin(plugin_site, "anb-test-rival", "anb_test_rival", plugin_source(claimed), entry_name="rival")
    with pytest.raises(RuntimeError) as error:
        discover_devices()
    message = str(error.value)
    assert f"two plugins claim the device name {claimed!r}" in message
    assert "anb_test_rival:PLUGIN" in message and "uninstall one of them" in message
    # Every entry point to a query reports it; the CLI as one line.
    with pytest.raises(RuntimeError, match="two plugins claim"):
        ANBEnsemble("xgb", device="a100")
    assert cli.main(["devices"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"anb devices: error: two plugins claim the device name {claimed!r}")
    assert len(err.strip().splitlines()) == 1

"""A new device from 30 measurements: `anb adapt` writes a plugin, a real entry point installs it,
and ``ANBEnsemble`` gets a surrogate transferred from the other devices (real Accel-NASBench data).

The hidden device is zcu102 latency: its 30 measurements become the plugin ``newchip``, and
zcu102 itself is removed from the donors (else the transfer would find the device it hides).
Donor surrogates are built with the tests' fast boosting parameters and the distillation uses
fewer random architectures than a real build, so the whole module runs in well under a minute.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from anb import cli
from anb.adaptation import few_shot
from anb.data.dataset import load_dataset
from anb.devices.targets import resolve_target
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.store import entry_dir
from configurationspaces.efficientnet_encoding import default_layout
from helpers_store import install_distribution, activate, plugin_site, set_home, use_fast_params  # noqa: F401

HIDDEN = ("zcu102", "latency")
NEW = "newchip"
N_MEASURED = 30


@pytest.fixture
def hide_device(monkeypatch, tmp_path, real_data):
    """Fast builds into a private cache, and donors that never include the hidden device.

    The donors' builds read the session's copy of the dataset instead of unpacking the archive
    once per donor, and have 2 members instead of 5.
    """
    use_fast_params(monkeypatch)
    read = load_dataset
    monkeypatch.setattr("anb.data.dataset.load_dataset", lambda source=None: real_data if source is None else read(source))
    monkeypatch.setattr("anb.surrogates.store.load_dataset", lambda source=None: real_data if source is None else read(source))
    monkeypatch.setattr("anb.surrogates.store.DEFAULT_MEMBERS", 2)
    set_home(monkeypatch, tmp_path / "home")
    monkeypatch.setattr(few_shot, "DISTIL_SAMPLES", 3000)
    monkeypatch.setattr(few_shot, "DISTIL_PARAMS", {**few_shot.DISTIL_PARAMS, "num_rounds": 150, "nthread": 1})
    every = few_shot.donor_targets
    monkeypatch.setattr(few_shot, "donor_targets", lambda exclude: [t for t in every(exclude) if t.device != HIDDEN[0]])


@pytest.fixture(scope="module")
def hidden_split(real_data):
    """30 measured architectures of the hidden target, and every other one."""
    column = resolve_target(*HIDDEN).column
    rows = real_data[real_data[column].notna()].reset_index(drop=True)
    chosen = np.random.default_rng(0).choice(len(rows), N_MEASURED, replace=False)
    rest = np.setdiff1d(np.arange(len(rows)), chosen)
    frame = rows.loc[chosen, list(default_layout().names)]
    frame[HIDDEN[1]] = rows.loc[chosen, column].to_numpy()
    return frame, rows.loc[rest].reset_index(drop=True), column


def test_a_plugin_with_30_measurements_gets_a_transferred_surrogate(hide_device, hidden_split, plugin_site, tmp_path,
                                                                     capsys):
    measured, rest, column = hidden_split
    csv = tmp_path / "newchip.csv"
    measured.to_csv(csv, index=False)
    project = tmp_path / "plugin"
    assert cli.main(["adapt", "--measurements", str(csv), "--name", NEW, "--metric", "latency",
                     "--out", str(project)]) == 0
    out = capsys.readouterr().out
    cv_tau = float(out.split("cross-validated Kendall tau")[1].split(":")[1].split()[0])
    assert cv_tau > 0.7, out
    assert "zcu102" not in out.split("transferred from")[1].splitlines()[0]

    # Installed as pip would: the project's package on sys.path and a *.dist-info entry point.
    package = f"anb_device_{NEW}"
    entry_points = (project / "pyproject.toml").read_text().split('[project.entry-points."anb.devices"]')[1]
    assert f'"{NEW}" = "{package}:PLUGIN"' in entry_points
    install_distribution(plugin_site, f"anb-device-{NEW}", {NEW: f"{package}:PLUGIN"})
    (plugin_site / package).symlink_to(project / package)
    activate(plugin_site)
    assert len(load_dataset(project / package / "measurements")) == N_MEASURED

    ensemble = ANBEnsemble("xgb", device=NEW, n_members=3, progress=False)
    assert ensemble.supported_metrics() == {"latency": "ms"}
    mean, std = ensemble.query(rest)
    truth = rest[column].to_numpy(float)
    tau = kendalltau(mean, truth).statistic
    assert tau >= 0.8, f"the few-shot surrogate ranks the other {len(rest)} architectures with tau {tau:.3f}"
    assert 0.7 < np.median(mean / truth) < 1.4, "predictions are not in milliseconds"
    assert (ensemble.query_spread(rest)[1] > 0).mean() > 0.9, "members fitted on different subsamples should disagree"
    # no validation side: the std is the cross-validated relative error times the predicted magnitude
    magnitude = np.clip(mean, np.exp(ensemble.calibration.lower_[1]), np.exp(ensemble.calibration.upper_[1]))
    relative = std / magnitude
    assert np.allclose(relative, relative[0]) and 0.01 < relative[0] < 0.5

    manifest = json.loads((entry_dir("xgb", resolve_target(NEW, "latency")) / "manifest.json").read_text())
    assert manifest["family"] == "xgb" and manifest["n_members"] == 3
    assert manifest["few_shot"]["n_measurements"] == N_MEASURED
    assert "vck190/latency" in manifest["few_shot"]["donors"]
    assert not any(d.startswith("zcu102") for d in manifest["few_shot"]["donors"])


def test_adapt_names_a_missing_metric_column_and_too_few_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the default --out would be written
    frame = pd.DataFrame(np.zeros((5, len(default_layout().names)), dtype=int), columns=default_layout().names)
    frame["throughput"] = 100.0
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    assert cli.main(["adapt", "--measurements", str(path), "--name", "mine", "--metric", "latency"]) == 2
    err = capsys.readouterr().err
    assert "no column 'latency' or 'latency_mine'" in err and "throughput" in err
    records = tmp_path / "m.json"
    records.write_text(frame.to_json(orient="records"))
    assert cli.main(["adapt", "--measurements", str(records), "--name", "mine", "--metric", "throughput"]) == 2
    assert "holds 5 measurement(s); a new device needs at least 10" in capsys.readouterr().err
    assert cli.main(["adapt", "--measurements", str(path), "--name", "a100", "--metric", "throughput"]) == 2
    assert "a device named 'a100' is already installed" in capsys.readouterr().err
    assert not (tmp_path / "anb-device-mine").exists()


def test_transfer_model_recovers_a_device_that_is_a_product_of_two_others():
    rng = np.random.default_rng(0)
    donors = np.exp(rng.normal(size=(200, 3)))
    cost = rng.normal(size=(200, len(few_shot.COST_COLUMNS)))
    y = donors[:, 0] ** 0.7 / donors[:, 2] ** 0.3
    # 20 points: the penalty's floor (RIDGE_ALPHAS) shrinks a noise-free fit from 15 below 0.9
    model = few_shot.TransferModel().fit(donors[:20], cost[:20], y[:20])
    assert kendalltau(model.predict_log(donors[20:], cost[20:]), y[20:]).statistic > 0.95
    weights = model.donor_weights()
    assert weights[0] > 0 > weights[2] and abs(weights[1]) < 0.5 * min(weights[0], -weights[2])

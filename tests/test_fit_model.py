import json
import subprocess
import sys

import ConfigSpace as CS
import pandas as pd
import pytest

import fit_model
from anb.surrogates.ensemble_io import load_ensemble_dir
from conftest import REPO, beside_dataset


@pytest.fixture(scope="module")
def quick_config(tmp_path_factory):
    """A model config in the original's format (``param:`` names) that fits in a second."""
    space = CS.ConfigurationSpace()
    space.add([
        CS.Constant("param:num_rounds", 400), CS.Constant("early_stopping_rounds", 30),
        CS.UniformIntegerHyperparameter("param:max_depth", 1, 10, default_value=5),
        CS.UniformFloatHyperparameter("param:learning_rate", 0.01, 0.3, default_value=0.1, log=True),
    ])
    path = tmp_path_factory.mktemp("cfg") / "xgb_quick_configspace.json"
    space.to_json(path)
    return path


def test_fit_model_with_the_original_flags_writes_a_complete_run(real_data, quick_config, tmp_path, capsys):
    published_split = beside_dataset("default_split")
    code = fit_model.main([
        "--model", "xgb_accel", "--device", "zcu102", "--metric", "latency", "--model_config_path", str(quick_config),
        "--data_splits_root", str(published_split), "--log_dir", str(tmp_path), "--seed", "3", "--ensemble", "--ensemble-size", "2",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    for label in ("train metrics: {", "valid metrics: {", "test metrics: {"):
        assert label in printed
    runs = list((tmp_path / "xgb_accel" / "zcu102" / "latency").iterdir())
    assert len(runs) == 1
    run = runs[0]
    for name in ("manifest.json", "model_config.json", "data_config.json", "train_paths.json", "val_paths.json",
                 "test_paths.json", "test_predictions.csv", "pred_vs_measured.png"):
        assert (run / name).is_file(), name
    members, manifest = load_ensemble_dir(run)
    assert len(members) == 2 and manifest["target"]["column"] == "latency_zcu102"
    assert manifest["metrics"]["test"]["kendall_tau"] > 0.9
    predictions = pd.read_csv(run / "test_predictions.csv")
    # the test side of the published split, less architectures with no zcu102 latency
    assert 505 <= len(predictions) <= 512 and set(predictions["side"]) == {"test"}
    assert json.loads((run / "data_config.json").read_text())["kfold"] == {"n_splits": 9, "fold": 3}
    assert json.loads((run / "model_config.json").read_text())["max_depth"] == 5
    assert set(json.loads((run / "test_paths.json").read_text())) == {p.split("/")[-1] for p in
                                                                        json.loads((published_split / "test_paths.json").read_text())}


def test_without_split_flags_fit_model_uses_the_package_default_split(real_data, quick_config, tmp_path):
    from anb.data.splits import default_split

    assert fit_model.main(["--model_config_path", str(quick_config), "--log_dir", str(tmp_path), "--seed", "1"]) == 0
    run = next((tmp_path / "xgb").iterdir())
    expected = default_split(real_data)
    for side in ("train", "val", "test"):
        assert json.loads((run / f"{side}_paths.json").read_text()) == expected.side(side)
    sizes = expected.sizes()
    assert abs(sizes["train"] - 0.8 * 5138) < 15 and abs(sizes["test"] - 0.1 * 5138) < 15


@pytest.mark.parametrize("args, message", [
    (["--model", "cnn"], "unknown model 'cnn'; available: xgb, lgb, sklearn_forest, svr, svr_nu"),
    (["--device", "a10"], "unknown device 'a10'; available: 3090, a100, tpuv2, tpuv3, vck190, zcu102"),
    (["--device", "a100", "--metric", "latency"], "device 'a100' has no metric 'latency'; it has: throughput"),
    (["--device", "tpuv3", "--metric", "latency"], "device 'tpuv3' has no metric 'latency'; it has: throughput"),
    (["--device", "vck190", "--metric", "power"], "it has: throughput, latency"),
    (["--model", "xgb_accel"], "is a device surrogate; give a device"),
])
def test_bad_requests_exit_with_one_line(args, message, tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "fit_model.py"), "--log_dir", str(tmp_path), *args],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fit_model.py: error: ") and message in lines[0]
    assert "Traceback" not in result.stderr and not any(tmp_path.iterdir())


def test_create_data_splits_with_its_defaults_writes_the_shipped_default_split(real_data, tmp_path):
    import create_data_splits
    from anb.data.splits import DEFAULT_RATIOS, PROJECT_SPLIT

    assert create_data_splits.main(["--out_dir", str(tmp_path)]) == 0
    shipped = REPO / "configs" / "data_splits" / PROJECT_SPLIT
    for side in ("train", "val", "test"):
        assert (tmp_path / f"{side}_paths.json").read_text() == (shipped / f"{side}_paths.json").read_text()
    # The original's data config, still shipped for its format, agrees with the package's ratios.
    original = json.loads((REPO / "configs" / "data_configs" / "random_split.json").read_text())
    assert original["train_val_test_split"] == DEFAULT_RATIOS

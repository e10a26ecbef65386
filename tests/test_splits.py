import json

import pytest

from anb.data.splits import kfold_split, load_split_dir, random_split, split_from_data_config
from conftest import beside_dataset


def _arch_of(data, names):
    return set(data.set_index("name").loc[names, "arch_id"])


def test_published_default_split_loads_by_base_name(real_data, default_split):
    assert default_split.sizes() == {"train": 4100, "val": 512, "test": 512}
    assert default_split.dropped == []
    frames = default_split.frames(real_data)
    assert list(frames["test"]["name"]) == default_split.test


def test_random_split_keeps_duplicates_together_and_is_seeded(real_data):
    split = random_split(real_data, 0.8, 0.1, 0.1, seed=0)
    assert sum(split.sizes().values()) == len(real_data)
    train, val, test = (_arch_of(real_data, split.side(s)) for s in ("train", "val", "test"))
    assert not (train & test) and not (train & val) and not (val & test)
    assert abs(split.sizes()["test"] - 514) < 10
    assert random_split(real_data, 0.8, 0.1, 0.1, seed=0).test == split.test
    assert random_split(real_data, 0.8, 0.1, 0.1, seed=1).test != split.test


def test_data_config_of_the_original(real_data):
    config = json.loads(beside_dataset("nb_fpga_data_config.json").read_text())
    split = split_from_data_config(config, real_data, seed=2021)
    assert abs(split.sizes()["train"] - 0.8 * len(real_data)) < 10
    with pytest.raises(ValueError, match="train_val_test_split"):
        split_from_data_config({"ratios": {}}, real_data, 0)
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(real_data, 0.8, 0.3, 0.1, 0)


def test_manual_split_never_puts_one_architecture_on_two_sides(real_data, tmp_path):
    # result_0 and result_443 are one architecture; put them on opposite sides
    names = list(real_data["name"])
    others = [n for n in names if n not in ("result_0.json", "result_443.json")]
    lists = {"train": ["dir/result_0.json"] + others[:100], "val": others[100:120], "test": ["x/result_443.json"] + others[120:140]}
    for side, paths in lists.items():
        (tmp_path / f"{side}_paths.json").write_text(json.dumps(paths + (["result_99999.json"] if side == "val" else [])))
    split = load_split_dir(tmp_path, real_data)
    assert "result_443.json" in split.test and "result_0.json" not in split.train
    dropped = dict(split.dropped)
    assert "same architecture as a test file" in dropped["result_0.json"]
    assert dropped["result_99999.json"] == "not in the loaded dataset"


def test_kfold_over_train_and_val_as_the_original(real_data, default_split):
    folds = [kfold_split(default_split, real_data, seed) for seed in range(9)]
    pool = set(default_split.train + default_split.val)
    for fold in folds:
        assert set(fold.train) | set(fold.val) == pool and not set(fold.train) & set(fold.val)
        assert fold.test == default_split.test
        assert 480 <= len(fold.val) <= 545
    # as in the original, the seed both shuffles the folds and picks fold seed % 9
    assert kfold_split(default_split, real_data, 3).val == folds[3].val
    assert len({tuple(f.val) for f in folds}) == 9

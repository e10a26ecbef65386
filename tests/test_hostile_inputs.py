"""The hostile-input matrix: bad arguments at every public door end in one clear error.

API cases assert the exception type and that the message names the argument and what is
allowed; CLI and script cases assert exit code 2 and one line on stderr, without a traceback.
Nothing here loads or builds a surrogate: every check runs before that work.
"""

from __future__ import annotations

import gzip
import json
import pickle
import tarfile

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import create_data_splits
import fit_model
from anb import cli
from anb.data.splits import load_split_dir, resolve_split, split_from_data_config
from anb.data.validation import read_json
from anb.fitting.model_config import default_config_path
from anb.search import (
    Objective,
    constrained_search,
    local_search,
    max_macs,
    max_params,
    mo_random_search,
    nsga2,
    random_search,
    regularized_evolution,
)
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.legacy import import_legacy
from configurationspaces.efficientnet_encoding import decode_values, encode
from configurationspaces.searchspaces import EFFICIENTNET_B0, EfficientNetSS
from helpers_store import sample_architectures, set_home, write_result_jsons

SEED_RULE = "must be None or a non-negative integer"
BAD_SEEDS = [-1, 2.5, "abc", True, [1], 1e3]


@pytest.fixture
def home(tmp_path, monkeypatch):
    return set_home(monkeypatch, tmp_path / "home")


@pytest.fixture(scope="module")
def accuracy():
    """An objective that is never queried: every case below fails before the first query."""
    return Objective(ensemble=None, name="accuracy")


@pytest.fixture(scope="module")
def b0_dict():
    return {k: v[0].item() for k, v in decode_values(encode(EFFICIENTNET_B0)).items()}


# --- seeds (API) -------------------------------------------------------------------------------

SEEDED_CALLS = {
    "EfficientNetSS": lambda seed, objective: EfficientNetSS(seed=seed),
    "random_sample": lambda seed, objective: EfficientNetSS().random_sample(2, seed=seed),
    "random_encoded": lambda seed, objective: EfficientNetSS().random_encoded(2, seed=seed),
    "ANBEnsemble": lambda seed, objective: ANBEnsemble("xgb", seed=seed),
    "random_search": lambda seed, objective: random_search(objective, 5, seed=seed),
    "regularized_evolution": lambda seed, objective: regularized_evolution(objective, 5, seed=seed),
    "local_search": lambda seed, objective: local_search(objective, 5, seed=seed),
    "mo_random_search": lambda seed, objective: mo_random_search([objective, objective], 5, seed=seed),
    "nsga2": lambda seed, objective: nsga2([objective, objective], 5, seed=seed),
}


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
@pytest.mark.parametrize("call", SEEDED_CALLS)
def test_a_bad_seed_is_named(call, seed, accuracy, home):
    with pytest.raises(ValueError, match=rf"^seed {SEED_RULE}; got "):
        SEEDED_CALLS[call](seed, accuracy)
    assert list(home.iterdir()) == []


# --- counts, budgets, bounds and flags (API) -----------------------------------------------------


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: EfficientNetSS().random_sample(True), "num_samples must be an integer >= 1; got True"),
    (lambda: EfficientNetSS().random_sample(0), "num_samples must be an integer >= 1; got 0"),
    (lambda: EfficientNetSS().random_sample(2.0), "num_samples must be an integer >= 1; got 2.0"),
    (lambda: EfficientNetSS().random_sample("3"), "num_samples must be an integer >= 1; got '3'"),
    (lambda: EfficientNetSS().random_encoded(-1), "num_samples must be an integer >= 0; got -1"),
    (lambda: EfficientNetSS().random_encoded(True), "num_samples must be an integer >= 0; got True"),
    (lambda: ANBEnsemble("xgb", n_members=True), "n_members must be an integer from 1 to 100; got True"),
    (lambda: ANBEnsemble("xgb", n_members=0), "n_members must be an integer from 1 to 100; got 0"),
    (lambda: ANBEnsemble("xgb", n_members=-2), "n_members must be an integer from 1 to 100; got -2"),
    (lambda: ANBEnsemble("xgb", n_members=10**6), "n_members must be an integer from 1 to 100; got 1000000"),
    (lambda: ANBEnsemble("xgb", n_members=2.5), "n_members must be an integer from 1 to 100; got 2.5"),
    (lambda: ANBEnsemble("xgb", n_members="5"), "n_members must be an integer from 1 to 100; got '5'"),
    (lambda: max_macs(True), "the macs bound (millions) must be a finite number > 0; got True"),
    (lambda: max_macs("400"), "the macs bound (millions) must be a finite number > 0; got '400'"),
    (lambda: max_macs(None), "the macs bound (millions) must be a finite number > 0; got None"),
    (lambda: max_macs(-1), "the macs bound (millions) must be a finite number > 0; got -1"),
    (lambda: max_macs(float("nan")), "the macs bound (millions) must be a finite number > 0; got nan"),
    (lambda: max_params(float("inf")), "the params bound (millions) must be a finite number > 0; got inf"),
    (lambda: max_params([5]), "the params bound (millions) must be a finite number > 0; got [5]"),
])
def test_a_bad_count_or_bound_is_named(call, expected, home):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value) == expected
    assert list(home.iterdir()) == []


BUDGET_RULE = "budget (queries) must be an integer from 1 to 104,485,552,128; got "


@pytest.mark.parametrize("budget", [10**12, True, 0, -5, 2.5, "10", None], ids=repr)
@pytest.mark.parametrize("search", [random_search, regularized_evolution, local_search])
def test_a_budget_beyond_the_space_or_not_a_count_is_refused(search, budget, accuracy):
    with pytest.raises(ValueError) as error:
        search(accuracy, budget, seed=0)
    assert str(error.value) == f"{BUDGET_RULE}{budget!r}"


@pytest.mark.parametrize(("constraints", "error_type", "expected"), [
    ("macs<400", TypeError, "constraint #0 is a str ('macs<400'); a constraint is a CostBound or DeviceBound"),
    (["macs<400"], TypeError, "constraint #0 is a str ('macs<400'); a constraint is a CostBound or DeviceBound"),
    ([400], TypeError, "constraint #0 is a int (400); a constraint is a CostBound or DeviceBound"),
    ([None], TypeError, "constraint #0 is a NoneType (None); a constraint is a CostBound or DeviceBound"),
    ((), ValueError, "give at least one constraint (CostBound or DeviceBound)"),
])
def test_a_constraint_that_is_not_a_bound_is_refused(constraints, error_type, expected, accuracy):
    with pytest.raises(error_type) as error:
        constrained_search(accuracy, constraints, 20, algorithm="rs")
    assert str(error.value).startswith(expected)


def test_a_second_bad_constraint_is_named_by_position(accuracy):
    with pytest.raises(TypeError, match=r"^constraint #1 is a dict"):
        constrained_search(accuracy, [max_macs(400), {"macs": 400}], 20, algorithm="rs")


@pytest.mark.parametrize("noisy", ["yes", 1, None])
def test_noisy_is_a_bool(noisy, accuracy):
    with pytest.raises(ValueError, match=rf"^noisy must be True or False; got {noisy!r}$"):
        random_search(accuracy, 5, seed=0, noisy=noisy)


# --- encodings (API) -----------------------------------------------------------------------------

ALLOWED = "allowed values: "


def _object_matrix(row: int, col: int, value) -> np.ndarray:
    matrix = np.zeros((3, 28), dtype=object)
    matrix[row, col] = value
    return matrix


@pytest.mark.parametrize(("row", "col", "value", "where"), [
    (0, 0, "abc", "encoded architecture #0: block 0, field 'e': 'abc' is not a number; allowed indices: 0..2"),
    (2, 27, "1", "encoded architecture #2: block 6, field 'se': '1' is not a number; allowed indices: 0..1"),
    (1, 21, None, "encoded architecture #1: block 5, field 'k': None is not a number; allowed indices: 0..1"),
    (1, 22, True, "encoded architecture #1: block 5, field 'l': True is not a number; allowed indices: 0..3"),
    (0, 5, [1], "encoded architecture #0: block 1, field 'k': [1] is not a number; allowed indices: 0..1"),
])
def test_a_non_number_in_an_object_matrix_names_its_block_and_field(row, col, value, where):
    with pytest.raises(ValueError) as error:
        encode(_object_matrix(row, col, value))
    assert str(error.value) == where


@pytest.mark.parametrize(("samples", "expected"), [
    (lambda b0: [EFFICIENTNET_B0, EFFICIENTNET_B0], "manual_sample takes one architecture, [[e x7], [k x7], [l x7], "
                                                   "[se x7]]; got 2"),
    (lambda b0: [[EFFICIENTNET_B0, EFFICIENTNET_B0]], "architecture #0 is a list of 2 architectures, nested one level "
                                                      "too deep"),
    (lambda b0: [], "manual_sample takes one architecture"),
    (lambda b0: EFFICIENTNET_B0[:3], "architecture #0: expected 4 rows (expansion, kernel, layers, squeeze-excite), "
                                     "got 3"),
    (lambda b0: [row + [row[0]] for row in EFFICIENTNET_B0], "field 'e' (expansion factor) has 8 blocks; expected 7"),
    (lambda b0: {**b0, "block7_e": 6}, "has unknown hyperparameter(s) ['block7_e']; the space has blocks 0..6, each "
                                       "with the fields e, k, l, se"),
    (lambda b0: {**b0, "block0_x": 6}, "has unknown hyperparameter(s) ['block0_x']"),
    (lambda b0: [[5, 6, 6, 6, 6, 6, 6]] + EFFICIENTNET_B0[1:], "block 0, field 'e' (expansion factor): invalid value "
                                                               f"5; {ALLOWED}1, 4, 6"),
    (lambda b0: [EFFICIENTNET_B0[0], [3, 3, 4, 3, 5, 5, 3]] + EFFICIENTNET_B0[2:],
     f"block 2, field 'k' (kernel size): invalid value 4; {ALLOWED}3, 5"),
    (lambda b0: EFFICIENTNET_B0[:2] + [[1, 2, 2, 3, 3, 4, 4]] + EFFICIENTNET_B0[3:],
     f"block 6, field 'l' (number of layers): invalid value 4; {ALLOWED}1, 2, 3"),
    (lambda b0: EFFICIENTNET_B0[:3] + [["yes"] * 7], f"block 0, field 'se' (squeeze-excite): invalid value 'yes'; "
                                                     f"{ALLOWED}True, False"),
    (lambda b0: {**b0, "block3_e": float("nan")}, f"block 3, field 'e' (expansion factor): invalid value nan; "
                                                  f"{ALLOWED}1, 4, 6"),
    (lambda b0: {k: v for k, v in b0.items() if k != "block4_k"}, "architecture is missing key(s) ['block4_k']"),
])
def test_manual_sample_names_what_is_wrong(samples, expected, b0_dict):
    with pytest.raises(ValueError) as error:
        EfficientNetSS().manual_sample(samples(b0_dict))
    assert expected in str(error.value)


def test_manual_sample_takes_what_query_takes():
    as_array = np.array(EFFICIENTNET_B0, dtype=object)
    ss = EfficientNetSS()
    assert ss.manual_sample(as_array) == ss.efficientnet_b0()
    assert np.array_equal(encode(as_array), encode([as_array]))


@pytest.mark.parametrize(("samples", "expected"), [
    (lambda b0: pd.DataFrame([b0, b0]).pipe(lambda f: pd.concat([f, f[["block0_e"]]], axis=1)),
     "the DataFrame has duplicated column(s) ['block0_e']; each hyperparameter must be one column"),
    (lambda b0: pd.DataFrame([{**b0, "block7_se": True}]), "the DataFrame has unknown hyperparameter(s) ['block7_se']"),
    (lambda b0: pd.DataFrame([b0]).drop(columns="block6_se"), "missing key(s) ['block6_se']"),
    (lambda b0: np.empty((0, 5)), "a numpy array must be an encoded (n, 28) matrix or (n, 4, 7) block lists; got "
                                  "shape (0, 5)"),
    (lambda b0: np.zeros((3, 27)), "a numpy array must be an encoded (n, 28) matrix"),
    (lambda b0: np.full((2, 28), 3.0), "index 3 is not one of 0..2"),
    (lambda b0: np.full((2, 28), -1.0), "index -1 is not one of 0..2"),
    (lambda b0: np.full((1, 28), 0.5), "index 0.5 is not one of 0..2"),
    (lambda b0: [b0, 5], "architecture #1 is a int; a list of architectures must hold only dicts"),
    (lambda b0: [b0, {**b0, "block9_l": 1}], "architecture #1 has unknown hyperparameter(s) ['block9_l']"),
    (lambda b0: "block0_e=6", "cannot encode a str"),
    (lambda b0: 42, "cannot encode a int"),
    (lambda b0: [1.0, 2.0], "cannot encode a list of float"),
])
def test_encode_names_what_is_wrong(samples, expected, b0_dict):
    with pytest.raises(ValueError) as error:
        encode(samples(b0_dict))
    assert expected in str(error.value)


# --- JSON files, data configs and split files (API) ---------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Bad files of every kind the readers meet."""
    root = tmp_path_factory.mktemp("hostile_files")
    (root / "broken.json").write_text('{"train_val_test_split": {"train": 0.8,')
    (root / "list.json").write_text("[0.8, 0.1, 0.1]")
    (root / "no_ratios.json").write_text('{"split": {"train": 0.8}}')
    (root / "text_ratios.json").write_text('{"train_val_test_split": {"train": "0.8", "val": 0.1, "test": 0.1}}')
    (root / "bad_sum.json").write_text('{"train_val_test_split": {"train": 0.8, "val": 0.3, "test": 0.1}}')
    (root / "zipped.json").write_bytes(gzip.compress(b'{"a": 1}'))
    (root / "a_directory.json").mkdir()
    numbers = root / "numbers_split"
    numbers.mkdir()
    for side in ("train", "val", "test"):
        (numbers / f"{side}_paths.json").write_text("[1, 2, 3]")
    elsewhere = root / "other_split"
    elsewhere.mkdir()
    for side in ("train", "val", "test"):
        (elsewhere / f"{side}_paths.json").write_text(json.dumps([f"/x/{side}_{i}.json" for i in range(3)]))
    half = root / "half_split"
    half.mkdir()
    (half / "train_paths.json").write_text("[]")
    return root


@pytest.fixture(scope="module")
def small_data():
    frame = pd.DataFrame(decode_values(sample_architectures(30, seed=1)))
    frame.insert(0, "name", [f"result_{i}.json" for i in range(len(frame))])
    frame.insert(0, "arch_id", np.arange(len(frame)))
    return frame


@pytest.mark.parametrize(("call", "error_type", "expected"), [
    (lambda f, d: read_json(f / "broken.json", "data config"), ValueError, "data config {f}/broken.json is not valid "
                                                                           "JSON: "),
    (lambda f, d: read_json(f / "zipped.json", "--input"), ValueError, "--input {f}/zipped.json is not valid JSON (not "
                                                                        "UTF-8 text; a compressed file?)"),
    (lambda f, d: read_json(f / "a_directory.json", "data config"), ValueError, "data config {f}/a_directory.json is a "
                                                                                "directory, not a JSON file"),
    (lambda f, d: split_from_data_config(f / "broken.json", d, 0), ValueError, "data config {f}/broken.json is not "
                                                                               "valid JSON"),
    (lambda f, d: split_from_data_config(f / "list.json", d, 0), ValueError, "data config {f}/list.json must be a JSON "
                                                                             "object like {{'train_val_test_split'"),
    (lambda f, d: split_from_data_config(f / "no_ratios.json", d, 0), ValueError, "data config {f}/no_ratios.json must "
                                                                                  "be a JSON object like"),
    (lambda f, d: split_from_data_config(f / "text_ratios.json", d, 0), ValueError, "the train ratio must be a finite "
                                                                                    "number; got '0.8'"),
    (lambda f, d: split_from_data_config(f / "bad_sum.json", d, 0), ValueError, "split ratios must be non-negative and "
                                                                                "sum to 1"),
    (lambda f, d: split_from_data_config([0.8, 0.1, 0.1], d, 0), ValueError, "the data config must be a JSON object "
                                                                             "like"),
    (lambda f, d: load_split_dir(f / "numbers_split", d), ValueError, "split file {f}/numbers_split/train_paths.json "
                                                                      "must hold a JSON list of file paths (strings)"),
    (lambda f, d: load_split_dir(f / "half_split", d), FileNotFoundError, "split directory {f}/half_split lacks "
                                                                          "val_paths.json"),
    (lambda f, d: resolve_split(d, splits_root=f / "other_split"), ValueError, "the train side of split directory "
                                                                               "{f}/other_split names none of the 30 "
                                                                               "files of the loaded dataset"),
    (lambda f, d: resolve_split(d, data_config=f / "missing.json"), FileNotFoundError, "data config {f}/missing.json "
                                                                                       "does not exist"),
])
def test_bad_data_configs_and_split_files_are_named(call, error_type, expected, files, small_data):
    with pytest.raises(error_type) as error:
        call(files, small_data)
    assert str(error.value).startswith(expected.format(f=files))


# --- legacy import (API) ------------------------------------------------------------------------


def _legacy_folder(root, content: bytes | None = None, booster: xgb.Booster | None = None, config: str | None = None):
    member = root / "anb_models_0_9" / "xgb" / "ensemble_member_0"
    member.mkdir(parents=True)
    if booster is not None:
        content = pickle.dumps(booster)
    (member / "surrogate_model.model").write_bytes(content)
    if config is not None:
        (member / "model_config.json").write_text(config)
    return root


def _booster(n_features: int) -> xgb.Booster:
    rng = np.random.default_rng(0)
    data = xgb.DMatrix(rng.random((40, n_features)), label=rng.random(40))
    return xgb.train({"max_depth": 2, "nthread": 1}, data, num_boost_round=2)


LEGACY_CASES = {
    "garbage": (dict(content=b"this is not a pickle"), "is not a pickled xgboost Booster (empty, truncated or another "
                                                        "file): UnpicklingError"),
    "empty": (dict(content=b""), "is not a pickled xgboost Booster (empty, truncated or another file): EOFError"),
    "truncated": (dict(booster=_booster(28)), "is not a pickled xgboost Booster (empty, truncated or another file)"),
    "not_a_booster": (dict(content=pickle.dumps({"a": 1})), "holds a dict, not an xgboost Booster"),
    "five_features": (dict(booster=_booster(5)), "is a booster over 5 features; an Accel-NASBench surrogate takes the 28 "
                                                 "encoded architecture columns"),
    "bad_config": (dict(booster=_booster(28), config="{"), "model config"),
    "list_config": (dict(booster=_booster(28), config="[1]"), "must hold a JSON object; got list"),
}


@pytest.mark.parametrize("case", LEGACY_CASES)
def test_import_legacy_validates_before_anything_is_cached(case, tmp_path, home):
    kwargs, expected = LEGACY_CASES[case]
    folder = _legacy_folder(tmp_path / "download", **kwargs)
    model = folder / "anb_models_0_9/xgb/ensemble_member_0/surrogate_model.model"
    if case == "truncated":
        model.write_bytes(model.read_bytes()[:200])
    with pytest.raises(ValueError) as error:
        import_legacy(folder)
    assert expected in str(error.value)
    assert list(home.iterdir()) == []


# --- the anb command -----------------------------------------------------------------------------


def exit_code(main, argv) -> int:
    """What a command's ``main`` returns, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def run_cli(capsys, argv):
    return exit_code(cli.main, argv), *capsys.readouterr()


def assert_one_line(err: str, prefix: str, fragments) -> None:
    assert err.startswith(prefix), err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, b0_dict):
    root = tmp_path_factory.mktemp("cli_inputs")
    texts = {
        "number.json": "5",
        "string.json": '"block0_e"',
        "null.json": "null",
        "mixed.json": json.dumps([b0_dict, 5]),
        "nested.json": json.dumps([[b0_dict]]),
        "empty.json": "[]",
        "broken.json": "[{",
        "bad_value.json": json.dumps([b0_dict, {**b0_dict, "block2_k": 4}]),
        "extra_block.json": json.dumps({**b0_dict, "block7_k": 3}),
        "missing.json": json.dumps({k: v for k, v in b0_dict.items() if k != "block0_e"}),
    }
    for name, text in texts.items():
        (root / name).write_text(text)
    (root / "archive.json.gz").write_bytes(gzip.compress(json.dumps([b0_dict]).encode()))
    legacy = _legacy_folder(root / "legacy", content=b"garbage")
    return root, legacy


CLI_CASES = [
    (["query", "--seed", "-1"], ["argument --seed: --seed must be None or a non-negative integer; got -1"]),
    (["query", "--seed", "2.5"], ["argument --seed: --seed must be an integer; got '2.5'"]),
    (["query", "--seed", "abc"], ["argument --seed: --seed must be an integer; got 'abc'"]),
    (["query", "--random", "0"], ["argument --random: --random must be an integer from 1 to 10,000,000; got 0"]),
    (["query", "--random", "-5"], ["--random must be an integer from 1 to 10,000,000; got -5"]),
    (["query", "--random", "x"], ["--random must be an integer; got 'x'"]),
    (["query", "--random", "1000000000"], ["--random must be an integer from 1 to 10,000,000"]),
    (["build", "--members", "0"], ["argument --members: --members must be an integer from 1 to 100; got 0"]),
    (["build", "--members", "-2"], ["--members must be an integer from 1 to 100; got -2"]),
    (["build", "--members", "1000000"], ["--members must be an integer from 1 to 100; got 1000000"]),
    (["build", "--members", "two"], ["--members must be an integer; got 'two'"]),
    (["build", "--model", "resnet"], ["unknown model 'resnet'; available: xgb, lgb"]),
    (["build", "--device", "a10"], ["unknown device 'a10'; available: "]),
    (["build", "--device", "zcu102"], ["several metrics; choose one of: throughput, latency"]),
    (["query", "--model", "xgb_accel"], ["model 'xgb_accel' is a device surrogate; give a device"]),
    (["query", "--metric", "latency"], ["metric 'latency' needs a device"]),
    (["query", "--input", "{root}/number.json"], ["--input must hold a JSON list of architecture objects", "got a JSON "
                                                                                                          "number"]),
    (["query", "--input", "{root}/string.json"], ["got a JSON string"]),
    (["query", "--input", "{root}/null.json"], ["got a JSON null"]),
    (["query", "--input", "{root}/mixed.json"], ["--input item #1 is a JSON number, not an architecture object"]),
    (["query", "--input", "{root}/nested.json"], ["--input item #0 is a JSON list, not an architecture object"]),
    (["query", "--input", "{root}/empty.json"], ["--input holds an empty list"]),
    (["query", "--input", "{root}/broken.json"], ["--input {root}/broken.json is not valid JSON"]),
    (["query", "--input", "{root}/archive.json.gz"], ["--input {root}/archive.json.gz is not valid JSON (not UTF-8 "
                                                      "text; a compressed file?)"]),
    (["query", "--input", "{root}"], ["--input {root} is a directory, not a JSON file"]),
    (["query", "--input", "{root}/absent.json"], ["No such file or directory", "absent.json"]),
    (["query", "--input", "{root}/bad_value.json"], ["architecture #1: block 2, field 'k' (kernel size): invalid value "
                                                     "4; allowed values: 3, 5"]),
    (["query", "--input", "{root}/extra_block.json"], ["unknown hyperparameter(s) ['block7_k']"]),
    (["query", "--input", "{root}/missing.json"], ["architecture is missing key(s) ['block0_e']"]),
    (["import-legacy", "{legacy}"], ["is not a pickled xgboost Booster"]),
    (["import-legacy", "{root}/nothing_here"], ["no ensemble_member_*/surrogate_model.model under"]),
]


@pytest.mark.parametrize(("argv", "fragments"), CLI_CASES, ids=[" ".join(a).replace("{root}/", "") for a, _ in CLI_CASES])
def test_the_cli_refuses_bad_input_in_one_line(argv, fragments, inputs, capsys, home):
    root, legacy = inputs
    argv = [a.format(root=root, legacy=legacy) for a in argv]
    code, out, err = run_cli(capsys, argv)
    assert code == 2 and out == ""
    assert_one_line(err, f"anb {argv[0]}: error: ", [f.format(root=root) for f in fragments])
    assert list(home.iterdir()) == []  # nothing built, downloaded or imported


# --- the scripts ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def datasets(tmp_path_factory, files):
    """Small datasets in the real format, and broken ones."""
    root = tmp_path_factory.mktemp("script_data")
    encoded = sample_architectures(40, seed=2)
    good = write_result_jsons(root / "good", encoded, device="a100")
    nulls = write_result_jsons(root / "nulls", encoded, device=None)
    for path in nulls.glob("*.json"):
        doc = json.loads(path.read_text())
        doc["metrics"]["val_top1"] = "n/a" if path.name.endswith(("1.json", "3.json")) else None
        path.write_text(json.dumps(doc))
    (root / "not_gzip.tar.gz").write_text("plain text, not gzip")
    with tarfile.open(root / "full.tar.gz", "w:gz") as tar:
        tar.add(good, arcname="anb_dataset_jsons")
    (root / "truncated.tar.gz").write_bytes((root / "full.tar.gz").read_bytes()[:300])
    svr_config = root / "svr_configspace.json"
    svr_config.write_text(default_config_path("svr").read_text())
    (root / "a_file").write_text("in the way")
    return root


SCRIPT_CASES = [
    (["--seed", "-1"], "argument --seed: --seed must be None or a non-negative integer; got -1"),
    (["--seed", "abc"], "argument --seed: --seed must be an integer; got 'abc'"),
    (["--ensemble-size", "0"], "argument --ensemble-size: --ensemble-size must be an integer from 1 to 100; got 0"),
    (["--ensemble-size", "1000000"], "--ensemble-size must be an integer from 1 to 100"),
    (["--model", "resnet"], "unknown model 'resnet'; available: xgb"),
    (["--model", "xgb_accel"], "model 'xgb_accel' is a device surrogate; give a device"),
    (["--device", "a10"], "unknown device 'a10'"),
    (["--dataset_root", "{data}/good/result_0.json"], "result_0.json is not a readable .tar.gz of result JSONs"),
    (["--dataset_root", "{data}/not_gzip.tar.gz"], "not_gzip.tar.gz is not a readable .tar.gz of result JSONs"),
    (["--dataset_root", "{data}/truncated.tar.gz"], "truncated.tar.gz is not a readable .tar.gz of result JSONs"),
    (["--dataset_root", "{data}/absent"], "no Accel-NASBench results at"),
    (["--dataset_root", "{data}/nulls"], "train row(s) have a val_top1 measurement (the others are null or not a "
                                         "number); a fit needs at least 2"),
    (["--data_config_path", "{files}/list.json"], "data config {files}/list.json must be a JSON object like"),
    (["--data_config_path", "{files}/broken.json"], "data config {files}/broken.json is not valid JSON"),
    (["--data_config_path", "{files}/text_ratios.json"], "the train ratio must be a finite number; got '0.8'"),
    (["--data_config_path", "{files}/absent.json"], "data config {files}/absent.json does not exist"),
    (["--data_splits_root", "{files}/numbers_split"], "must hold a JSON list of file paths (strings)"),
    (["--data_splits_root", "{files}/other_split"], "names none of the 40 files of the loaded dataset"),
    (["--data_splits_root", "{files}/half_split"], "lacks val_paths.json"),
    (["--model_config_path", "{data}/svr_configspace.json"], "does not match model 'xgb': xgb takes no parameter 'C', "
                                                             "'coef0', 'degree', 'epsilon', 'kernel', 'shrinking', 'tol'; "
                                                             "it looks like a config for svr"),
    (["--model_config_path", "{files}/broken.json"], "is not a valid ConfigSpace JSON file"),
    (["--log_dir", "{data}/a_file"], "cannot make a run directory"),
]


@pytest.mark.parametrize(("argv", "expected"), SCRIPT_CASES, ids=[" ".join(a) for a, _ in SCRIPT_CASES])
def test_fit_model_refuses_bad_input_before_training(argv, expected, datasets, files, tmp_path, capsys):
    argv = [a.format(data=datasets, files=files) for a in argv]
    if "--dataset_root" not in argv:
        argv += ["--dataset_root", str(datasets / "good")]
    if "--log_dir" not in argv:
        argv += ["--log_dir", str(tmp_path / "runs")]
    code = exit_code(fit_model.main, argv)
    _, err = capsys.readouterr()
    assert code == 2
    assert_one_line(err, "fit_model.py: error: ", [expected.format(data=datasets, files=files)])
    assert not (tmp_path / "runs").exists()  # nothing written


@pytest.mark.parametrize(("argv", "expected"), [
    (["--data_config_path", "{files}/list.json"], "must be a JSON object like"),
    (["--data_config_path", "{files}/zipped.json"], "is not valid JSON (not UTF-8 text"),
    (["--seed", "-3"], "--seed must be None or a non-negative integer; got -3"),
])
def test_create_data_splits_refuses_bad_input(argv, expected, datasets, files, tmp_path, capsys):
    argv = [a.format(files=files) for a in argv] + ["--dataset_root", str(datasets / "good"), "--out_dir",
                                                    str(tmp_path / "split")]
    code = exit_code(create_data_splits.main, argv)
    _, err = capsys.readouterr()
    assert code == 2
    assert_one_line(err, "create_data_splits.py: error: ", [expected])
    assert not (tmp_path / "split").exists()


@pytest.mark.parametrize("samples", [np.empty((0, 5)), np.zeros((2, 27))])
def test_query_refuses_a_matrix_of_the_wrong_width_before_loading(samples, tmp_path):
    ensemble = ANBEnsemble("xgb", cache_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="must be an encoded \\(n, 28\\) matrix"):
        ensemble.query(samples)
    assert ensemble.members is None and not any(tmp_path.iterdir())


@pytest.mark.parametrize("rng", [-1, 2.5, "abc", True])
def test_query_noise_names_a_bad_rng(rng, tmp_path):
    with pytest.raises(ValueError, match="rng must be None or a non-negative integer"):
        ANBEnsemble("xgb", cache_dir=tmp_path, progress=False).query_noise(np.zeros((1, 28)), rng=rng)


def test_do_hpo_reports_a_corrupt_archive_in_one_line(datasets, tmp_path, capsys):
    pytest.importorskip("smac")
    from anb.fitting.hpo import main as do_hpo

    argv = ["--dataset_root", str(datasets / "truncated.tar.gz"), "--log_dir", str(tmp_path / "runs"),
            "--n-trials", "2", "--quiet"]
    code = exit_code(do_hpo, argv)
    _, err = capsys.readouterr()
    assert code == 2
    assert_one_line(err, "do_hpo.py: error: ", ["truncated.tar.gz is not a readable .tar.gz of result JSONs"])


# --- encoded matrices numpy would convert silently (API) -----------------------------------------


@pytest.mark.parametrize(("matrix", "expected"), [
    (np.zeros((2, 28), dtype="datetime64[ns]"), "an encoded matrix must hold numbers (choice indices); got dtype "
                                                 "datetime64[ns]"),
    (np.zeros((2, 28), dtype="timedelta64[s]"), "got dtype timedelta64[s]"),
    (np.zeros((2, 28), dtype=bool), "got dtype bool"),
    (np.zeros((2, 28), dtype="<U1"), "got dtype <U1"),
    (np.ma.masked_array(np.zeros((2, 28)), mask=np.eye(2, 28, k=5, dtype=bool)),
     "encoded architecture #0: block 1, field 'k' is masked; a masked cell has no value"),
])
def test_an_encoded_matrix_of_dates_or_with_masked_cells_is_refused(matrix, expected, tmp_path):
    ensemble = ANBEnsemble("xgb", cache_dir=tmp_path, progress=False)
    with pytest.raises(ValueError) as error:
        ensemble.query(matrix)
    assert expected in str(error.value)
    assert ensemble.members is None


def test_a_masked_array_with_nothing_masked_is_its_values():
    values = encode(EFFICIENTNET_B0)
    assert np.array_equal(encode(np.ma.masked_array(values)), values)


# --- cache_dir (API) -------------------------------------------------------------------------------


def test_cache_dir_that_is_a_file_is_named(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("in the way")
    for cache_dir, where in [(a_file, "is a file"), (a_file / "below", f"lies below the file {a_file}")]:
        with pytest.raises(ValueError) as error:
            ANBEnsemble("xgb", cache_dir=cache_dir, source="cache", progress=False)
        assert str(error.value) == (f"cache_dir {str(cache_dir)!r} {where}, not a folder; pass a folder (made if it "
                                    f"does not exist)")
    with pytest.raises(TypeError, match=r"^cache_dir must be a path \(str or os.PathLike\); got int 3$"):
        ANBEnsemble("xgb", cache_dir=3)
    assert a_file.read_text() == "in the way"


# --- the exact optimum's arguments (API) -----------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "error_type", "expected"), [
    ({"time_limit": True}, ValueError, "time_limit (seconds, or None) must be a finite number > 0; got True"),
    ({"time_limit": "10"}, ValueError, "time_limit (seconds, or None) must be a finite number > 0; got '10'"),
    ({"constraint": ("a100", "throughput", True)}, ValueError,
     "constraint's bound (the third item of (device, metric, bound)) must be a finite number; got True"),
    ({"constraint": ("a100", "throughput", "abc")}, ValueError,
     "constraint's bound (the third item of (device, metric, bound)) must be a finite number; got 'abc'"),
    ({"constraint": ("a100", "throughput", float("inf"))}, ValueError,
     "constraint's bound (the third item of (device, metric, bound)) must be a finite number; got inf"),
    ({"fixed": {0: True}}, ValueError, "block 0's fixed choice True is not one of 0..35"),
    ({"fixed": {True: 0}}, ValueError, "fixed block True is not one of 0..6"),
    ({"fixed": {np.bool_(False): 0}}, ValueError, "fixed block np.False_ is not one of 0..6"),
    ({"fixed": "abc"}, TypeError, "fixed must be a dict {block: choice index}, e.g. {0: 3, 5: 12}; got 'abc'"),
    ({"fixed": [(0, 1)]}, TypeError, "fixed must be a dict {block: choice index}"),
])
def test_the_optimum_never_takes_a_bool_for_a_number(kwargs, error_type, expected, monkeypatch):
    from anb import optimum

    def no_loading(*args, **kw):
        raise AssertionError("an ensemble was loaded before the arguments were checked")

    monkeypatch.setattr(optimum, "ANBEnsemble", no_loading)
    with pytest.raises(error_type) as error:
        optimum.find_optimum(progress=False, **kwargs)
    assert str(error.value).startswith(expected), str(error.value)

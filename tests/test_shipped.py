"""The default surrogates shipped with the package: the same numbers, bit for bit, with no dataset
and no build; tied to the committed configs; never loaded when altered."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import anb
from anb.devices.targets import resolve_target
from anb import cli
from anb.fitting.model_config import default_config_path
from anb.surrogates import release, release_contents, shipped, store
from anb.surrogates.ensemble_io import (
    DEV_VERSION,
    MANIFEST,
    CorruptEnsembleError,
    entry_subpath,
    read_manifest,
    sha256_of,
    write_manifest,
)
from conftest import DATA_DIR
from configurationspaces.searchspaces import EfficientNetSS
from helpers_install import package_copy, read_only, run_from
from helpers_store import (  # noqa: F401 - plugin_site is a fixture
    DEVICE,
    PYTHON,
    REPO,
    install_plugin,
    plugin_site,
    plugin_source,
    set_home,
    use_fast_params,
)

SPACE = EfficientNetSS(seed=0)
# EfficientNet-B0, the smallest and the largest architecture, and an irregular one.
ARCHITECTURES = [
    SPACE.efficientnet_b0(),
    SPACE.manual_sample([[1] * 7, [3] * 7, [1] * 7, [False] * 7]),
    SPACE.manual_sample([[6] * 7, [5] * 7, [3, 3, 3, 3, 3, 4, 3], [True] * 7]),
    SPACE.manual_sample([[4, 1, 6, 4, 1, 6, 4], [5, 5, 3, 3, 5, 3, 5], [3, 1, 2, 1, 3, 2, 2],
                         [False, True, False, True, False, True, False]]),
]
# (mean, std) of every shipped ensemble for ARCHITECTURES, as written by the release in this
# version (float.hex: every bit). A change of format, kernel, features, link or calibration that
# moves any number by one bit fails here; a new release must update these on purpose.
SHIPPED_ANSWERS = {
    "accuracy": (['0x1.079b8b3333333p+6', '0x1.564cc3999999ap+5', '0x1.0b4102ccccccdp+6', '0x1.f1dc660000000p+5'],
                  ['0x1.2578e968f7310p-2', '0x1.79234b447750fp-1', '0x1.1d0288f345768p-2', '0x1.60a9a93129742p-2']),
    "tpuv2/throughput": (['0x1.b7566b2fbe9d6p+9', '0x1.499e837a2f25ap+10', '0x1.00d42903ede50p+8', '0x1.05837f795f4d2p+9'],
                          ['0x1.271beef26ad9dp+4', '0x1.60dbeaf9af8ffp+5', '0x1.659ba39f6b939p+1', '0x1.a9cbf4b0d2030p+2']),
    "tpuv3/throughput": (['0x1.3c4837999999ap+10', '0x1.99fc4eccccccdp+10', '0x1.4dad133333333p+9', '0x1.059971999999ap+10'],
                          ['0x1.1760d7aa97f6ep+5', '0x1.dd692eb867fa3p+5', '0x1.ce9634333a7a6p+2', '0x1.064e4395b9b57p+4']),
    "a100/throughput": (['0x1.f76b9375e9f70p+12', '0x1.4fd0d18c4c099p+15', '0x1.6426d6ada9a1dp+11', '0x1.abf204b69f092p+12'],
                         ['0x1.3194d6cf1dda2p+5', '0x1.39d7dbdd85528p+8', '0x1.a15023e1c01e1p+3', '0x1.825d65f50393bp+4']),
    "3090/throughput": (['0x1.516457bdf3159p+12', '0x1.a90d8123d0ef6p+14', '0x1.e7f7ba412d5b2p+10', '0x1.2dc3c752452a5p+12'],
                         ['0x1.4a8696fff51cfp+5', '0x1.6e0acee1fc574p+9', '0x1.0b46c0c57d0bcp+3', '0x1.4a830e44bc871p+4']),
    "zcu102/throughput": (['0x1.ef13545873923p+7', '0x1.4f208285908fap+10', '0x1.cf93d54eb86b2p+5', '0x1.2cf7949042080p+8'],
                           ['0x1.2ac9bfb1db532p+3', '0x1.519736e70389cp+5', '0x1.e2a6c8ffccf09p+0', '0x1.8aee549058872p+2']),
    "zcu102/latency": (['0x1.119e04382ae41p+3', '0x1.db5a7e1464e02p+0', '0x1.11df92718622ap+5', '0x1.f3dcbec42f56ep+2'],
                        ['0x1.3147b1d4ee3ccp-3', '0x1.049a921f93f38p-5', '0x1.27502dd27f97bp-2', '0x1.7c5b06ad07d32p-4']),
    "vck190/throughput": (['0x1.065c65702430dp+11', '0x1.18c8aa940055fp+11', '0x1.bcc985e9e1cabp+8', '0x1.b9e984ef7b4ebp+10'],
                           ['0x1.65ea3bdc83b5ep+5', '0x1.dfe7e69fddb81p+5', '0x1.34bee8e1dc5dcp+2', '0x1.0ecf977b0663bp+5']),
    "vck190/latency": (['0x1.f5d65a561f90ep+1', '0x1.c55256a897cd5p+0', '0x1.bb543972e0e93p+3', '0x1.1c0992be17312p+2'],
                        ['0x1.64571a35e5800p-5', '0x1.ba4294df3dfffp-6', '0x1.577ad5b444047p-4', '0x1.578cb756ab396p-5']),
}


def test_every_builtin_target_ships_with_the_committed_config():
    manifest = shipped.release_manifest()
    assert manifest["anb_version"] == store.package_version()
    keys = [shipped.entry_key("xgb", target) for target in release.released_targets()]
    assert sorted(manifest["entries"]) == sorted(keys) and len(keys) == 9
    for target in release.released_targets():
        record = manifest["entries"][shipped.entry_key("xgb", target)]
        config = default_config_path("xgb", target.device, target.metric)
        assert (record["config_file"], record["config_sha256"]) == (config.name, sha256_of(config)), (
            f"{config} changed since the shipped {target.label} ensemble was built from it: run `anb release` "
            f"and update SHIPPED_ANSWERS")
        assert record["n_members"] == store.DEFAULT_MEMBERS == shipped.shipped_members("xgb", target)


@pytest.mark.parametrize("label", list(SHIPPED_ANSWERS))
def test_shipped_answers_are_fixed_to_the_last_bit(label):
    target = resolve_target(*(label.split("/") if "/" in label else (None, None)))
    ensemble = anb.ANBEnsemble("xgb", target.device, target.metric, progress=False)
    mean, std = ensemble.query(ARCHITECTURES)
    assert ensemble.manifest["calibration"] is not None
    assert ([m.hex() for m in mean], [s.hex() for s in std]) == SHIPPED_ANSWERS[label]


def test_a_fresh_process_answers_from_the_package_without_data_or_cache(tmp_path):
    home = tmp_path / "empty_home"
    home.mkdir()
    env = {**os.environ, "ANB_DATA_DIR": str(tmp_path / "no_dataset_here"), "ANB_HOME": str(home)}
    code = ("import anb; from configurationspaces.searchspaces import EfficientNetSS\n"
            "b0 = EfficientNetSS(seed=0).efficientnet_b0()\n"
            "for device in (None, 'a100'):\n"
            "    print(anb.ANBEnsemble('xgb', device=device).query([b0])[0][0].hex())\n")
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [SHIPPED_ANSWERS["accuracy"][0][0], SHIPPED_ANSWERS["a100/throughput"][0][0]]
    assert not any(path.is_file() for path in home.rglob("*")), "the query wrote into the cache"


@pytest.fixture
def artifact_copy(tmp_path):
    return shutil.copytree(shipped.ARTIFACT_DIR, tmp_path / "artifact")


def test_an_altered_shipped_model_is_never_loaded(artifact_copy):
    accuracy = resolve_target()
    model = artifact_copy / entry_subpath("xgb", accuracy) / "member_0" / "model.ubj.gz"
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    model.write_bytes(bytes(raw))
    with pytest.raises(CorruptEnsembleError, match="does not match the sha256"):
        shipped.load_shipped("xgb", accuracy, artifact_copy)


def test_an_ensemble_swapped_for_another_is_refused(artifact_copy):
    accuracy = resolve_target()
    entry = artifact_copy / entry_subpath("xgb", accuracy)
    # Another accuracy ensemble, consistent in itself (its manifest resealed with its own sha256):
    # not the one release.json lists.
    manifest = read_manifest(entry)
    manifest["calibration"]["weights"][0] += 1.0
    write_manifest(entry, manifest)
    with pytest.raises(CorruptEnsembleError, match="not the ensemble .*release.json lists"):
        shipped.load_shipped("xgb", accuracy, artifact_copy)


def test_an_edited_release_manifest_is_refused(artifact_copy):
    release_file = artifact_copy / shipped.RELEASE_FILE
    release_file.write_text(release_file.read_text().replace(store.package_version(), "9.9.9", 1))
    with pytest.raises(CorruptEnsembleError, match="own sha256.*reinstall"):
        shipped.release_manifest(artifact_copy)


A100_KEY = shipped.entry_key("xgb", resolve_target("a100"))


def _flip_a_byte(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def _reseal(path, edit):
    manifest = read_manifest(path.parent, path.name)
    edit(manifest)
    write_manifest(path.parent, manifest, path.name)


def _unreadable(monkeypatch, under):
    """Reading any file below ``under`` fails as it does for a user when the install's mode is 000
    (the tests run as root, whom the mode does not stop)."""
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if str(file).startswith(str(under)):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    monkeypatch.setattr("io.open", guarded_open)


# Every way the shipped release can differ from what was installed: (what is done to the
# artifact, a fragment of the fault the error names).
TAMPERING = {
    "model byte flipped": (lambda a, m: _flip_a_byte(a / A100_KEY / "member_2" / "model.ubj.gz"),
                           "does not match the sha256 in its manifest"),
    "member file deleted": (lambda a, m: (a / A100_KEY / "member_0" / "model.ubj.gz").unlink(), "is missing"),
    "member folder deleted": (lambda a, m: shutil.rmtree(a / A100_KEY / "member_4"), "is missing"),
    "manifest deleted": (lambda a, m: (a / A100_KEY / MANIFEST).unlink(), "is missing or unreadable"),
    "manifest edited": (lambda a, m: (a / A100_KEY / MANIFEST).write_text("{}"), "own sha256"),
    "manifest not JSON": (lambda a, m: (a / A100_KEY / MANIFEST).write_bytes(b"\x00\xff"), "missing or unreadable"),
    "manifest resealed": (lambda a, m: _reseal(a / A100_KEY / MANIFEST, lambda d: d.update(seed=1)),
                          "is not the ensemble"),
    "manifest of another format": (lambda a, m: _reseal(a / A100_KEY / MANIFEST, lambda d: d.update(format_version=1)),
                                   "has manifest format 1"),
    "manifest of another feature version": (
        lambda a, m: _reseal(a / A100_KEY / MANIFEST, lambda d: d.update(feature_version=99)), "feature version 99"),
    "manifest lists no members": (lambda a, m: _reseal(a / A100_KEY / MANIFEST, lambda d: d.update(files={})),
                                  "lists no files for member(s)"),
    "another target's ensemble": (lambda a, m: (shutil.rmtree(a / A100_KEY),
                                                shutil.copytree(a / "xgb/tpuv2/throughput", a / A100_KEY)),
                                  "holds the xgb surrogate of tpuv2/throughput"),
    "ensemble folder deleted": (lambda a, m: shutil.rmtree(a / A100_KEY), "is missing or unreadable"),
    "release.json deleted": (lambda a, m: (a / shipped.RELEASE_FILE).unlink(), "release.json is missing"),
    "release.json edited": (lambda a, m: (a / shipped.RELEASE_FILE).write_text("[]"), "own sha256"),
    "release of another version": (
        lambda a, m: _reseal(a / shipped.RELEASE_FILE, lambda d: d.update(anb_version="0.1.0")),
        "is the release of anb 0.1.0, this is anb"),
    "release of another format": (lambda a, m: _reseal(a / shipped.RELEASE_FILE, lambda d: d.update(format_version=9)),
                                  "has release format 9"),
    "release lists no such ensemble": (
        lambda a, m: _reseal(a / shipped.RELEASE_FILE, lambda d: d["entries"].pop(A100_KEY)),
        f"lists no {A100_KEY} ensemble"),
    "release names another manifest": (
        lambda a, m: _reseal(a / shipped.RELEASE_FILE,
                             lambda d: d["entries"][A100_KEY].update(manifest_sha256="0" * 64)),
        "is not the ensemble"),
    "whole folder unreadable": (lambda a, m: _unreadable(m, a), "Permission denied"),
    "one member unreadable": (lambda a, m: _unreadable(m, a / A100_KEY / "member_3"), "Permission denied"),
    "whole folder deleted": (lambda a, m: shutil.rmtree(a), "is missing"),
}


def test_a_source_tree_never_installed_has_no_version_to_compare(artifact_copy, monkeypatch):
    _reseal(artifact_copy / shipped.RELEASE_FILE, lambda d: d.update(anb_version="0.1.0"))
    monkeypatch.setattr(shipped, "package_version", lambda: DEV_VERSION)
    assert shipped.release_manifest(artifact_copy)["anb_version"] == "0.1.0"


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_every_fault_of_the_shipped_release_says_to_reinstall(tampering, artifact_copy, monkeypatch):
    damage, fault = TAMPERING[tampering]
    damage(artifact_copy, monkeypatch)
    a100 = resolve_target("a100")
    for call in (shipped.load_shipped, shipped.verify_shipped):
        with pytest.raises(CorruptEnsembleError) as error:
            call("xgb", a100, artifact_copy)
        message = str(error.value)
        assert fault in message and message.endswith(f"; {shipped.REINSTALL}"), message
        assert message.count(shipped.REINSTALL) == 1


def test_a_damaged_install_is_an_error_from_the_api_and_a_line_from_the_command(artifact_copy, monkeypatch, capsys,
                                                                                 tmp_path):
    monkeypatch.setattr(shipped, "ARTIFACT_DIR", artifact_copy)
    home = set_home(monkeypatch, tmp_path / "home")
    _unreadable(monkeypatch, artifact_copy / A100_KEY)
    with pytest.raises(CorruptEnsembleError, match="Permission denied.*reinstall it"):
        anb.ANBEnsemble("xgb", device="a100", progress=False).query(ARCHITECTURES)
    assert cli.main(["query", "--device", "a100", "--random", "2"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("anb query: error: ") and "reinstall it" in err
    assert not any(home.iterdir())


def test_devices_names_a_damaged_shipped_ensemble(artifact_copy, monkeypatch, capsys, tmp_path):
    set_home(monkeypatch, tmp_path / "home")
    _flip_a_byte(artifact_copy / A100_KEY / "member_2" / "model.ubj.gz")
    monkeypatch.setattr(shipped, "ARTIFACT_DIR", artifact_copy)
    assert cli.main(["devices"]) == 0
    rows = {line.split()[0] + "/" + line.split()[1]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "xgb DAMAGED: reinstall anb" in rows["a100/throughput"]
    assert all("DAMAGED" not in line and " xgb " in line for key, line in rows.items() if key != "a100/throughput")


DEFAULT_QUERY = """
import os
from pathlib import Path
from anb.surrogates.ensemble_io import CorruptEnsembleError
from configurationspaces.searchspaces import EfficientNetSS
try:
    anb.ANBEnsemble("xgb", device="a100", progress=False).query([EfficientNetSS(seed=0).efficientnet_b0()])
except CorruptEnsembleError as exc:
    print("refused:", exc)
else:
    print("answered")
print("written:", sorted(str(p) for p in Path(os.environ["ANB_HOME"]).rglob("*")))
"""


@pytest.mark.parametrize("dataset", ["reachable", "absent"])
def test_a_broken_install_never_falls_back_to_a_build(dataset, tmp_path):
    """A release.json, or the whole release, deleted from a (non-editable) install: the default
    query is refused with the advice to reinstall and writes nothing, dataset or not."""
    site = package_copy(tmp_path / "site")
    artifact = site / "anb" / "surrogates" / "default_surrogates"
    data = str(DATA_DIR) if dataset == "reachable" else str(tmp_path / "no_dataset")
    for damage in (lambda: (artifact / shipped.RELEASE_FILE).unlink(), lambda: shutil.rmtree(artifact)):
        damage()
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        result = run_from(site, DEFAULT_QUERY, env={"ANB_HOME": str(home), "ANB_DATA_DIR": data})
        assert result.returncode == 0, result.stderr
        refused, written = result.stdout.strip().splitlines()
        assert refused.startswith("refused: ") and refused.endswith(shipped.REINSTALL), refused
        assert "release.json is missing" in refused
        assert written == "written: []"


def _has_avx512() -> bool:
    from numpy._core._multiarray_umath import __cpu_features__

    return bool(__cpu_features__.get("AVX512F"))


# The release was built on a CPU with AVX-512. Elsewhere BLAS rounds the log-linear link's ridge
# fit differently and the boosters grow other splits (docs/guide/reproducibility.md: 10 of 45 members
# identical without AVX-512); the answers of the shipped release stay identical everywhere.
@pytest.mark.skipif(not _has_avx512(), reason="a rebuild is bit for bit the release only on a CPU with AVX-512, "
                                              "like the one that built it (docs/guide/reproducibility.md)")
def test_a_rebuild_here_reproduces_a_shipped_ensemble_bit_for_bit(tmp_path):
    tpuv2 = resolve_target("tpuv2")
    entry = tmp_path / "tpuv2"
    store.build("xgb", tpuv2, entry, progress=False, compress=True)
    record = shipped.release_manifest()["entries"][shipped.entry_key("xgb", tpuv2)]
    assert release.model_hashes(entry) == record["models_sha256"]


def test_source_chooses_the_shipped_ensemble_or_the_cache(tmp_path, monkeypatch):
    set_home(monkeypatch, tmp_path / "home")
    use_fast_params(monkeypatch)
    shipped_ensemble = anb.ANBEnsemble("xgb", n_members=3, source="shipped", progress=False)
    assert len(shipped_ensemble.load_ensemble().members) == 3
    local = anb.ANBEnsemble("xgb", n_members=2, source="cache", progress=False).load_ensemble()
    assert local.manifest["origin"] == store.LOCAL_BUILD and len(local.members) == 2
    assert (store.entry_dir("xgb", resolve_target()) / MANIFEST).is_file()
    assert not np.array_equal(local.query(ARCHITECTURES)[0], shipped_ensemble.query(ARCHITECTURES)[0])
    with pytest.warns(UserWarning, match="ships the xgb accuracy ensemble with 5 members; n_members=6"):
        anb.ANBEnsemble("xgb", n_members=6, progress=False).load_ensemble()
    with pytest.raises(ValueError, match="fewer than n_members=6; ask for at most 5"):
        anb.ANBEnsemble("xgb", n_members=6, source="shipped").load_ensemble()
    with pytest.raises(ValueError, match="source must be one of 'auto', 'shipped', 'cache'; got 'pypi'"):
        anb.ANBEnsemble("xgb", source="pypi")


def test_a_plugin_device_is_never_shipped(tmp_path, plugin_site):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=tmp_path))
    with pytest.raises(ValueError, match=f"anb ships no xgb {DEVICE}/throughput ensemble"):
        anb.ANBEnsemble("xgb", device=DEVICE, source="shipped").load_ensemble()


def test_release_check_names_each_ensemble_and_member_that_differs():
    reference = shipped.release_manifest()
    rebuilt = copy.deepcopy(reference)
    assert all(row["identical"] for row in release.compare_releases(rebuilt, reference))
    key = shipped.entry_key("xgb", resolve_target("a100"))
    rebuilt["entries"][key]["models_sha256"][2] = "0" * 64
    rows = {row["ensemble"]: row for row in release.compare_releases(rebuilt, reference)}
    assert not rows[key]["identical"] and rows[key]["identical members"] == "4/5" and rows[key]["same config"]
    assert sum(row["identical"] for row in rows.values()) == len(rows) - 1


def test_a_release_never_replaces_a_folder_it_did_not_write(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds no release.json"):
        release.build_release(theirs, progress=False)
    assert (theirs / "notes.txt").read_text() == "mine"


def test_a_release_never_deletes_files_it_did_not_write(artifact_copy, monkeypatch):
    """A shipped release copied into a folder, with the user's notes and figures beside it."""
    notes, figure = artifact_copy / "my_notes.txt", artifact_copy / "figures" / "fig1.png"
    figure.parent.mkdir()
    notes.write_text("mine")
    figure.write_bytes(b"png")
    (artifact_copy / A100_KEY / "member_0" / "extra.bin").write_bytes(b"also mine")
    monkeypatch.setattr(store, "build", lambda *args, **kwargs: pytest.fail("a build started"))
    with pytest.raises(FileExistsError) as error:
        release.build_release(artifact_copy, progress=False)
    assert str(error.value) == (f"{artifact_copy} holds files an anb release did not write (figures, my_notes.txt, "
                                f"{A100_KEY}/member_0/extra.bin); a release replaces the whole folder, so move them "
                                f"elsewhere or choose another --out")
    assert notes.read_text() == "mine" and figure.read_bytes() == b"png"
    assert release_contents.foreign_paths(shipped.ARTIFACT_DIR) == []  # the package's own release holds only its own


def test_the_command_refuses_a_release_over_a_users_files(artifact_copy, monkeypatch, capsys):
    (artifact_copy / "my_notes.txt").write_text("mine")
    monkeypatch.setattr(store, "build", lambda *args, **kwargs: pytest.fail("a build started"))
    assert cli.main(["release", "--out", str(artifact_copy)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "(my_notes.txt)" in err
    assert (artifact_copy / "my_notes.txt").read_text() == "mine" and (artifact_copy / shipped.RELEASE_FILE).is_file()


def test_a_release_into_a_folder_it_cannot_write_says_to_choose_another_out(artifact_copy, monkeypatch):
    monkeypatch.setattr(store, "build", lambda *args, **kwargs: pytest.fail("a build started"))
    with read_only(artifact_copy.parent), pytest.raises(OSError) as error:
        release.build_release(artifact_copy, progress=False)
    assert error.value.strerror.startswith(f"cannot write in {artifact_copy.parent} (")
    assert error.value.strerror.endswith("choose an --out in a folder you can write")


def test_release_check_takes_no_out(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(release, "check_release", lambda *args, **kwargs: pytest.fail("the check started"))
    assert cli.main(["release", "--check", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("anb release: error: --check builds into a temporary folder") and "takes no --out" in err
    assert not (tmp_path / "x").exists()


CHECK_THAT_HANGS = """
import sys, time
from anb.surrogates import release, store
def slow_build(family, target, entry, *args, **kwargs):
    entry.mkdir(parents=True, exist_ok=True)
    (entry / "model.bin").write_bytes(bytes(1000))
    print("building", flush=True)
    time.sleep(60)
store.build = slow_build
release.check_release(progress=False)
"""


RELEASE_THAT_HANGS = """
import sys, time
from pathlib import Path
from anb.surrogates import release, store
def slow_build(family, target, entry, *args, **kwargs):
    entry.mkdir(parents=True, exist_ok=True)
    print("building", flush=True)
    time.sleep(60)
store.build = slow_build
release.build_release(Path(sys.argv[1]), progress=False)
"""


def test_the_next_release_removes_what_a_killed_one_left(artifact_copy, monkeypatch):
    killed = subprocess.Popen([PYTHON, "-c", RELEASE_THAT_HANGS, str(artifact_copy)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert killed.stdout.readline().strip() == "building"
    finally:
        killed.kill()  # SIGKILL: no handler runs, the staging folder stays
        killed.communicate()
    leftovers = lambda: sorted(artifact_copy.parent.glob(f".{artifact_copy.name}.staging-*"))  # noqa: E731
    assert len(leftovers()) == 1
    release_before = (artifact_copy / shipped.RELEASE_FILE).read_bytes()

    def failing_build(*args, **kwargs):
        raise RuntimeError("the build stops here")

    monkeypatch.setattr(store, "build", failing_build)
    with pytest.raises(RuntimeError, match="the build stops here"):
        release.build_release(artifact_copy, progress=False)
    assert leftovers() == []
    assert (artifact_copy / shipped.RELEASE_FILE).read_bytes() == release_before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_check_stopped_by_a_signal_leaves_no_temporary_folder(sig, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(REPO)}
    check = subprocess.Popen([PYTHON, "-c", CHECK_THAT_HANGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    try:
        assert check.stdout.readline().strip() == "building"
        assert [p.name[:len("anb-release-check-")] for p in scratch.iterdir()] == ["anb-release-check-"]
        check.send_signal(sig)
        check.wait(30)
    finally:
        check.kill()
        check.communicate()
    assert check.returncode != 0
    assert list(scratch.iterdir()) == []

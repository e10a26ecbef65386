"""The surrogate store: downloads over real HTTP, cache integrity, two processes at once, bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import textwrap

import numpy as np
import pytest

from anb import cli
from anb.data.download import DownloadError, HashMismatchError
from anb.devices import discover_devices
from anb.devices.targets import resolve_target
from anb.surrogates import cache_entry, store
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.ensemble_io import MANIFEST, MANIFEST_HASH, CorruptEnsembleError, save_ensemble, verify_ensemble
from helpers_store import (
    DEVICE,
    FAST_PARAMS,
    PROGRESS_LABEL,
    PYTHON,
    REPO,
    closed_port_url,
    fit_members,
    http_server,
    install_plugin,
    make_archive,
    members_mean,
    plugin_site,  # noqa: F401 - a fixture
    plugin_source,
    put_it_at,
    sample_architectures,
    save_entry,
    set_home,
    staging_leftovers,
    synthetic_dataset,
    synthetic_throughput,
    use_fast_params,
)

TARGET_KEY = "xgb/throughput"


@pytest.fixture(scope="module")
def mychip_data(tmp_path_factory):
    return synthetic_dataset(tmp_path_factory.mktemp("mychip_data"))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A 2-member ensemble of mychip's throughput, its archive and the archive's sha256."""
    workdir = tmp_path_factory.mktemp("published")
    archs = sample_architectures(240, seed=7)
    members = fit_members(archs, synthetic_throughput(archs))
    archive, sha256 = make_archive(members, workdir)
    return members, archive, sha256


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    use_fast_params(monkeypatch)
    return set_home(monkeypatch, tmp_path / "home")


def mychip_entry(home):
    return store.entry_dir("xgb", resolve_target(DEVICE, "throughput"), home)


def forbid_local_builds(monkeypatch):
    def build(*args, **kwargs):
        raise AssertionError("a local build was started")

    monkeypatch.setattr(store, "build", build)


# --- downloads ---------------------------------------------------------------------------------


def test_a_published_archive_is_downloaded_checked_and_used(plugin_site, published, home, monkeypatch):
    members, archive, sha256 = published
    with http_server(archive.parent) as url:
        install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                       plugin_source(archives={TARGET_KEY: (f"{url}/{archive.name}", sha256)}))
        forbid_local_builds(monkeypatch)  # the plugin has no dataset either: only the download can work
        ensemble = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False)
        archs = sample_architectures(50, seed=3)
        mean, _ = ensemble.query(archs)
    np.testing.assert_allclose(mean, members_mean(members, archs), rtol=1e-6)
    entry = mychip_entry(home)
    assert verify_ensemble(entry)["n_members"] == 2
    kept = home / "downloads" / f"xgb-{DEVICE}-throughput.tar.gz"
    assert kept.read_bytes() == archive.read_bytes()
    assert not staging_leftovers(home)


def test_an_archive_from_an_older_anb_without_a_manifest_hash_is_taken(plugin_site, published, home, tmp_path,
                                                                        monkeypatch):
    members, _, _ = published
    ensemble = tmp_path / "old" / "ensemble"
    save_ensemble(ensemble, members, {"target": f"{DEVICE}/throughput"})
    manifest = json.loads((ensemble / MANIFEST).read_text())
    del manifest[MANIFEST_HASH]
    (ensemble / MANIFEST).write_text(json.dumps(manifest))
    archive = tmp_path / "old" / "old.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for child in sorted(ensemble.iterdir()):
            tar.add(child, arcname=child.name)
    with http_server(archive.parent) as url:
        install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(
            archives={TARGET_KEY: (f"{url}/{archive.name}", hashlib.sha256(archive.read_bytes()).hexdigest())}))
        forbid_local_builds(monkeypatch)
        loaded = ANBEnsemble("xgb", device=DEVICE, progress=False).load_ensemble()
    assert len(loaded.members) == 2 and MANIFEST_HASH in loaded.manifest


def test_a_wrong_sha256_keeps_nothing_and_is_not_papered_over(plugin_site, published, mychip_data, home):
    _, archive, sha256 = published
    wrong = "0" * 64
    with http_server(archive.parent) as url:
        # Even with a dataset to build from, a file that is not the published one is an error.
        install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                       plugin_source(dataset=mychip_data, archives={TARGET_KEY: (f"{url}/{archive.name}", wrong)}))
        with pytest.raises(HashMismatchError) as error:
            ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).load_ensemble()
    message = str(error.value)
    assert isinstance(error.value, DownloadError)
    assert "does not match its sha256" in message and wrong in message
    entry = mychip_entry(home)
    assert not entry.exists()
    assert not staging_leftovers(home)
    downloads = home / "downloads"
    assert not downloads.exists() or not any(downloads.iterdir()), "a file with the wrong hash was kept"


def test_a_server_that_is_down_says_how_to_get_the_file_by_hand(plugin_site, published, home, tmp_path,
                                                                monkeypatch):
    _, archive, sha256 = published
    url = closed_port_url(archive.name)
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                   plugin_source(archives={TARGET_KEY: (url, sha256)}))
    # No dataset in the plugin means the Accel-NASBench one; give a tiny copy that lacks the column.
    monkeypatch.setenv("ANB_DATA_DIR", str(synthetic_dataset(tmp_path / "anb_data", n=20, device=None)))
    with pytest.raises(DownloadError) as error:
        ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).load_ensemble()
    message = str(error.value)
    destination = put_it_at(message)
    assert url in message and sha256 in message and "by hand" in message
    assert destination == home / "downloads" / f"xgb-{DEVICE}-throughput.tar.gz"
    assert "has no column 'throughput_mychip'" in message  # why the local build could not help
    assert not mychip_entry(home).exists() and not staging_leftovers(home)

    # Following the advice works offline: the file put there is hash-checked and used.
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(archive, destination)
    forbid_local_builds(monkeypatch)
    mean, _ = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).query(sample_architectures(4, seed=0))
    assert mean.shape == (4,)
    assert verify_ensemble(mychip_entry(home))


def test_a_server_that_is_down_falls_back_to_a_local_build(plugin_site, published, mychip_data, home):
    _, archive, sha256 = published
    url = closed_port_url(archive.name)
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                   plugin_source(dataset=mychip_data, archives={TARGET_KEY: (url, sha256)}))
    with pytest.warns(UserWarning, match="built the surrogate locally instead") as caught:
        ensemble = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).load_ensemble()
    warning = next(str(w.message) for w in caught if "locally" in str(w.message))
    assert url in warning and "by hand" in warning
    assert ensemble.manifest["params"] == FAST_PARAMS  # built here, from the plugin's dataset
    assert verify_ensemble(mychip_entry(home))["n_members"] == 2
    assert not staging_leftovers(home)


BROKEN_PUBLICATIONS = {
    # what the server gives -> what the error says
    "missing_file": "could not download the xgb mychip/throughput surrogate",
    "not_an_archive": "is not a usable .tar.gz archive",
    "not_an_ensemble": "is not a usable .tar.gz archive of an ensemble: it holds no manifest.json at its root",
}


def _serve_broken(problem, served):
    """A URL path and the sha256 the plugin declares for it."""
    served.mkdir()
    junk = served / "junk.tar.gz"
    junk.write_bytes(b"this is not a tar archive" * 10)
    if problem == "missing_file":
        return "nothing_here.tar.gz", "1" * 64
    if problem == "not_an_ensemble":
        with tarfile.open(junk, "w:gz") as tar:
            tar.add(served / "..", arcname="somewhere_else", recursive=False)
    return junk.name, hashlib.sha256(junk.read_bytes()).hexdigest()


@pytest.mark.parametrize("problem", sorted(BROKEN_PUBLICATIONS))
def test_a_broken_publication_is_a_one_line_cli_error(plugin_site, home, tmp_path, monkeypatch, capsys, problem):
    name, sha256 = _serve_broken(problem, tmp_path / "served")
    monkeypatch.setenv("ANB_DATA_DIR", str(synthetic_dataset(tmp_path / "anb_data", n=20, device=None)))
    with http_server(tmp_path / "served") as url:
        install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                       plugin_source(archives={TARGET_KEY: (f"{url}/{name}", sha256)}))
        code = cli.main(["download", "--device", DEVICE])
    err = capsys.readouterr().err
    assert code == 2
    err = err[err.index("anb download: error: "):]  # after pooch's progress bar
    assert len(err.strip().splitlines()) == 1, err
    assert BROKEN_PUBLICATIONS[problem] in err and "Traceback" not in err
    assert not mychip_entry(home).exists() and not staging_leftovers(home)


@pytest.mark.parametrize("problem", sorted(BROKEN_PUBLICATIONS))
def test_a_broken_publication_falls_back_to_a_local_build(plugin_site, mychip_data, home, tmp_path, problem):
    name, sha256 = _serve_broken(problem, tmp_path / "served")
    with http_server(tmp_path / "served") as url:
        install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip",
                       plugin_source(dataset=mychip_data, archives={TARGET_KEY: (f"{url}/{name}", sha256)}))
        with pytest.warns(UserWarning, match=BROKEN_PUBLICATIONS[problem]):
            ensemble = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).load_ensemble()
    assert ensemble.manifest["params"] == FAST_PARAMS
    assert verify_ensemble(mychip_entry(home)) and not staging_leftovers(home)


# --- cache integrity ---------------------------------------------------------------------------


def _swap_in_another_model(path):
    """Replace a member's model with a valid xgboost model of something else entirely."""
    archs = sample_architectures(60, seed=99)
    (other,) = fit_members(archs, -synthetic_throughput(archs), n_members=1)
    other.booster_.save_model(path)


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "valid_but_different", "manifest"])
def test_a_damaged_cache_entry_is_never_loaded_but_rebuilt(plugin_site, mychip_data, home, damage):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=mychip_data))
    archs = sample_architectures(30, seed=4)
    original, _ = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).query(archs)
    entry = mychip_entry(home)
    model = entry / "member_0" / "model.ubj"
    if damage == "truncate":
        model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    elif damage == "flip_byte":
        data = bytearray(model.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model.write_bytes(bytes(data))
    elif damage == "valid_but_different":
        _swap_in_another_model(model)
    else:
        (entry / MANIFEST).write_text((entry / MANIFEST).read_text()[:40])
    with pytest.raises(CorruptEnsembleError):
        verify_ensemble(entry)

    with pytest.warns(UserWarning, match="discarding a damaged cache entry"):
        again, _ = ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).query(archs)
    # The rebuild is deterministic, so equal predictions mean nothing of the bad entry was used
    # (the "valid_but_different" member predicts negative speeds).
    np.testing.assert_allclose(again, original, rtol=1e-9)
    assert verify_ensemble(entry)["n_members"] == 2
    assert not staging_leftovers(home)


# --- two processes at once ---------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    import anb.fitting.model_config
    import anb.surrogates.store

    params = json.loads(os.environ["ANB_TEST_PARAMS"])
    anb.fitting.model_config.read_model_params = lambda path: dict(params)
    real_build = anb.surrogates.store.build

    def slow_build(*args, **kwargs):
        time.sleep(1.0)  # hold the lock long enough that the other process must wait on it
        return real_build(*args, **kwargs)

    anb.surrogates.store.build = slow_build

    from anb.surrogates.ensemble import ANBEnsemble
    from configurationspaces.searchspaces import EfficientNetSS

    # A barrier: both processes ask for the surrogate at the same moment.
    barrier, me = Path(sys.argv[1]), sys.argv[2]
    (barrier / f"ready_{me}").touch()
    deadline = time.time() + 120
    while len(list(barrier.glob("ready_*"))) < 2 and time.time() < deadline:
        time.sleep(0.01)
    ensemble = ANBEnsemble("xgb", device="mychip", n_members=2)
    mean, std = ensemble.query(EfficientNetSS(seed=5).random_encoded(20))
    print(json.dumps({"mean": mean.tolist(), "std": std.tolist()}))
    """
)


def test_two_processes_build_one_surrogate_once(plugin_site, mychip_data, home, tmp_path):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=mychip_data))
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "ANB_HOME": str(home), "ANB_TEST_PARAMS": json.dumps(FAST_PARAMS),
           "PYTHONPATH": os.pathsep.join([str(plugin_site), str(REPO)])}
    workers = [subprocess.Popen([PYTHON, str(script), str(barrier), str(i)], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    results = []
    for worker in workers:
        try:
            out, err = worker.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for w in workers:
                w.kill()
            raise
        assert worker.returncode == 0, err
        results.append((json.loads(out.strip().splitlines()[-1]), err))
    builders = [err for _, err in results if PROGRESS_LABEL in err]
    assert len(builders) == 1, f"expected one build, saw {len(builders)}:\n" + "\n---\n".join(e for _, e in results)
    assert results[0][0] == results[1][0]
    assert verify_ensemble(mychip_entry(home))["n_members"] == 2
    assert not staging_leftovers(home)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"device": "a10"}, "unknown device 'a10'; available: 3090, a100, tpuv2, tpuv3, vck190, zcu102"),
        ({"device": "a100", "metric": "latency"}, "device 'a100' has no metric 'latency'; it has: throughput"),
        ({"device": "zcu102"}, "device 'zcu102' has several metrics; choose one of: throughput, latency"),
        ({"model": "resnet"}, "unknown model 'resnet'; available: xgb, lgb, sklearn_forest, svr, svr_nu"),
        ({"model": "xgb_accel"}, "model 'xgb_accel' is a device surrogate; give a device"),
        ({"metric": "throughput"}, "metric 'throughput' needs a device"),
        ({"n_members": 0}, "n_members must be an integer from 1 to 100; got 0"),
    ],
)
def test_bad_requests_are_refused_and_cache_nothing(home, kwargs, expected):
    discover_devices.cache_clear()
    kwargs = {"model": "xgb", **kwargs}
    with pytest.raises(ValueError) as error:
        ANBEnsemble(kwargs.pop("model"), **kwargs).load_ensemble()
    assert str(error.value).startswith(expected)
    assert list(home.iterdir()) == []


def test_a_failed_build_leaves_no_entry(plugin_site, home, tmp_path):
    # A plugin whose dataset measures another device: nothing to fit.
    other = synthetic_dataset(tmp_path / "other_data", n=20, device="otherchip")
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=other))
    with pytest.raises(ValueError, match="has no column 'throughput_mychip'"):
        ANBEnsemble("xgb", device=DEVICE, n_members=2, progress=False).load_ensemble()
    assert not mychip_entry(home).exists() and not staging_leftovers(home)
    assert not list(home.rglob(MANIFEST))


def test_a_replacement_that_fails_to_verify_keeps_the_old_entry(home, tmp_path):
    archs = sample_architectures(120, seed=3)
    entry = store.entry_dir("xgb", resolve_target(), home)
    entry.parent.mkdir(parents=True)
    save_entry(fit_members(archs, synthetic_throughput(archs)), entry, resolve_target())
    before = {p: p.read_bytes() for p in entry.rglob("*") if p.is_file()}
    with cache_entry.locked(entry), pytest.raises(CorruptEnsembleError):
        with cache_entry.staged(entry, replace=True) as staging:
            (staging / MANIFEST).write_text("{}")  # a manifest listing no member
    assert {p: p.read_bytes() for p in entry.rglob("*") if p.is_file()} == before
    assert not staging_leftovers(home)


def test_after_a_one_member_build_default_users_are_warned(plugin_site, mychip_data, home):
    install_plugin(plugin_site, "anb-test-mychip", "anb_test_mychip", plugin_source(dataset=mychip_data))
    archs = sample_architectures(5, seed=2)
    one = ANBEnsemble("xgb", device=DEVICE, n_members=1, progress=False)
    assert np.all(one.query_spread(archs)[1] == 0)  # asked for, so no warning
    with pytest.warns(UserWarning, match=rf"has 1 member\(s\).*its members' spread is 0.*anb build --model xgb --device {DEVICE} "
                                         r"--metric throughput --members 5 --force"):
        ANBEnsemble("xgb", device=DEVICE, progress=False).load_ensemble()

"""Faults against the cache and the fit script, with real files and real processes.

A cleared cache keeps what anb did not write; an edited manifest is never loaded; a small
ensemble is never handed out silently; a read-only cache serves complete entries; a full disk
says so; a writer killed mid-save leaves nothing that outlives the next write; entries follow
the user's umask; two fit runs in one second both keep their results.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import re
import subprocess
import textwrap
import time
from pathlib import Path

import ConfigSpace as CS
import numpy as np
import pytest

import fit_model
from anb import cli
from anb.devices.targets import resolve_target
from anb.surrogates import cache_contents, cache_entry, store
from anb.surrogates.ensemble import ANBEnsemble
from anb.surrogates.ensemble_io import MANIFEST, CorruptEnsembleError, save_ensemble
from helpers_install import read_only
from helpers_store import (
    FAST_PARAMS,
    PYTHON,
    REPO,
    fit_members,
    sample_architectures,
    save_entry,
    set_home,
    staging_leftovers,
    synthetic_throughput,
    write_result_jsons,
)

ACCURACY = resolve_target()


@pytest.fixture(scope="module")
def members():
    archs = sample_architectures(120, seed=4)
    return fit_members(archs, synthetic_throughput(archs), n_members=2)


@pytest.fixture
def home(tmp_path, monkeypatch):
    return set_home(monkeypatch, tmp_path / "home")


def cached(members, home: Path, target=ACCURACY) -> Path:
    """An accuracy entry as a finished build leaves it."""
    entry = store.entry_dir("xgb", target, home)
    entry.parent.mkdir(parents=True, exist_ok=True)
    return save_entry(members, entry, target)


# --- 1. --clear removes only what anb wrote --------------------------------------------------------


def test_clear_removes_entries_locks_staging_and_archives_but_nothing_else(members, home):
    entry = cached(members, home)
    with cache_entry.locked(entry):
        pass  # leaves the lock file, as every writer does
    stale = entry.parent / f".{entry.name}{cache_entry.STAGING_MARK}dead"
    stale.mkdir()
    archive = home / "downloads" / "xgb-mychip-throughput.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(b"x")
    theirs = [home / "notes.txt", home / "downloads" / "paper.pdf", home / "0.1.0" / "mine" / "data.csv",
              entry.parent / "README"]
    for path in theirs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not anb's")

    removed = cache_contents.clear(home)
    assert set(removed) == {entry, cache_entry.lock_path(entry), stale, archive}
    assert all(path.read_text() == "not anb's" for path in theirs)
    assert not entry.exists() and not stale.exists() and not archive.exists()


def test_clear_of_a_read_only_cache_names_the_place_and_what_to_do(members, home, capsys):
    entry = cached(members, home)
    with read_only(home):
        code = cli.main(["cache", "--clear"])
    out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"cannot remove {entry} (" in err and ("Read-only file system" in err or "Permission denied" in err)
    assert f"clearing the cache {home} needs write access to it" in err
    assert "set ANB_HOME to a cache of your own" in err
    assert (entry / MANIFEST).is_file()


def test_clear_of_a_folder_anb_never_wrote_to_removes_nothing(tmp_path):
    folder = tmp_path / "projects"
    (folder / "a" / "b" / "c" / "d").mkdir(parents=True)
    (folder / "a" / "b" / "c" / "d" / "manifest.json").write_text('{"name": "not an ensemble"}')
    assert cache_contents.clear(folder) == []
    assert (folder / "a" / "b" / "c" / "d" / "manifest.json").is_file()


# --- 2. the manifest is integrity-checked and agrees with its place --------------------------------


def _edit_manifest(entry: Path, edit) -> None:
    path = entry / MANIFEST
    path.write_text(edit(path.read_text()))


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda text: text.replace('"n_members": 2', '"n_members": 1'), "does not match its own sha256"),
    (lambda text: text.replace('"files"', '"filez"'), "does not match its own sha256"),
    (lambda text: re.sub(r'"feature_version": \d+', '"feature_version": 0', text), "does not match its own sha256"),
    (lambda text: text.replace('"manifest_sha256"', '"manifest_sha257"'), "does not match its own sha256"),
    (lambda text: text[: len(text) // 2], "is missing or unreadable"),
])
def test_an_edited_manifest_is_never_loaded(members, home, edit, expected):
    entry = cached(members, home)
    _edit_manifest(entry, edit)
    with pytest.raises(CorruptEnsembleError, match=expected):
        store.load_entry(entry, "xgb", ACCURACY)


def test_a_manifest_re_hashed_after_editing_still_fails_on_its_members(members, home):
    """Dropping the file list (and re-hashing) cannot switch the member check off."""
    from anb.surrogates.ensemble_io import write_manifest

    entry = cached(members, home)
    manifest = json.loads((entry / MANIFEST).read_text())
    write_manifest(entry, {**manifest, "files": {}})
    with pytest.raises(CorruptEnsembleError, match=r"lists no files for member\(s\) \[0, 1\]"):
        store.load_entry(entry, "xgb", ACCURACY)


def test_an_entry_in_the_wrong_place_is_never_loaded(members, home):
    """A complete, valid a100 entry copied into the accuracy place is refused."""
    a100 = cached(members, home, resolve_target("a100"))
    accuracy = store.entry_dir("xgb", ACCURACY, home)
    accuracy.parent.mkdir(parents=True)
    shutil.copytree(a100, accuracy)
    with pytest.raises(CorruptEnsembleError, match="holds the xgb surrogate of a100/throughput, not the xgb accuracy"):
        store.load_entry(accuracy, "xgb", ACCURACY)


def test_a_damaged_manifest_is_replaced_on_the_next_request(members, home, monkeypatch):
    entry = cached(members, home)
    _edit_manifest(entry, lambda text: text.replace('"n_members": 2', '"n_members": 1'))
    built = []
    monkeypatch.setattr(store, "build", lambda family, target, where, n, progress: built.append(where) or cached(
        members, home))
    with pytest.warns(UserWarning, match="discarding a damaged cache entry.*does not match its own sha256"):
        ensemble = ANBEnsemble("xgb", progress=False, source="cache").load_ensemble()
    assert built == [entry] and len(ensemble.members) == 2


# --- 3. a small cached ensemble is not handed out silently -----------------------------------------


def test_a_one_member_local_build_warns_default_users_with_the_rebuild_command(home):
    archs = sample_architectures(120, seed=5)
    entry = store.entry_dir("xgb", ACCURACY, home)
    entry.parent.mkdir(parents=True)
    save_ensemble(entry, fit_members(archs, synthetic_throughput(archs), n_members=1),
                  {"target": ACCURACY.__dict__, "origin": store.LOCAL_BUILD})
    with pytest.warns(UserWarning, match=r"has 1 member\(s\), built on an earlier request for that many; its members' "
                                         r"spread is 0. To rebuild it with 5: anb build --model xgb --members 5 --force"):
        ensemble = ANBEnsemble("xgb", progress=False, source="cache")
        _, std = ensemble.query(archs[:3])
    assert np.all(std == 0)


def test_a_small_imported_or_published_ensemble_is_used_without_that_warning(members, home, recwarn):
    cached(members, home)  # no "origin": not a local build
    ANBEnsemble("xgb", progress=False, source="cache").load_ensemble()
    assert not [w for w in recwarn if "member(s)" in str(w.message)]


# --- 4. fit_model.py: two runs in one second keep both results --------------------------------------


@pytest.fixture(scope="module")
def quick_fit(tmp_path_factory):
    """A small dataset and a config that fits it in well under a second."""
    root = tmp_path_factory.mktemp("quick_fit")
    data = write_result_jsons(root / "data", sample_architectures(60, seed=6), device=None)
    space = CS.ConfigurationSpace()
    space.add([CS.Constant("param:num_rounds", 20), CS.Constant("early_stopping_rounds", 5),
               CS.Constant("param:max_depth", 3), CS.Constant("param:nthread", 1)])
    config = root / "xgb_configspace.json"
    space.to_json(config)
    return data, config


def test_two_fit_runs_with_one_seed_in_one_second_keep_both_results(quick_fit, tmp_path, monkeypatch, capsys):
    data, config = quick_fit
    monkeypatch.setattr(time, "strftime", lambda fmt, *args: "20260101-000000")
    argv = ["--dataset_root", str(data), "--model_config_path", str(config), "--log_dir", str(tmp_path / "runs"),
            "--seed", "3"]
    assert fit_model.main(argv) == 0
    assert fit_model.main(argv) == 0
    runs = sorted((tmp_path / "runs" / "xgb").iterdir())
    assert [r.name for r in runs] == ["20260101-000000-3", "20260101-000000-3-1"]
    assert all((r / MANIFEST).is_file() and (r / "test_predictions.csv").is_file() for r in runs)


def test_an_interrupted_fit_leaves_no_run_directory(quick_fit, tmp_path, monkeypatch):
    data, config = quick_fit

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fit_model, "fit_members", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fit_model.main(["--dataset_root", str(data), "--model_config_path", str(config), "--log_dir",
                        str(tmp_path / "runs")])
    assert list((tmp_path / "runs" / "xgb").iterdir()) == []


# --- 5. a read-only cache serves complete entries --------------------------------------------------

QUERY = textwrap.dedent("""
    import numpy as np, anb
    from helpers_store import sample_architectures
    mean, std = anb.ANBEnsemble("xgb", progress=False, source="cache").query(sample_architectures(4, seed=1))
    print(len(mean), bool(np.all(np.isfinite(mean))))
""")


def test_a_read_only_cache_serves_a_complete_entry(members, home):
    cached(members, home)
    env = {**os.environ, "ANB_HOME": str(home), "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"}
    with read_only(home):
        with pytest.raises(OSError):  # it is read-only indeed
            (home / "probe").write_text("x")
        result = subprocess.run([PYTHON, "-c", QUERY], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "True"]


# --- 6. full disks, killed writers, permissions ----------------------------------------------------


def test_a_damaged_entry_in_a_read_only_cache_says_what_happened_and_what_to_do(members, home):
    entry = cached(members, home)
    _edit_manifest(entry, lambda text: text.replace('"n_members": 2', '"n_members": 1'))
    with read_only(home), pytest.raises(OSError) as error:
        ANBEnsemble("xgb", source="cache", progress=False).load_ensemble()
    message = str(error.value)
    assert f"cannot write in the cache at {entry.parent} (" in message
    assert "to replace it when it is damaged; set ANB_HOME to a folder you can write" in message


def test_a_full_disk_is_reported_with_the_place_and_leaves_nothing(members, home, monkeypatch):
    entry = store.entry_dir("xgb", ACCURACY, home)

    def fill_the_disk(directory, *args, **kwargs):
        (Path(directory) / "member_0").mkdir()
        raise OSError(errno.ENOSPC, "No space left on device")

    with cache_entry.locked(entry), pytest.raises(OSError) as error:
        with cache_entry.staged(entry) as staging:
            fill_the_disk(staging)
    assert error.value.errno == errno.ENOSPC
    assert f"no space left on the disk while writing the cache entry {entry}" in str(error.value)
    assert not entry.exists() and not staging_leftovers(home)


def test_a_library_write_error_on_a_full_disk_is_reported_as_a_full_disk(members, home, monkeypatch):
    """xgboost reports a full disk as "FileStream.Write incomplete"; the free space tells."""
    entry = store.entry_dir("xgb", ACCURACY, home)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 100, 100))
    with cache_entry.locked(entry), pytest.raises(OSError, match="no space left on the disk .* FileStream.Write"):
        with cache_entry.staged(entry):
            raise RuntimeError("[12:00:00] FileStream.Write incomplete")
    assert not staging_leftovers(home)


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from anb.surrogates import cache_entry
    entry = Path(sys.argv[1])
    with cache_entry.locked(entry), cache_entry.staged(entry) as staging:
        (staging / "member_0").mkdir()
        print("writing", flush=True)
        time.sleep(60)
""")


def test_a_writer_killed_mid_save_leaves_nothing_after_the_next_write(members, home):
    entry = store.entry_dir("xgb", ACCURACY, home)
    writer = subprocess.Popen([PYTHON, "-c", WRITER, str(entry)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert writer.stdout.readline().strip() == "writing"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        writer.stdout.close()
    assert len(staging_leftovers(home)) == 1  # what kill -9 leaves
    with cache_entry.locked(entry), cache_entry.staged(entry) as staging:
        save_ensemble(staging, members, {"target": ACCURACY.__dict__, "params": FAST_PARAMS})
    assert not staging_leftovers(home)
    assert store.load_entry(entry, "xgb", ACCURACY)[1]["n_members"] == 2


@pytest.mark.parametrize(("umask", "dir_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o002, 0o775, 0o664),
                                                               (0o077, 0o700, 0o600)])
def test_entries_follow_the_umask(members, home, umask, dir_mode, file_mode):
    entry = store.entry_dir("xgb", ACCURACY, home)
    old = os.umask(umask)
    try:
        with cache_entry.locked(entry), cache_entry.staged(entry) as staging:
            save_ensemble(staging, members, {"target": ACCURACY.__dict__})
    finally:
        os.umask(old)
    assert stat.S_IMODE(entry.stat().st_mode) == dir_mode
    assert stat.S_IMODE((entry / MANIFEST).stat().st_mode) == file_mode
    assert {stat.S_IMODE(p.stat().st_mode) for p in entry.rglob("*") if p.is_file()} == {file_mode}

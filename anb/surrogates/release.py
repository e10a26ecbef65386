"""Building the shipped default surrogates, and checking that a machine builds the same ones.

``anb release`` fits the default ensemble (xgb, :data:`anb.surrogates.store.DEFAULT_MEMBERS` members,
calibration included) of accuracy and of every metric of the built-in devices from the committed
model configs, writes them with ``release.json`` into a staging folder beside the artifact
(:mod:`anb.surrogates.shipped`) and swaps it in whole, then prints the hashes. ``anb release --check`` fits
them into a temporary folder instead and compares every member's model, bit for bit, with the
shipped one: what a second machine runs to see whether it reproduces the benchmark.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anb.models.base import SPEC_FILE, read_model_bytes
from anb.models.boosters import available_threads
from anb.surrogates import cache_entry, release_contents, shipped, store
from anb.surrogates.ensemble_io import MANIFEST_HASH, library_versions, package_version, read_manifest, write_manifest
from anb.surrogates.shipped import RELEASED_FAMILY, released_targets


@contextmanager
def terminated_as_exit() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``SystemExit`` as Ctrl-C raises ``KeyboardInterrupt``,
    so a killed build still removes its staging or temporary folder (the default action ends the
    process at once). Only the main thread can take signals; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit(signum, frame):
    raise SystemExit(128 + signum)


def model_hashes(entry: Path) -> list[str]:
    """The sha256 of each member's model as its library wrote it (uncompressed), in member order."""
    manifest = read_manifest(entry)
    models = {Path(name).parent.name: name for name in manifest["files"] if not name.endswith(SPEC_FILE)}
    return [hashlib.sha256(read_model_bytes(entry / models[f"member_{i}"])).hexdigest()
            for i in range(manifest["n_members"])]


def build_release(out: Path, progress: bool = True) -> dict:
    """Fit every released ensemble into ``out`` (replacing an earlier release there only once all
    are built and sealed) and return the release manifest."""
    out = Path(out)
    if out.exists() and not (out / shipped.RELEASE_FILE).is_file():
        raise FileExistsError(f"{out} exists and holds no {shipped.RELEASE_FILE}: it is not a release of anb's; "
                              f"choose another --out")
    if out.exists():
        release_contents.check_only_a_release(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Under the lock, a staging folder beside ``out`` belongs to no running release: one that
    # kill -9 ended. Two releases into one folder take turns.
    unwritable = "a release is built beside its --out and swapped in; choose an --out in a folder you can write"
    with terminated_as_exit(), cache_entry.locked(out, unwritable):
        cache_entry.remove_stale(out)
        return _build_into(out, progress)


def _build_into(out: Path, progress: bool) -> dict:
    staging = cache_entry.private_folder(out, cache_entry.STAGING_MARK)
    try:
        entries = {}
        for target in released_targets():
            key = shipped.entry_key(RELEASED_FAMILY, target)
            if progress:
                print(f"{RELEASED_FAMILY} {target.label}:", flush=True)
            entry = staging / key
            entry.parent.mkdir(parents=True, exist_ok=True)
            store.build(RELEASED_FAMILY, target, entry, store.DEFAULT_MEMBERS, progress, compress=True)
            manifest = read_manifest(entry)
            entries[key] = {"target": target.label, "n_members": manifest["n_members"],
                            "config_file": manifest["config_file"], "config_sha256": manifest["config_sha256"],
                            "manifest_sha256": manifest[MANIFEST_HASH], "models_sha256": model_hashes(entry)}
        write_manifest(staging, {
            "format_version": shipped.RELEASE_FORMAT, "anb_version": package_version(),
            "family": RELEASED_FAMILY, "entries": entries,
            "built_with": {**library_versions(), "threads": available_threads(), "machine": platform.machine()},
        }, shipped.RELEASE_FILE)
        cache_entry.install(staging, out, replace=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shipped.forget_releases()
    return read_manifest(out, shipped.RELEASE_FILE)


def compare_releases(built: dict, reference: dict) -> list[dict]:
    """Per ensemble of ``reference``: whether ``built`` has the same models, bit for bit, and the
    config each was built from."""
    rows = []
    for key, record in reference["entries"].items():
        mine = built["entries"].get(key)
        same = [a == b for a, b in zip(mine["models_sha256"], record["models_sha256"])] if mine else []
        rows.append({"ensemble": key, "identical members": f"{sum(same)}/{len(record['models_sha256'])}",
                     "same config": bool(mine) and mine["config_sha256"] == record["config_sha256"],
                     "identical": bool(mine) and all(same) and len(same) == len(record["models_sha256"])})
    return rows


def check_release(progress: bool = True) -> list[dict]:
    """Build the release into a temporary folder and compare it with the shipped one."""
    reference = shipped.release_manifest()
    with terminated_as_exit(), tempfile.TemporaryDirectory(prefix="anb-release-check-") as tmp:
        built = build_release(Path(tmp) / "release", progress)
    return compare_releases(built, reference)

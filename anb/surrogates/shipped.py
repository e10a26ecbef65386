"""The default surrogates shipped inside the package: one benchmark, the same numbers for everyone.

``anb release`` (:mod:`anb.surrogates.release`) fits them from the committed model configs into
``anb/surrogates/default_surrogates/``: one folder per ensemble, in the cache's layout and format (the model
files gzip-compressed), and ``release.json``, which lists every ensemble with the config file it
was built from (name and sha256), the sha256 of its manifest and of each member's model
(uncompressed, so that a rebuild on another machine can be compared with it), and the libraries
of the build. The release manifest carries its own sha256 and names each ensemble's manifest by
its sha256, which in turn names every file: nothing is loaded unverified. The ensembles are read
where they lie, never copied into the cache, so a read-only install serves them.

The released targets (xgb for accuracy and every metric of the built-in devices) always ship: a
release that is missing, unreadable, altered or of another anb version is a damaged install,
and every error about it says to reinstall anb; it is never replaced by a build.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from anb.devices.builtin import BUILTIN
from anb.devices.targets import Target, resolve_target
from anb.models import Surrogate
from anb.surrogates.ensemble_io import (
    MANIFEST_HASH,
    CorruptEnsembleError,
    entry_subpath,
    DEV_VERSION,
    load_ensemble_members,
    package_version,
    read_manifest,
    verify_entry,
)

ARTIFACT_DIR = Path(__file__).resolve().parent / "default_surrogates"
RELEASE_FILE = "release.json"
# Bump when what release.json holds changes.
RELEASE_FORMAT = 1
RELEASED_FAMILY = "xgb"
REINSTALL = "the installed anb was altered or damaged; reinstall it (pip install --force-reinstall anb)"


def released_targets() -> list[Target]:
    """Accuracy, then every metric of every built-in device."""
    return [resolve_target()] + [resolve_target(device.name, metric) for device in BUILTIN for metric in device.metrics]


def entry_key(family: str, target: Target) -> str:
    """An ensemble's name in ``release.json``: its folder below the artifact, e.g. ``xgb/a100/throughput``."""
    return entry_subpath(family, target).as_posix()


def released_keys() -> list[str]:
    return [entry_key(RELEASED_FAMILY, target) for target in released_targets()]


def is_released(family: str, target: Target) -> bool:
    """Whether anb ships the ``family`` ensemble of ``target`` (whatever the install holds)."""
    return entry_key(family, target) in released_keys()


@contextmanager
def _install_fault() -> Iterator[None]:
    """Any fault of reading the shipped release, re-raised as one error that says to reinstall."""
    try:
        yield
    except (CorruptEnsembleError, OSError) as exc:
        raise CorruptEnsembleError(f"{exc}; {REINSTALL}") from exc


def release_manifest(directory: Path | None = None) -> dict:
    """The verified release manifest of ``directory`` (default :data:`ARTIFACT_DIR`)."""
    with _install_fault():
        return _read_release(Path(directory or ARTIFACT_DIR))


@lru_cache(maxsize=None)
def _read_release(directory: Path) -> dict:
    manifest = read_manifest(directory, RELEASE_FILE)
    if manifest.get("format_version") != RELEASE_FORMAT or not isinstance(manifest.get("entries"), dict):
        raise CorruptEnsembleError(f"{directory / RELEASE_FILE} has release format {manifest.get('format_version')}, "
                                   f"this anb reads format {RELEASE_FORMAT}")
    # A source tree run without being installed has no version to compare ("dev").
    if manifest.get("anb_version") != package_version() and package_version() != DEV_VERSION:
        raise CorruptEnsembleError(f"{directory / RELEASE_FILE} is the release of anb {manifest.get('anb_version')}, "
                                   f"this is anb {package_version()}")
    return manifest


def forget_releases() -> None:
    """Read every release manifest afresh from now on (after a release was written)."""
    _read_release.cache_clear()


def _record(family: str, target: Target, directory: Path) -> dict:
    record = _read_release(directory)["entries"].get(entry_key(family, target))
    if not isinstance(record, dict):
        raise CorruptEnsembleError(f"{directory / RELEASE_FILE} lists no {entry_key(family, target)} ensemble")
    return record


def shipped_members(family: str, target: Target, directory: Path | None = None) -> int:
    """How many members the shipped ensemble of ``family`` and ``target`` has; 0 when none is shipped."""
    if not is_released(family, target):
        return 0
    with _install_fault():
        return int(_record(family, target, Path(directory or ARTIFACT_DIR))["n_members"])


def _verified_entry(family: str, target: Target, directory: Path) -> tuple[Path, dict]:
    record = _record(family, target, directory)
    entry = directory / entry_key(family, target)
    manifest = verify_entry(entry, family, target)
    if manifest.get(MANIFEST_HASH) != record["manifest_sha256"]:
        raise CorruptEnsembleError(f"{entry} is not the ensemble {directory / RELEASE_FILE} lists (its manifest's "
                                   f"sha256 differs)")
    return entry, manifest


def verify_shipped(family: str, target: Target, directory: Path | None = None) -> dict:
    """The shipped ensemble's manifest, after checking every file against it and it against
    ``release.json`` (without loading the models)."""
    with _install_fault():
        return _verified_entry(family, target, Path(directory or ARTIFACT_DIR))[1]


def load_shipped(family: str, target: Target, directory: Path | None = None) -> tuple[list[Surrogate], dict]:
    """The shipped ensemble's members and manifest, after checking it is the one ``release.json`` names."""
    with _install_fault():
        entry, manifest = _verified_entry(family, target, Path(directory or ARTIFACT_DIR))
        return load_ensemble_members(entry, manifest), manifest

"""What an earlier ``anb release`` wrote into a folder, so that a new release replaces only that.

A release folder holds ``release.json`` and one ensemble folder per released target, each with
its ``manifest.json`` and the files that manifest lists. ``anb release --out`` swaps the whole
folder for the new release, so it first makes sure nothing else lies there: a user's notes or
figures put beside a release would be deleted with it.
"""

from __future__ import annotations

from pathlib import Path

from anb.surrogates import shipped
from anb.surrogates.ensemble_io import MANIFEST, CorruptEnsembleError, read_manifest

# How many foreign paths an error names before it says how many more there are.
NAMED = 5


def _entry_keys(out: Path) -> set[str]:
    """The released ensembles' folders, and those the folder's own release.json lists (an earlier
    release may have shipped other targets)."""
    keys = set(shipped.released_keys())
    try:
        keys.update(read_manifest(out, shipped.RELEASE_FILE).get("entries", {}))
    except CorruptEnsembleError:
        pass  # no readable release.json: only the current layout counts as anb's
    return keys


def _entry_files(entry: Path) -> set[Path]:
    files = {entry / MANIFEST}
    try:
        listed = read_manifest(entry).get("files", {})
    except CorruptEnsembleError:
        return files  # an unreadable manifest vouches for nothing: its folder's other files are not anb's
    return files | {entry / name for name in listed} if isinstance(listed, dict) else files


def written_files(out: Path) -> set[Path]:
    """The files a release wrote into ``out`` (whether or not they are still there)."""
    written = {out / shipped.RELEASE_FILE}
    for key in _entry_keys(out):
        written |= _entry_files(out / key)
    return written


def foreign_paths(out: Path) -> list[Path]:
    """The files and folders in ``out`` that no release wrote, outermost only (a foreign folder's
    contents are not listed again)."""
    written = written_files(out)
    folders = {parent for path in written for parent in path.parents}
    foreign = set()
    for path in Path(out).rglob("*"):
        if path not in written and not (path.is_dir() and path in folders):
            foreign.add(path)
    return sorted(path for path in foreign if path.parent not in foreign)


def check_only_a_release(out: Path) -> None:
    """A ``FileExistsError`` naming what in ``out`` no release wrote, if anything."""
    foreign = foreign_paths(out)
    if foreign:
        named = ", ".join(str(path.relative_to(out)) for path in foreign[:NAMED])
        more = f" and {len(foreign) - NAMED} more" if len(foreign) > NAMED else ""
        raise FileExistsError(f"{out} holds files an anb release did not write ({named}{more}); a release replaces "
                              f"the whole folder, so move them elsewhere or choose another --out")

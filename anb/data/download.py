"""Hash-checked downloads with pooch, and errors that tell the user what to do offline."""

from __future__ import annotations

from pathlib import Path

import pooch


class DownloadError(RuntimeError):
    """A file could not be fetched, or what was fetched is not what was expected."""


class HashMismatchError(DownloadError):
    """What was fetched is not the published file: its sha256 differs (nothing was kept)."""


def fetch(url: str, sha256: str, directory: Path, fname: str, what: str, hint: str = "") -> Path:
    """``directory/fname``, downloaded from ``url`` unless a copy with the right hash is there.

    pooch downloads to a temporary file and moves it into place only once its hash matches,
    so an interrupted or corrupted download never leaves a file behind.
    """
    import requests  # here: a process whose files are all fetched never pays for importing it

    target = Path(directory) / fname
    by_hand = (
        f"download {url} by hand (sha256 {sha256}) and put it at {target}" + (f", {hint}" if hint else "")
    )
    try:
        return Path(
            pooch.retrieve(
                url,
                known_hash=f"sha256:{sha256}",
                fname=fname,
                path=directory,
                progressbar=True,
            )
        )
    except requests.RequestException as exc:
        raise DownloadError(f"could not download {what} from {url} ({type(exc).__name__}); {by_hand}") from exc
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise
        raise HashMismatchError(
            f"{what} downloaded from {url} does not match its sha256 {sha256}; nothing was kept. "
            f"The server holds a different file: {by_hand}"
        ) from exc
    except OSError as exc:
        raise DownloadError(f"could not store {what} at {target}: {exc}") from exc

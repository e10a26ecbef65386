"""Where the package keeps what it downloads or builds."""

from __future__ import annotations

import os
from pathlib import Path

import pooch

ENV_HOME = "ANB_HOME"
ENV_DATA_DIR = "ANB_DATA_DIR"


def cache_root() -> Path:
    """``$ANB_HOME`` if set, else the platform's cache directory for ``anb``."""
    home = os.environ.get(ENV_HOME)
    return Path(home).expanduser() if home else Path(pooch.os_cache("anb"))


def data_dir() -> Path:
    """Where the dataset archive lives: ``$ANB_DATA_DIR`` if set, else ``<cache>/data``.

    The directory may be read-only (a shared copy): a file already there with the right hash is
    used as it is and nothing is written.
    """
    override = os.environ.get(ENV_DATA_DIR)
    return Path(override).expanduser() if override else cache_root() / "data"

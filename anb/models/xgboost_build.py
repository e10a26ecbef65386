"""xgboost, where something needs it: fitting, ``anb build``, ``anb release``, a model the tree
kernel cannot walk. A query of the shipped surrogates does not (:mod:`anb.models.xgb_nodes`).

An environment that has xgboost holds one build of it: ``xgboost`` or ``xgboost-cpu``, never both.
Both distributions install the same ``xgboost`` module, so the package cannot depend on either
without pip putting it beside a user's other one (see pyproject.toml). They are told apart by
the ``*.dist-info`` folders next to the module, which costs a directory listing where
``importlib.metadata`` would cost an import of its own.
"""

from __future__ import annotations

import warnings
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType

BUILDS = ("xgboost", "xgboost-cpu")
INSTALL_HINT = ("pip install 'anb[xgboost-cpu]' for the CPU-only build (about 20 MB), or pip install xgboost "
                "for the build with CUDA (about 700 MB on Linux)")


def installed_builds(site_packages: Path) -> list[str]:
    """The xgboost distributions recorded in ``site_packages``, by their PyPI names."""
    return [name for name in BUILDS
            if any(site_packages.glob(f"{name.replace('-', '_')}-*.dist-info"))]


def import_xgboost(needed_for: str) -> ModuleType:
    """The ``xgboost`` module; ImportError saying what ``needed_for`` it and how to install it."""
    try:
        import xgboost
    except ImportError as exc:
        raise ImportError(f"{needed_for} needs xgboost, which is not installed: {INSTALL_HINT}") from exc
    return xgboost


def check_xgboost() -> None:
    """Warn when two xgboost builds share the ``xgboost`` module (nothing when there is none)."""
    spec = find_spec("xgboost")
    if spec is None or not spec.submodule_search_locations:
        return
    site_packages = Path(next(iter(spec.submodule_search_locations))).parent
    builds = installed_builds(site_packages)
    if len(builds) > 1:
        warnings.warn(
            f"{' and '.join(builds)} are both installed in {site_packages}: they write the same `xgboost` "
            "module, so it holds whichever was installed last. Keep one: pip uninstall -y xgboost xgboost-cpu, "
            f"then {INSTALL_HINT}.",
            RuntimeWarning,
            stacklevel=3,
        )

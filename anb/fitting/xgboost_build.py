"""The environment must hold one build of xgboost: ``xgboost`` or ``xgboost-cpu``, never both.

Both distributions install the same ``xgboost`` module, so the package cannot depend on either
without pip putting it beside a user's other one (see pyproject.toml). They are told apart by
the ``*.dist-info`` folders next to the module, which costs a directory listing where
``importlib.metadata`` would cost an import of its own.
"""

from __future__ import annotations

import warnings
from importlib.util import find_spec
from pathlib import Path

BUILDS = ("xgboost", "xgboost-cpu")
INSTALL_HINT = ("pip install 'anb[xgboost-cpu]' for the CPU-only build (about 20 MB), or pip install xgboost "
                "for the build with CUDA (about 700 MB on Linux)")


def installed_builds(site_packages: Path) -> list[str]:
    """The xgboost distributions recorded in ``site_packages``, by their PyPI names."""
    return [name for name in BUILDS
            if any(site_packages.glob(f"{name.replace('-', '_')}-*.dist-info"))]


def check_xgboost() -> None:
    """Raise ImportError when the ``xgboost`` module is missing; warn when two builds share it."""
    spec = find_spec("xgboost")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"anb needs the xgboost module, which is not installed: {INSTALL_HINT}")
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

"""The compiled kernels run from a read-only install whose user has no writable HOME."""

from __future__ import annotations

import os
import stat

import numba
import pytest

from anb.models import compile_cache
from helpers_install import package_copy, read_only, run_from

# 20,000 rows: more than the plain Python functions take, so the compiled kernels answer.
QUERY = """
import numba, numpy as np
from configurationspaces.searchspaces import EfficientNetSS
from anb.models import portable_kernel, tree_kernel
mean, std = anb.ANBEnsemble("xgb", device="a100", progress=False).query(EfficientNetSS(seed=0).random_encoded(20000))
assert mean.shape == (20000,) and np.isfinite(mean).all() and np.isfinite(std).all()
print(tree_kernel.CACHE, portable_kernel.CACHE, numba.config.CACHE_DIR)
"""


def test_a_read_only_install_with_an_unwritable_home_runs_the_compiled_kernels(tmp_path):
    site = package_copy(tmp_path / "site")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # NUMBA_CACHE_DIR empty is numba's "not set"
    env = {"HOME": "/proc/nonexistent", "TMPDIR": str(scratch), "ANB_HOME": str(tmp_path / "home"),
           "NUMBA_CACHE_DIR": ""}
    with read_only(site):
        result = run_from(site, QUERY, env=env)
    assert result.returncode == 0, result.stderr
    private = scratch / f"anb-numba-cache-{os.getuid()}"
    assert result.stdout.split() == ["True", "True", str(private)]
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert any(path.suffix == ".nbi" for path in private.rglob("*")), "nothing was cached"


def test_nothing_writable_compiles_in_memory(monkeypatch, tmp_path):
    monkeypatch.setattr(compile_cache.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(compile_cache, "_writable", lambda folder: False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    assert compile_cache.caching(compile_cache.__file__) is False
    assert numba.config.CACHE_DIR == ""


def test_a_temporary_folder_others_can_write_is_never_the_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(compile_cache.tempfile, "gettempdir", lambda: str(tmp_path))
    shared = tmp_path / f"anb-numba-cache-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    assert compile_cache.private_temp_folder() is None
    shared.chmod(0o700)
    assert compile_cache.private_temp_folder() == shared


def test_a_writable_package_keeps_numbas_own_place(monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    assert compile_cache.caching(compile_cache.__file__) is True
    assert numba.config.CACHE_DIR == ""

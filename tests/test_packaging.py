"""The package works from a regular wheel, not only from the source tree."""

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

CHECK = """
import anb, configurationspaces
from anb.data.splits import default_split
from anb.fitting.model_config import default_config_path, read_model_params
from configurationspaces.searchspaces import EfficientNetSS
assert 'site' in anb.__file__ or 'wheel_install' in anb.__file__, anb.__file__
assert len(EfficientNetSS().random_sample(3)) == 3
for family in ('xgb', 'lgb', 'sklearn_forest', 'svr', 'svr_nu'):
    assert read_model_params(default_config_path(family))
assert read_model_params(default_config_path('xgb', 'a100', 'throughput'))
from importlib import resources
assert (resources.files('anb.configs') / 'data_splits' / 'anb_v1' / 'test_paths.json').is_file()
print('ok', anb.__file__)
"""


def test_wheel_contains_and_finds_its_json_files(tmp_path):
    pytest.importorskip("setuptools")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"), str(REPO)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("anb-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "configurationspaces/effnet_configspace.json" in names
    assert "anb/configs/model_configs/gradient_boosting/xgb_configspace.json" in names
    assert "anb/surrogates/default_surrogates/release.json" in names
    target = tmp_path / "wheel_install"
    zipfile.ZipFile(wheel).extractall(target)
    # run from an unrelated directory with the unpacked wheel first on the path
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout

"""An install without xgboost (no ``xgboost-cpu`` extra) answers every shipped surrogate, bit for
bit, and whatever does need xgboost names the extra that brings it.

Each case runs a new Python in which ``import xgboost`` fails (``sys.modules["xgboost"] = None``,
as for a module that is not installed), with no dataset and an empty ``ANB_HOME``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import DATA_DIR
from configurationspaces.efficientnet_encoding import encode
from test_shipped import ARCHITECTURES, SHIPPED_ANSWERS

NO_XGBOOST = "import sys\nsys.modules['xgboost'] = None\n"


def run_without_xgboost(code: str, tmp_path, data_dir=None, args=None) -> subprocess.CompletedProcess:
    home = tmp_path / "empty_home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "ANB_HOME": str(home), "ANB_DATA_DIR": str(data_dir or tmp_path / "no_dataset_here")}
    return subprocess.run([sys.executable, "-c", NO_XGBOOST + code, *(args or [])], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)


QUERY_EVERY_TARGET = """
import json
import numpy as np
import anb
encoded = np.array(json.loads(sys.argv[1]))
answers = {}
for label in json.loads(sys.argv[2]):
    device, metric = label.split("/") if "/" in label else (None, None)
    mean, std = anb.ANBEnsemble("xgb", device=device, metric=metric, progress=False).query(encoded)
    answers[label] = [[m.hex() for m in mean], [s.hex() for s in std]]
print(json.dumps({"answers": answers, "xgboost_imported": sys.modules["xgboost"] is not None}))
"""


def test_every_shipped_answer_without_xgboost(tmp_path):
    encoded = encode(ARCHITECTURES).tolist()
    result = run_without_xgboost(QUERY_EVERY_TARGET, tmp_path, args=[json.dumps(encoded), json.dumps(list(SHIPPED_ANSWERS))])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["xgboost_imported"] is False
    assert {label: tuple(answer) for label, answer in report["answers"].items()} == SHIPPED_ANSWERS


@pytest.mark.parametrize("code", [
    # fitting a surrogate
    "from anb.models import make_surrogate\nmake_surrogate('xgb').fit([[0.0], [1.0]], [0.0, 1.0])",
    # a loaded member's own xgboost Booster
    "import anb\nanb.ANBEnsemble('xgb', progress=False).load_ensemble().members[0].booster_",
])
def test_what_needs_xgboost_names_the_extra(tmp_path, code):
    result = run_without_xgboost(code, tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "needs xgboost, which is not installed" in result.stderr
    assert "anb[xgboost-cpu]" in result.stderr


def test_anb_build_without_xgboost_is_one_line_naming_the_extra(tmp_path, real_data):
    code = "from anb.cli import main\nsys.exit(main(['build', '--model', 'xgb', '--members', '1']))"
    result = run_without_xgboost(code, tmp_path, data_dir=DATA_DIR)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("anb build: error:"), result.stderr
    assert "anb[xgboost-cpu]" in lines[0]
    assert not list((tmp_path / "empty_home").rglob("manifest.json")), "a failed build installed an ensemble"

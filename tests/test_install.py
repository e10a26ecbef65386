"""A lean install: a query imports only what it uses (not xgboost), and at most one xgboost build is expected."""

import importlib.machinery
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import anb
from anb.models import xgboost_build
from anb.surrogates import store

# Each is needed by some other job (fitting, tuning, NAS-Bench-101's GCN, plots, LightGBM or scikit-learn
# surrogates, downloads), never by a query of xgboost surrogates already in the cache; anb's own
# fitting code (anb.fitting) included.
NOT_FOR_A_QUERY = ("xgboost", "smac", "dask", "distributed", "torch", "matplotlib", "lightgbm", "requests",
                   "sklearn.ensemble", "sklearn.svm", "sklearn.linear_model", "h5py", "anb.fitting")

QUERY = """
import sys
import anb
from configurationspaces.searchspaces import EfficientNetSS
mean, std = anb.ANBEnsemble("xgb", n_members={members}, seed=0).query(EfficientNetSS(seed=0).random_sample(2))
assert mean.shape == (2,), mean
print(" ".join(name for name in {names!r} if name in sys.modules))
"""


def test_a_query_imports_nothing_it_does_not_use(real_data):
    # the ensemble CI's example.py builds (and test_ensemble uses): cached once per session
    anb.ANBEnsemble("xgb", n_members=store.DEFAULT_MEMBERS, seed=0, progress=False).load_ensemble()
    code = QUERY.format(members=store.DEFAULT_MEMBERS, names=NOT_FOR_A_QUERY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_lazy_names_resolve_and_unknown_names_fail():
    assert anb.load_dataset.__module__ == "anb.data.dataset"
    assert anb.evaluate_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 3.5])["mae"] == pytest.approx(0.5 / 3)
    assert {"ANBEnsemble", "load_dataset", "evaluate_metrics"} <= set(dir(anb))
    with pytest.raises(AttributeError, match="no_such_name"):
        anb.no_such_name  # noqa: B018


def test_this_environment_holds_exactly_one_xgboost_build():
    site_packages = Path(xgboost_build.find_spec("xgboost").origin).parents[1]
    assert len(xgboost_build.installed_builds(site_packages)) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xgboost_build.check_xgboost()


def test_two_builds_side_by_side_are_named_with_the_fix(tmp_path, monkeypatch):
    for folder in ("xgboost", "xgboost-3.2.0.dist-info", "xgboost_cpu-3.2.0.dist-info"):
        (tmp_path / folder).mkdir()
    spec = importlib.machinery.ModuleSpec("xgboost", None, is_package=True)
    spec.submodule_search_locations.append(str(tmp_path / "xgboost"))
    monkeypatch.setattr(xgboost_build, "find_spec", lambda name: spec)
    assert xgboost_build.installed_builds(tmp_path) == ["xgboost", "xgboost-cpu"]
    with pytest.warns(RuntimeWarning, match=r"xgboost and xgboost-cpu are both installed.*pip uninstall -y xgboost xgboost-cpu"):
        xgboost_build.check_xgboost()


def test_a_missing_xgboost_names_both_ways_to_install_it_where_it_is_needed(monkeypatch):
    monkeypatch.setitem(sys.modules, "xgboost", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xgboost_build.check_xgboost()  # nothing to warn about: a query needs no xgboost
    with pytest.raises(ImportError, match=r"^fitting needs xgboost, .*anb\[xgboost-cpu\].*pip install xgboost"):
        xgboost_build.import_xgboost("fitting")

"""The package works from a regular wheel, not only from the source tree."""

import ast
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

CHECK = """
import anb, configurationspaces
from anb.model_config import default_config_path, read_model_params
from anb.splits import default_split
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
    target = tmp_path / "wheel_install"
    zipfile.ZipFile(wheel).extractall(target)
    # run from an unrelated directory with the unpacked wheel first on the path
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout


def _module_level_imports(path, package_of: str, modules: set[str]) -> set[str]:
    """The anb modules a module imports when it is imported (function-level imports excluded)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package_of.split(".")[: len(package_of.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            found |= submodules | ({base} if len(submodules) < len(node.names) else set())
    return found & modules


def test_no_import_cycle_in_anb_outside_nb101():
    files = {}
    for path in (REPO / "anb").rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        if not name.startswith("anb.nb101"):
            files[name] = path
    graph = {name: _module_level_imports(path, name if path.name == "__init__.py" else name.rpartition(".")[0],
                                         set(files)) - {name}
             for name, path in files.items()}
    # Walk from every module; a path that comes back to a module on it is a cycle.
    def cycle_from(start, path, seen):
        for nxt in graph[path[-1]]:
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                found = cycle_from(start, path + [nxt], seen)
                if found:
                    return found
        return None

    cycles = [c for c in (cycle_from(name, [name], {name}) for name in graph) if c]
    assert not cycles, f"import cycles: {cycles[:3]}"

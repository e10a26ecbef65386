"""The shape of ``anb/``: a few subpackages, and imports that go one way (docs/architecture.md).

Every import statement of every module counts, at the top or inside a function: an import that
runs only when a function is called still ties the two modules together. Importing
``anb.pkg.mod`` from outside ``anb.pkg`` runs ``anb/pkg/__init__.py`` too, so it depends on
that package as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

ANB = REPO / "anb"
MAX_ENTRIES = 12


def module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def anb_modules(root: Path) -> dict[str, Path]:
    return {module_name(path, root.parent): path for path in root.rglob("*.py")}


def _ancestors(name: str) -> list[str]:
    """``anb.a.b.c`` -> ``["anb", "anb.a", "anb.a.b"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_modules(name: str, path: Path, modules: set[str]) -> set[str]:
    """The anb modules that importing ``name`` or calling any of its functions may run."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            targets |= submodules
            if len(submodules) < len(node.names):  # a name defined in ``base`` itself
                targets.add(base)
    # The packages on the way to a target run their __init__, unless the importer lies inside them
    # (then they are already being imported).
    inside = set(_ancestors(name))
    for target in list(targets):
        targets |= set(_ancestors(target)) - inside
    return (targets & modules) - {name}


def import_graph(root: Path = ANB) -> dict[str, set[str]]:
    modules = anb_modules(root)
    return {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None."""
    done, on_path = set(), []

    def visit(node):
        on_path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return on_path[on_path.index(nxt):] + [nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        on_path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def package_of(module: str) -> str:
    """The subpackage directly under ``anb`` a module belongs to (``anb`` and ``anb.cli`` are their own)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        packages.setdefault(package_of(module), set()).update(package_of(t) for t in targets)
    return {package: targets - {package} for package, targets in packages.items()}


def test_anb_holds_at_most_twelve_entries():
    entries = sorted(p.name for p in ANB.iterdir() if p.name != "__pycache__")
    assert len(entries) <= MAX_ENTRIES, f"anb/ holds {len(entries)} entries (at most {MAX_ENTRIES}): {entries}"


def test_no_import_circle_between_anb_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_subpackages_depend_one_way():
    cycle = find_cycle(package_graph(import_graph()))
    assert cycle is None, "subpackages import each other in a circle: " + " -> ".join(cycle)


def test_each_subpackage_says_what_it_holds_and_imports_only_what_it_says():
    graph = package_graph(import_graph())
    for init in sorted(ANB.glob("*/__init__.py")):
        package = module_name(init, REPO)
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring, f"{init} has no docstring saying what {package} holds"
        assert "May import:" in docstring, f"{init}'s docstring does not say what {package} may import"
        declared = set(re.findall(r"anb\.\w+", docstring.split("May import:")[1]))
        assert graph[package] <= declared, (f"{package} imports {sorted(graph[package] - declared)}, which its "
                                            f"docstring does not allow")


@pytest.mark.parametrize("import_line", [
    "from anb.pkg.low import thing",  # at the top
    "def f():\n    from anb.pkg import low",  # inside a function, a submodule by name
    "def f():\n    from .low import thing",  # relative
    "def f():\n    import anb.pkg.low",
])
def test_a_circle_is_found_however_it_is_written(tmp_path, import_line):
    package = tmp_path / "anb" / "pkg"
    package.mkdir(parents=True)
    (tmp_path / "anb" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("from anb.high import run\nthing = 1\n")
    (tmp_path / "anb" / "high.py").write_text("def run():\n    from anb.pkg.top import x\n")
    (package / "top.py").write_text(import_line + "\nx = 1\n")
    assert find_cycle(import_graph(tmp_path / "anb")) == ["anb.high", "anb.pkg.top", "anb.pkg.low", "anb.high"]


def test_an_import_through_a_package_init_counts(tmp_path):
    (tmp_path / "anb" / "pkg").mkdir(parents=True)
    (tmp_path / "anb" / "__init__.py").write_text("")
    (tmp_path / "anb" / "pkg" / "__init__.py").write_text("from anb.pkg.inner import y\n")
    (tmp_path / "anb" / "pkg" / "other.py").write_text("z = 1\n")
    (tmp_path / "anb" / "outer.py").write_text("def f():\n    from anb.pkg.other import z\n")
    (tmp_path / "anb" / "pkg" / "inner.py").write_text("from anb.outer import f\ny = 1\n")
    assert find_cycle(import_graph(tmp_path / "anb")) == ["anb.outer", "anb.pkg", "anb.pkg.inner", "anb.outer"]

"""Fresh virtual environments for the install benchmarks (run as scripts, so imported as ``_venvs``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def source_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored), copied to ``target``.

    pip builds from the copy, so its build folders land in the temporary directory and a build
    never sees half-written files of the working tree.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def nice_prefix() -> list[str]:
    """``nice -n 10`` where there is one: the builds must not starve other work on the machine."""
    return ["nice", "-n", "10"] if shutil.which("nice") else []


class Venv:
    """A venv made with this interpreter's ``venv`` module, pip included."""

    def __init__(self, path: Path):
        self.path = path
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        self.python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def pip_install(self, *requirements: str) -> float:
        """Seconds ``pip install`` took; pip's cache is the caller's, so a second install is warm."""
        start = time.perf_counter()
        subprocess.run([*nice_prefix(), str(self.python), "-m", "pip", "install", "-q", *requirements], check=True)
        return time.perf_counter() - start

    def run(self, code: str, env: dict | None = None) -> str:
        return subprocess.run([str(self.python), "-c", code], capture_output=True, text=True, check=True,
                              env=env).stdout

    def run_script(self, script: Path, *args: str) -> None:
        subprocess.run([str(self.python), str(script), *args], check=True)

    def size_mb(self) -> float:
        total = sum(f.lstat().st_size for f in self.path.rglob("*") if f.is_file() or f.is_symlink())
        return total / 2**20

    def distributions(self) -> list[str]:
        """The installed distributions, pip and setuptools included."""
        code = "from importlib import metadata; print('\\n'.join(sorted({d.metadata['Name'] for d in metadata.distributions()})))"
        return self.run(code).split()

"""MkDocs hook: the committed figures of ``plots/out/`` served under ``plots/out/`` in the site,
so that the pages show the figures the plotting scripts write rather than copies of them."""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

FIGURES = Path(__file__).resolve().parents[2] / "plots" / "out"


def on_files(files, config):
    for figure in sorted(FIGURES.glob("*.png")):
        files.append(File.generated(config, f"plots/out/{figure.name}", abs_src_path=str(figure)))
    return files

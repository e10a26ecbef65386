"""MkDocs hook: the committed figures of the scripts that write them (``plots/out/``, the
reference runs of ``benchmarks/``) served at the same paths in the site, so that the pages show
the figures the scripts write rather than copies of them."""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

REPO = Path(__file__).resolve().parents[2]
FIGURE_FOLDERS = ("plots/out", "benchmarks/results/optimizers")


def on_files(files, config):
    for folder in FIGURE_FOLDERS:
        for figure in sorted((REPO / folder).glob("*.png")):
            files.append(File.generated(config, f"{folder}/{figure.name}", abs_src_path=str(figure)))
    return files

"""Every Python example of the README, the documentation site and the docstrings, run as a user
would run it.

Each fenced ``python`` block of ``README.md``, ``docs/**/*.md`` and the docstrings of ``anb`` and
``configurationspaces`` (the API reference's Examples sections) is one test (its id is the file
and line), run in a fresh interpreter from an empty folder against the installed package, with
this session's cache and dataset. An HTML comment right above a block, invisible on the page,
says what the example needs, separated by ``;``:

- ``needs dataset`` / ``needs nb101``: the Accel-NASBench or NAS-Bench-101 data (skipped, with
  the reason, where the data is missing);
- ``small "A" -> "B"``: run with ``A`` replaced by ``B``, a long run shortened (the page says so
  beside the block);
- ``plugin FOLDER NAME METRIC``: the measurements in ``FOLDER`` (relative to the repository)
  turned into a device plugin by ``anb adapt`` and installed where the example's interpreter
  finds it, as ``pip install ./anb-device-NAME`` would;
- ``continues``: the page's previous example runs first, in the same interpreter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO, require_nb101, NB101_NASLIB

PAGES = [REPO / "README.md", *sorted(p for p in (REPO / "docs").rglob("*.md") if "_hooks" not in p.parts),
         *sorted((REPO / "anb").rglob("*.py")), *sorted((REPO / "configurationspaces").rglob("*.py"))]
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
DIRECTIVE = re.compile(r"<!--\s*example:(.*?)-->", re.S)
REPLACEMENT = re.compile(r'^small\s+"(.*)"\s*->\s*"(.*)"$')
TIMEOUT = 900


@dataclass
class Example:
    page: Path
    line: int
    code: str
    needs: set[str] = field(default_factory=set)
    replacements: list[tuple[str, str]] = field(default_factory=list)
    plugins: list[tuple[str, str, str]] = field(default_factory=list)
    previous: Example | None = None

    @property
    def id(self) -> str:
        page = self.page.relative_to(REPO) if self.page.is_relative_to(REPO) else self.page
        return f"{page}:{self.line}"

    def source(self) -> str:
        code = self.code
        for old, new in self.replacements:
            if old not in code:
                raise AssertionError(f"{self.id}: 'small' replaces {old!r}, which the example does not hold")
            code = code.replace(old, new)
        return (self.previous.source() + "\n" if self.previous else "") + code


def parse_directive(text: str, example: Example) -> None:
    for part in filter(None, (part.strip() for part in text.split(";"))):
        words = part.split()
        if words[0] == "needs" and len(words) == 2 and words[1] in ("dataset", "nb101"):
            example.needs.add(words[1])
        elif words[0] == "small" and (match := REPLACEMENT.match(part)):
            example.replacements.append(match.groups())
        elif words[0] == "plugin" and len(words) == 4:
            example.plugins.append(tuple(words[1:]))
        elif part == "continues":
            example.needs.add("continues")
        else:
            raise ValueError(f"{example.id}: unknown example directive {part!r}; allowed: 'needs dataset', "
                             "'needs nb101', 'small \"A\" -> \"B\"', 'plugin FOLDER NAME METRIC', 'continues'")


def examples_of(page: Path) -> list[Example]:
    lines = page.read_text().splitlines()
    found: list[Example] = []
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, language, start = match.group(1), match.group(2), index
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            index += 1
        if language == "python":
            example = Example(page, start + 1, textwrap.dedent("\n".join(lines[start + 1:index])))
            above = start - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            if above >= 0 and lines[above].rstrip().endswith("-->"):
                first = above
                while "<!--" not in lines[first]:
                    first -= 1
                directive = DIRECTIVE.search("\n".join(lines[first:above + 1]))
                if directive:
                    parse_directive(directive.group(1), example)
            if "continues" in example.needs:
                if not found:
                    raise ValueError(f"{example.id}: 'continues', but it is the page's first example")
                example.previous = found[-1]
            found.append(example)
        index += 1
    return found


EXAMPLES = [example for page in PAGES for example in examples_of(page)]


def test_the_readme_the_guide_and_the_docstrings_have_examples():
    pages = {example.page.relative_to(REPO).as_posix() for example in EXAMPLES}
    assert "README.md" in pages
    assert {"docs/guide/querying.md", "docs/guide/searching.md", "docs/guide/new-device.md"} <= pages
    assert {"anb/surrogates/ensemble.py", "anb/search/optuna_adapter.py"} <= pages


def all_needs(example: Example) -> set[str]:
    return example.needs | (all_needs(example.previous) if example.previous else set())


def all_plugins(example: Example) -> list[tuple[str, str, str]]:
    return example.plugins + (all_plugins(example.previous) if example.previous else [])


def install_plugin(folder: str, name: str, metric: str, site: Path, work: Path, env: dict) -> None:
    """``anb adapt`` on the measurements, then the plugin installed into ``site`` (on PYTHONPATH)."""
    anb = [sys.executable, "-c", "import sys; from anb.cli import main; sys.exit(main(sys.argv[1:]))"]
    subprocess.run([*anb, "adapt", "--measurements", str(REPO / folder), "--name", name, "--metric", metric],
                   cwd=work, env=env, check=True, capture_output=True, timeout=TIMEOUT)
    project = work / f"anb-device-{name}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(project)], cwd=work, env=env, check=True, capture_output=True,
                   timeout=TIMEOUT)


def run_example(example: Example, tmp_path: Path) -> subprocess.CompletedProcess:
    """The example in a fresh interpreter, from an empty folder."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "default"}
    plugins = all_plugins(example)
    if plugins:
        site = tmp_path / "site"
        for folder, name, metric in plugins:
            install_plugin(folder, name, metric, site, tmp_path, env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    work = tmp_path / "work"
    work.mkdir()
    script = work / "example.py"
    script.write_text(example.source() + "\n")
    return subprocess.run([sys.executable, script.name], cwd=work, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_example_runs(example: Example, tmp_path, request):
    needs = all_needs(example)
    if "dataset" in needs:
        request.getfixturevalue("dataset_archive")
    if "nb101" in needs:
        require_nb101(NB101_NASLIB)
    done = run_example(example, tmp_path)
    assert done.returncode == 0, (f"{example.id} failed (run it: cd {tmp_path / 'work'} && python example.py)"
                                  f"\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def test_directives_shorten_chain_and_refuse_what_they_do_not_know(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('```python\nx = 41\n```\n\n<!-- example: continues;\n  small "1 ==" -> "0 ==" -->\n\n'
                    '```python\nassert x + 1 == 42\n```\n')
    first, second = examples_of(page)
    assert second.previous is first and second.source() == "x = 41\nassert x + 0 == 42"
    failed = run_example(second, tmp_path)
    assert failed.returncode != 0 and "AssertionError" in failed.stderr
    page.write_text("<!-- example: needs internet -->\n```python\npass\n```\n")
    with pytest.raises(ValueError, match="unknown example directive 'needs internet'"):
        examples_of(page)

"""The documentation site: built with ``mkdocs build --strict`` (a broken link, a missing page or
an unresolved reference fails), then served on localhost and opened in headless Chromium, whose
screenshots and rendered DOM show that the pages render: a title, the navigation, the API
reference's signatures, and no raw Markdown."""

from __future__ import annotations

import functools
import html
import os
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO

pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1280,900", "--virtual-time-budget=5000"]
RAW_MARKDOWN = [re.compile(pattern, re.M) for pattern in (
    r"^\s*#{1,6} \S",          # a heading left as text
    r"```",                     # a fence left as text
    r"^:::",                    # a mkdocstrings directive not expanded
    r"\]\([^)\s]+\.md\)",       # a Markdown link left as text
    r":(mod|class|func|meth|attr|data|obj):",  # a Sphinx role mkdocstrings does not read
    r"``\w",                    # reST literal left as text
)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=REPO,
                           capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr[-5000:]}"
    return out


def test_the_site_builds_strictly_with_every_page_of_the_navigation(site):
    for page in ("index.html", "guide/querying/index.html", "guide/new-device/index.html",
                 "results/optimizers/index.html", "api/anb/index.html", "api/search/index.html",
                 "api/optimum/index.html", "api/devices/index.html", "api/configurationspaces/index.html",
                 "api/cli/index.html"):
        assert (site / page).is_file(), page


def test_the_command_line_reference_is_written_from_the_parser(site):
    from anb.cli import build_parser

    page = html.unescape((site / "api/cli/index.html").read_text())
    assert build_parser().format_usage().split()[1] in page
    for command in ("measure", "adapt", "optimum", "query", "release"):
        assert f"anb {command}" in page and f"usage: anb {command}" in page


def test_a_broken_link_fails_the_strict_build(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [a page that is not there](missing.md).\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nstrict: true\ntheme:\n  name: material\n  font: false\n")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=300)
    assert built.returncode != 0 and "missing.md" in built.stderr


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("no headless Chromium: apt-get install chromium (.ci/run installs it)")


def render(chromium: str, url: str, profile: Path, screenshot: Path) -> str:
    """The page's DOM after its scripts ran, and a screenshot of it."""
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    subprocess.run([*common, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    dumped = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    return dumped.stdout


def visible_text(dom: str) -> str:
    """The text a reader sees: without scripts, styles, code blocks and tags."""
    dom = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "\n", dom))


def check_screenshot(path: Path) -> None:
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (900, 1280)
    grey = pixels[..., :3].mean(axis=2)
    # A rendered page: mostly light background, with enough dark text and the coloured header.
    assert np.mean(grey > 0.9) > 0.4, "the page is not mostly light background"
    assert np.mean(grey < 0.5) > 0.01, "no text drawn"
    assert np.std(pixels[..., :3]) > 0.1


@pytest.mark.parametrize("page, title, must_show", [
    ("", "anb", ["Surrogate benchmarks", "The first query", "Headline figures"]),
    ("api/anb/", "anb", ["ANBEnsemble", "query"]),
])
def test_pages_render_in_headless_chromium(served, chromium, tmp_path, page, title, must_show):
    screenshot = tmp_path / "page.png"
    dom = render(chromium, f"{served}/{page}", tmp_path / "profile", screenshot)
    check_screenshot(screenshot)
    page_title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert title in html.unescape(page_title)
    assert 'class="md-nav' in dom, "no navigation rendered"
    text = visible_text(dom)
    for label in ("User guide", "API reference", "Querying", "A new device"):
        assert label in text, f"navigation lacks {label!r}"
    for phrase in must_show:
        assert phrase in text, f"{phrase!r} not shown on /{page}"
    for pattern in RAW_MARKDOWN:
        found = pattern.search(text)
        assert not found, f"raw markup {found.group(0)!r} on /{page}"
    if page.startswith("api/"):
        assert 'class="doc doc-heading' in dom or "doc-heading" in dom, "no API entry rendered"
        assert "doc-signature" in dom, "no rendered signature"

"""The python blocks of the docs pages that need only the core and the example plugin.

See ``docs_snippets.py`` beside this file for the rules: blocks of a page run in order
in one namespace; a block after ``<!-- no-test: reason -->`` is reported as skipped.
The pages that need the repository's plugins run in ``tests/test_docs_snippets.py``.
"""

import importlib.util
import sys
from pathlib import Path

import pytest


def _load_helper():
    path = Path(__file__).with_name("docs_snippets.py")
    if "docs_snippets" not in sys.modules:  # one copy, whichever test file loads it
        spec = importlib.util.spec_from_file_location("docs_snippets", path)
        sys.modules["docs_snippets"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["docs_snippets"])
    return sys.modules["docs_snippets"]


docs = _load_helper()


@pytest.fixture(autouse=True)
def _quiet_and_isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets that save write here
    monkeypatch.setenv("MORPHOSPACE_PROGRESS", "0")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")


def test_every_page_with_python_blocks_is_run_somewhere():
    assert docs.unassigned_pages() == [], (
        "add these pages to CORE_PAGES or CROSS_PAGES in core/tests/docs_snippets.py"
    )


def test_no_test_markers_precede_a_python_block():
    """A marker before a non-python block (or none) would silently mark nothing."""
    for page in (*docs.CORE_PAGES, *docs.CROSS_PAGES):
        lines = (docs.ROOT / page).read_text(encoding="utf-8").splitlines()
        blocks = {s.line for s in docs.snippets(page)}
        for number, line in enumerate(lines, 1):
            if docs._NO_TEST.match(line) or docs._NEEDS.match(line):
                following = next(
                    (n for n in range(number + 1, len(lines) + 1) if lines[n - 1].strip()), None
                )
                assert following in blocks, f"{page}:{number}: marker before no python block"


@pytest.mark.parametrize("page", [p for p in docs.CORE_PAGES if docs.snippets(p)])
def test_page_snippets_run(page):
    docs.run_page(page)


@pytest.mark.parametrize(
    "snippet",
    [pytest.param(s, id=s.id) for p in docs.CORE_PAGES for s in docs.snippets(p) if s.skip],
)
def test_marked_snippet(snippet):
    pytest.skip(f"{snippet.id} not run: {snippet.skip}")

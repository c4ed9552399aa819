"""The python blocks of README.md and the docs pages that use the repository's plugins.

Runs in the cross environment (every plugin installed). The rules, and the pages that
need only the core, are in ``core/tests/docs_snippets.py``.
"""

import importlib.util
import sys
from pathlib import Path

import pytest


def _load_helper():
    path = Path(__file__).resolve().parents[1] / "core" / "tests" / "docs_snippets.py"
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


@pytest.mark.parametrize("page", [p for p in docs.CROSS_PAGES if docs.snippets(p)])
def test_page_snippets_run(page):
    docs.run_page(page)


@pytest.mark.parametrize(
    "snippet",
    [pytest.param(s, id=s.id) for p in docs.CROSS_PAGES for s in docs.snippets(p) if s.skip],
)
def test_marked_snippet(snippet):
    pytest.skip(f"{snippet.id} not run: {snippet.skip}")

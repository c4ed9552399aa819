"""Run the ```python blocks of README.md and docs/*.md, so a drifting snippet fails CI.

The blocks of one page run in order in one module namespace, as a reader pasting them
into one session would run them, in a temporary working directory. A block that
cannot run in a test (hours of training, the reader's own files) is marked by an HTML
comment on the line before its fence, which mkdocs does not render::

    <!-- no-test: trains for an hour -->
    ```python
    ...

A block that needs an optional package runs only where it is installed
(``<!-- needs: torch -->``). Each block not run becomes a skipped test named after its
page and line, with the reason, so ``pytest -ra`` lists every block that is not run. Pages are split between
two environments: :data:`CORE_PAGES` need only morphospace-core and the example plugin
(``core/tests``), :data:`CROSS_PAGES` the repository's plugins (``tests/``, the cross
environment). A page with python blocks in neither list fails :func:`unassigned_pages`.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Pages whose snippets need only the core and tests/example_plugin.
CORE_PAGES = (
    "docs/plugin-guide.md",
    "docs/core.md",
    "docs/pipelines.md",
    "docs/api.md",
    "docs/scale.md",
)
#: Pages whose snippets need the repository's plugins (the cross environment).
CROSS_PAGES = (
    "README.md",
    "docs/index.md",
    "docs/getting-started.md",
    "docs/concepts.md",
    "docs/dmlcluster.md",
    "docs/hypervae.md",
    "docs/drl.md",
    "docs/phendiff.md",
    "docs/diffkillr.md",
)

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
_NO_TEST = re.compile(r"^\s*<!--\s*no-test\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")
_NEEDS = re.compile(r"^\s*<!--\s*needs:\s*(?P<modules>[\w., ]+?)\s*-->\s*$")


@dataclass(frozen=True)
class Snippet:
    """One ```python block: its page, the line of its opening fence, its code."""

    page: str
    line: int
    code: str
    skip: str | None = None  #: why it is not run, from its ``no-test`` marker

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def snippets(page: str) -> list[Snippet]:
    """Every python block of ``page`` (a path relative to the repository root)."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = len(match["indent"]), match["fence"]
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            text = lines[i]
            body.append(text[indent:] if text[:indent].strip() == "" else text.lstrip())
            i += 1
        i += 1
        if match["lang"] != "python":
            continue
        previous = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marker, needs = _NO_TEST.match(previous), _NEEDS.match(previous)
        skip = (marker["reason"] or "marked no-test") if marker else None
        if needs:
            missing = [m for m in re.split(r"[, ]+", needs["modules"]) if not _importable(m)]
            skip = f"needs {', '.join(missing)}, not installed here" if missing else None
        found.append(Snippet(page, start + 1, "\n".join(body) + "\n", skip))
    return found


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def unassigned_pages() -> list[str]:
    """Pages with python blocks that neither environment runs."""
    pages = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
    assigned = set(CORE_PAGES) | set(CROSS_PAGES)
    return [p for p in pages if p not in assigned and snippets(p)]


def run_page(page: str) -> list[Snippet]:
    """Execute the page's unmarked blocks in order in one namespace; return the skipped.

    Line numbers in a traceback are the page's: each block is compiled at its offset.
    """
    name = "docs_snippet_" + re.sub(r"\W", "_", page)
    module = types.ModuleType(name)  # a real module, so dataclasses and pydantic resolve
    module.__file__ = str(ROOT / page)
    sys.modules[name] = module
    skipped = []
    try:
        for snippet in snippets(page):
            if snippet.skip is not None:
                skipped.append(snippet)
                continue
            code = compile("\n" * snippet.line + snippet.code, str(ROOT / page), "exec")
            exec(code, module.__dict__)
    finally:
        sys.modules.pop(name, None)
        _close_figures()
    return skipped


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def page_tests(pages: tuple[str, ...]) -> dict:
    """The tests a test module runs for ``pages``: ``globals().update(page_tests(...))``.

    One isolating fixture (a temporary working folder, quiet progress, offline), one
    test per page that runs its blocks, one skipped test per marked block.
    """
    import pytest

    @pytest.fixture(autouse=True)
    def _quiet_and_isolated(tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)  # snippets that save write here
        monkeypatch.setenv("MORPHOSPACE_PROGRESS", "0")
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("MPLBACKEND", "Agg")

    @pytest.mark.parametrize("page", [p for p in pages if snippets(p)])
    def test_page_snippets_run(page):
        run_page(page)

    marked = [pytest.param(s, id=s.id) for p in pages for s in snippets(p) if s.skip]

    @pytest.mark.parametrize("snippet", marked)
    def test_marked_snippet(snippet):
        pytest.skip(f"{snippet.id} not run: {snippet.skip}")

    return {
        "_quiet_and_isolated": _quiet_and_isolated,
        "test_page_snippets_run": test_page_snippets_run,
        "test_marked_snippet": test_marked_snippet,
    }

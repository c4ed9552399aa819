"""The python blocks of the docs pages that need only the core and the example plugin.

See ``docs_snippets.py`` beside this file for the rules: blocks of a page run in order
in one namespace; a block after ``<!-- no-test: reason -->`` is reported as skipped.
The pages that need the repository's plugins run in ``tests/test_docs_snippets.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the shared helper beside this file
import docs_snippets as docs

globals().update(docs.page_tests(docs.CORE_PAGES))


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

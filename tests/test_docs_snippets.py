"""The python blocks of README.md and the docs pages that use the repository's plugins.

Runs in the cross environment (every plugin installed). The rules, and the pages that
need only the core, are in ``core/tests/docs_snippets.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "tests"))
import docs_snippets as docs

globals().update(docs.page_tests(docs.CROSS_PAGES))

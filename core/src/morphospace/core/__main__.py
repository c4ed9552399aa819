"""``python -m morphospace.core`` is the ``morphospace`` command."""

from morphospace.core.cli import main

main()

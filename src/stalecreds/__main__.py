"""``python -m stalecreds``: the same as the ``stalecreds`` command."""

from stalecreds.cli import main

main()

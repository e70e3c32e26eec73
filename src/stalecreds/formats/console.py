"""A rich console for output that may go to a pipe whose reader stops early."""

from __future__ import annotations

from typing import IO

from rich.console import Console


class PipeConsole(Console):
    """A rich console that lets a closed pipe surface as ``BrokenPipeError``.

    rich's default exits the process with code 1; the CLI instead stops writing and ends with
    the command's own exit code (``stalecreds scan | head``).
    """

    def on_broken_pipe(self) -> None:
        """Stop writing and raise ``BrokenPipeError`` for the caller to handle."""
        self.quiet = True
        raise BrokenPipeError


def text_console(out: IO[str], kind: type[Console] = PipeConsole) -> Console:
    """A console of ``kind`` writing plain text (no markup or highlighting) to ``out``.

    140 columns wide unless ``out`` is a terminal, which sets its own width.
    """
    return kind(file=out, width=None if out.isatty() else 140, highlight=False, markup=False)

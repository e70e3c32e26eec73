"""The rich consoles of the text views: their width, their colour, and a pipe's early reader.

Width: a terminal sets its own (rich reads it, and ``COLUMNS`` when set); output to a pipe or a
file is :data:`PIPE_WIDTH` columns wide unless ``COLUMNS`` says otherwise, and never narrower
than :data:`MIN_WIDTH`. Colour: only on a terminal, unless the command line chose
(``--color``/``--no-color``, see :func:`use_color`); ``NO_COLOR`` (any non-empty value) turns it
off, as https://no-color.org asks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

from rich.console import Console

PIPE_WIDTH = 140
"""Columns of text written to a pipe or a file when ``COLUMNS`` is not set."""

MIN_WIDTH = 40
"""The narrowest a view is laid out for; a smaller ``COLUMNS`` counts as this."""

_color: bool | None = None


def use_color(choice: bool | None) -> None:
    """Colour every text view from now on (``True``), never (``False``), or on terminals only.

    ``None`` (the default) colours only output to a terminal, and not when ``NO_COLOR`` is set.
    The command line calls this once per run with ``--color``/``--no-color``.
    """
    global _color
    _color = choice


class PipeConsole(Console):
    """A rich console that lets a closed pipe surface as ``BrokenPipeError``.

    rich's default exits the process with code 1; the CLI instead stops writing and ends with
    the command's own exit code (``stalecreds scan | head``).
    """

    def on_broken_pipe(self) -> None:
        """Stop writing and raise ``BrokenPipeError`` for the caller to handle."""
        self.quiet = True
        raise BrokenPipeError


def output_width(out: IO[str], environ: Mapping[str, str] = os.environ) -> int | None:
    """The width in columns to lay ``out`` out for; ``None`` lets rich ask the terminal.

    ``COLUMNS`` (a positive whole number) wins, for terminals and pipes alike; then a terminal's
    own size; then :data:`PIPE_WIDTH`. Never below :data:`MIN_WIDTH`.
    """
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    if out.isatty():
        return None
    return PIPE_WIDTH


def text_console(out: IO[str], kind: type[Console] = PipeConsole) -> Console:
    """A console of ``kind`` writing plain text (no markup or highlighting) to ``out``.

    Its width is :func:`output_width`; lines are wrapped to it, never cropped.
    """
    options: dict[str, Any] = {}
    if _color is True:
        options.update(force_terminal=True, no_color=False)
    elif _color is False:
        options.update(color_system=None)
    console = kind(file=out, width=output_width(out), highlight=False, markup=False, **options)
    if console.width < MIN_WIDTH:  # a tiny terminal
        console.width = MIN_WIDTH
    return console

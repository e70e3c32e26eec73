"""Output formats. Each renders a scan (anything shaped like :class:`ScanOutput`) to a text stream.

``table`` is for people; ``json`` is the stable contract (``schema_version``); ``csv`` has one row
per credential with the same fields as the JSON ``credentials`` objects.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TextIO

from stalecreds.formats.base import ScanOutput

Renderer = Callable[[ScanOutput, TextIO], None]
"""Renders a scan to a text stream. Consumes the scan's iterator exactly once."""


class OutputFormat(enum.StrEnum):
    """The ``--format`` choices."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"

    @property
    def streams(self) -> bool:
        """True when the format writes while the report is still being read."""
        return self is not OutputFormat.TABLE

    def renderer(self) -> Renderer:
        """The function that renders this format (imported on demand to keep start-up fast)."""
        if self is OutputFormat.TABLE:
            from stalecreds.formats.table import render_table

            return render_table
        if self is OutputFormat.JSON:
            from stalecreds.formats.json import render_json

            return render_json
        from stalecreds.formats.csv import render_csv

        return render_csv


__all__ = ["OutputFormat", "Renderer", "ScanOutput"]

"""Output formats. Each renders a scan (anything shaped like :class:`ScanOutput`) to a text stream.

``table`` is for people; ``json`` is the stable contract (``schema_version``); ``csv`` has one row
per credential with the same fields as the JSON ``credentials`` objects. ``markdown`` is a
summary for tickets and pull-request comments; ``html`` is one self-contained report file with
charts and a table that sorts and filters. ``asff`` (AWS Security Finding Format, for Security
Hub) and ``ocsf`` (OCSF Detection Finding events) hold only the findings.

Beside the scan formats: :mod:`~stalecreds.formats.plan_view` (plans, apply and undo results),
:mod:`~stalecreds.formats.history_view` (``stalecreds history``) and
:mod:`~stalecreds.formats.merge` (JSON results of several runs as one).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TextIO, assert_never

from stalecreds.formats.base import ScanOutput

Renderer = Callable[[ScanOutput, TextIO], None]
"""Renders a scan to a text stream. Consumes the scan's iterator exactly once."""


class OutputFormat(enum.StrEnum):
    """The ``--format`` choices."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
    ASFF = "asff"
    OCSF = "ocsf"

    @property
    def streams(self) -> bool:
        """True when the format writes while the report is still being read.

        ``table``, ``markdown`` and ``html`` read every assessment first: they open with the
        counts and group or chart the rows.
        """
        return self not in _COLLECTING

    def renderer(self) -> Renderer:
        """The function that renders this format (imported on demand to keep start-up fast)."""
        if self is OutputFormat.TABLE:
            from stalecreds.formats.table import render_table

            return render_table
        if self is OutputFormat.JSON:
            from stalecreds.formats.json import render_json

            return render_json
        if self is OutputFormat.CSV:
            from stalecreds.formats.csv import render_csv

            return render_csv
        if self is OutputFormat.MARKDOWN:
            from stalecreds.formats.markdown import render_markdown

            return render_markdown
        if self is OutputFormat.HTML:
            from stalecreds.formats.html import render_html

            return render_html
        if self is OutputFormat.ASFF:
            from stalecreds.formats.asff import render_asff

            return render_asff
        if self is OutputFormat.OCSF:
            from stalecreds.formats.ocsf import render_ocsf

            return render_ocsf
        assert_never(self)


_COLLECTING = frozenset({OutputFormat.TABLE, OutputFormat.MARKDOWN, OutputFormat.HTML})
"""Formats that read the whole scan before writing."""


__all__ = ["OutputFormat", "Renderer", "ScanOutput"]

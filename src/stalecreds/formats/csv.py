"""CSV: one row per credential, the columns of :data:`~stalecreds.formats.base.RECORD_FIELDS`.

Booleans are ``true``/``false``; missing values are empty; ``finding_rules`` is joined with
``;``. Written as the report is read.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

from stalecreds.formats.base import RECORD_FIELDS, ScanOutput, record


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return value


def render_csv(scan: ScanOutput, out: TextIO) -> None:
    """Write ``scan`` as CSV (header first) to ``out``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RECORD_FIELDS)
    as_of = scan.as_of
    for assessment in scan:
        writer.writerow([_cell(value) for value in record(assessment, as_of).values()])

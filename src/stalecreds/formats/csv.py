"""CSV: one row per credential, the columns of :data:`~stalecreds.formats.base.RECORD_FIELDS`.

Booleans are ``true``/``false``; missing values are empty; ``finding_rules`` is joined with
``;``. Written as the report is read.

Formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, TAB or CR (IAM user
names may hold ``+=,.@_-``, tag values almost anything) would be run as a formula by a
spreadsheet; it is written with a single quote in front, as OWASP recommends ("CSV Injection").
The JSON keeps the raw value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TextIO

from stalecreds.formats.base import RECORD_FIELDS, ScanOutput, encoded_records, record
from stalecreds.rules.assessment import Assessment

_BATCH = 2000
"""Credentials encoded per piece of text."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP)."""


def neutralised(text: str) -> str:
    """``text`` for a CSV cell: with a ``'`` in front when it begins like a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


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
        return neutralised(";".join(str(item) for item in value))
    if isinstance(value, str):
        return neutralised(value)
    return value


def encode_rows(assessments: Iterable[Assessment], as_of: datetime) -> Iterator[str]:
    """The CSV rows of ``assessments``, in pieces of up to :data:`_BATCH` rows.

    A :data:`~stalecreds.formats.base.RecordEncoder`.
    """
    batch: list[list[object]] = []
    for assessment in assessments:
        batch.append([_cell(value) for value in record(assessment, as_of).values()])
        if len(batch) == _BATCH:
            yield _rows_text(batch)
            batch.clear()
    if batch:
        yield _rows_text(batch)


def _rows_text(rows: list[list[object]]) -> str:
    """``rows`` as CSV text; a row with a carriage return in a cell has every cell quoted.

    Python's writer quotes only what the line terminator (LF) holds, so a bare CR (which
    spreadsheets take for a line end) would split the row.
    """
    piece = io.StringIO()
    csv.writer(piece, lineterminator="\n").writerows(rows)
    text = piece.getvalue()
    if "\r" not in text:
        return text
    piece = io.StringIO()
    plain = csv.writer(piece, lineterminator="\n")
    quoted = csv.writer(piece, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        crs = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (quoted if crs else plain).writerow(row)
    return piece.getvalue()


def render_csv(scan: ScanOutput, out: TextIO) -> None:
    """Write ``scan`` as CSV (header first) to ``out``."""
    csv.writer(out, lineterminator="\n").writerow(RECORD_FIELDS)
    for piece in encoded_records(scan, encode_rows):
        out.write(piece)

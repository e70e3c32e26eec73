"""The JSON document: the stable, versioned contract (``schema_version``).

Shape::

    {
      "schema_version": 1,
      "tool": {"name": "stalecreds", "version": "0.1.0"},
      "as_of": "2026-11-30T08:00:00+00:00",
      "max_age_days": {"password": 90, "access_key": 90},
      "source": {"type": "credential_report", "file": "report.csv", "format": "csv",
                 "generated_time": null},
      "credentials": [
        {one object per credential, keys as in RECORD_FIELDS},
        ...
      ],
      "accounts": [{"account_id", "name", "status", "users", "credentials", "findings",
                    "error": {"step", "action", "code", "message"} | null}, ...],
                        (only for scans of several accounts or report files)
      "summary": {"users": 21, "credentials": 35, "findings": 7, ...},
      "warnings": [{"line": 10, "message": "..."}],
      "warnings_omitted": 0
    }

``source.type`` is ``iam_api`` for ``--source api`` (ListUsers and friends, no report), else
``credential_report``. Times are ISO 8601 in UTC with a ``+00:00`` offset. Credentials are
written one per line while the report is read, so memory stays flat for reports of any size.
Encoding is orjson's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TextIO

import orjson

from stalecreds import __version__
from stalecreds.formats.base import SCHEMA_VERSION, ScanOutput, encoded_records, record
from stalecreds.rules.assessment import Assessment

_BATCH = 2000
"""Credentials encoded per write to the output stream."""
_SEPARATOR = ",\n    "
"""What precedes each credential in the ``credentials`` array, except the first (no comma)."""


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def encode_records(assessments: Iterable[Assessment], as_of: datetime) -> Iterator[str]:
    """The ``credentials`` array items of ``assessments``, in pieces of up to :data:`_BATCH`.

    Each item is preceded by :data:`_SEPARATOR` (a comma and the next line's indent): the writer
    of the array drops the first comma. A :data:`~stalecreds.formats.base.RecordEncoder`.
    """
    dumps = orjson.dumps
    # Each record is decoded as soon as it is encoded: orjson's result holds a 4 KiB buffer, and
    # keeping a batch of those alive costs more than the encoding itself.
    batch: list[str] = []
    for assessment in assessments:
        batch.append(dumps(record(assessment, as_of)).decode())
        if len(batch) >= _BATCH:
            yield _SEPARATOR + _SEPARATOR.join(batch)
            batch.clear()
    if batch:
        yield _SEPARATOR + _SEPARATOR.join(batch)


def render_json(scan: ScanOutput, out: TextIO) -> None:
    """Write the JSON document for ``scan`` to ``out``."""
    source = scan.source
    head = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "stalecreds", "version": __version__},
        "as_of": scan.as_of,
        "max_age_days": {
            "password": scan.thresholds.password_days,
            "access_key": scan.thresholds.access_key_days,
        },
        "source": {
            "type": "iam_api" if source.format == "iam-api" else "credential_report",
            "file": source.name,
            "format": source.format,
            "generated_time": source.generated_time,
        },
    }
    out.write("{\n")
    for key, value in head.items():
        out.write(f'  "{key}": {_dumps(value)},\n')
    out.write('  "credentials": [')
    wrote_any = False
    for piece in encoded_records(scan, encode_records):
        out.write(piece if wrote_any else piece[1:])  # the first credential has no comma
        wrote_any = True
    out.write("\n  ],\n" if wrote_any else "],\n")
    account_rows = getattr(scan, "account_rows", None)
    if account_rows is not None:
        out.write(f'  "accounts": {_dumps(account_rows())},\n')
    warnings = [{"line": w.line, "message": w.message} for w in scan.warnings.items]
    out.write(f'  "summary": {_dumps(scan.summary.as_dict())},\n')
    out.write(f'  "warnings": {_dumps(warnings)},\n')
    out.write(f'  "warnings_omitted": {scan.warnings.dropped}\n')
    out.write("}\n")

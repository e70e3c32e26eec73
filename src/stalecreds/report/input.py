"""Open a credential report from a file or standard input, as CSV or as AWS CLI JSON.

Two shapes are accepted, told apart by the first non-blank character:

* the CSV itself (console "Download Report", or ``Content`` decoded), read line by line so
  that a report of a million rows is never held in memory whole;
* the JSON that ``aws iam get-credential-report`` prints: ``Content`` (base64 CSV, S5),
  ``ReportFormat`` (``text/csv``) and ``GeneratedTime``. Test fixtures that carry plain CSV in
  ``Content`` are accepted too.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from stalecreds.errors import InputError
from stalecreds.files import MIB, regular_file_size, too_large
from stalecreds.timestamps import parse_time

REPORT_MAX_BYTES = 1024 * MIB
"""The largest credential report read: 1,000,000 rows take about 240 MB as CSV and 320 MB as
the AWS CLI's JSON (base64). A bigger input is refused before it is read."""
MAX_LINE_BYTES = 1 * MIB
"""The longest CSV line read from a pipe or device (a report's lines are under 1 KiB)."""
_WHAT = "a credential report"

STDIN_NAME = "<stdin>"
"""How standard input is named in messages and in the JSON ``source.file`` field."""


@dataclass(frozen=True, slots=True)
class ReportSource:
    """Where a report came from.

    ``name`` is a path or ``<stdin>`` for a file (``format`` ``csv`` or ``aws-cli-json``), or
    says what was scanned otherwise (``iam-credential-report``, ``iam-api``, ``folder``,
    ``multi-account``); ``generated_time`` is the report's ``GeneratedTime`` (aware UTC), or
    ``None`` when the input does not say, as for a bare CSV. ``modified`` is the file's
    modification time (aware UTC) when it was read from a ``--report`` folder, else ``None``.
    """

    name: str
    format: str
    generated_time: datetime | None = None
    modified: datetime | None = None

    @property
    def report_time(self) -> datetime | None:
        """When the report was made: ``generated_time``, else ``modified``, else ``None``."""
        return self.generated_time or self.modified

    @property
    def is_file(self) -> bool:
        """True when the report was read from a file or standard input."""
        return self.format in ("csv", "aws-cli-json")

    @property
    def title(self) -> str:
        """A heading for outputs, naming where the scan's evidence came from.

        ``Credential report <name>`` for a file, ``Report folder <name>`` for a folder (a path
        keeps its case), else the name with a capital (``Credential report of account …``).
        """
        if self.is_file:
            return f"Credential report {self.name}"
        if self.format == "folder":
            return f"Report folder {self.name}"
        return self.name[:1].upper() + self.name[1:]

    @property
    def label(self) -> str:
        """The name used in error messages for the report's CSV lines."""
        return f"{self.name} (Content)" if self.format == "aws-cli-json" else self.name


def _nul_error(source: str, number: int, text: str) -> InputError:
    # UTF-16 (PowerShell's ">" writes it) puts a NUL beside every ASCII character.
    utf16 = text.startswith(("\ufffd\ufffd", "\ufeff")) or 2 * text.count("\x00") >= len(text) - 2
    return InputError(
        source,
        "UTF-16 text (as PowerShell's '>' writes it): save the report as UTF-8"
        if utf16
        else "a NUL byte: this is binary data, not a credential report",
        line=number,
        column=text.index("\x00") + 1,
    )


def _text_lines(text: str, source: str) -> Iterator[str]:
    """The lines of decoded report text, split only at CSV line ends; NUL is an error."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if "\x00" in line:
            raise _nul_error(source, number, line)
        yield line


def decoded_lines(raw_lines: Iterable[bytes], source: str, first_line: int = 1) -> Iterator[str]:
    """Decode UTF-8 lines (dropping a BOM on line 1), raising a located error on bad bytes or NUL.

    ``raw_lines`` are a report's lines from line number ``first_line`` on; ``source`` names the
    report in errors (:class:`InputError`).
    """
    for number, raw in enumerate(raw_lines, start=first_line):
        if b"\x00" in raw:
            raise _nul_error(source, number, raw.decode("utf-8", errors="replace"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            column = len(raw[: error.start].decode("utf-8", errors="replace")) + 1
            raise InputError(
                source,
                f"byte 0x{raw[error.start]:02x} is not UTF-8 text; expected a credential "
                "report (CSV) or the JSON of 'aws iam get-credential-report'",
                line=number,
                column=column,
            ) from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield text


def _bounded_lines(stream: IO[bytes], name: str, limit: int) -> Iterator[bytes]:
    """The lines of a pipe or device: at most ``limit`` bytes in all.

    CSV lines are at most :data:`MAX_LINE_BYTES` each; once the first line that is not blank
    opens a JSON document (``{``), lines may run to ``limit``.
    """
    total = 0
    number = 0
    seen_text = json_document = False
    while True:
        cap = limit - total if json_document else min(MAX_LINE_BYTES, limit - total)
        line = stream.readline(cap + 1)
        if not line:
            return
        total += len(line)
        number += 1
        if total > limit:
            raise too_large(name, _WHAT, limit)
        if not seen_text and line.strip(_BLANK):
            seen_text = True
            json_document = line.lstrip(_BLANK).startswith(b"{")
        if not json_document and len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            raise InputError(
                name,
                f"a line longer than {MAX_LINE_BYTES // MIB} MiB: not a credential report",
                line=number,
            )
        yield line


_BLANK = b" \t\r\n\xef\xbb\xbf"
"""Bytes that may come before the first character of a report: white space and a BOM."""


def read_report(
    stream: IO[bytes], name: str, *, limit: int = REPORT_MAX_BYTES
) -> tuple[Iterator[str], ReportSource]:
    """Open the report in ``stream`` (binary) and return its CSV lines and where it came from.

    CSV input is streamed; the lines are produced as the caller reads them, so decoding errors
    surface while iterating. At most ``limit`` bytes are read: a regular file is refused by its
    size before reading, a pipe or device (``/dev/zero``) once ``limit`` bytes (or a CSV line
    of :data:`MAX_LINE_BYTES`) are read. Raises :class:`InputError` for an input too large,
    empty, not UTF-8, or a JSON document that is not a credential report.
    """
    size = regular_file_size(stream)
    if size is not None and size > limit:
        raise too_large(name, _WHAT, limit)
    raw_lines = iter(stream) if size is not None else _bounded_lines(stream, name, limit)
    first_lines: list[bytes] = []
    for raw in raw_lines:
        first_lines.append(raw)
        if raw.strip(b" \t\r\n\xef\xbb\xbf"):
            break
    if not first_lines or not b"".join(first_lines).strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError(
            name, "the input is empty; expected a credential report (CSV) or its AWS CLI JSON"
        )
    if first_lines[-1].lstrip(b" \t\xef\xbb\xbf").startswith(b"{"):
        document = b"".join(itertools.chain(first_lines, raw_lines))
        if len(document) > limit:
            raise too_large(name, _WHAT, limit)
        return _from_cli_json(document, name)
    lines = decoded_lines(itertools.chain(first_lines, raw_lines), name)
    return lines, ReportSource(name=name, format="csv")


def _from_cli_json(document: bytes, name: str) -> tuple[Iterator[str], ReportSource]:
    try:
        data = json.loads(document.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputError(name, f"not UTF-8 text (byte offset {error.start})") from None
    except json.JSONDecodeError as error:
        raise InputError(
            name, f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None
    except RecursionError:
        raise InputError(
            name, "JSON nested too deeply; expected the output of 'aws iam get-credential-report'"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("Content"), str):
        raise InputError(
            name,
            "JSON without a 'Content' string; expected the output of "
            "'aws iam get-credential-report'",
        )
    report_format = data.get("ReportFormat", "text/csv")
    if report_format != "text/csv":
        raise InputError(name, f"ReportFormat is {report_format!r}; only 'text/csv' is known")
    generated = _generated_time(data.get("GeneratedTime"), name)
    content: str = data["Content"]
    try:
        # base64, possibly wrapped in lines (the AWS CLI does not wrap; the base64 tool does)
        text = base64.b64decode("".join(content.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        # Test fixtures carry the CSV itself: accept text whose first line has columns.
        if "," not in content.lstrip().split("\n", 1)[0]:
            raise InputError(
                name, "'Content' is neither base64 nor CSV text; expected a credential report"
            ) from None
        text = content
    source = ReportSource(name=name, format="aws-cli-json", generated_time=generated)
    return _text_lines(text.removeprefix("\ufeff"), source.label), source


def _generated_time(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            try:
                return parse_time(value)  # within the years 1970 to 9000
            except ValueError as error:
                raise InputError(name, f"GeneratedTime {error}") from None
        if parsed is not None:
            raise InputError(name, f"GeneratedTime {value!r} has no UTC offset")
    raise InputError(name, f"GeneratedTime {value!r} is not an ISO 8601 timestamp")

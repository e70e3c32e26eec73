"""Scan a large credential report file in two processes, with the output of a scan in one.

The parent process runs the ordinary scan (:class:`~stalecreds.report.scan.ReportScan`) from the top
of
the file. Meanwhile a forked child scans the second half, from the first line boundary after the
middle, and encodes its records into a temporary file. When the parent's scan reaches that line
at the start of a row, it takes the child's records, counts and warnings instead of reading on,
provided they are what reading on would have given:

* the child finished without an error;
* no user (ARN) appears in both halves, and no account ID that is not 12 digits does (these
  warnings depend on the rows before).

Otherwise the parent reads on itself and drops the child's work: a malformed row (the error is
the one reading on finds, at the same line and column), a line boundary inside a quoted field
(the parent's row then spans it), a user listed in both halves. So the output is the serial
scan's, byte for byte, for any input; only well-formed large reports are faster.

Only regular files of at least :data:`MIN_SPLIT_BYTES` are split, where ``fork`` is available:
a forked child starts in milliseconds with the parent's modules loaded. Standard input, the
bundled sample and the JSON of the AWS CLI are scanned in one process.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from stalecreds.report.credential_report import WarningLog
from stalecreds.report.input import ReportSource, decoded_lines
from stalecreds.report.scan import RecordEncoder, ReportScan, Summary
from stalecreds.rules.exemptions import Exemptions
from stalecreds.rules.verdicts import VerdictRules

if TYPE_CHECKING:
    from datetime import datetime
    from multiprocessing.connection import Connection

MIN_SPLIT_BYTES = 4 * 1024 * 1024
"""Files smaller than this (about 20,000 rows) are scanned in one process."""

_BLOCK = 1024 * 1024
"""Bytes read at a time while looking for the split, and while copying the child's records."""


@dataclass(frozen=True, slots=True)
class Split:
    """Where the second half of a report file starts.

    ``offset`` is the byte just after a line feed, ``line`` the number of the line there (1-based).
    """

    offset: int
    line: int


def find_split(stream: IO[bytes], size: int) -> Split | None:
    """The first line start after the middle of ``stream`` (binary, ``size`` bytes, at 0).

    ``None`` when there is none before the end, or when an odd number of ``"`` precede it (the
    line feed is then most likely inside a quoted field; splitting there would only waste the
    child's work). Reads the first half of the stream once.
    """
    middle = size // 2
    newlines = quotes = read = 0
    while read < middle:
        block = stream.read(min(_BLOCK, middle - read))
        if not block:
            return None
        newlines += block.count(b"\n")
        quotes += block.count(b'"')
        read += len(block)
    tail = b""
    while (end := tail.find(b"\n")) < 0:
        block = stream.read(_BLOCK)
        if not block:
            return None
        tail += block
    offset = middle + end + 1
    quotes += tail.count(b'"', 0, end)
    if quotes % 2 or offset >= size:
        return None
    return Split(offset, newlines + 2)


@dataclass(frozen=True, slots=True)
class _Half:
    """What the child's scan of the second half found, beside its records."""

    summary: Summary
    warnings: WarningLog
    newest: datetime
    users: list[str]
    """The ARN of every user, once."""
    odd_accounts: set[str]
    """The account IDs that are not 12 digits."""


def _scan_second_half(
    scan: SplitReportScan,
    encode: RecordEncoder,
    records: IO[str],
    results: Connection,
    parent_end: Connection,
) -> None:
    """The child: scan the file from ``scan.split`` on, as ``scan`` would.

    Encodes the records into ``records`` and sends a :class:`_Half` through ``results``, or
    ``None`` on any error: the parent then reads on and meets the same error itself.
    ``parent_end`` is the parent's end of the pipe, closed here: if the parent is gone, sending
    fails and the child ends instead of waiting for a reader forever.
    """
    # NOTE: Ctrl-C reaches the whole foreground process group. The parent answers it (one line,
    # exit 130) and stops this child; the child must not print a traceback of its own. The parent
    # blocked SIGINT around the fork, so none arrives before this line.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    parent_end.close()
    half: _Half | None = None
    try:
        with open(scan.path, "rb") as stream:
            header = stream.readline()
            stream.seek(scan.split.offset)
            # The header goes in front, numbered as the line before the split.
            first_line = scan.split.line - 1
            lines = decoded_lines(itertools.chain([header], stream), scan.source.label, first_line)
            part = ReportScan(
                lines, scan.source, scan.rules, scan.exemptions, first_line=first_line
            )
            for piece in encode(part.assessments(), part.as_of):
                records.write(piece)
            records.flush()
        reader = part.reader
        half = _Half(
            part.summary,
            part.warnings,
            part.newest,
            list(reader.first_seen),
            reader.odd_accounts,
        )
    except Exception:
        half = None
    with contextlib.suppress(OSError):  # the parent is gone (interrupted): nobody to tell
        results.send(half)


class SplitReportScan(ReportScan):
    """A :class:`~stalecreds.report.scan.ReportScan` of a report file that encodes in two processes.

    ``path`` is the file ``lines`` come from and ``split`` where its second half starts
    (:func:`find_split`). Iterating it is the ordinary scan, in this process; :meth:`encoded`
    is where the work is shared (formats call it through
    :func:`~stalecreds.formats.base.encoded_records`).
    """

    def __init__(
        self,
        path: str,
        split: Split,
        lines: Iterable[str],
        source: ReportSource,
        rules: VerdictRules,
        exemptions: Exemptions | None = None,
    ) -> None:
        super().__init__(lines, source, rules, exemptions)
        self.path = path
        self.split = split

    def encoded(self, encode: RecordEncoder) -> Iterator[str]:
        """The pieces ``encode`` makes of every assessment, in order, then :meth:`finish`.

        Raises what the serial scan raises, at the same row.
        """
        with _child(self, encode) as (records, results):
            yield from encode(self.assessments(stop_line=self.split.line), self.as_of)
            if self.reader.next_line == self.split.line:
                half = _receive(results)
                if half is not None and self._independent(half):
                    self._take(half)
                    records.seek(0)
                    yield from iter(lambda: records.read(_BLOCK), "")
                    self.finish()
                    return
            yield from encode(self.assessments(), self.as_of)
        self.finish()

    def _independent(self, half: _Half) -> bool:
        """True when the rows before the split change nothing the child found."""
        reader = self.reader
        return reader.first_seen.keys().isdisjoint(half.users) and reader.accounts.isdisjoint(
            half.odd_accounts
        )

    def _take(self, half: _Half) -> None:
        """Count the child's half as if this scan had read it."""
        self.summary.merge(half.summary)
        self.warnings.extend(half.warnings)
        self.newest = max(self.newest, half.newest)


def _receive(results: Connection) -> _Half | None:
    """The child's :class:`_Half`, waiting for it; ``None`` if the child failed or died."""
    try:
        half: _Half | None = results.recv()
    except (EOFError, OSError):
        return None
    return half


@contextlib.contextmanager
def _child(scan: SplitReportScan, encode: RecordEncoder) -> Iterator[tuple[IO[str], Connection]]:
    """Fork the child that scans the second half; stop it and remove its file on the way out."""
    import multiprocessing

    # The child flushes the standard streams it inherits when it ends: leave nothing in them.
    sys.stdout.flush()
    sys.stderr.flush()
    context = multiprocessing.get_context("fork")
    results, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as records:
        child = context.Process(
            target=_scan_second_half,
            args=(scan, encode, records, sender, results),
            daemon=True,
        )
        try:
            # Ctrl-C waits until the child exists and ignores it (see _scan_second_half).
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                child.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            sender.close()
            yield records, results
        finally:
            if child.is_alive():
                child.terminate()
            if child.pid is not None:
                child.join()
            sender.close()
            results.close()


def report_scan(
    path: str,
    stream: IO[bytes],
    lines: Iterable[str],
    source: ReportSource,
    rules: VerdictRules,
    exemptions: Exemptions | None = None,
) -> ReportScan:
    """The scan of the report file at ``path``: a :class:`SplitReportScan` when it is worth it.

    ``stream`` is the open file and ``lines`` its lines (:func:`~stalecreds.report.input.
    read_report`), which the scan reads; ``stream`` is only examined (its size, its type).
    """
    scan = ReportScan(lines, source, rules, exemptions)
    if source.format != "csv" or not hasattr(os, "fork"):
        return scan
    try:
        status = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return scan
    if not stat.S_ISREG(status.st_mode) or status.st_size < MIN_SPLIT_BYTES:
        return scan
    with open(path, "rb") as probe:
        split = find_split(probe, status.st_size)
    if split is None:
        return scan
    return SplitReportScan(path, split, lines, source, rules, exemptions)

"""Scan a credential report: read it, judge every credential, count and warn. The library entry.

:func:`scan_report` takes report text and returns a :class:`ScanResult`. :class:`ReportScan`
does the same lazily, one :class:`~stalecreds.rules.assessment.Assessment` at a time, for reports
too
large to hold (the CLI uses it).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stalecreds.report.credential_report import CredentialReportReader, WarningLog
from stalecreds.report.input import ReportSource, read_report
from stalecreds.rules.assessment import Assessment, assess
from stalecreds.rules.exemptions import Exemptions
from stalecreds.rules.verdicts import Thresholds, Verdict, VerdictRules

EARLIEST = datetime.min.replace(tzinfo=UTC)
"""Earlier than any date: :attr:`ReportScan.newest` before any date is seen."""

OLD_REPORT_AGE = timedelta(hours=1)
"""A report generated longer than this before ``as_of`` gets a warning: later use is not in it."""

RecordEncoder = Callable[[Iterable[Assessment], datetime], Iterator[str]]
"""Encodes assessments judged at ``as_of`` (the second argument) as text, in order.

It yields non-empty pieces, each one or more whole records; concatenated, the pieces of the
parts of a scan are those of the whole scan. Defined at module level, so that another process
can run it (:mod:`stalecreds.report.split_scan`).
"""


@dataclass
class Summary:
    """Counts over a scan, filled in as assessments pass through :meth:`add`."""

    users: int = 0
    credentials: int = 0
    findings: int = 0
    cleanup_candidates: int = 0
    by_verdict: Counter[Verdict] = field(default_factory=Counter)

    def add(self, assessment: Assessment) -> None:
        """Count one assessment."""
        self.credentials += 1
        self.by_verdict[assessment.verdict] += 1
        if assessment.finding_rules:
            self.findings += 1
        if assessment.cleanup_candidate:
            self.cleanup_candidates += 1

    def merge(self, part: Summary) -> None:
        """Add the counts of ``part`` (another scan, or another part of this one)."""
        self.users += part.users
        self.credentials += part.credentials
        self.findings += part.findings
        self.cleanup_candidates += part.cleanup_candidates
        self.by_verdict.update(part.by_verdict)

    def as_dict(self) -> dict[str, object]:
        """The JSON ``summary`` object: counts, with every verdict present."""
        return {
            "users": self.users,
            "credentials": self.credentials,
            "findings": self.findings,
            "cleanup_candidates": self.cleanup_candidates,
            "by_verdict": {verdict.value: self.by_verdict[verdict] for verdict in Verdict},
        }


class ReportScan:
    """A lazy scan of one credential report; iterate it once for the assessments, in report order.

    ``lines`` are the report's CSV lines; ``source`` says where they came from; ``rules`` holds
    ``as_of`` and the thresholds; ``exemptions`` (config rules only: a file has no tags) marks
    exempt users. While iterating, :attr:`summary` counts and :attr:`warnings`
    collects oddities; both are complete once iteration ends. Iteration raises
    :class:`~stalecreds.errors.ReportFormatError` at the first malformed row.

    Iterating is :meth:`assessments` and then :meth:`finish`; a scan split into parts (see
    :mod:`stalecreds.report.split_scan`) calls them itself. ``first_line`` numbers ``lines`` as for
    :class:`~stalecreds.report.credential_report.CredentialReportReader`.
    """

    def __init__(
        self,
        lines: Iterable[str],
        source: ReportSource,
        rules: VerdictRules,
        exemptions: Exemptions | None = None,
        *,
        first_line: int = 1,
    ) -> None:
        self.source = source
        self.rules = rules
        self.exemptions = exemptions
        self.summary = Summary()
        self.warnings = WarningLog()
        self.newest = EARLIEST
        """The latest date of any credential judged so far (creation or use)."""
        self.reader = CredentialReportReader(
            lines, source.label, self.warnings, first_line=first_line
        )

    @property
    def as_of(self) -> datetime:
        """The time credentials are judged at (aware UTC)."""
        return self.rules.as_of

    @property
    def thresholds(self) -> Thresholds:
        """The maximum ages in days."""
        return self.rules.thresholds

    def __iter__(self) -> Iterator[Assessment]:
        yield from self.assessments()
        self.finish()

    def assessments(self, stop_line: int | None = None) -> Iterator[Assessment]:
        """Judge the rows in report order, counting and warning, up to the end of the report.

        With ``stop_line``, stop instead when the next row would start on that line (if one
        does); a later call goes on from there.
        """
        as_of = self.rules.as_of
        rules = self.rules
        warn = self.warnings.add
        newest = self.newest
        exemptions = self.exemptions if self.exemptions and self.exemptions.rules else None
        summary = self.summary
        add = summary.add
        first_seen = self.reader.first_seen
        try:
            for user in self.reader.rows(stop_line):
                if first_seen[user.arn] == user.line:  # a user listed twice counts once
                    summary.users += 1
                if exemptions is not None:
                    user = user._replace(exemption=exemptions.by_config(user))
                for assessment in assess(user, rules):
                    add(assessment)
                    latest = assessment.created
                    used = assessment.last_used
                    if latest is None or (used is not None and used > latest):
                        latest = used
                    if latest is not None:
                        if latest > newest:
                            newest = latest
                        if latest > as_of:
                            warn(
                                user.line,
                                f"{user.user}: {assessment.kind.value} date {latest.isoformat()} "
                                f"is after the as-of time {as_of.isoformat()}",
                            )
                    yield assessment
        finally:
            self.newest = newest

    def finish(self) -> None:
        """Add the warnings about the report as a whole; call once every row is judged."""
        newest = self.newest if self.summary.credentials else None
        generated = self.source.generated_time
        as_of = self.rules.as_of
        old = old_report_warning(generated, as_of)
        if old is not None:
            self.warnings.add(None, old)
        cutoff = min(self.rules.password_cutoff, self.rules.access_key_cutoff)
        if generated is None and newest is not None and newest < cutoff:
            self.warnings.add(
                None,
                f"no date in the report falls inside the window (the newest is "
                f"{newest.date().isoformat()}); if the report is old, judge it as of when it was "
                "generated with --as-of",
            )

    def collect(self) -> ScanResult:
        """Read the whole report now and keep every assessment (for outputs read twice)."""
        assessments = tuple(self)
        return ScanResult(
            source=self.source,
            as_of=self.as_of,
            thresholds=self.thresholds,
            assessments=assessments,
            summary=self.summary,
            warnings=self.warnings,
        )


def old_report_warning(generated: datetime | None, as_of: datetime) -> str | None:
    """A warning when a report was generated more than :data:`OLD_REPORT_AGE` before ``as_of``."""
    if generated is None or as_of - generated <= OLD_REPORT_AGE:
        return None
    return (
        f"the report was generated {generated.isoformat()}, {_age_text(as_of - generated)} "
        "before the as-of time; use since then is not in it"
    )


def _age_text(age: timedelta) -> str:
    if age >= timedelta(days=2):
        return f"{age.days} days"
    return f"{int(age.total_seconds() // 3600)} hours"


@dataclass(frozen=True)
class ScanResult:
    """A finished scan: every assessment in report order, the counts and the warnings.

    Iterating it gives the assessments (as often as needed), so any output format can render it
    like a :class:`ReportScan`. ``errors`` lists the live IAM lookups that failed after retries
    (their credentials are ``unknown``); a non-empty list means the result is partial. A report
    file has none.
    """

    source: ReportSource
    as_of: datetime
    thresholds: Thresholds
    assessments: tuple[Assessment, ...]
    summary: Summary
    warnings: WarningLog
    errors: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Assessment]:
        return iter(self.assessments)

    @property
    def findings(self) -> tuple[Assessment, ...]:
        """The assessments that are findings."""
        return tuple(a for a in self.assessments if a.finding_rules)


def scan_report(
    report: str | bytes,
    *,
    as_of: datetime | None = None,
    thresholds: Thresholds | None = None,
    name: str = "<report>",
) -> ScanResult:
    """Scan a whole credential report given as text or bytes (CSV, or AWS CLI JSON).

    ``as_of`` (aware; default: now, UTC) is when credentials are judged; ``thresholds`` defaults
    to 90 days for both kinds. Raises :class:`~stalecreds.errors.InputError` (or its subclass
    ``ReportFormatError``) for malformed input, and ``ValueError`` for a naive ``as_of``.
    """
    data = report.encode("utf-8") if isinstance(report, str) else report
    lines, source = read_report(io.BytesIO(data), name)
    rules = VerdictRules(as_of or datetime.now(UTC), thresholds or Thresholds())
    return ReportScan(lines, source, rules).collect()

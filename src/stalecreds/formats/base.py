"""What an output format needs from a scan, and the flat record shared by JSON and CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from stalecreds.model import AccessKey, MfaDevice, SigningCertificate, Status
from stalecreds.report.credential_report import WarningLog
from stalecreds.report.input import ReportSource
from stalecreds.report.scan import RecordEncoder, Summary
from stalecreds.rules.assessment import Assessment
from stalecreds.rules.verdicts import Thresholds, age_days

SCHEMA_VERSION = 1
"""Version of the JSON document and CSV columns. Adding a field keeps it; changing one bumps it."""

RECORD_FIELDS = (
    "account_id",
    "account_name",
    "user",
    "arn",
    "is_root",
    "kind",
    "slot",
    "access_key_id",
    "status",
    "created",
    "last_used",
    "last_used_region",
    "last_used_service",
    "days_since_created",
    "days_since_last_used",
    "mfa_active",
    "verdict",
    "reason",
    "finding",
    "finding_rules",
    "cleanup_candidate",
    "exempt",
    "exemption_reason",
    "report_line",
    "credential_id",
    "source_file",
)
"""The fields of one credential, in JSON key order and CSV column order."""


class ScanOutput(Protocol):
    """A scan as formats see it: metadata, one pass over the assessments, then counts/warnings.

    ``summary`` and ``warnings`` are complete only after the iterator is exhausted.
    """

    @property
    def source(self) -> ReportSource:
        """Where the report came from."""

    @property
    def as_of(self) -> datetime:
        """When credentials were judged (aware UTC)."""

    @property
    def thresholds(self) -> Thresholds:
        """The maximum ages in days."""

    @property
    def summary(self) -> Summary:
        """Counts over the scan."""

    @property
    def warnings(self) -> WarningLog:
        """Oddities found while reading."""

    def __iter__(self) -> Iterator[Assessment]:
        """The assessments, in report order."""


def encoded_records(scan: ScanOutput, encode: RecordEncoder) -> Iterator[str]:
    """The pieces ``encode`` makes of the assessments of ``scan``, in order.

    A scan that encodes its records itself, in parts (an ``encoded`` method, as
    :class:`~stalecreds.report.split_scan.SplitReportScan` has), is asked to; any other is iterated.
    """
    encoded: Callable[[RecordEncoder], Iterator[str]] | None = getattr(scan, "encoded", None)
    return encode(scan, scan.as_of) if encoded is None else encoded(encode)


def printable(text: str) -> str:
    """``text`` for a terminal: control characters (escape sequences) are shown escaped.

    Report values (user names, account IDs) are untrusted input and never drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def record(assessment: Assessment, as_of: datetime) -> dict[str, object]:
    """One credential as a flat dict with :data:`RECORD_FIELDS` as keys, in that order.

    Times stay aware UTC ``datetime`` objects (each format writes them as ISO 8601); ``kind``,
    ``status``, ``verdict`` and ``finding_rules`` hold ``StrEnum`` members, which compare and
    serialise as their string values; ``days_since_*`` are whole days before ``as_of``, never
    negative (``None`` for a date in the future: :func:`~stalecreds.rules.verdicts.age_days`);
    ``credential_id`` is a signing certificate's ``CertificateId`` or an MFA device's serial
    number when read from the API (member roots with ``--root-access``); missing values are
    ``None``.
    """
    owner = assessment.owner
    credential = assessment.credential
    created = assessment.created
    last_used = assessment.last_used
    region = service = slot = key_id = credential_id = None
    status: Status | None = None
    if isinstance(credential, AccessKey):
        slot = credential.slot
        key_id = credential.access_key_id
        status = credential.status
        last_use = credential.last_use
        if last_use is not None:
            region = last_use.region
            service = last_use.service
    elif isinstance(credential, SigningCertificate):
        slot = credential.slot
        status = credential.status
        credential_id = credential.certificate_id
    elif isinstance(credential, MfaDevice):
        slot = credential.slot
        credential_id = credential.serial_number
    return {
        "account_id": owner.account_id,
        "account_name": owner.account_name,
        "user": owner.user,
        "arn": owner.arn,
        "is_root": owner.is_root,
        "kind": assessment.kind,
        "slot": slot,
        "access_key_id": key_id,
        "status": status,
        "created": created,
        "last_used": last_used,
        "last_used_region": region,
        "last_used_service": service,
        "days_since_created": None if created is None else age_days(created, as_of),
        "days_since_last_used": None if last_used is None else age_days(last_used, as_of),
        "mfa_active": owner.mfa_active,
        "verdict": assessment.verdict,
        "reason": assessment.reason,
        "finding": bool(assessment.finding_rules),
        "finding_rules": list(assessment.finding_rules),
        "cleanup_candidate": assessment.cleanup_candidate,
        "exempt": owner.exemption is not None,
        "exemption_reason": owner.exemption,
        "report_line": owner.line,
        "credential_id": credential_id,
        "source_file": owner.source_file,
    }

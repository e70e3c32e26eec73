"""stalecreds: find unused AWS IAM console passwords and access keys.

The library API: :func:`scan_report` turns credential report text into a :class:`ScanResult`
of :class:`Assessment` objects, each with a :class:`Verdict`. See the README for the rules.
"""

from __future__ import annotations

__version__ = "0.1.0"

from stalecreds.errors import InputError, ReportFormatError, StalecredsError
from stalecreds.model import (
    AccessKey,
    CredentialKind,
    LastUse,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)
from stalecreds.report.scan import ReportScan, ScanResult, Summary, scan_report
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.verdicts import Thresholds, Verdict, VerdictRules

__all__ = [
    "AccessKey",
    "Assessment",
    "CredentialKind",
    "FindingRule",
    "InputError",
    "LastUse",
    "Password",
    "ReportFormatError",
    "ReportScan",
    "ScanResult",
    "SigningCertificate",
    "StalecredsError",
    "Status",
    "Summary",
    "Thresholds",
    "UserCredentials",
    "Verdict",
    "VerdictRules",
    "__version__",
    "scan_report",
]

"""Reading credential reports: CSV and AWS CLI JSON, row by row, and scanning them.

:func:`read_report` opens a stream; :class:`CredentialReportReader` turns its rows into the
model; :class:`ReportScan` judges them lazily and :func:`scan_report` at once;
:func:`report_scan` splits a large file between two processes. No AWS call is made here.
"""

from __future__ import annotations

from stalecreds.report.credential_report import (
    REPORT_COLUMNS,
    CredentialReportReader,
    ReportWarning,
    WarningLog,
)
from stalecreds.report.input import STDIN_NAME, ReportSource, read_report
from stalecreds.report.scan import ReportScan, ScanResult, Summary, scan_report
from stalecreds.report.split_scan import report_scan

__all__ = [
    "REPORT_COLUMNS",
    "STDIN_NAME",
    "CredentialReportReader",
    "ReportScan",
    "ReportSource",
    "ReportWarning",
    "ScanResult",
    "Summary",
    "WarningLog",
    "read_report",
    "report_scan",
    "scan_report",
]

"""stalecreds: find unused AWS IAM console passwords and access keys, and take them out of service.

The library API:

- :func:`scan_report` turns credential report text into a :class:`ScanResult` of
  :class:`Assessment` objects, each with a :class:`Verdict`;
- every workflow of the command line, with typed requests and results
  (:mod:`stalecreds.workflows`): :class:`ScanRequest` and :func:`run_scan` (a report file or
  stream, a folder, a live account, a list of accounts, profiles, an Organization);
  :class:`PlanRequest` and :func:`make_plan`; :class:`ApplyRequest`, :func:`prepare_apply` and
  :func:`apply_plan`; :class:`UndoRequest`, :func:`prepare_undo` and :func:`undo_apply`;
  :func:`record_scan` and :func:`read_history`;
- the errors, one tree under :class:`StalecredsError` (:mod:`stalecreds.errors`).

``import stalecreds`` loads neither click, rich nor boto3; the workflows are imported on first
use, and only live scans and remediation load boto3. See the README for the rules.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from stalecreds.errors import (
    AwsError,
    ConfigError,
    HistoryError,
    InputError,
    PlanError,
    PlanRefused,
    ReportFormatError,
    RequestError,
    StalecredsError,
)
from stalecreds.lazy import lazy_exports
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

if TYPE_CHECKING:
    from stalecreds.workflows import (
        ApplyRequest,
        ApplyResult,
        Observer,
        PlanRequest,
        PlanResult,
        PreparedApply,
        PreparedUndo,
        QuietObserver,
        ScanRequest,
        UndoReport,
        UndoRequest,
        apply_plan,
        make_plan,
        prepare_apply,
        prepare_undo,
        read_history,
        record_scan,
        run_scan,
        undo_apply,
    )

_WORKFLOWS = {
    "ApplyRequest": "workflows",
    "ApplyResult": "workflows",
    "Observer": "workflows",
    "PlanRequest": "workflows",
    "PlanResult": "workflows",
    "PreparedApply": "workflows",
    "PreparedUndo": "workflows",
    "QuietObserver": "workflows",
    "ScanRequest": "workflows",
    "UndoReport": "workflows",
    "UndoRequest": "workflows",
    "apply_plan": "workflows",
    "make_plan": "workflows",
    "prepare_apply": "workflows",
    "prepare_undo": "workflows",
    "read_history": "workflows",
    "record_scan": "workflows",
    "run_scan": "workflows",
    "undo_apply": "workflows",
}
__getattr__ = lazy_exports(__name__, _WORKFLOWS)

__all__ = [
    "AccessKey",
    "ApplyRequest",
    "ApplyResult",
    "Assessment",
    "AwsError",
    "ConfigError",
    "CredentialKind",
    "FindingRule",
    "HistoryError",
    "InputError",
    "LastUse",
    "Observer",
    "Password",
    "PlanError",
    "PlanRefused",
    "PlanRequest",
    "PlanResult",
    "PreparedApply",
    "PreparedUndo",
    "QuietObserver",
    "ReportFormatError",
    "ReportScan",
    "RequestError",
    "ScanRequest",
    "ScanResult",
    "SigningCertificate",
    "StalecredsError",
    "Status",
    "Summary",
    "Thresholds",
    "UndoReport",
    "UndoRequest",
    "UserCredentials",
    "Verdict",
    "VerdictRules",
    "__version__",
    "apply_plan",
    "make_plan",
    "prepare_apply",
    "prepare_undo",
    "read_history",
    "record_scan",
    "run_scan",
    "scan_report",
    "undo_apply",
]

"""Talking to AWS: sessions and clients, assume role, Organizations, IAM reads, the live scan.

All boto3 use lives here (and in the remediation steps that call IAM). The names below are
imported on first use, so ``import stalecreds.aws.live_options`` does not load boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stalecreds.lazy import lazy_exports

if TYPE_CHECKING:
    from stalecreds.aws.assume import account_session, partition_of
    from stalecreds.aws.iam_reads import IamReads
    from stalecreds.aws.live_options import LiveScanOptions
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.aws.organizations import list_accounts
    from stalecreds.aws.report_fetch import fetch_credential_report
    from stalecreds.aws.session import caller_identity, iam_client, make_session

_EXPORTS = {
    "IamReads": "iam_reads",
    "LiveScanOptions": "live_options",
    "account_session": "assume",
    "caller_identity": "session",
    "fetch_credential_report": "report_fetch",
    "iam_client": "session",
    "list_accounts": "organizations",
    "make_session": "session",
    "partition_of": "assume",
    "scan_account": "live_scan",
}
__all__ = [
    "IamReads",
    "LiveScanOptions",
    "account_session",
    "caller_identity",
    "fetch_credential_report",
    "iam_client",
    "list_accounts",
    "make_session",
    "partition_of",
    "scan_account",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)

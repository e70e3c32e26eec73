"""Talking to AWS: sessions and clients, assume role, Organizations, IAM reads, the live scan.

All boto3 use lives here (and in the remediation steps that call IAM), including the live
per-account scanners of a multi-account scan. The names below are imported on first use, so
``import stalecreds.aws.live_options`` does not load boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stalecreds.lazy import lazy_exports

if TYPE_CHECKING:
    from stalecreds.aws.account_scanners import live_account_scanner, profile_scanner
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
    "live_account_scanner": "account_scanners",
    "make_session": "session",
    "partition_of": "assume",
    "profile_scanner": "account_scanners",
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
    "live_account_scanner",
    "make_session",
    "partition_of",
    "profile_scanner",
    "scan_account",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)

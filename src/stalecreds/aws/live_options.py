"""Options of a live account scan, importable without boto3 (the offline path stays light)."""

from __future__ import annotations

from typing import NamedTuple

from stalecreds.rules.exemptions import Exemptions

DEFAULT_WORKERS = 8
"""Concurrent IAM calls per account; botocore's adaptive retries slow them when throttled."""

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
"""The role AWS Organizations creates in accounts it creates (``--role-name``)."""

DEFAULT_TIMEOUT_SECONDS = 300.0
"""How long to wait for IAM to produce the credential report (``--report-timeout``)."""


class LiveScanOptions(NamedTuple):
    """How to scan an account.

    ``source`` is ``report`` (credential report, re-checked live) or ``api`` (IAM API only).
    ``all_key_ids`` maps every report key to its ID, not only keys that are not ``in_use``.
    ``workers`` bounds concurrent calls; ``report_timeout`` is in seconds. ``recheck`` is
    ``auto`` (re-read last use only when IAM served a cached report, up to four hours old, and
    not where it cannot change a verdict; a report this scan had generated is already current)
    or ``always`` (every credential not in use, in either state).
    """

    source: str = "report"
    all_key_ids: bool = False
    workers: int = DEFAULT_WORKERS
    report_timeout: float = DEFAULT_TIMEOUT_SECONDS
    exemptions: Exemptions = Exemptions()
    recheck: str = "auto"

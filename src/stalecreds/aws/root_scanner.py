"""Add each member account's root credentials (centralized root access) to its scan.

With ``--root-access`` on an Organization scan, every member account other than the management
account (and the caller's own) gets its root user read through ``sts:AssumeRoot``
(:mod:`stalecreds.aws.root_access`) before its IAM users are scanned. The root user so read
replaces the credential report's root row (which has no credential IDs), and its credentials
carry the ``root-credentials-present`` finding rule. A refused ``AssumeRoot`` makes the account a
failure at step ``assume-root`` with the error code; other accounts go on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from stalecreds.accounts.parallel import AccountScan, MultiAccountResult
from stalecreds.accounts.selection import Account
from stalecreds.aws.assume import partition_of
from stalecreds.aws.root_access import member_root_reader, organization_root_features
from stalecreds.aws.session import aws_errors, iam_client
from stalecreds.model import Caller, UserCredentials
from stalecreds.report.credential_report import WarningLog
from stalecreds.report.scan import ScanResult, Summary
from stalecreds.rules.assessment import assess
from stalecreds.rules.exemptions import Exemptions
from stalecreds.rules.verdicts import VerdictRules

DISABLED_NOTE = (
    "centralized root credentials management is not enabled in the Organization "
    "(iam:ListOrganizationsFeatures): member accounts' root credentials were not read; enable "
    "it with 'aws iam enable-organizations-root-credentials-management'"
)


def org_root_access(
    scan_one: Callable[[Account], AccountScan],
    base: Any,
    caller: Caller,
    organizations: Any,
    rules: VerdictRules,
    exemptions: Exemptions,
) -> tuple[Callable[[Account], AccountScan], str | None]:
    """``scan_one`` with member roots (:func:`with_member_roots`), and a warning or ``None``.

    ``base`` is the caller's boto3 session (the management account or the IAM delegated
    administrator); ``organizations`` its Organizations client. When
    ``RootCredentialsManagement`` is not enabled, ``scan_one`` is returned as it is, with a
    warning saying so. The caller's account and the management account
    (``organizations:DescribeOrganization`` ``MasterAccountId``) are never read as root. Raises
    :class:`~stalecreds.errors.AwsError`.
    """
    features = organization_root_features(iam_client(base))
    if not features.credentials_management:
        note = DISABLED_NOTE if features.note is None else f"{DISABLED_NOTE} ({features.note})"
        return scan_one, note
    with aws_errors("organizations:DescribeOrganization"):
        management = str(organizations.describe_organization()["Organization"]["MasterAccountId"])
    reader = member_root_reader(base, partition_of(caller.arn))
    skip = frozenset({caller.account_id, management})
    return with_member_roots(scan_one, reader, rules, exemptions, skip=skip), None


def with_member_roots(
    scan_one: Callable[[Account], AccountScan],
    read_root: Callable[[str, str | None], UserCredentials],
    rules: VerdictRules,
    exemptions: Exemptions,
    *,
    skip: frozenset[str],
) -> Callable[[Account], AccountScan]:
    """``scan_one``, with the root user of each account not in ``skip`` read by ``read_root``.

    ``read_root(account_id, account_name)`` raises :class:`~stalecreds.errors.AwsError` (action
    ``sts:AssumeRoot`` when the root session is refused); it is called first, so a refused
    account costs no scan. ``exemptions`` (config rules) apply to the root as to any user.
    """

    def scan(account: Account) -> AccountScan:
        if account.account_id in skip:
            return scan_one(account)
        root = read_root(account.account_id, account.name)
        if exemptions.rules:
            root = root._replace(exemption=exemptions.by_config(root))
        return add_root(scan_one(account), root, rules)

    return scan


def add_root(result: AccountScan, root: UserCredentials, rules: VerdictRules) -> ScanResult:
    """``result`` with ``root``'s assessments in place of any root row's, counts redone."""
    kept = [a for a in result if not a.owner.is_root]
    had_root = len(kept) != sum(1 for _ in result)
    assessments = (*kept, *assess(root, rules))
    summary = Summary()
    summary.users = result.summary.users + (0 if had_root else 1)
    for assessment in assessments:
        summary.add(assessment)
    return ScanResult(
        result.source,
        rules.as_of,
        rules.thresholds,
        assessments,
        summary,
        result.warnings,
        result.errors,
    )


def warn_first(result: MultiAccountResult, message: str) -> MultiAccountResult:
    """``result`` with ``message`` as its first warning (shown before the accounts' own)."""
    warnings = WarningLog()
    warnings.add(None, message)
    warnings.extend(result.warnings)
    return dataclasses.replace(result, warnings=warnings)

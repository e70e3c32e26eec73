"""One live scan per account, for :func:`stalecreds.accounts.parallel.scan_accounts`.

The caller's own account is scanned with the caller's session; any other account through
``--role-name`` (STS ``AssumeRole``, partition from the caller's ARN); with several profiles,
each profile's own account.
"""

from __future__ import annotations

from collections.abc import Callable

from stalecreds.accounts.parallel import AccountScan
from stalecreds.accounts.selection import Account
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.model import Caller
from stalecreds.rules.verdicts import VerdictRules


def live_account_scanner(
    base: object,
    caller: Caller,
    rules: VerdictRules,
    options: LiveScanOptions,
    *,
    role_name: str,
    external_id: str | None,
) -> Callable[[Account], AccountScan]:
    """A function that scans one account: directly for the caller's, else through the role.

    ``base`` is the caller's boto3 session. Its models are loaded here, on the calling thread,
    and shared by every assumed-role session (:func:`stalecreds.aws.session.share_models`); the
    returned
    function may then run on many threads at once. It raises
    :class:`~stalecreds.errors.AwsError` when the role cannot be assumed or the account read.
    """
    import boto3

    from stalecreds.aws.assume import account_session, partition_of
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.aws.session import iam_client, preload_models

    assert isinstance(base, boto3.Session)
    partition = partition_of(caller.arn)
    caller_iam = preload_models(base)  # clients are thread-safe; sessions are not

    def scan_one(account: Account) -> AccountScan:
        if account.account_id == caller.account_id:
            iam = caller_iam
        else:
            session = account_session(
                base,
                account.account_id,
                partition=partition,
                role_name=role_name,
                external_id=external_id,
            )
            iam = iam_client(session)
        return scan_account(iam, rules, options, account_name=account.name)

    return scan_one


def profile_scanner(
    sessions: dict[str, object], rules: VerdictRules, options: LiveScanOptions
) -> Callable[[Account], AccountScan]:
    """A function that scans the account of each named profile (``Account.name`` is the profile)."""
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.aws.session import iam_client

    def scan_one(account: Account) -> AccountScan:
        session = sessions[account.name or ""]
        return scan_account(iam_client(session), rules, options)  # type: ignore[arg-type]

    return scan_one

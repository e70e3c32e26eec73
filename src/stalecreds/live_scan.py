"""Scan a live AWS account: the credential report, made exact and fresh by the IAM API.

The report can be up to four hours old and has no access key IDs, so a finding from it alone
cannot safely be acted on. For every credential whose report verdict is not ``in_use``:

* access keys get their IDs and current status (``ListAccessKeys``, matched by creation second,
  :mod:`stalecreds.key_ids`) and, when the report may be stale, their current last use
  (``GetAccessKeyLastUsed``);
* when the report may be stale, passwords are checked to still exist (``GetLoginProfile``) and
  get their current last use (``PasswordLastUsed`` from ``ListUsers`` pages, or ``GetUser``
  when that takes fewer calls).

The report "may be stale" when IAM served a cached one (``GenerateCredentialReport`` answered
``COMPLETE`` at once). When this scan made IAM generate it, it was built from the same last-use
records seconds ago, and re-reading them one call per credential would only repeat it; with
``recheck="always"`` they are re-read anyway.

Then every credential is judged again. A call that fails after retries makes that credential's
verdict ``unknown`` (never ``unused``) and is counted in :attr:`ScanResult.errors`. Users
with candidate findings get their tags read (``ListUserTags``) for the exemption tag. The root
user is never passed to a user API: its row is judged from the report alone.

``source="api"`` skips the report (for principals not allowed to generate one) and builds every
user from ``ListUsers``, ``GetLoginProfile``, ``ListAccessKeys`` and ``GetAccessKeyLastUsed``.
That path cannot see the root user, MFA devices or signing certificates.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from stalecreds.assessment import Assessment, assess
from stalecreds.aws import AwsError
from stalecreds.credential_report import CredentialReportReader, WarningLog
from stalecreds.iam_reads import LIST_USERS_PAGE_SIZE, ApiUser, IamReads
from stalecreds.key_ids import match_slots
from stalecreds.live_options import LiveScanOptions
from stalecreds.model import AccessKey, Password, UserCredentials
from stalecreds.report_fetch import fetch_credential_report
from stalecreds.report_input import ReportSource, read_report
from stalecreds.scan import ScanResult, Summary, old_report_warning
from stalecreds.verdicts import Verdict, VerdictRules

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


_DEFAULT_OPTIONS = LiveScanOptions()


class _Refresh(NamedTuple):
    user: UserCredentials
    notes: tuple[str, ...]
    errors: tuple[str, ...]


def scan_account(
    iam: IAMClient,
    rules: VerdictRules,
    options: LiveScanOptions = _DEFAULT_OPTIONS,
    *,
    on_wait: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    account_name: str | None = None,
) -> ScanResult:
    """Scan the account that ``iam`` is signed for, judged at ``rules.as_of``.

    ``account_name`` (from AWS Organizations) is set on every user. Raises
    :class:`~stalecreds.aws.AwsError` when the account cannot be read at all (the
    report cannot be generated or downloaded, or ``ListUsers`` fails); failures of single
    lookups are results, in :attr:`ScanResult.errors`.
    """
    reads = IamReads(iam)
    warnings = WarningLog()
    if options.source == "api":
        users, errors, source = _users_from_api(reads, options)
    else:
        fetched = fetch_credential_report(
            iam, timeout=options.report_timeout, on_wait=on_wait, sleep=sleep
        )
        lines, _ = read_report(io.BytesIO(fetched.content), "iam:GetCredentialReport")
        users = list(CredentialReportReader(lines, "iam:GetCredentialReport", warnings))
        account = users[0].account_id if users else "unknown"
        source = ReportSource(
            name=f"credential report of account {account}",
            format="iam-credential-report",
            generated_time=fetched.generated_time,
        )
        old = old_report_warning(fetched.generated_time, rules.as_of)
        if old is not None:  # a cached report: everything not in use is re-checked below
            warnings.add(None, old + "; credentials not in use were re-checked live")
        full = options.recheck == "always" or not fetched.fresh
        users, errors = _refresh_from_api(reads, users, rules, options, warnings, full=full)
    if account_name is not None:
        users = [user._replace(account_name=account_name) for user in users]
    users, tag_errors = _apply_exemptions(reads, users, rules, options)
    errors += tag_errors
    summary = Summary()
    assessments: list[Assessment] = []
    for user in users:
        summary.users += 1
        for assessment in assess(user, rules):
            summary.add(assessment)
            assessments.append(assessment)
    for error in errors:
        warnings.add(None, error)
    return ScanResult(
        source, rules.as_of, rules.thresholds, tuple(assessments), summary, warnings, errors
    )


def _refresh_from_api(
    reads: IamReads,
    users: list[UserCredentials],
    rules: VerdictRules,
    options: LiveScanOptions,
    warnings: WarningLog,
    *,
    full: bool,
) -> tuple[list[UserCredentials], tuple[str, ...]]:
    """Re-check, live, every credential of ``users`` whose report verdict is not ``in_use``.

    Keys always get their IDs and status; with ``full``, last use and password existence are
    read again too.
    """
    key_slots: dict[int, set[int]] = {}
    password_users: set[int] = set()
    for position, user in enumerate(users):
        if user.is_root:
            continue
        for assessment in assess(user, rules):
            if assessment.verdict is Verdict.IN_USE and not options.all_key_ids:
                continue
            credential = assessment.credential
            if isinstance(credential, AccessKey) and credential.slot is not None:
                slots = key_slots.setdefault(position, set())
                if full and assessment.verdict is not Verdict.IN_USE:
                    slots.add(credential.slot)
            elif (
                full
                and isinstance(credential, Password)
                and assessment.verdict is not Verdict.IN_USE
            ):
                password_users.add(position)
    if not key_slots and not password_users:
        return users, ()

    errors: list[str] = []
    sign_ins = _password_sign_ins(reads, users, password_users, errors)

    def refresh(position: int) -> _Refresh:
        return _refresh_user(
            reads,
            users[position],
            key_slots.get(position),
            position in password_users,
            sign_ins,
        )

    positions = sorted(set(key_slots) | password_users)
    refreshed = list(users)
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        for position, result in zip(positions, pool.map(refresh, positions), strict=True):
            refreshed[position] = result.user
            for note in result.notes:
                warnings.add(result.user.line, note)
            errors.extend(result.errors)
    return refreshed, tuple(errors)


def _password_sign_ins(
    reads: IamReads, users: list[UserCredentials], password_users: set[int], errors: list[str]
) -> dict[str, datetime | None] | None:
    """``PasswordLastUsed`` by user name from ``ListUsers``, or ``None``: ask ``GetUser``.

    ``ListUsers`` is used when its pages take fewer calls than one ``GetUser`` per candidate.
    """
    pages = math.ceil(len(users) / LIST_USERS_PAGE_SIZE)
    if len(password_users) <= pages:
        return None
    try:
        return {user.name: user.password_last_used for user in reads.list_users()}
    except AwsError:
        return None  # fall back to GetUser per candidate; its errors are reported there


def _refresh_user(
    reads: IamReads,
    user: UserCredentials,
    slots_to_check: set[int] | None,
    check_password: bool,
    sign_ins: dict[str, datetime | None] | None,
) -> _Refresh:
    notes: list[str] = []
    errors: list[str] = []
    keys = list(user.access_keys)
    if slots_to_check is not None:
        keys = _refresh_keys(reads, user, slots_to_check, notes, errors)
    password = user.password
    if check_password and password is not None:
        password = _refresh_password(reads, user, password, sign_ins, notes, errors)
    return _Refresh(
        user._replace(password=password, access_keys=tuple(keys)), tuple(notes), tuple(errors)
    )


def _refresh_keys(
    reads: IamReads,
    user: UserCredentials,
    slots_to_check: set[int],
    notes: list[str],
    errors: list[str],
) -> list[AccessKey]:
    try:
        listed = reads.list_access_keys(user.user)
    except AwsError as error:
        errors.append(f"{user.user}: {error}")
        return [
            key._replace(lookup_error=str(error)) if key.slot in slots_to_check else key
            for key in user.access_keys
        ]
    keys: list[AccessKey] = []
    for key, match in zip(user.access_keys, match_slots(user.access_keys, listed), strict=True):
        created = key.created.isoformat()
        if match.key is None:
            if match.problem == "missing":
                notes.append(
                    f"{user.user}: access key {key.slot} (created {created}) is no longer "
                    "listed by ListAccessKeys: deleted or replaced since the report; not listed"
                )
                continue
            notes.append(
                f"{user.user}: access key {key.slot} (created {created}) matches more than one "
                "key by creation time; its ID is unknown and it is judged from the report only"
            )
            keys.append(key)
            continue
        listed_key = match.key
        key = key._replace(access_key_id=listed_key.access_key_id, status=listed_key.status)
        if key.slot in slots_to_check:
            try:
                key = key._replace(last_use=reads.access_key_last_used(listed_key.access_key_id))
            except AwsError as error:
                errors.append(f"{user.user}: {error}")
                key = key._replace(lookup_error=str(error))
        keys.append(key)
    return keys


def _refresh_password(
    reads: IamReads,
    user: UserCredentials,
    password: Password,
    sign_ins: dict[str, datetime | None] | None,
    notes: list[str],
    errors: list[str],
) -> Password | None:
    try:
        if reads.login_profile_created(user.user) is None:
            notes.append(
                f"{user.user}: the console password no longer exists (GetLoginProfile: "
                "NoSuchEntity); not listed"
            )
            return None
        if sign_ins is not None and user.user in sign_ins:
            last_used = sign_ins[user.user]
        else:
            last_used = reads.password_last_used(user.user)
    except AwsError as error:
        errors.append(f"{user.user}: {error}")
        return password._replace(lookup_error=str(error))
    # NOTE: the API only ever moves last use forward; keep the later of report and API.
    if password.last_used is not None and (last_used is None or last_used < password.last_used):
        last_used = password.last_used
    return password._replace(last_used=last_used)


def _users_from_api(
    reads: IamReads, options: LiveScanOptions
) -> tuple[list[UserCredentials], tuple[str, ...], ReportSource]:
    """Build every user from the IAM API alone (``--source api``)."""
    api_users = list(reads.list_users())

    def build(api_user: ApiUser) -> tuple[UserCredentials, list[str]]:
        return _api_user(reads, api_user)

    errors: list[str] = []
    users: list[UserCredentials] = []
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        for user, user_errors in pool.map(build, api_users):
            users.append(user)
            errors.extend(user_errors)
    account = users[0].account_id if users else "unknown"
    source = ReportSource(name=f"IAM API of account {account}", format="iam-api")
    return users, tuple(errors), source


def _api_user(reads: IamReads, api_user: ApiUser) -> tuple[UserCredentials, list[str]]:
    errors: list[str] = []
    name = api_user.name
    parts = api_user.arn.split(":", 5)
    password: Password | None = None
    try:
        created = reads.login_profile_created(name)
        if created is not None:
            password = Password(created, api_user.password_last_used)
    except AwsError as error:
        errors.append(f"{name}: {error}")
        password = Password(None, api_user.password_last_used, str(error))
    keys: list[AccessKey] = []
    try:
        listed = reads.list_access_keys(name)
    except AwsError as error:
        errors.append(f"{name}: {error}; its access keys are not listed")
        listed = []
    for listed_key in listed:
        key = AccessKey(None, listed_key.access_key_id, listed_key.status, listed_key.created, None)
        try:
            key = key._replace(last_use=reads.access_key_last_used(listed_key.access_key_id))
        except AwsError as error:
            errors.append(f"{name}: {error}")
            key = key._replace(lookup_error=str(error))
        keys.append(key)
    user = UserCredentials(
        user=name,
        arn=api_user.arn,
        account_id=parts[4] if len(parts) == 6 else "unknown",
        partition=parts[1] if len(parts) == 6 else "aws",
        is_root=False,
        created=api_user.created,
        mfa_active=None,
        password=password,
        access_keys=tuple(keys),
        certificates=(),
    )
    return user, errors


def _apply_exemptions(
    reads: IamReads, users: list[UserCredentials], rules: VerdictRules, options: LiveScanOptions
) -> tuple[list[UserCredentials], tuple[str, ...]]:
    """Mark exempt users: config rules for all, the tag for users with candidate findings."""
    exemptions = options.exemptions
    marked: list[UserCredentials] = []
    to_tag_check: list[int] = []
    for position, user in enumerate(users):
        reason = exemptions.by_config(user)
        if reason is not None:
            user = user._replace(exemption=reason)
        elif not user.is_root and any(a.finding_rules for a in assess(user, rules)):
            to_tag_check.append(position)
        marked.append(user)
    if not to_tag_check:
        return marked, ()

    def tags(position: int) -> dict[str, str] | AwsError:
        try:
            return reads.user_tags(marked[position].user)
        except AwsError as error:
            return error

    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        for position, result in zip(to_tag_check, pool.map(tags, to_tag_check), strict=True):
            user = marked[position]
            if isinstance(result, AwsError):
                errors.append(f"{user.user}: {result}; the exemption tag was not checked")
                continue
            reason = exemptions.by_tags(result)
            if reason is not None:
                marked[position] = user._replace(exemption=reason)
    return marked, tuple(errors)

"""Scan a live AWS account: the credential report, made exact and fresh by the IAM API.

The report can be up to four hours old and has no access key IDs, so a finding from it alone
cannot safely be acted on. For every credential whose report verdict is not ``in_use``:

* access keys get their IDs and current status (``ListAccessKeys``, matched by creation second,
  :mod:`stalecreds.aws.key_ids`) and, when the report may be stale, their current last use
  (``GetAccessKeyLastUsed``);
* when the report may be stale, passwords are checked to still exist (``GetLoginProfile``) and
  get their current last use (``PasswordLastUsed`` from ``ListUsers`` pages, or ``GetUser``
  when that takes fewer calls).

The report "may be stale" when IAM served a cached one (``GenerateCredentialReport`` answered
``COMPLETE`` at once). When this scan made IAM generate it, it was built from the same last-use
records seconds ago, and re-reading them one call per credential would only repeat it; keys
still get their IDs. With ``recheck="always"`` every credential not in use is re-read anyway.

What a cached report's re-check leaves out, because it cannot change a verdict (unless
``recheck="always"``): ``GetAccessKeyLastUsed`` of a key that was ``Inactive`` in the report
and still is (an inactive key signs no request), and ``GetLoginProfile`` of a password whose
``ListUsers`` sign-in is inside the window (it is ``in_use``; like every credential in use, its
existence rests on the report).

Then every credential is judged again. A call that fails after retries makes that credential's
verdict ``unknown`` (never ``unused``) and is counted in :attr:`ScanResult.errors`. Users
with candidate findings get their tags read for the exemption tag: from
``GetAccountAuthorizationDetails`` pages (1,000 users a call) when at least
:data:`BULK_TAGS_MIN_USERS` users need them and the caller is allowed it, else one
``ListUserTags`` per user. The root user is never passed to a user API: its row is judged from
the report alone.

``source="api"`` skips the report (for principals not allowed to generate one) and builds every
user from ``ListUsers``, ``GetLoginProfile``, ``ListAccessKeys`` and ``GetAccessKeyLastUsed``.
That path cannot see the root user, MFA devices or signing certificates.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from stalecreds.aws.iam_reads import (
    AUTHORIZATION_DETAILS_PAGE_SIZE,
    LIST_USERS_PAGE_SIZE,
    ApiUser,
    IamReads,
)
from stalecreds.aws.key_ids import match_slots
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.aws.report_fetch import fetch_credential_report
from stalecreds.errors import AwsError
from stalecreds.model import AccessKey, Password, Status, UserCredentials
from stalecreds.report.credential_report import CredentialReportReader, WarningLog
from stalecreds.report.input import ReportSource, read_report
from stalecreds.report.scan import ScanResult, Summary, old_report_warning
from stalecreds.rules.assessment import Assessment, assess
from stalecreds.rules.verdicts import Verdict, VerdictRules

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


_DEFAULT_OPTIONS = LiveScanOptions()

BULK_TAGS_MIN_USERS = 10
"""Users needing an exemption-tag read from which ``GetAccountAuthorizationDetails`` is tried.

Below it, one ``ListUserTags`` per user costs as few requests and far smaller answers (a page of
authorization details carries every user's policies and groups too)."""

TagsByUser = dict[str, dict[str, str]]


class _Lookup(NamedTuple):
    """What to read live for one user.

    ``key_slots``: ``None`` for no ``ListAccessKeys``; else the report slots that also get
    ``GetAccessKeyLastUsed``. ``password``: re-check the password (existence, last use).
    ``always``: re-read even what cannot have changed a verdict (``recheck="always"``).
    """

    key_slots: set[int] | None
    password: bool
    always: bool = False


class _Done(NamedTuple):
    """One user after its live reads, with what they found.

    ``notes`` are warnings for the user's report line; ``errors`` are failed credential lookups
    and ``tag_errors`` failed exemption-tag reads, kept apart to be reported in that order.
    ``gone``: IAM says the user no longer exists; it and its credentials are left out.
    """

    user: UserCredentials
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    tag_errors: tuple[str, ...] = ()
    gone: bool = False


class _UserGone(Exception):
    """A user API answered ``NoSuchEntity`` for the user itself: deleted since the report."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def _no_such_entity(error: AwsError) -> bool:
    return error.code == "NoSuchEntity"


def _gone(user: UserCredentials, action: str) -> _Done:
    """The result for a user IAM no longer has: left out, with a note naming the call."""
    return _Done(
        user,
        notes=(
            f"{user.user}: the user no longer exists ({action}: NoSuchEntity; deleted since "
            "the report); it and its credentials are not listed",
        ),
        gone=True,
    )


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

    ``account_name`` (from AWS Organizations) is set on every user. Each user's calls (its
    credentials, then its exemption tag) run as one task on a pool of ``options.workers``
    threads; results are taken in the users' order, so output never depends on timing. Raises
    :class:`~stalecreds.errors.AwsError` when the account cannot be read at all (the report cannot
    be generated or downloaded, or ``ListUsers`` fails); failures of single lookups are
    results, in :attr:`ScanResult.errors`.
    """
    warnings = WarningLog()
    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
        # The pool's first task makes the IAM reads (it loads IAM's paginator definitions)
        # while this thread has IAM generate the report, and waits for it.
        reads = pool.submit(IamReads, iam)
        if options.source == "api":
            done, source = _users_from_api(reads.result(), rules, options, pool)
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
            always = options.recheck == "always"
            full = always or not fetched.fresh
            done = _refresh_from_api(
                reads.result(), users, rules, options, pool, full=full, always=always
            )
    errors: list[str] = []
    for result in done:
        for note in result.notes:
            warnings.add(result.user.line, note)
        errors.extend(result.errors)
    for result in done:
        errors.extend(result.tag_errors)
    summary = Summary()
    assessments: list[Assessment] = []
    for result in done:
        if result.gone:
            continue
        user = result.user
        if account_name is not None:
            user = user._replace(account_name=account_name)
        summary.users += 1
        for assessment in assess(user, rules):
            summary.add(assessment)
            assessments.append(assessment)
    for error in errors:
        warnings.add(None, error)
    return ScanResult(
        source, rules.as_of, rules.thresholds, tuple(assessments), summary, warnings, tuple(errors)
    )


def _in_order(
    work: Callable[[int], _Done], positions: list[int], pool: Executor
) -> dict[int, _Done]:
    """``work`` for every position on ``pool``; results by position, whatever finishes first."""
    return dict(zip(positions, pool.map(work, positions), strict=True))


def _lookups(
    users: list[UserCredentials],
    rules: VerdictRules,
    options: LiveScanOptions,
    *,
    full: bool,
    always: bool = False,
) -> dict[int, _Lookup]:
    """Which users need live reads, and which: by position. Pure.

    Keys whose report verdict is not ``in_use`` (every key with ``all_key_ids``) get their IDs
    and status, and so do the other keys of their user; with ``full``, keys and passwords not
    in use get their last use again too.
    """
    lookups: dict[int, _Lookup] = {}
    for position, user in enumerate(users):
        if user.is_root:
            continue
        key_slots: set[int] | None = None
        password = False
        for assessment in assess(user, rules):
            in_use = assessment.verdict is Verdict.IN_USE
            credential = assessment.credential
            if isinstance(credential, AccessKey) and credential.slot is not None:
                if options.all_key_ids or not in_use:
                    key_slots = set() if key_slots is None else key_slots
                if full and not in_use and key_slots is not None:
                    key_slots.add(credential.slot)
            elif full and isinstance(credential, Password) and not in_use:
                password = True
        if key_slots is not None or password:
            lookups[position] = _Lookup(key_slots, password, always)
    return lookups


def _refresh_from_api(
    reads: IamReads,
    users: list[UserCredentials],
    rules: VerdictRules,
    options: LiveScanOptions,
    pool: Executor,
    *,
    full: bool,
    always: bool = False,
) -> list[_Done]:
    """Re-check the report's users live, in the report's order.

    Users whose credentials are not all ``in_use`` get :func:`_lookups`; users with candidate
    findings then get their exemption tag read.
    """
    users = [_exempt_by_config(user, options) for user in users]
    lookups = _lookups(users, rules, options, full=full, always=always)
    password_users = {position for position, lookup in lookups.items() if lookup.password}
    tag_users = sum(1 for user in users if _needs_tag_check(user, rules))
    # NOTE: ListUsers (when it is used) comes before the per-user tasks, which read its result.
    # GetAccountAuthorizationDetails is the pool's first task, so a user task that waits on it
    # only starts once a worker has taken it (the pool's queue is FIFO): no deadlock, even with
    # one worker, and the per-user reads do not wait for it.
    bulk_tags = pool.submit(_bulk_user_tags, reads, len(users), tag_users)
    sign_ins = _password_sign_ins(reads, users, password_users)

    def work(position: int) -> _Done:
        user = users[position]
        lookup = lookups.get(position)
        done = _Done(user)
        try:
            if lookup is not None:
                done = _refresh_user(reads, user, lookup, sign_ins, rules)
            if not _needs_tag_check(done.user, rules):
                return done
            return _check_exemption_tag(reads, done, rules, options, bulk_tags.result())
        except _UserGone as gone:
            return _gone(user, gone.action)

    positions = [
        position
        for position, user in enumerate(users)
        if position in lookups or _needs_tag_check(user, rules)
    ]
    finished = _in_order(work, positions, pool)
    return [finished.get(position) or _Done(user) for position, user in enumerate(users)]


def _password_sign_ins(
    reads: IamReads, users: list[UserCredentials], password_users: set[int]
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


def _bulk_user_tags(reads: IamReads, users: int, tag_users: int) -> TagsByUser | None:
    """Every user's tags from ``GetAccountAuthorizationDetails``, or ``None``: ask per user.

    Tried when at least :data:`BULK_TAGS_MIN_USERS` of the ``users`` need a tag read and its
    pages take fewer calls; any failure (``AccessDenied``: the permission is not in
    policies/scan.json) falls back to ``ListUserTags`` per user, at the cost of that one call.
    """
    pages = math.ceil(users / AUTHORIZATION_DETAILS_PAGE_SIZE)
    if tag_users < BULK_TAGS_MIN_USERS or tag_users <= pages:
        return None
    try:
        return reads.all_user_tags()
    except AwsError:
        return None


def _refresh_user(
    reads: IamReads,
    user: UserCredentials,
    lookup: _Lookup,
    sign_ins: dict[str, datetime | None] | None,
    rules: VerdictRules,
) -> _Done:
    notes: list[str] = []
    errors: list[str] = []
    keys = list(user.access_keys)
    if lookup.key_slots is not None:
        keys = _refresh_keys(reads, user, lookup.key_slots, notes, errors, always=lookup.always)
    password = user.password
    if lookup.password and password is not None:
        cutoff = None if lookup.always else rules.password_cutoff
        password = _refresh_password(reads, user, password, sign_ins, notes, errors, cutoff)
    return _Done(
        user._replace(password=password, access_keys=tuple(keys)), tuple(notes), tuple(errors)
    )


def _refresh_keys(
    reads: IamReads,
    user: UserCredentials,
    slots_to_check: set[int],
    notes: list[str],
    errors: list[str],
    *,
    always: bool = True,
) -> list[AccessKey]:
    """The user's report keys, with their IDs and status from ``ListAccessKeys``.

    Keys in ``slots_to_check`` also get their last use (``GetAccessKeyLastUsed``), except,
    unless ``always``, a key ``Inactive`` both in the report and now: it signed no request since.
    """
    try:
        listed = reads.list_access_keys(user.user)
    except AwsError as error:
        if _no_such_entity(error):
            raise _UserGone(error.action) from None
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
        was_inactive = key.status is not Status.ACTIVE
        key = key._replace(access_key_id=listed_key.access_key_id, status=listed_key.status)
        still_inactive = was_inactive and listed_key.status is not Status.ACTIVE
        if key.slot in slots_to_check and (always or not still_inactive):
            try:
                key = key._replace(last_use=reads.access_key_last_used(listed_key.access_key_id))
            except AwsError as error:
                if _no_such_entity(error):
                    notes.append(_key_gone_note(user.user, listed_key.access_key_id))
                    continue
                errors.append(f"{user.user}: {error}")
                key = key._replace(lookup_error=str(error))
        keys.append(key)
    return keys


def _key_gone_note(user: str, key_id: str) -> str:
    return (
        f"{user}: access key {key_id} no longer exists (GetAccessKeyLastUsed: NoSuchEntity; "
        "deleted during the scan); not listed"
    )


def _refresh_password(
    reads: IamReads,
    user: UserCredentials,
    password: Password,
    sign_ins: dict[str, datetime | None] | None,
    notes: list[str],
    errors: list[str],
    cutoff: datetime | None = None,
) -> Password | None:
    """The password with its current last use, or ``None`` when it no longer exists.

    With a ``cutoff`` (the window's start), a ``ListUsers`` sign-in at or after it makes the
    password ``in_use`` without ``GetLoginProfile``: like every credential the report shows in
    use, its existence then rests on the report.
    """
    if cutoff is not None and sign_ins is not None:
        signed_in = sign_ins.get(user.user)
        if signed_in is not None and signed_in >= cutoff:
            return password._replace(last_used=max(signed_in, password.last_used or signed_in))
    try:
        if reads.login_profile_created(user.user) is None:
            # NOTE: GetLoginProfile answers NoSuchEntity for a deleted user too; GetUser tells.
            if not reads.user_exists(user.user):
                raise _UserGone("iam:GetLoginProfile, iam:GetUser")
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
        if _no_such_entity(error):  # GetUser: the user itself is gone
            raise _UserGone(error.action) from None
        errors.append(f"{user.user}: {error}")
        return password._replace(lookup_error=str(error))
    # NOTE: the API only ever moves last use forward; keep the later of report and API.
    if password.last_used is not None and (last_used is None or last_used < password.last_used):
        last_used = password.last_used
    return password._replace(last_used=last_used)


def _users_from_api(
    reads: IamReads, rules: VerdictRules, options: LiveScanOptions, pool: Executor
) -> tuple[list[_Done], ReportSource]:
    """Build every user from the IAM API alone (``--source api``), with its exemption."""
    api_users = list(reads.list_users())

    def work(position: int) -> _Done:
        try:
            user, errors, notes = _api_user(reads, api_users[position])
            done = _Done(_exempt_by_config(user, options), tuple(notes), tuple(errors))
            return _check_exemption_tag(reads, done, rules, options)
        except _UserGone as gone:
            return _gone(_api_stub(api_users[position]), gone.action)

    finished = _in_order(work, list(range(len(api_users))), pool)
    done = [finished[position] for position in range(len(api_users))]
    account = done[0].user.account_id if done else "unknown"
    source = ReportSource(name=f"IAM API of account {account}", format="iam-api")
    return done, source


def _api_stub(api_user: ApiUser) -> UserCredentials:
    """``api_user`` without credentials: what is known of a user listed, then deleted."""
    return _api_user_of(api_user, None, ())


def _api_user_of(
    api_user: ApiUser, password: Password | None, keys: tuple[AccessKey, ...]
) -> UserCredentials:
    """The :class:`UserCredentials` of a ``ListUsers`` entry and the credentials read for it."""
    parts = api_user.arn.split(":", 5)
    user = UserCredentials(
        user=api_user.name,
        arn=api_user.arn,
        account_id=parts[4] if len(parts) == 6 else "unknown",
        partition=parts[1] if len(parts) == 6 else "aws",
        is_root=False,
        created=api_user.created,
        mfa_active=None,
        password=password,
        access_keys=keys,
        certificates=(),
    )
    return user


def _api_user(reads: IamReads, api_user: ApiUser) -> tuple[UserCredentials, list[str], list[str]]:
    """The user of one ``ListUsers`` entry, its failed lookups and notes.

    Raises :class:`_UserGone` when ``ListAccessKeys`` says the user no longer exists.
    """
    errors: list[str] = []
    notes: list[str] = []
    name = api_user.name
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
        if _no_such_entity(error):
            raise _UserGone(error.action) from None
        errors.append(f"{name}: {error}; its access keys are not listed")
        listed = []
    for listed_key in listed:
        key = AccessKey(None, listed_key.access_key_id, listed_key.status, listed_key.created, None)
        try:
            key = key._replace(last_use=reads.access_key_last_used(listed_key.access_key_id))
        except AwsError as error:
            if _no_such_entity(error):
                notes.append(_key_gone_note(name, listed_key.access_key_id))
                continue
            errors.append(f"{name}: {error}")
            key = key._replace(lookup_error=str(error))
        keys.append(key)
    return _api_user_of(api_user, password, tuple(keys)), errors, notes


def _exempt_by_config(user: UserCredentials, options: LiveScanOptions) -> UserCredentials:
    """``user``, marked exempt when a config rule matches it. Pure."""
    reason = options.exemptions.by_config(user)
    return user if reason is None else user._replace(exemption=reason)


def _needs_tag_check(user: UserCredentials, rules: VerdictRules) -> bool:
    """Whether ``user``'s tags must be read: no config exemption, not root, a finding. Pure."""
    return (
        user.exemption is None
        and not user.is_root
        and any(a.finding_rules for a in assess(user, rules))
    )


def _check_exemption_tag(
    reads: IamReads,
    done: _Done,
    rules: VerdictRules,
    options: LiveScanOptions,
    bulk: TagsByUser | None = None,
) -> _Done:
    """``done``, its user marked exempt when its exemption tag says so.

    Only users that :func:`_needs_tag_check` are read: from ``bulk`` (every user's tags, from
    ``GetAccountAuthorizationDetails``) when it has the user, else ``ListUserTags``; a failed
    read is a tag error.
    """
    user = done.user
    if not _needs_tag_check(user, rules):
        return done
    try:
        tags = bulk[user.user] if bulk is not None and user.user in bulk else None
        if tags is None:
            tags = reads.user_tags(user.user)
    except AwsError as error:
        if _no_such_entity(error):
            raise _UserGone(error.action) from None
        return done._replace(
            tag_errors=(f"{user.user}: {error}; the exemption tag was not checked",)
        )
    reason = options.exemptions.by_tags(tags)
    return done if reason is None else done._replace(user=user._replace(exemption=reason))

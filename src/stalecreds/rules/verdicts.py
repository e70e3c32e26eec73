"""Pure verdict rules: whether a credential was used within the chosen period.

No I/O and no clock: ``as_of`` is always passed in. The rules, for a credential with last
recorded use ``L`` (``None`` when none is recorded) and creation or last reset ``K``, judged at
``as_of`` with a maximum age of ``N`` days, so that the window starts at ``C = as_of - N days``:

1. ``L >= C``: ``in_use``.
2. Otherwise ``K >= C``: ``new`` (a fresh or freshly reset credential not used since).
3. Passwords only: the window reaches into IAM's 2018 gap in recording password use
   (``C <= gap end`` and ``as_of > gap start``), the password existed before the gap ended
   (``K < gap end``) and ``L`` is ``None`` or before the gap: ``uncertain``.
4. ``L`` is ``None`` and ``K`` is on or after the day IAM began tracking use: ``never_used``.
5. Otherwise: ``unused`` (this includes "no use recorded since tracking began").

A date more than :data:`FUTURE_TOLERANCE` after ``as_of`` is "in the future": a hand-edited
report (they carry 2099), or an ``--as-of`` earlier than the data. A creation or reset in the
future is no evidence: it is set aside and the credential judged on its last use alone
(``uncertain`` when it has none). A use in the future is a use after ``as_of``: the credential
is ``in_use`` (a live account judged with an earlier ``--as-of`` keeps its working keys in use).
Either way the reason says which date is in the future (and the scan warns). A date less than
that after ``as_of`` (a key used while a long scan runs) counts as ``as_of``.

The dates behind rules 3-5 are in :mod:`stalecreds.rules.facts`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from stalecreds.rules.facts import (
    ACCESS_KEY_TRACKING_START,
    PASSWORD_GAP_END,
    PASSWORD_GAP_START,
    PASSWORD_TRACKING_START,
)

DEFAULT_MAX_AGE_DAYS = 90
"""The default maximum age in days; CIS AWS Foundations asks for 45."""
MAX_AGE_LIMIT_DAYS = 36_500
"""The largest maximum age: a century (IAM began recording use in 2014)."""

FUTURE_TOLERANCE = timedelta(days=1)
"""How far after ``as_of`` a date may be and still count as evidence (as ``as_of`` itself).

A live scan takes its ``as_of`` when it starts; a key used while it runs (the scanner's own, or
any other during a scan of an Organization) has a later last-use date. Beyond this, a date is
"in the future": a hand-edited report, or an ``--as-of`` earlier than the report.
"""


def age_days(moment: datetime, as_of: datetime) -> int | None:
    """Whole days from ``moment`` to ``as_of`` (both aware), never negative.

    0 for a moment up to :data:`FUTURE_TOLERANCE` after ``as_of``; ``None`` for one further in
    the future, which has no age.
    """
    days = (as_of - moment).days
    if days >= 0:
        return days
    return 0 if moment - as_of <= FUTURE_TOLERANCE else None


class Verdict(enum.StrEnum):
    """The one verdict each credential gets. The value is the JSON/CSV ``verdict`` field."""

    IN_USE = "in_use"
    """Used within the window."""
    NEW = "new"
    """Not used within the window, but created or reset within it."""
    UNCERTAIN = "uncertain"
    """Use may have gone unrecorded: a password's in IAM's 2018 recording gap, or any use in a
    window that starts before IAM began recording it (only for an ``as_of`` in 2014-2015)."""
    NEVER_USED = "never_used"
    """No use ever recorded, and created after IAM began tracking use."""
    UNUSED = "unused"
    """Last used before the window, or no use recorded since tracking began."""
    UNTRACKED = "untracked"
    """A signing certificate or MFA device: IAM does not record its use."""
    UNKNOWN = "unknown"
    """The evidence could not be read (for example, a failed API call)."""


FINDING_VERDICTS = frozenset({Verdict.UNUSED, Verdict.NEVER_USED, Verdict.UNCERTAIN})
"""Verdicts that make a finding when the credential still works."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Maximum ages in days: a credential not used for longer than this is unused.

    Raises ``ValueError`` when either is below 1 or above :data:`MAX_AGE_LIMIT_DAYS`.
    """

    password_days: int = DEFAULT_MAX_AGE_DAYS
    access_key_days: int = DEFAULT_MAX_AGE_DAYS

    def __post_init__(self) -> None:
        if self.password_days < 1 or self.access_key_days < 1:
            raise ValueError("maximum ages must be at least 1 day")
        if max(self.password_days, self.access_key_days) > MAX_AGE_LIMIT_DAYS:
            raise ValueError(f"maximum ages must be at most {MAX_AGE_LIMIT_DAYS:,} days")


class Judgement(NamedTuple):
    """A verdict and the one-sentence reason for it, naming the dates used."""

    verdict: Verdict
    reason: str


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


# The reasons, with ``{0}`` and ``{1}`` for days and ``{inside}``/``{outside}`` for the window.
_PASSWORD_GAP = (
    f"IAM did not record password use from {_day(PASSWORD_GAP_START)} "
    f"to {_day(PASSWORD_GAP_END)}, {{inside}}."
)
_SIGNED_IN = "Last sign-in {0}, {inside}."
_NO_SIGN_IN_YET = "No sign-in yet; {dated.short} {0}, {inside}."
_SET_AGAIN = "Last sign-in {0}, but {dated.again} {1}, {inside}."
_NO_SIGN_IN_IN_GAP = "No sign-in recorded, but " + _PASSWORD_GAP
_SIGN_IN_BEFORE_GAP = "Last sign-in {0}, but " + _PASSWORD_GAP
_NO_SIGN_IN_SINCE_SET = "No sign-in since {dated.since} {0}, {outside}."
_NO_SIGN_IN_SINCE_TRACKING = (
    f"No sign-in since IAM began recording them on {_day(PASSWORD_TRACKING_START)}; "
    "{dated.short} {0}, {outside}."
)
_SIGNED_IN_BEFORE = "Last sign-in {0}, {outside}."
_PASSWORD_TRACKING = (
    f"IAM began recording sign-ins only on {_day(PASSWORD_TRACKING_START)}, {{inside}}."
)
_NO_SIGN_IN_BEFORE_TRACKING = "No sign-in recorded, but " + _PASSWORD_TRACKING
_SIGN_IN_BEFORE_TRACKING = "Last sign-in {0}, but " + _PASSWORD_TRACKING
_USED = "Last used {0}, {inside}."
_NOT_USED_YET = "Not used yet; created {0}, {inside}."
_CREATED_AFTER_USE = "Last used {0}, but created {1}, {inside}."
_NOT_USED_SINCE_CREATED = "Never used since created {0}, {outside}."
_NO_USE_SINCE_TRACKING = (
    f"No use since IAM began recording it on {_day(ACCESS_KEY_TRACKING_START)}; "
    "created {0}, {outside}."
)
_USED_BEFORE = "Last used {0}, {outside}."
_KEY_TRACKING = (
    f"IAM began recording access-key use only on {_day(ACCESS_KEY_TRACKING_START)}, {{inside}}."
)
_NO_USE_BEFORE_TRACKING = "No use recorded, but " + _KEY_TRACKING
_USE_BEFORE_TRACKING = "Last used {0}, but " + _KEY_TRACKING
_AFTER_AS_OF = "after the as-of time {as_of}: the date is in the future"
_SIGN_IN_IN_FUTURE = (
    "Last sign-in recorded {0}, "
    + _AFTER_AS_OF
    + "; a sign-in after the as-of time counts as in use."
)
_NO_SIGN_IN_SET_IN_FUTURE = (
    "No sign-in recorded, and the date {dated.since}, {0}, is "
    + _AFTER_AS_OF
    + ", so the password's age cannot be judged."
)
_SET_IN_FUTURE = (
    " The date {dated.since}, {0}, is after the as-of time {as_of}: it is in the future, so "
    "only the last sign-in counts."
)
_USE_IN_FUTURE = (
    "Last use recorded {0}, " + _AFTER_AS_OF + "; a use after the as-of time counts as in use."
)
_NOT_USED_CREATED_IN_FUTURE = (
    "Not used, and created {0}, " + _AFTER_AS_OF + ", so the key's age cannot be judged."
)
_CREATED_IN_FUTURE = (
    " Its creation date {0} is after the as-of time {as_of}: it is in the future, so only the "
    "last use counts."
)


class PasswordDate(NamedTuple):
    """What the date a password is judged by stands for, in the words of its reasons."""

    short: str
    """E.g. ``password set`` (``… ; password set 2025-01-01, before the window …``)."""
    since: str
    """E.g. ``the password was set`` (``No sign-in since the password was set …``)."""
    again: str
    """E.g. ``password set again`` (``Last sign-in …, but password set again …``)."""


PASSWORD_SET = PasswordDate("password set", "the password was set", "password set again")
"""The date is when the password was last set (report ``password_last_changed``)."""
USER_CREATED = PasswordDate("user created", "the user was created", "user created")
"""The password's date is unknown; the user's creation (``user_creation_time``) stands in."""
ACCOUNT_CREATED = PasswordDate("account created", "the account was created", "account created")
"""The root user's password date is never reported (``not_supported``): the account's creation
(the root row's ``user_creation_time``) stands in."""


_MEMO_LIMIT = 100_000
"""Judgements a window keeps before it starts afresh (a bound on memory for odd reports)."""


class _Window:
    """The window ``[as_of - days, as_of]`` for one kind of credential; words its judgements."""

    __slots__ = ("_judgements", "as_of", "cutoff", "days", "future", "inside", "outside")

    def __init__(self, as_of: datetime, days: int) -> None:
        self.as_of = as_of
        self.days = days
        self.cutoff = as_of - timedelta(days=days)
        self.future = as_of + FUTURE_TOLERANCE
        window = f"the {days}-day window that starts {_day(self.cutoff)}"
        self.inside = f"inside {window}"
        self.outside = f"before {window}"
        self._judgements: dict[tuple[str, date | None, date | None, PasswordDate], Judgement] = {}

    def judgement(
        self,
        verdict: Verdict,
        reason: str,
        first: datetime | None = None,
        second: datetime | None = None,
        dated: PasswordDate = PASSWORD_SET,
    ) -> Judgement:
        """``verdict`` with ``reason`` filled in with the days of ``first`` and ``second``.

        Judgements are kept by reason and days: most credentials share theirs with an earlier
        one (in a typical report, 19 in 20 do), and finding it costs less than wording it again.
        """
        key = (
            reason,
            None if first is None else first.date(),
            None if second is None else second.date(),
            dated,
        )
        judgement = self._judgements.get(key)
        if judgement is None:
            if len(self._judgements) >= _MEMO_LIMIT:
                self._judgements.clear()
            text = reason.format(
                None if first is None else _day(first),
                None if second is None else _day(second),
                inside=self.inside,
                outside=self.outside,
                dated=dated,
                as_of=self.as_of.strftime("%Y-%m-%d %H:%M UTC"),
            )
            judgement = self._judgements[key] = Judgement(verdict, text)
        return judgement


# Attribute access on an Enum class is slow in Python 3.11; the rules use these names.
_IN_USE = Verdict.IN_USE
_NEW = Verdict.NEW
_UNCERTAIN = Verdict.UNCERTAIN
_NEVER_USED = Verdict.NEVER_USED
_UNUSED = Verdict.UNUSED


class VerdictRules:
    """The verdict rules for one scan: an ``as_of`` time (aware UTC) and :class:`Thresholds`.

    Raises ``ValueError`` when ``as_of`` is naive.
    """

    __slots__ = (
        "_gap_in_window",
        "_key",
        "_key_untracked_in_window",
        "_password",
        "_password_untracked_in_window",
        "as_of",
        "thresholds",
    )

    def __init__(self, as_of: datetime, thresholds: Thresholds) -> None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError("as_of must be an aware datetime")
        self.as_of = as_of
        self.thresholds = thresholds
        self._password = _Window(as_of, thresholds.password_days)
        self._key = _Window(as_of, thresholds.access_key_days)
        # The window reaches into the 2018 gap when it starts before the gap ended and ends
        # after the gap began.
        self._gap_in_window = (
            self._password.cutoff <= PASSWORD_GAP_END and as_of > PASSWORD_GAP_START
        )
        # Part of the window precedes the start of IAM's recording of use (old as-of times).
        self._password_untracked_in_window = self._password.cutoff < PASSWORD_TRACKING_START
        self._key_untracked_in_window = self._key.cutoff < ACCESS_KEY_TRACKING_START

    @property
    def password_cutoff(self) -> datetime:
        """Start of the password window: ``as_of`` minus the password maximum age."""
        return self._password.cutoff

    @property
    def access_key_cutoff(self) -> datetime:
        """Start of the access-key window: ``as_of`` minus the access-key maximum age."""
        return self._key.cutoff

    def password(
        self, last_used: datetime | None, set_at: datetime, dated: PasswordDate = PASSWORD_SET
    ) -> Judgement:
        """Judge a console password.

        ``last_used`` is report ``password_last_used`` / API ``PasswordLastUsed`` (``None`` when no
        sign-in is recorded); ``set_at`` is ``password_last_changed``, or ``user_creation_time``
        when the password's date is unknown, and ``dated`` says which (for the reason's words).
        """
        window = self._password
        if last_used is not None and last_used > window.future:
            return window.judgement(_IN_USE, _SIGN_IN_IN_FUTURE, last_used)
        if set_at > window.future:
            if last_used is None:
                return window.judgement(_UNCERTAIN, _NO_SIGN_IN_SET_IN_FUTURE, set_at, dated=dated)
            # Set aside: the password existed at least since its last sign-in.
            judged = self.password(last_used, last_used, dated)
            note = window.judgement(judged.verdict, _SET_IN_FUTURE, set_at, dated=dated)
            return Judgement(judged.verdict, judged.reason + note.reason)
        if last_used is not None and last_used >= window.cutoff:
            return window.judgement(_IN_USE, _SIGNED_IN, last_used)
        if set_at >= window.cutoff:
            if last_used is None:
                return window.judgement(_NEW, _NO_SIGN_IN_YET, set_at, dated=dated)
            return window.judgement(_NEW, _SET_AGAIN, last_used, set_at, dated)
        if (
            self._gap_in_window
            and set_at < PASSWORD_GAP_END
            and (last_used is None or last_used < PASSWORD_GAP_START)
        ):
            if last_used is None:
                return window.judgement(_UNCERTAIN, _NO_SIGN_IN_IN_GAP)
            return window.judgement(_UNCERTAIN, _SIGN_IN_BEFORE_GAP, last_used)
        if self._password_untracked_in_window:
            if last_used is None:
                return window.judgement(_UNCERTAIN, _NO_SIGN_IN_BEFORE_TRACKING)
            return window.judgement(_UNCERTAIN, _SIGN_IN_BEFORE_TRACKING, last_used)
        if last_used is None:
            if set_at >= PASSWORD_TRACKING_START:
                return window.judgement(_NEVER_USED, _NO_SIGN_IN_SINCE_SET, set_at, dated=dated)
            return window.judgement(_UNUSED, _NO_SIGN_IN_SINCE_TRACKING, set_at, dated=dated)
        return window.judgement(_UNUSED, _SIGNED_IN_BEFORE, last_used)

    def access_key(self, last_used: datetime | None, created: datetime) -> Judgement:
        """Judge an access key.

        ``last_used`` is report ``access_key_N_last_used_date`` / API ``LastUsedDate`` (``None``
        when no use is recorded); ``created`` is ``access_key_N_last_rotated`` / ``CreateDate``.
        """
        window = self._key
        if last_used is not None and last_used > window.future:
            return window.judgement(_IN_USE, _USE_IN_FUTURE, last_used)
        if created > window.future:
            if last_used is None:
                return window.judgement(_UNCERTAIN, _NOT_USED_CREATED_IN_FUTURE, created)
            # Set aside: the key existed at least since its last use.
            judged = self.access_key(last_used, last_used)
            note = window.judgement(judged.verdict, _CREATED_IN_FUTURE, created)
            return Judgement(judged.verdict, judged.reason + note.reason)
        if last_used is not None and last_used >= window.cutoff:
            return window.judgement(_IN_USE, _USED, last_used)
        if created >= window.cutoff:
            if last_used is None:
                return window.judgement(_NEW, _NOT_USED_YET, created)
            return window.judgement(_NEW, _CREATED_AFTER_USE, last_used, created)
        if self._key_untracked_in_window:
            if last_used is None:
                return window.judgement(_UNCERTAIN, _NO_USE_BEFORE_TRACKING)
            return window.judgement(_UNCERTAIN, _USE_BEFORE_TRACKING, last_used)
        if last_used is None:
            if created >= ACCESS_KEY_TRACKING_START:
                return window.judgement(_NEVER_USED, _NOT_USED_SINCE_CREATED, created)
            return window.judgement(_UNUSED, _NO_USE_SINCE_TRACKING, created)
        return window.judgement(_UNUSED, _USED_BEFORE, last_used)


def unknown(error: str) -> Judgement:
    """The judgement of a credential whose evidence could not be read: never ``unused``."""
    return Judgement(Verdict.UNKNOWN, f"Could not read its use from IAM: {error}.")


UNTRACKED_CERTIFICATE = Judgement(
    Verdict.UNTRACKED, "IAM does not record when a signing certificate is used."
)
"""The judgement every signing certificate gets."""

UNTRACKED_MFA_DEVICE = Judgement(
    Verdict.UNTRACKED, "IAM does not record when an MFA device is used."
)
"""The judgement every MFA device gets (root users read through centralized root access)."""

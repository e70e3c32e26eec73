"""VerdictRules on its own: each rule at its boundaries, and properties that must always hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stalecreds import CredentialKind, Verdict, scan_report
from stalecreds.rules.facts import ACCESS_KEY_TRACKING_START
from stalecreds.rules.verdicts import FUTURE_TOLERANCE, Judgement, Thresholds, VerdictRules
from tests.conftest import ROOT, report, report_row


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


SECOND = timedelta(seconds=1)

AS_OF = utc(2025, 6, 1)
CUTOFF = utc(2025, 3, 3)  # 2025-06-01 minus 90 days
OLD = utc(2024, 1, 1)

PASSWORD_TRACKING = utc(2014, 10, 20)
KEY_TRACKING = utc(2015, 4, 22)
GAP_START = utc(2018, 5, 4, 5, 50)
GAP_END = utc(2018, 5, 23, 21, 8)

GAP_AS_OF = utc(2018, 6, 1)  # 90-day window starts 2018-03-03: reaches into the gap
GAP_CUTOFF = utc(2018, 3, 3)
EDGE_AS_OF = utc(2018, 8, 21, 21, 8)  # 90-day window starts exactly at the gap end
BEFORE_GAP = utc(2017, 1, 1)

PASSWORD = CredentialKind.PASSWORD
KEY = CredentialKind.ACCESS_KEY


def judge(
    kind: CredentialKind,
    as_of: datetime,
    days: int,
    last_used: datetime | None,
    created: datetime,
) -> Judgement:
    rules = VerdictRules(as_of, Thresholds(password_days=days, access_key_days=days))
    if kind is PASSWORD:
        return rules.password(last_used, created)
    return rules.access_key(last_used, created)


def test_cutoffs_used_by_the_table() -> None:
    assert VerdictRules(AS_OF, Thresholds()).password_cutoff == CUTOFF
    assert VerdictRules(AS_OF, Thresholds()).access_key_cutoff == CUTOFF
    assert VerdictRules(GAP_AS_OF, Thresholds()).password_cutoff == GAP_CUTOFF
    assert VerdictRules(EDGE_AS_OF, Thresholds()).password_cutoff == GAP_END
    rules = VerdictRules(AS_OF, Thresholds(password_days=45, access_key_days=1))
    assert rules.password_cutoff == utc(2025, 4, 17)
    assert rules.access_key_cutoff == utc(2025, 5, 31)


# (id, kind, as_of, days, last_used, created, verdict, dates the reason must name)
BOUNDARY_CASES = [
    # Rule 1: last use at or after the cutoff.
    ("pw-used-at-cutoff", PASSWORD, AS_OF, 90, CUTOFF, OLD, Verdict.IN_USE, ["2025-03-03"]),
    (
        "pw-used-1s-before-cutoff",
        PASSWORD,
        AS_OF,
        90,
        CUTOFF - SECOND,
        OLD,
        Verdict.UNUSED,
        ["2025-03-02", "2025-03-03"],
    ),
    ("key-used-at-cutoff", KEY, AS_OF, 90, CUTOFF, OLD, Verdict.IN_USE, ["2025-03-03"]),
    (
        "key-used-1s-before-cutoff",
        KEY,
        AS_OF,
        90,
        CUTOFF - SECOND,
        OLD,
        Verdict.UNUSED,
        ["2025-03-02", "2025-03-03"],
    ),
    # Rule 2: created / reset at or after the cutoff.
    ("pw-set-at-cutoff", PASSWORD, AS_OF, 90, None, CUTOFF, Verdict.NEW, ["2025-03-03"]),
    (
        "pw-reset-at-cutoff-after-old-use",
        PASSWORD,
        AS_OF,
        90,
        OLD,
        CUTOFF,
        Verdict.NEW,
        ["2024-01-01", "2025-03-03"],
    ),
    (
        "pw-set-1s-before-cutoff",
        PASSWORD,
        AS_OF,
        90,
        None,
        CUTOFF - SECOND,
        Verdict.NEVER_USED,
        ["2025-03-02", "2025-03-03"],
    ),
    ("key-created-at-cutoff", KEY, AS_OF, 90, None, CUTOFF, Verdict.NEW, ["2025-03-03"]),
    (
        "key-created-at-cutoff-after-old-use",
        KEY,
        AS_OF,
        90,
        OLD,
        CUTOFF,
        Verdict.NEW,
        ["2024-01-01", "2025-03-03"],
    ),
    (
        "key-created-1s-before-cutoff",
        KEY,
        AS_OF,
        90,
        None,
        CUTOFF - SECOND,
        Verdict.NEVER_USED,
        ["2025-03-02", "2025-03-03"],
    ),
    # Rules 4/5: tracking start. 2025 with 90 days is far from the 2018 gap.
    (
        "pw-set-at-tracking-start",
        PASSWORD,
        AS_OF,
        90,
        None,
        PASSWORD_TRACKING,
        Verdict.NEVER_USED,
        ["2014-10-20", "2025-03-03"],
    ),
    (
        "pw-set-1s-before-tracking-start",
        PASSWORD,
        AS_OF,
        90,
        None,
        PASSWORD_TRACKING - SECOND,
        Verdict.UNUSED,
        ["2014-10-20", "2014-10-19", "2025-03-03"],
    ),
    (
        "key-created-at-tracking-start",
        KEY,
        AS_OF,
        90,
        None,
        KEY_TRACKING,
        Verdict.NEVER_USED,
        ["2015-04-22", "2025-03-03"],
    ),
    (
        "key-created-1s-before-tracking-start",
        KEY,
        AS_OF,
        90,
        None,
        KEY_TRACKING - SECOND,
        Verdict.UNUSED,
        ["2015-04-22", "2015-04-21", "2025-03-03"],
    ),
    # The password tracking date does not apply to keys, and vice versa.
    (
        "key-created-at-password-tracking-start",
        KEY,
        AS_OF,
        90,
        None,
        PASSWORD_TRACKING,
        Verdict.UNUSED,
        ["2015-04-22", "2014-10-20"],
    ),
    (
        "pw-set-between-the-tracking-starts",
        PASSWORD,
        AS_OF,
        90,
        None,
        KEY_TRACKING - SECOND,
        Verdict.NEVER_USED,
        ["2015-04-21"],
    ),
    # Rule 3: the 2018 gap (passwords only).
    (
        "gap-no-use",
        PASSWORD,
        GAP_AS_OF,
        90,
        None,
        BEFORE_GAP,
        Verdict.UNCERTAIN,
        ["2018-05-04", "2018-05-23", "2018-03-03"],
    ),
    (
        "gap-use-before-cutoff",
        PASSWORD,
        GAP_AS_OF,
        90,
        utc(2018, 1, 1),
        BEFORE_GAP,
        Verdict.UNCERTAIN,
        ["2018-01-01", "2018-05-04", "2018-05-23"],
    ),
    (
        "gap-password-set-before-tracking-start",
        PASSWORD,
        GAP_AS_OF,
        90,
        None,
        utc(2014, 1, 1),
        Verdict.UNCERTAIN,
        ["2018-05-04", "2018-05-23"],
    ),
    (
        "gap-last-use-1s-before-gap-start",
        PASSWORD,
        EDGE_AS_OF,
        90,
        GAP_START - SECOND,
        BEFORE_GAP,
        Verdict.UNCERTAIN,
        ["2018-05-04", "2018-05-23"],
    ),
    (
        # Impossible data (IAM recorded nothing in the gap), but the rule says: not before it.
        "gap-last-use-at-gap-start",
        PASSWORD,
        EDGE_AS_OF,
        90,
        GAP_START,
        BEFORE_GAP,
        Verdict.UNUSED,
        ["2018-05-04", "2018-05-23"],
    ),
    (
        "gap-last-use-after-cutoff",
        PASSWORD,
        GAP_AS_OF,
        90,
        GAP_CUTOFF,
        BEFORE_GAP,
        Verdict.IN_USE,
        ["2018-03-03"],
    ),
    (
        "gap-set-1s-before-gap-end",
        PASSWORD,
        EDGE_AS_OF,
        90,
        None,
        GAP_END - SECOND,
        Verdict.UNCERTAIN,
        ["2018-05-04", "2018-05-23"],
    ),
    # A password set at or after the gap end is never uncertain: it is then inside the window.
    ("gap-set-at-gap-end", PASSWORD, EDGE_AS_OF, 90, None, GAP_END, Verdict.NEW, ["2018-05-23"]),
    (
        "gap-set-after-gap-end",
        PASSWORD,
        GAP_AS_OF,
        90,
        None,
        GAP_END + SECOND,
        Verdict.NEW,
        ["2018-05-23", "2018-03-03"],
    ),
    (
        "gap-cutoff-exactly-at-gap-end",
        PASSWORD,
        EDGE_AS_OF,
        90,
        None,
        BEFORE_GAP,
        Verdict.UNCERTAIN,
        ["2018-05-04", "2018-05-23"],
    ),
    (
        "gap-cutoff-1s-after-gap-end",
        PASSWORD,
        EDGE_AS_OF + SECOND,
        90,
        None,
        BEFORE_GAP,
        Verdict.NEVER_USED,
        ["2017-01-01", "2018-05-23"],
    ),
    (
        "gap-cutoff-1s-after-gap-end-with-old-use",
        PASSWORD,
        EDGE_AS_OF + SECOND,
        90,
        utc(2018, 1, 1),
        BEFORE_GAP,
        Verdict.UNUSED,
        ["2018-01-01", "2018-05-23"],
    ),
    (
        "gap-as-of-exactly-at-gap-start",
        PASSWORD,
        GAP_START,
        90,
        None,
        BEFORE_GAP,
        Verdict.NEVER_USED,
        ["2017-01-01"],
    ),
    (
        "gap-as-of-1s-after-gap-start",
        PASSWORD,
        GAP_START + SECOND,
        90,
        None,
        BEFORE_GAP,
        Verdict.UNCERTAIN,
        ["2018-05-04", "2018-05-23"],
    ),
    (
        "gap-long-threshold-today",
        PASSWORD,
        AS_OF,
        3000,  # window starts 2017-03-15
        utc(2016, 6, 1),
        utc(2016, 1, 1),
        Verdict.UNCERTAIN,
        ["2016-06-01", "2017-03-15"],
    ),
    # Access-key use was recorded through the gap: keys are never uncertain.
    (
        "gap-key-never-used",
        KEY,
        GAP_AS_OF,
        90,
        None,
        BEFORE_GAP,
        Verdict.NEVER_USED,
        ["2017-01-01"],
    ),
    (
        "gap-key-used-before-cutoff",
        KEY,
        GAP_AS_OF,
        90,
        utc(2018, 1, 1),
        BEFORE_GAP,
        Verdict.UNUSED,
        ["2018-01-01", "2018-03-03"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "as_of", "days", "last_used", "created", "verdict", "dates"),
    [pytest.param(*case[1:], id=case[0]) for case in BOUNDARY_CASES],
)
def test_rule_boundaries(
    kind: CredentialKind,
    as_of: datetime,
    days: int,
    last_used: datetime | None,
    created: datetime,
    verdict: Verdict,
    dates: list[str],
) -> None:
    judgement = judge(kind, as_of, days, last_used, created)
    assert judgement.verdict is verdict
    for day in dates:
        assert day in judgement.reason, (day, judgement.reason)


def test_reason_texts_in_full() -> None:
    rules = VerdictRules(GAP_AS_OF, Thresholds())
    assert rules.password(None, BEFORE_GAP).reason == (
        "No sign-in recorded, but IAM did not record password use from 2018-05-04 to "
        "2018-05-23, inside the 90-day window that starts 2018-03-03."
    )
    rules = VerdictRules(AS_OF, Thresholds(password_days=90, access_key_days=30))
    assert rules.password(CUTOFF, OLD).reason == (
        "Last sign-in 2025-03-03, inside the 90-day window that starts 2025-03-03."
    )
    assert rules.access_key(None, utc(2020, 2, 3)).reason == (
        "Never used since created 2020-02-03, before the 30-day window that starts 2025-05-02."
    )
    assert rules.access_key(None, utc(2012, 1, 29)).reason == (
        "No use since IAM began recording it on 2015-04-22; created 2012-01-29, "
        "before the 30-day window that starts 2025-05-02."
    )


def test_password_and_key_use_their_own_thresholds() -> None:
    rules = VerdictRules(AS_OF, Thresholds(password_days=10, access_key_days=100))
    last_used = utc(2025, 4, 1)  # 61 days before as_of
    assert rules.password(last_used, OLD).verdict is Verdict.UNUSED
    assert rules.access_key(last_used, OLD).verdict is Verdict.IN_USE


def test_aware_as_of_in_another_zone_judges_the_same_instant() -> None:
    kiritimati = timezone(timedelta(hours=14))
    local = VerdictRules(datetime(2025, 6, 1, 14, 0, tzinfo=kiritimati), Thresholds())
    assert local.password_cutoff == CUTOFF
    assert local.password(CUTOFF, OLD).verdict is Verdict.IN_USE
    assert local.password(CUTOFF - SECOND, OLD).verdict is Verdict.UNUSED


def test_naive_as_of_raises() -> None:
    with pytest.raises(ValueError, match="aware"):
        VerdictRules(datetime(2025, 6, 1), Thresholds())


def test_naive_as_of_raises_through_scan_report() -> None:
    with pytest.raises(ValueError, match="aware"):
        scan_report(report(report_row()), as_of=datetime(2025, 6, 1))


@pytest.mark.parametrize(
    ("password_days", "access_key_days"),
    [(0, 90), (90, 0), (-1, 90), (90, -5), (0, 0)],
)
def test_thresholds_below_one_raise(password_days: int, access_key_days: int) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        Thresholds(password_days, access_key_days)


def test_thresholds_of_one_day_are_allowed() -> None:
    thresholds = Thresholds(1, 1)
    assert (thresholds.password_days, thresholds.access_key_days) == (1, 1)
    assert Thresholds() == Thresholds(90, 90)
    rules = VerdictRules(AS_OF, thresholds)
    assert rules.password(AS_OF - timedelta(days=1), OLD).verdict is Verdict.IN_USE
    assert rules.password(AS_OF - timedelta(days=1) - SECOND, OLD).verdict is Verdict.UNUSED


# --- properties -------------------------------------------------------------------------------

SPECIAL_MOMENTS = [
    moment + delta
    for moment in (PASSWORD_TRACKING, KEY_TRACKING, GAP_START, GAP_END, AS_OF, CUTOFF)
    for delta in (-SECOND, timedelta(0), SECOND)
]

moments = st.one_of(
    st.datetimes(
        min_value=datetime(2012, 1, 1),
        max_value=datetime(2027, 1, 1),
        timezones=st.just(UTC),
    ),
    # Near the 2018 gap, where rule 3 applies and most interactions between rules happen.
    st.datetimes(
        min_value=datetime(2017, 9, 1),
        max_value=datetime(2018, 12, 1),
        timezones=st.just(UTC),
    ),
    # Within a few weeks of the gap itself.
    st.datetimes(
        min_value=datetime(2018, 4, 20),
        max_value=datetime(2018, 6, 10),
        timezones=st.just(UTC),
    ),
    st.sampled_from(SPECIAL_MOMENTS),
)
# IAM recorded no password use from GAP_START to GAP_END, so no real password can have a last
# use inside that span. Rule 3 only marks a password uncertain when its last use is *before*
# the gap; a (impossible) last use inside the gap would turn "uncertain" into "unused" and
# break monotonicity for a reason that cannot occur in real data.
password_uses = st.one_of(st.none(), moments.filter(lambda m: not (GAP_START <= m < GAP_END)))
key_uses = st.one_of(st.none(), moments)
max_ages = st.one_of(st.integers(min_value=1, max_value=4000), st.sampled_from([1, 45, 90]))
kinds = st.sampled_from([PASSWORD, KEY])

RANK = {
    Verdict.IN_USE: 0,
    Verdict.NEW: 1,
    Verdict.UNCERTAIN: 2,
    Verdict.NEVER_USED: 3,
    Verdict.UNUSED: 3,
}


def not_in_the_future(as_of: datetime, *dates: datetime | None) -> bool:
    """True when no date is after ``as_of`` (beyond the tolerance).

    A creation date in the future is no evidence (issue 12, item 5): it is set aside, or the
    verdict is ``uncertain``, so the properties below that order verdicts by creation dates hold
    for dates up to the as-of time; tests/test_future_dates.py checks dates in the future.
    """
    return all(date is None or date <= as_of + FUTURE_TOLERANCE for date in dates)


def later_or_equal(
    first: datetime | None, second: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Order two last uses, with None (no recorded use) as the earliest."""
    if first is None:
        return first, second
    if second is None:
        return second, first
    return (first, second) if first <= second else (second, first)


# Windows are drawn by their start (the cutoff) and length, so that cutoffs land near the 2018
# gap and the tracking starts often enough for the rules to interact.
windows = st.tuples(moments, max_ages).map(lambda w: (w[0] + timedelta(days=w[1]), w[1]))


@settings(max_examples=200, deadline=None)
@given(
    kind=kinds,
    window=windows,
    last_used=st.one_of(st.none(), moments),
    created=moments,
)
def test_every_credential_gets_exactly_one_judgement(
    kind: CredentialKind,
    window: tuple[datetime, int],
    last_used: datetime | None,
    created: datetime,
) -> None:
    as_of, days = window
    judgement = judge(kind, as_of, days, last_used, created)
    assert isinstance(judgement, Judgement)
    assert type(judgement.verdict) is Verdict
    assert judgement.verdict in RANK
    if (
        kind is KEY
        and as_of - timedelta(days=days) >= ACCESS_KEY_TRACKING_START
        and not_in_the_future(as_of, last_used, created)
    ):
        assert judgement.verdict is not Verdict.UNCERTAIN  # no gap in key records
    assert judgement.reason.endswith(".")
    assert judgement == judge(kind, as_of, days, last_used, created)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), kind=kinds, window=windows, created=moments)
def test_later_last_use_never_makes_the_verdict_worse(
    data: st.DataObject,
    kind: CredentialKind,
    window: tuple[datetime, int],
    created: datetime,
) -> None:
    as_of, days = window
    uses = password_uses if kind is PASSWORD else key_uses
    earlier, later = later_or_equal(data.draw(uses), data.draw(uses))
    assume(not_in_the_future(as_of, created))  # a use in the future is in use: no exclusion
    before = judge(kind, as_of, days, earlier, created).verdict
    after = judge(kind, as_of, days, later, created).verdict
    assert RANK[after] <= RANK[before], (earlier, later, before, after)


# Cutoffs from a month before the gap to its end: every such window reaches into the gap.
gap_cutoffs = st.datetimes(
    min_value=datetime(2018, 4, 4),
    max_value=datetime(2018, 5, 23, 21, 8),
    timezones=st.just(UTC),
)
near_gap = st.datetimes(
    min_value=datetime(2018, 1, 1),
    max_value=datetime(2018, 7, 1),
    timezones=st.just(UTC),
)


@settings(max_examples=200, deadline=None)
@given(
    cutoff=gap_cutoffs,
    days=max_ages,
    created=st.one_of(near_gap, moments),
    uses=st.tuples(
        st.one_of(st.none(), near_gap, moments),
        st.one_of(st.none(), near_gap, moments),
    ),
)
def test_later_password_use_never_worse_when_the_window_reaches_the_gap(
    cutoff: datetime,
    days: int,
    created: datetime,
    uses: tuple[datetime | None, datetime | None],
) -> None:
    # Same property as above, concentrated where rule 3 applies. Last uses inside the gap are
    # left out for the reason given at password_uses: IAM recorded none there.
    assume(all(use is None or not (GAP_START <= use < GAP_END) for use in uses))
    as_of = cutoff + timedelta(days=days)
    earlier, later = later_or_equal(*uses)
    assume(not_in_the_future(as_of, created))  # a use in the future is in use: no exclusion
    before = judge(PASSWORD, as_of, days, earlier, created).verdict
    after = judge(PASSWORD, as_of, days, later, created).verdict
    assert RANK[after] <= RANK[before], (earlier, later, before, after)


@settings(max_examples=200, deadline=None)
@given(
    kind=kinds,
    shorter_window=windows,
    extra_days=st.one_of(st.integers(min_value=0, max_value=4000), st.sampled_from([0, 1])),
    last_used=st.one_of(st.none(), moments),
    created=moments,
)
def test_larger_max_age_never_makes_the_verdict_worse(
    kind: CredentialKind,
    shorter_window: tuple[datetime, int],
    extra_days: int,
    last_used: datetime | None,
    created: datetime,
) -> None:
    as_of, shorter = shorter_window
    longer = shorter + extra_days
    before = judge(kind, as_of, shorter, last_used, created).verdict
    after = judge(kind, as_of, longer, last_used, created).verdict
    assert RANK[after] <= RANK[before], (shorter, longer, before, after)


@settings(max_examples=200, deadline=None)
@given(
    kind=kinds,
    window=windows,
    last_used=st.one_of(st.none(), moments),
    created=st.tuples(moments, moments).map(sorted),
)
def test_later_creation_never_makes_the_verdict_worse(
    kind: CredentialKind,
    window: tuple[datetime, int],
    last_used: datetime | None,
    created: list[datetime],
) -> None:
    as_of, days = window
    earlier, later = created
    assume(not_in_the_future(as_of, last_used, earlier, later))
    before = judge(kind, as_of, days, last_used, earlier).verdict
    after = judge(kind, as_of, days, last_used, later).verdict
    assert RANK[after] <= RANK[before], (earlier, later, before, after)


# --- time-zone independence -------------------------------------------------------------------

TZ_AS_OF = "2025-06-01T00:00:00Z"
# Credentials exactly at, and one second before, the 90-day cutoff 2025-03-03T00:00:00Z, and a
# day boundary in every zone: any local-time conversion would move a verdict or a day count.
TZ_REPORT = report(
    report_row(
        user="at-cutoff",
        arn="arn:aws:iam::111122223333:user/at-cutoff",
        user_creation_time="2024-01-01T00:00:00+00:00",
        password_enabled="true",
        password_last_used="2025-03-03T00:00:00+00:00",
        password_last_changed="2024-01-01T00:00:00+00:00",
        access_key_1_active="true",
        access_key_1_last_rotated="2025-03-03T00:00:00+00:00",
        access_key_2_active="true",
        access_key_2_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_2_last_used_date="2025-03-03T00:00:00+00:00",
        access_key_2_last_used_region="us-east-1",
        access_key_2_last_used_service="sts",
    ),
    report_row(
        user="just-before",
        arn="arn:aws:iam::111122223333:user/just-before",
        user_creation_time="2024-01-01T00:00:00+00:00",
        password_enabled="true",
        password_last_used="2025-03-02T23:59:59+00:00",
        password_last_changed="2024-01-01T00:00:00+00:00",
        access_key_1_active="true",
        access_key_1_last_rotated="2025-03-02T23:59:59+00:00",
        access_key_2_active="true",
        access_key_2_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_2_last_used_date="2025-03-02T23:59:00+00:00",
        access_key_2_last_used_region="us-east-1",
        access_key_2_last_used_service="sts",
    ),
)
TZ_EXPECTED = [
    ("at-cutoff", "password", None, "in_use", 517),
    ("at-cutoff", "access_key", 1, "new", 90),
    ("at-cutoff", "access_key", 2, "in_use", 517),
    ("just-before", "password", None, "unused", 517),
    ("just-before", "access_key", 1, "never_used", 90),
    ("just-before", "access_key", 2, "unused", 517),
]


def run_scan_in_zone(zone: str, as_of: str) -> dict[str, Any]:
    env = {**os.environ, "TZ": zone}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "stalecreds",
            "scan",
            "--report=-",
            "--format=json",
            "--as-of",
            as_of,
        ],
        input=TZ_REPORT.encode(),
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr.decode()  # there are findings
    document: dict[str, Any] = json.loads(completed.stdout)
    return document


@pytest.fixture(scope="module")
def utc_scan() -> dict[str, Any]:
    return run_scan_in_zone("UTC", TZ_AS_OF)


def test_utc_scan_gives_the_boundary_verdicts(utc_scan: dict[str, Any]) -> None:
    assert utc_scan["as_of"] == "2025-06-01T00:00:00+00:00"
    got = [
        (c["user"], c["kind"], c["slot"], c["verdict"], c["days_since_created"])
        for c in utc_scan["credentials"]
    ]
    assert got == TZ_EXPECTED


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/St_Johns", "UTC"])
@pytest.mark.parametrize("as_of", [TZ_AS_OF, "2025-06-01T00:00:00", "2025-06-01T00:00:00+00:00"])
def test_result_does_not_depend_on_the_machine_time_zone(
    zone: str, as_of: str, utc_scan: dict[str, Any]
) -> None:
    # A naive --as-of is documented as UTC, not local time.
    scanned = run_scan_in_zone(zone, as_of)
    assert scanned["as_of"] == "2025-06-01T00:00:00+00:00"
    assert scanned["credentials"] == utc_scan["credentials"]
    assert scanned["summary"] == utc_scan["summary"]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "as_of", "last_used", "created", "verdict", "reason"),
    [
        (  # the window starts 2015-03-03, before key use was recorded (2015-04-22)
            KEY,
            "2015-06-01",
            None,
            "2015-01-01",
            Verdict.UNCERTAIN,
            "No use recorded, but IAM began recording access-key use only on 2015-04-22, "
            "inside the 90-day window that starts 2015-03-03.",
        ),
        (  # the window starts 2014-09-02, before sign-ins were recorded (2014-10-20)
            PASSWORD,
            "2014-12-01",
            None,
            "2014-01-01",
            Verdict.UNCERTAIN,
            "No sign-in recorded, but IAM began recording sign-ins only on 2014-10-20, "
            "inside the 90-day window that starts 2014-09-02.",
        ),
        (  # the window starts 2015-05-03, after key use was recorded: no doubt
            KEY,
            "2015-08-01",
            None,
            "2015-01-01",
            Verdict.UNUSED,
            "No use since IAM began recording it on 2015-04-22; created 2015-01-01, "
            "before the 90-day window that starts 2015-05-03.",
        ),
        (  # created inside the window: new, whatever the records
            KEY,
            "2015-06-01",
            None,
            "2015-04-01",
            Verdict.NEW,
            "Not used yet; created 2015-04-01, inside the 90-day window that starts 2015-03-03.",
        ),
    ],
)
def test_a_window_that_starts_before_use_was_recorded_is_uncertain(
    kind, as_of, last_used, created, verdict, reason
):
    judgement = judge(kind, _utc(as_of), 90, last_used, _utc(created))
    assert judgement == Judgement(verdict, reason)

"""Findings over time (pure): points of a scan, grouping, the all-accounts total, sparklines."""

from __future__ import annotations

from datetime import UTC, datetime

from stalecreds import scan_report
from stalecreds.history.trend import (
    Previous,
    TrendPoint,
    by_account,
    most_changed,
    previous,
    running_total,
    scan_points,
    sparkline,
    with_scan,
)
from tests.conftest import report, report_row

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)


def _key_user(account: str, user: str, last_used: str) -> str:
    return report_row(
        user=user,
        arn=f"arn:aws:iam::{account}:user/{user}",
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date=last_used,
    )


def test_scan_points_count_findings_per_account_including_none():
    text = report(
        _key_user("222233334444", "stale", "2021-01-01T00:00:00+00:00"),
        _key_user("222233334444", "stale2", "2021-01-01T00:00:00+00:00"),
        _key_user("111122223333", "busy", "2026-02-28T00:00:00+00:00"),
    )
    result = scan_report(text, as_of=MAR)
    assert scan_points(result, MAR) == [
        TrendPoint("111122223333", MAR, 0),
        TrendPoint("222233334444", MAR, 2),
    ]


def test_by_account_sorts_and_keeps_the_last_point_of_a_repeated_time():
    points = [
        TrendPoint("b", FEB, 5),
        TrendPoint("a", MAR, 1),
        TrendPoint("b", JAN, 9),
        TrendPoint("b", FEB, 4),  # the same report scanned again: this one wins
    ]
    assert by_account(points) == {
        "a": [TrendPoint("a", MAR, 1)],
        "b": [TrendPoint("b", JAN, 9), TrendPoint("b", FEB, 4)],
    }


def test_running_total_carries_each_accounts_latest_count_forward():
    series = by_account(
        [
            TrendPoint("a", JAN, 10),
            TrendPoint("b", FEB, 3),  # a still counts 10 here
            TrendPoint("a", MAR, 4),
            TrendPoint("b", MAR, 1),  # one time for both: one total
        ]
    )
    assert running_total(series) == [(JAN, 10), (FEB, 13), (MAR, 5)]


def test_running_total_of_nothing_is_empty():
    assert running_total({}) == []


def test_sparkline_scales_to_the_largest_count():
    assert sparkline([0, 4, 8]) == "▁▄█"
    assert sparkline([3, 3]) == "██"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


def test_with_scan_keeps_only_the_scans_accounts_and_adds_its_points():
    result = scan_report(
        report(_key_user("111122223333", "stale", "2021-01-01T00:00:00Z")), as_of=MAR
    )
    history = [TrendPoint("111122223333", JAN, 4), TrendPoint("999988887777", FEB, 50)]
    assert with_scan(history, result, MAR) == {
        "111122223333": [TrendPoint("111122223333", JAN, 4), TrendPoint("111122223333", MAR, 1)]
    }


def test_previous_sums_each_accounts_latest_earlier_count():
    series = by_account([TrendPoint("a", JAN, 4), TrendPoint("b", FEB, 2), TrendPoint("a", MAR, 1)])
    assert previous(series, MAR) == Previous(FEB, 6, 2, 2)
    assert previous(series, JAN) is None


def test_previous_says_when_some_accounts_are_new():
    series = by_account([TrendPoint("a", JAN, 4), TrendPoint("a", FEB, 1), TrendPoint("b", FEB, 9)])
    assert previous(series, FEB) == Previous(JAN, 4, 1, 2)


def test_with_scan_leaves_out_scans_at_or_after_it():
    result = scan_report(
        report(_key_user("111122223333", "stale", "2021-01-01T00:00:00Z")), as_of=FEB
    )
    history = [TrendPoint("111122223333", JAN, 4), TrendPoint("111122223333", MAR, 9)]
    assert with_scan(history, result, FEB) == {
        "111122223333": [TrendPoint("111122223333", JAN, 4), TrendPoint("111122223333", FEB, 1)]
    }


def test_most_changed_puts_the_biggest_movers_first():
    series = by_account(
        [
            TrendPoint("big-flat", JAN, 50),
            TrendPoint("big-flat", MAR, 50),
            TrendPoint("cleaned", JAN, 4),
            TrendPoint("cleaned", MAR, 0),
            TrendPoint("worse", JAN, 6),
            TrendPoint("worse", MAR, 7),
            TrendPoint("small-flat", MAR, 1),
        ]
    )
    assert most_changed(series, 3) == ["cleaned", "worse", "big-flat"]

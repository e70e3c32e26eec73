"""key_ids.match_slots: report key slots to ListAccessKeys IDs, by creation second. Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from stalecreds import Verdict, scan_report
from stalecreds.aws.key_ids import ListedKey, SlotMatch, match_slots
from stalecreds.model import AccessKey, Status
from tests.conftest import REPORT_CASES

MARCH = datetime(2023, 3, 1, 10, 0, 0, tzinfo=UTC)
APRIL = datetime(2025, 4, 1, 10, 0, 0, tzinfo=UTC)


def slot(number: int | None, created: datetime) -> AccessKey:
    return AccessKey(number, None, Status.ACTIVE, created, None)


def listed(key_id: str, created: datetime, status: Status = Status.ACTIVE) -> ListedKey:
    return ListedKey(key_id, status, created)


def test_exact_match() -> None:
    key = listed("AKIAEXAMPLEKEY00001", MARCH)
    assert match_slots([slot(1, MARCH)], [key]) == [SlotMatch(1, key, None)]


def test_both_slots_match_their_own_keys_in_listing_order() -> None:
    one, two = listed("AKIAEXAMPLEKEY00001", MARCH), listed("AKIAEXAMPLEKEY00002", APRIL)
    assert match_slots([slot(1, MARCH), slot(2, APRIL)], [one, two]) == [
        SlotMatch(1, one, None),
        SlotMatch(2, two, None),
    ]


def test_reversed_listing_order_report_slot_versus_key_id_case(shared: object) -> None:
    case = next(
        c
        for c in json.loads(REPORT_CASES.read_text(encoding="utf-8"))["cases"]
        if c["id"] == "report-slot-versus-key-id"
    )
    result = scan_report(
        case["csv"], as_of=datetime.fromisoformat(case["as_of"]), name="slot-versus-key-id"
    )
    report_keys = [a.credential for a in result.assessments]
    assert all(isinstance(key, AccessKey) for key in report_keys)
    listed_keys = [
        ListedKey(k["AccessKeyId"], Status(k["Status"]), datetime.fromisoformat(k["CreateDate"]))
        for k in case["list_access_keys"]["ci"]
    ]
    # ListAccessKeys lists key 2 first.
    assert [k.access_key_id for k in listed_keys] == ["AKIAEXAMPLEKEY00002", "AKIAEXAMPLEKEY00001"]

    matches = match_slots(report_keys, listed_keys)  # type: ignore[arg-type]

    assert [(m.slot, m.key and m.key.access_key_id, m.problem) for m in matches] == [
        (1, "AKIAEXAMPLEKEY00001", None),
        (2, "AKIAEXAMPLEKEY00002", None),
    ]
    never_used = [
        match.key.access_key_id
        for match, assessment in zip(matches, result.assessments, strict=True)
        if match.key is not None and assessment.verdict is Verdict.NEVER_USED
    ]
    assert never_used == ["AKIAEXAMPLEKEY00001"]  # the only key ever to be acted on


def test_a_slot_with_no_key_created_at_that_second_is_missing() -> None:
    other = listed("AKIAEXAMPLEKEY00003", APRIL)
    assert match_slots([slot(1, MARCH)], [other]) == [SlotMatch(1, None, "missing")]
    assert match_slots([slot(1, MARCH)], []) == [SlotMatch(1, None, "missing")]


def test_two_listed_keys_created_in_the_same_second_are_ambiguous() -> None:
    first = listed("AKIAEXAMPLEKEY00001", MARCH)
    second = listed("AKIAEXAMPLEKEY00002", MARCH + timedelta(microseconds=700_000))
    assert match_slots([slot(1, MARCH)], [first, second]) == [SlotMatch(1, None, "ambiguous")]


def test_two_slots_with_the_same_second_are_both_ambiguous() -> None:
    only = listed("AKIAEXAMPLEKEY00001", MARCH)
    assert match_slots([slot(1, MARCH), slot(2, MARCH)], [only]) == [
        SlotMatch(1, None, "ambiguous"),
        SlotMatch(2, None, "ambiguous"),
    ]


def test_an_ambiguous_slot_does_not_spoil_the_other_slot() -> None:
    a = listed("AKIAEXAMPLEKEY0000A", MARCH)
    b = listed("AKIAEXAMPLEKEY0000B", MARCH + timedelta(microseconds=1))
    c = listed("AKIAEXAMPLEKEY0000C", APRIL)
    assert match_slots([slot(1, MARCH), slot(2, APRIL)], [a, c, b]) == [
        SlotMatch(1, None, "ambiguous"),
        SlotMatch(2, c, None),
    ]


@pytest.mark.parametrize(
    ("report_created", "listed_created", "problem"),
    [
        # The report has whole seconds; ListAccessKeys has microseconds: they are dropped.
        (MARCH, MARCH + timedelta(microseconds=999_999), None),
        (MARCH + timedelta(microseconds=250_000), MARCH + timedelta(microseconds=750_000), None),
        # Truncated, not rounded: 10:00:00.999999 is not 10:00:01.
        (MARCH + timedelta(seconds=1), MARCH + timedelta(microseconds=999_999), "missing"),
        (MARCH, MARCH - timedelta(microseconds=1), "missing"),
    ],
)
def test_microseconds_are_ignored(
    report_created: datetime, listed_created: datetime, problem: str | None
) -> None:
    key = listed("AKIAEXAMPLEKEY00001", listed_created)
    expected_key = None if problem else key
    assert match_slots([slot(1, report_created)], [key]) == [SlotMatch(1, expected_key, problem)]


def test_the_same_instant_in_another_offset_matches() -> None:
    key = listed(
        "AKIAEXAMPLEKEY00001", datetime(2023, 3, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    )
    assert match_slots([slot(1, MARCH)], [key]) == [SlotMatch(1, key, None)]


def test_an_inactive_listed_key_still_matches_and_keeps_its_status() -> None:
    key = listed("AKIAEXAMPLEKEY00001", MARCH, Status.INACTIVE)
    [match] = match_slots([slot(1, MARCH)], [key])
    assert match.key is key
    assert match.key.status is Status.INACTIVE


def test_a_key_without_slot_is_reported_as_slot_0() -> None:
    key = listed("AKIAEXAMPLEKEY00001", MARCH)
    assert match_slots([slot(None, MARCH)], [key]) == [SlotMatch(0, key, None)]


def test_no_report_keys_no_matches() -> None:
    assert match_slots([], [listed("AKIAEXAMPLEKEY00001", MARCH)]) == []

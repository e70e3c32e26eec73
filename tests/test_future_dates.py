"""Dates after the as-of time (issue 12, item 5): hand-edited reports carry 2099.

Once a bug: a key created in 2099 and last used in 2020 was ``new`` ("created 2099-…, inside the
window") with an age of "-26,548 d" in every format. Now no age is ever negative; a future date
is set aside (the credential is judged on its other evidence) or, with none, the verdict is
``uncertain``; a use after the as-of time counts as in use. The reason says the date is in the
future.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from stalecreds import Thresholds, scan_report
from stalecreds.cli import main
from stalecreds.formats import OutputFormat
from stalecreds.rules.verdicts import FUTURE_TOLERANCE, Verdict, VerdictRules, age_days
from tests.conftest import report, report_row

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
ARN = "arn:aws:iam::111122223333:user/"

FUTURE_REPORT = report(
    # Created in 2099, last used in 2020: unused (judged on its use), not new.
    report_row(
        user="edited",
        arn=ARN + "edited",
        access_key_1_active="true",
        access_key_1_last_rotated="2099-02-03T09:50:21+00:00",
        access_key_1_last_used_date="2020-05-01T00:00:00+00:00",
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="s3",
    ),
    # Created in 2099, never used: nothing else to judge it by.
    report_row(
        user="nodate",
        arn=ARN + "nodate",
        access_key_1_active="true",
        access_key_1_last_rotated="2099-02-03T09:50:21+00:00",
    ),
    # Used in 2099: a use after the as-of time, whatever it is, counts as in use.
    report_row(
        user="later",
        arn=ARN + "later",
        password_enabled="true",
        password_last_changed="2020-01-01T00:00:00+00:00",
        password_last_used="2099-01-01T00:00:00+00:00",
    ),
    # Password set in 2099 but a sign-in last month: in use.
    report_row(
        user="signedin",
        arn=ARN + "signedin",
        password_enabled="true",
        password_last_changed="2099-01-01T00:00:00+00:00",
        password_last_used="2026-10-01T00:00:00+00:00",
    ),
)


def verdicts() -> dict[str, tuple[Verdict, str]]:
    result = scan_report(FUTURE_REPORT, as_of=AS_OF, thresholds=Thresholds(90, 90))
    return {a.owner.user: (a.verdict, a.reason) for a in result}


def test_a_future_creation_date_is_set_aside_and_the_use_judges():
    verdict, reason = verdicts()["edited"]
    assert verdict is Verdict.UNUSED
    assert reason.startswith("Last used 2020-05-01, before the 90-day window")
    assert "creation date 2099-02-03 is after the as-of time 2026-11-01 00:00 UTC" in reason
    assert "in the future" in reason


def test_no_other_evidence_is_uncertain_saying_the_date_is_in_the_future():
    found = verdicts()
    assert found["nodate"][0] is Verdict.UNCERTAIN
    assert "created 2099-02-03, after the as-of time" in found["nodate"][1]
    assert "in the future" in found["nodate"][1]
    assert found["later"][0] is Verdict.IN_USE
    assert found["later"][1].startswith("Last sign-in recorded 2099-01-01, after the as-of time")
    assert "in the future" in found["later"][1]
    assert found["signedin"][0] is Verdict.IN_USE
    assert (
        "The date the password was set, 2099-01-01, is after the as-of time"
        in (found["signedin"][1])
    )


def test_a_date_just_after_the_as_of_time_counts_as_the_as_of_time():
    # A key used while a long live scan runs is dated after the scan's as-of time.
    rules = VerdictRules(AS_OF, Thresholds())
    soon = AS_OF + timedelta(hours=3)
    assert rules.access_key(soon, AS_OF - timedelta(days=400)).verdict is Verdict.IN_USE
    assert rules.access_key(None, soon).verdict is Verdict.NEW
    assert age_days(soon, AS_OF) == 0
    assert age_days(AS_OF + FUTURE_TOLERANCE + timedelta(seconds=1), AS_OF) is None
    assert age_days(AS_OF - timedelta(days=3, hours=1), AS_OF) == 3


def render(chosen: OutputFormat) -> str:
    result = scan_report(FUTURE_REPORT, as_of=AS_OF, thresholds=Thresholds(90, 90))
    out = io.StringIO()
    chosen.renderer()(result, out)
    return out.getvalue()


def test_no_format_shows_a_negative_age():
    document = json.loads(render(OutputFormat.JSON))
    by_user = {c["user"]: c for c in document["credentials"]}
    assert by_user["edited"]["days_since_created"] is None
    used = datetime(2020, 5, 1, tzinfo=UTC)
    assert by_user["edited"]["days_since_last_used"] == (AS_OF - used).days
    assert by_user["later"]["days_since_last_used"] is None
    rows = list(csv.DictReader(io.StringIO(render(OutputFormat.CSV))))
    assert {r["user"]: r["days_since_created"] for r in rows}["edited"] == ""
    negative = re.compile(r"\(-[\d,]+ d\)|>\(-[\d,]")
    for chosen in (OutputFormat.TABLE, OutputFormat.MARKDOWN, OutputFormat.HTML):
        text = render(chosen)
        assert not negative.search(text), chosen
        assert "(in the future)" in text, chosen
    ocsf = json.loads(render(OutputFormat.OCSF))
    days = [e["unmapped"]["stalecreds"]["days_since_last_used"] for e in ocsf]
    assert days and all(d is None or d >= 0 for d in days)


def test_the_hand_edited_sample_report(shared: Path, tmp_path: Path):
    # cloud-custodian-3.csv: key 2 of test1 is Active, last rotated 2099-02-03, never used.
    path = tmp_path / "cc3.csv"
    shutil.copy(shared / "data" / "reports" / "cloud-custodian-3.csv", path)
    result = CliRunner().invoke(
        main,
        ["scan", "--report", str(path), "--as-of", "2026-11-01T00:00:00Z", "--format", "json"],
    )
    keys = {
        c["slot"]: c
        for c in json.loads(result.stdout)["credentials"]
        if c["user"] == "test1" and c["kind"] == "access_key"
    }
    assert keys[2]["verdict"] == "uncertain"
    assert "in the future" in keys[2]["reason"]
    assert keys[2]["days_since_created"] is None
    assert keys[2]["finding"] is True  # it still works and nobody can say it is in use


moments = st.datetimes(
    min_value=datetime(2012, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    password=st.booleans(),
    as_of=moments,
    days=st.integers(min_value=1, max_value=4000),
    last_used=st.one_of(st.none(), moments),
    created=moments,
)
def test_a_future_date_is_named_and_a_future_creation_never_gives_new(
    password: bool, as_of: datetime, days: int, last_used: datetime | None, created: datetime
) -> None:
    rules = VerdictRules(as_of, Thresholds(days, days))
    judge = rules.password if password else rules.access_key
    verdict, reason = judge(last_used, created)
    future = as_of + FUTURE_TOLERANCE
    used_in_future = last_used is not None and last_used > future
    if used_in_future or created > future:
        assert "in the future" in reason
    if used_in_future:
        assert verdict is Verdict.IN_USE
    elif created > future:
        # judged by the last use alone: in use only when that use is inside the window
        in_window = last_used is not None and last_used >= as_of - timedelta(days=days)
        assert (verdict is Verdict.IN_USE) == in_window
        assert verdict is not Verdict.NEW

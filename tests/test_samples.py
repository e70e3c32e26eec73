"""The sample credential reports in shared/data/reports: they parse, warn as expected, and get
the verdicts derived by hand from the rules (not by running the tool)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stalecreds import ScanResult, Thresholds, scan_report
from tests.conftest import SAMPLE_REPORTS

SAMPLE_USERS = {
    "cloud-custodian-1.csv": 20,  # 21 rows: christopher is listed twice
    "cloud-custodian-2.csv": 8,
    "cloud-custodian-3.csv": 2,
    "cloud-custodian-4.csv": 1,
    "cloud-custodian-5.csv": 1,
    "cloud-custodian-6.csv": 1,
    "cloudmapper-1.csv": 1,
    "fixinventory-1.csv": 2,
    "guardian-security-hq-1.csv": 5,
    "prowler-1.csv": 1,
}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def sample(name: str) -> Path:
    path = SAMPLE_REPORTS / name
    if not path.is_file():
        pytest.skip(f"{path} is missing (shared/ sits beside the checkout in CI)")
    return path


def scan_sample(name: str, as_of: datetime, days: int = 90) -> ScanResult:
    return scan_report(
        sample(name).read_bytes(), as_of=as_of, thresholds=Thresholds(days, days), name=name
    )


def warnings_of(result: ScanResult) -> list[tuple[int | None, str]]:
    return [(warning.line, warning.message) for warning in result.warnings.items]


def test_the_sample_set_is_the_expected_one(shared: Path) -> None:
    assert sorted(path.name for path in SAMPLE_REPORTS.glob("*.csv")) == sorted(SAMPLE_USERS)


@pytest.mark.parametrize("name", sorted(SAMPLE_USERS))
def test_every_sample_parses(name: str) -> None:
    result = scan_sample(name, utc(2025, 6, 1))
    assert result.summary.users == SAMPLE_USERS[name]
    assert result.source.format == "csv"


# --- warnings ---------------------------------------------------------------------------------

# as_of for each sample is chosen just after its newest date, so that no "report is old"
# warning appears and only the hand edits warn.
WARNING_CASES = [
    (
        "cloud-custodian-1.csv",
        utc(2016, 11, 26),
        [
            (
                10,
                "user 'christopher' (arn:aws:iam::644160558196:user/christopher) already "
                "appeared on line 9; both rows are listed",
            )
        ],
    ),
    ("cloud-custodian-2.csv", utc(2016, 11, 26), []),
    (
        "cloud-custodian-3.csv",
        utc(2021, 1, 1),
        [
            (
                3,
                "test1: access_key date 2099-02-03T09:50:21+00:00 is after the as-of time "
                "2021-01-01T00:00:00+00:00",
            )
        ],
    ),
    (
        # Only key 2 (last_rotated 2099) warns: key 1's newest date is its use in 2019, and the
        # user_creation_time in 2099 is not a credential date.
        "cloud-custodian-4.csv",
        utc(2020, 5, 1),
        [
            (
                2,
                "zscholl: access_key date 2099-08-10T11:13:31+00:00 is after the as-of time "
                "2020-05-01T00:00:00+00:00",
            )
        ],
    ),
    (
        # Hand edit: key 1 last_rotated 2019-12-14 in a report of late 2018.
        "cloud-custodian-5.csv",
        utc(2018, 12, 2),
        [
            (
                2,
                "kapil: access_key date 2019-12-14T10:26:37+00:00 is after the as-of time "
                "2018-12-02T00:00:00+00:00",
            )
        ],
    ),
    ("cloud-custodian-6.csv", utc(2018, 7, 1), []),
    ("cloudmapper-1.csv", utc(2019, 3, 4), []),
    ("fixinventory-1.csv", utc(2023, 2, 1), [(2, "account ID 'test' is not 12 digits")]),
    (
        "guardian-security-hq-1.csv",
        utc(2017, 9, 1),
        [(2, "account ID '0123456789' is not 12 digits")],
    ),
    (
        "prowler-1.csv",
        utc(2022, 5, 1),
        [
            (
                2,
                "access_key_1_active is true but access_key_1_last_rotated is 'N/A'; without a "
                "date the key cannot be judged and is not listed",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "as_of", "expected"),
    [pytest.param(*case, id=case[0]) for case in WARNING_CASES],
)
def test_sample_warnings(name: str, as_of: datetime, expected: list[tuple[int, str]]) -> None:
    assert warnings_of(scan_sample(name, as_of)) == expected


@pytest.mark.parametrize("as_of", [utc(2000, 1, 1), utc(2050, 1, 1), utc(2099, 1, 1)])
@pytest.mark.parametrize(
    ("name", "line", "message_start"),
    [
        ("cloud-custodian-3.csv", 3, "test1: access_key date 2099-02-03T09:50:21+00:00 is after"),
        ("cloud-custodian-4.csv", 2, "zscholl: access_key date 2099-08-10T11:13:31+00:00 is after"),
    ],
)
def test_2099_dates_warn_at_any_as_of_before_2099(
    name: str, line: int, message_start: str, as_of: datetime
) -> None:
    found = [
        (number, message)
        for number, message in warnings_of(scan_sample(name, as_of))
        if message.startswith(message_start)
    ]
    assert found == [
        (line, f"{message_start} the as-of time {as_of.isoformat()}"),
    ]


def test_old_sample_judged_today_warns_that_no_date_is_in_the_window() -> None:
    result = scan_sample("cloud-custodian-6.csv", utc(2025, 6, 1))
    assert warnings_of(result) == [
        (
            None,
            "no date in the report falls inside the window (the newest is 2018-06-01); if the "
            "report is old, judge it as of when it was generated with --as-of",
        )
    ]


# --- verdicts derived by hand -----------------------------------------------------------------

PW = "password"
AK = "access_key"
CERT = "signing_certificate"
ACTIVE = "Active"
INACTIVE = "Inactive"
NONE: tuple[str, ...] = ()
UNUSED = ("unused-credential",)
ROOT_KEY = ("root-access-key",)
BOTH = ("unused-credential", "root-access-key")
ROOT = "<root_account>"

# Each row: (user, kind, slot, status, verdict, finding_rules, cleanup_candidate).

# As of 2016-11-26, 90 days: window starts 2016-08-28. No 2018 gap (as_of is before it).
CLOUD_CUSTODIAN_1_90 = [
    (ROOT, PW, None, None, "in_use", NONE, False),  # last sign-in 2016-10-06
    ("andrew", PW, None, None, "in_use", NONE, False),
    # key 1 created 2016-10-11, no use recorded: created inside the window → new
    ("andrew", AK, 1, ACTIVE, "new", NONE, False),
    # key 2 created 2016-08-30, used 2016-10-20 → in_use
    ("andrew", AK, 2, ACTIVE, "in_use", NONE, False),
    ("anthony", PW, None, None, "in_use", NONE, False),
    ("c7n-iam-test", AK, 1, ACTIVE, "new", NONE, False),  # created 2016-11-15, never used
    # c7n-test: no password, no keys → nothing listed
    ("calvin", PW, None, None, "in_use", NONE, False),
    ("calvin", AK, 1, ACTIVE, "in_use", NONE, False),  # S3 use with region N/A is a use
    ("chrissy", PW, None, None, "in_use", NONE, False),  # 2016-10-06
    # first christopher row: no_information, password set 2016-08-30 ≥ 2016-08-28 → new
    ("christopher", PW, None, None, "new", NONE, False),
    ("christopher", PW, None, None, "in_use", NONE, False),
    ("christopher", AK, 1, ACTIVE, "in_use", NONE, False),
    ("david", PW, None, None, "in_use", NONE, False),
    ("david", AK, 1, ACTIVE, "in_use", NONE, False),
    # no_information, password set 2016-07-27 (after 2014-10-20), before the window
    ("jeff", PW, None, None, "never_used", UNUSED, False),
    ("Jennifer", PW, None, None, "in_use", NONE, False),
    ("Jennifer", AK, 1, ACTIVE, "in_use", NONE, False),
    ("joshua", PW, None, None, "in_use", NONE, False),
    ("joshua", AK, 1, ACTIVE, "in_use", NONE, False),
    ("kapil", PW, None, None, "in_use", NONE, False),
    ("kapil", AK, 1, ACTIVE, "in_use", NONE, False),
    ("kit", PW, None, None, "in_use", NONE, False),
    ("kit", AK, 1, ACTIVE, "in_use", NONE, False),
    ("kit", AK, 2, ACTIVE, "in_use", NONE, False),
    ("mandeep", PW, None, None, "in_use", NONE, False),
    ("mandeep", AK, 1, ACTIVE, "in_use", NONE, False),
    ("matt", PW, None, None, "in_use", NONE, False),  # 2016-10-11
    ("rob", PW, None, None, "in_use", NONE, False),
    ("rob", AK, 1, ACTIVE, "in_use", NONE, False),
    ("ryanwolfe", PW, None, None, "in_use", NONE, False),  # 2016-09-30
    ("ryanwolfe", AK, 1, ACTIVE, "new", NONE, False),  # created 2016-09-28, never used
    ("scot", PW, None, None, "in_use", NONE, False),
    ("scot", AK, 1, ACTIVE, "in_use", NONE, False),
    ("steven", PW, None, None, "in_use", NONE, False),  # 2016-09-20 ≥ 2016-08-28
    ("steven", AK, 1, ACTIVE, "in_use", NONE, False),  # used 2016-09-20
]

# The same report as of 2016-11-26 with CIS's 45 days: window starts 2016-10-12.
CLOUD_CUSTODIAN_1_45 = [
    # root: last sign-in 2016-10-06 < 2016-10-12; set = account creation 2016-05-16 → unused;
    # a root password is never an unused-credential finding (issue 15).
    (ROOT, PW, None, None, "unused", NONE, False),
    ("andrew", PW, None, None, "in_use", NONE, False),  # 2016-11-16
    # key 1 created 2016-10-11T15:27, one day before the window, never used → never_used
    ("andrew", AK, 1, ACTIVE, "never_used", UNUSED, False),
    ("andrew", AK, 2, ACTIVE, "in_use", NONE, False),  # used 2016-10-20
    ("anthony", PW, None, None, "in_use", NONE, False),  # 2016-10-26
    ("c7n-iam-test", AK, 1, ACTIVE, "new", NONE, False),
    ("calvin", PW, None, None, "in_use", NONE, False),
    ("calvin", AK, 1, ACTIVE, "in_use", NONE, False),
    # last sign-in 2016-10-06, set 2016-10-06: both before 2016-10-12
    ("chrissy", PW, None, None, "unused", UNUSED, False),
    ("christopher", PW, None, None, "never_used", UNUSED, False),  # set 2016-08-30, never used
    ("christopher", PW, None, None, "in_use", NONE, False),
    ("christopher", AK, 1, ACTIVE, "in_use", NONE, False),
    ("david", PW, None, None, "in_use", NONE, False),  # 2016-11-07
    ("david", AK, 1, ACTIVE, "in_use", NONE, False),  # 2016-11-07
    ("jeff", PW, None, None, "never_used", UNUSED, False),
    ("Jennifer", PW, None, None, "in_use", NONE, False),
    ("Jennifer", AK, 1, ACTIVE, "in_use", NONE, False),
    ("joshua", PW, None, None, "in_use", NONE, False),
    ("joshua", AK, 1, ACTIVE, "in_use", NONE, False),
    ("kapil", PW, None, None, "in_use", NONE, False),
    ("kapil", AK, 1, ACTIVE, "in_use", NONE, False),
    ("kit", PW, None, None, "in_use", NONE, False),
    ("kit", AK, 1, ACTIVE, "in_use", NONE, False),
    ("kit", AK, 2, ACTIVE, "in_use", NONE, False),
    ("mandeep", PW, None, None, "in_use", NONE, False),
    ("mandeep", AK, 1, ACTIVE, "in_use", NONE, False),
    # last sign-in 2016-10-11T18:06, set 2016-10-11T18:07: both just before the window
    ("matt", PW, None, None, "unused", UNUSED, False),
    ("rob", PW, None, None, "in_use", NONE, False),
    ("rob", AK, 1, ACTIVE, "in_use", NONE, False),
    ("ryanwolfe", PW, None, None, "unused", UNUSED, False),  # last 2016-09-30, set 2016-09-16
    ("ryanwolfe", AK, 1, ACTIVE, "never_used", UNUSED, False),  # created 2016-09-28
    ("scot", PW, None, None, "in_use", NONE, False),  # 2016-11-18
    ("scot", AK, 1, ACTIVE, "in_use", NONE, False),  # 2016-11-18
    ("steven", PW, None, None, "unused", UNUSED, False),  # last 2016-09-20, set 2016-09-07
    ("steven", AK, 1, ACTIVE, "unused", UNUSED, False),  # used 2016-09-20, created 2016-09-08
]

# As of 2016-11-26, 90 days: window starts 2016-08-28.
CLOUD_CUSTODIAN_2_90 = [
    (ROOT, PW, None, None, "in_use", NONE, False),  # 2016-11-25
    # root key 1: Active, created 2011-08-19, last used 2015-07-04 → unused, and a root key
    (ROOT, AK, 1, ACTIVE, "unused", BOTH, False),
    # root key 2: false but last_rotated 2007-10-13, so it exists (Inactive); no use recorded
    # and created before key tracking began (2015-04-22) → unused; inactive → clean-up
    (ROOT, AK, 2, INACTIVE, "unused", NONE, True),
    (ROOT, CERT, 1, ACTIVE, "untracked", NONE, False),
    # created 2012-01-29 / 2013-03-01, before key tracking, no use recorded → unused
    ("charmworld", AK, 1, ACTIVE, "unused", UNUSED, False),
    ("Hazmat", AK, 1, ACTIVE, "unused", UNUSED, False),
    ("kaleb", PW, None, None, "never_used", UNUSED, False),  # set 2016-07-05, no_information
    ("kaleb", AK, 1, ACTIVE, "never_used", UNUSED, False),  # created 2016-07-05, never used
    ("kapilt", AK, 1, ACTIVE, "never_used", UNUSED, False),  # 2015-10-04 is after 2015-04-22
    ("rome", AK, 1, ACTIVE, "in_use", NONE, False),  # used 2016-11-25
    ("syracuse", AK, 1, ACTIVE, "in_use", NONE, False),  # S3, region N/A, used 2016-11-25
    ("tyre", AK, 1, ACTIVE, "in_use", NONE, False),  # created 2016-07-01, used 2016-11-25
]

# As of 2017-09-01, 90 days: window starts 2017-06-03.
GUARDIAN_90 = [
    # last sign-in 2016-10-07; never an unused-credential finding for root (issue 15)
    (ROOT, PW, None, None, "unused", NONE, False),
    ("IAM-user", PW, None, None, "unused", UNUSED, False),  # 2017-03-08, set 2016-04-29
    # with-disabled-key: password_enabled false (its last_used date is ignored).
    # key 1 Inactive, created and used 2017-04-19 → unused, clean-up candidate
    ("with-disabled-key", AK, 1, INACTIVE, "unused", NONE, True),
    # key 2 Active, used 2017-05-24, ten days before the window → unused
    ("with-disabled-key", AK, 2, ACTIVE, "unused", UNUSED, False),
    ("different-region", AK, 1, ACTIVE, "unused", UNUSED, False),  # used 2016-04-04
    ("credential-user", AK, 1, ACTIVE, "in_use", NONE, False),  # used 2017-08-30
]

# As of 2019-03-04, 90 days: window starts 2018-12-04.
CLOUDMAPPER_90 = [
    (ROOT, PW, None, None, "in_use", NONE, False),  # 2019-03-03
    # Active root key created 2018-11-23, last used 2018-11-27 → unused, and a root key
    (ROOT, AK, 1, ACTIVE, "unused", BOTH, False),
]

# As of 2023-02-01, 45 days: window starts 2022-12-18.
FIXINVENTORY_45 = [
    ("a", PW, None, None, "unused", UNUSED, False),  # last sign-in 2021-12-08
    ("a", AK, 1, ACTIVE, "in_use", NONE, False),  # used 2023-01-25
    # b: password_enabled false despite a last-used date → no password.
    # key 1 Inactive but used 2023-01-25 → in_use, so not a clean-up candidate
    ("b", AK, 1, INACTIVE, "in_use", NONE, False),
    ("b", AK, 2, ACTIVE, "in_use", NONE, False),  # created and used 2023-01-25
]

# As of 2018-09-15, 90 days: window starts 2018-06-17, after the 2018 gap ended.
CLOUD_CUSTODIAN_6_90 = [
    # no_information, set 2018-06-01 (after tracking began, before the window) → never_used
    ("test_user", PW, None, None, "never_used", UNUSED, False),
    ("test_user", AK, 1, ACTIVE, "never_used", UNUSED, False),  # created 2018-06-01
]

# As of 2022-05-01, 90 days: window starts 2022-01-31.
PROWLER_90 = [
    # root: no_information, password_last_changed not_supported → judged by
    # user_creation_time 2022-04-17, inside the window → new. Key 1 has no date: not listed.
    (ROOT, PW, None, None, "new", NONE, False),
]

DERIVED = [
    ("cloud-custodian-1.csv", utc(2016, 11, 26), 90, CLOUD_CUSTODIAN_1_90),
    ("cloud-custodian-1.csv", utc(2016, 11, 26), 45, CLOUD_CUSTODIAN_1_45),
    ("cloud-custodian-2.csv", utc(2016, 11, 26), 90, CLOUD_CUSTODIAN_2_90),
    ("guardian-security-hq-1.csv", utc(2017, 9, 1), 90, GUARDIAN_90),
    ("cloudmapper-1.csv", utc(2019, 3, 4), 90, CLOUDMAPPER_90),
    ("fixinventory-1.csv", utc(2023, 2, 1), 45, FIXINVENTORY_45),
    ("cloud-custodian-6.csv", utc(2018, 9, 15), 90, CLOUD_CUSTODIAN_6_90),
    ("prowler-1.csv", utc(2022, 5, 1), 90, PROWLER_90),
]


@pytest.mark.parametrize(
    ("name", "as_of", "days", "expected"),
    [pytest.param(*case, id=f"{case[0]}-{case[2]}d") for case in DERIVED],
)
def test_sample_verdicts_derived_by_hand(
    name: str, as_of: datetime, days: int, expected: list[tuple[object, ...]]
) -> None:
    result = scan_sample(name, as_of, days)
    got = [
        (
            a.owner.user,
            a.kind.value,
            getattr(a.credential, "slot", None),
            None if a.status is None else a.status.value,
            a.verdict.value,
            tuple(rule.value for rule in a.finding_rules),
            a.cleanup_candidate,
        )
        for a in result.assessments
    ]
    assert got == expected
    assert result.summary.findings == sum(1 for row in expected if row[5])
    assert result.summary.cleanup_candidates == sum(1 for row in expected if row[6])

"""The credential report parser: CredentialReportReader, and scan_report end to end.

Expected values come from the format facts in ../shared/spec/credential-report.md (§1-§4, §10)
and issue 2 ("Parser", "Errors and exit codes").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stalecreds import InputError, ReportFormatError, scan_report
from stalecreds.model import (
    AccessKey,
    LastUse,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)
from stalecreds.report.credential_report import (
    REPORT_COLUMNS,
    CredentialReportReader,
    ReportWarning,
    WarningLog,
)
from tests.conftest import HEADER, report, report_row

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
ACCOUNT = "111122223333"
ALICE_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB_ARN = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read(text: str, source: str = "r.csv") -> tuple[list[UserCredentials], WarningLog]:
    """Parse ``text`` with the reader, returning the users and the warning log."""
    reader = CredentialReportReader(text.splitlines(keepends=True), source)
    users = list(reader)
    return users, reader.warnings


def read_one(text: str) -> UserCredentials:
    users, warnings = read(text)
    assert len(users) == 1
    assert warnings.items == []
    return users[0]


def read_error(text: str) -> ReportFormatError:
    with pytest.raises(ReportFormatError) as info:
        read(text)
    error = info.value
    assert "\n" not in str(error)
    return error


def scan_error(data: bytes) -> InputError:
    with pytest.raises(InputError) as info:
        scan_report(data, as_of=AS_OF, name="r.csv")
    error = info.value
    assert "\n" not in str(error)
    return error


def verdicts(data: str | bytes) -> list[tuple[str, str, int | None, str]]:
    result = scan_report(data, as_of=AS_OF, name="r.csv")
    return [
        (a.owner.user, a.kind.value, getattr(a.credential, "slot", None), a.verdict.value)
        for a in result
    ]


# A row that uses every credential column, and what it must parse to.
FULL_CELLS = {
    "user": "alice",
    "arn": ALICE_ARN,
    "user_creation_time": "2020-01-01T00:00:00+00:00",
    "password_enabled": "true",
    "password_last_used": "2025-05-01T10:00:00+00:00",
    "password_last_changed": "2024-02-03T04:05:06+00:00",
    "mfa_active": "true",
    "access_key_1_active": "true",
    "access_key_1_last_rotated": "2023-03-03T03:03:03+00:00",
    "access_key_1_last_used_date": "2025-05-30T12:00:00+00:00",
    "access_key_1_last_used_region": "us-east-1",
    "access_key_1_last_used_service": "sts",
    "access_key_2_active": "false",
    "access_key_2_last_rotated": "2022-02-02T02:02:02+00:00",
    "access_key_2_last_used_date": "2022-06-01T00:00:00+00:00",
    "access_key_2_last_used_region": "N/A",
    "access_key_2_last_used_service": "s3",
    "cert_1_active": "true",
    "cert_1_last_rotated": "2021-01-01T00:00:00+00:00",
}
FULL_USER = UserCredentials(
    user="alice",
    arn=ALICE_ARN,
    account_id=ACCOUNT,
    partition="aws",
    is_root=False,
    created=utc(2020, 1, 1),
    mfa_active=True,
    password=Password(set_at=utc(2024, 2, 3, 4, 5, 6), last_used=utc(2025, 5, 1, 10)),
    access_keys=(
        AccessKey(
            1,
            None,
            Status.ACTIVE,
            utc(2023, 3, 3, 3, 3, 3),
            LastUse(utc(2025, 5, 30, 12), "us-east-1", "sts"),
        ),
        AccessKey(
            2, None, Status.INACTIVE, utc(2022, 2, 2, 2, 2, 2), LastUse(utc(2022, 6, 1), None, "s3")
        ),
    ),
    certificates=(SigningCertificate(1, Status.ACTIVE, utc(2021, 1, 1)),),
    line=2,
)


def reordered(cells: dict[str, str], order: list[str]) -> str:
    """A header and one row with the columns in ``order`` (names missing from cells: defaults)."""
    defaults = dict(zip(REPORT_COLUMNS, report_row().split(","), strict=True))
    values = {**defaults, **cells}
    return ",".join(order) + "\n" + ",".join(values[name] for name in order) + "\n"


# --- columns by header name ---------------------------------------------------------------


def test_reads_every_column_of_a_full_row():
    assert read_one(report(report_row(**FULL_CELLS))) == FULL_USER


def test_columns_are_found_by_name_in_any_order():
    order = list(reversed(REPORT_COLUMNS))
    assert read_one(reordered(FULL_CELLS, order)) == FULL_USER


def test_unknown_extra_columns_are_ignored():
    order = ["tags", *REPORT_COLUMNS[:5], "access_key_ids", *REPORT_COLUMNS[5:], "path"]
    cells = {**FULL_CELLS, "tags": "team=x", "access_key_ids": "AKIA,AKIB", "path": "/"}
    text = ",".join(order) + "\n"
    defaults = dict(zip(REPORT_COLUMNS, report_row().split(","), strict=True))
    values = {**defaults, **cells}
    text += ",".join(f'"{values[name]}"' for name in order) + "\n"
    assert read_one(text) == FULL_USER


def test_header_names_with_surrounding_spaces_are_matched():
    header = ", ".join(REPORT_COLUMNS)
    user = read_one(report(report_row(**FULL_CELLS), header=header))
    assert user == FULL_USER


@pytest.mark.parametrize("missing", ["user", "password_enabled", "access_key_2_last_used_date"])
def test_missing_required_column_is_an_error_on_line_1_naming_it(missing):
    header = ",".join(name for name in REPORT_COLUMNS if name != missing)
    row = ",".join(
        value
        for name, value in zip(REPORT_COLUMNS, report_row().split(","), strict=True)
        if name != missing
    )
    error = read_error(header + "\n" + row + "\n")
    assert error.line == 1
    assert error.column is None
    assert f"missing required column {missing!r}" in error.message
    assert str(error).startswith("r.csv, line 1: missing required column")


def test_several_missing_columns_name_the_first_and_count_the_rest():
    header = ",".join(REPORT_COLUMNS[:20])  # no cert_2_active, cert_2_last_rotated
    error = read_error(header + "\n")
    assert error.line == 1
    assert "missing required column 'cert_2_active' (and 1 more)" in error.message


def test_a_column_named_twice_is_an_error_at_its_second_position():
    error = read_error(report(report_row() + ",x", header=HEADER + ",mfa_active"))
    assert (error.line, error.column) == (1, 23)
    assert "'mfa_active' appears twice" in error.message


# --- special values -----------------------------------------------------------------------


@pytest.mark.parametrize("token", ["N/A", "no_information", "not_supported"])
def test_special_tokens_in_date_columns_mean_no_date(token):
    row = report_row(
        password_enabled="true",
        password_last_used=token,
        password_last_changed=token,
        access_key_1_active="true",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_1_last_used_date=token,
        cert_1_active="true",
        cert_1_last_rotated=token,
    )
    user = read_one(report(row))
    assert user.password == Password(set_at=None, last_used=None)
    assert user.access_keys == (AccessKey(1, None, Status.ACTIVE, utc(2024, 1, 1), None),)
    assert user.certificates == (SigningCertificate(1, Status.ACTIVE, None),)


def test_na_region_with_a_use_date_keeps_the_use_and_service():
    row = report_row(
        access_key_1_active="true",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-05-20T08:00:00+00:00",
        access_key_1_last_used_region="N/A",
        access_key_1_last_used_service="s3",
    )
    (key,) = read_one(report(row)).access_keys
    assert key.last_use == LastUse(utc(2025, 5, 20, 8), None, "s3")


# --- the root row -------------------------------------------------------------------------

ROOT_CELLS = {
    "user": "<root_account>",
    "arn": ROOT_ARN,
    "user_creation_time": "2014-03-02T11:20:41+00:00",
    "password_enabled": "not_supported",
    "password_last_used": "2025-05-17T08:03:12+00:00",
    "password_last_changed": "not_supported",
    "password_next_rotation": "not_supported",
    "mfa_active": "true",
}


def test_root_account_row_is_root_and_not_supported_means_it_has_a_password():
    user = read_one(report(report_row(**ROOT_CELLS)))
    assert user.is_root is True
    assert user.user == "<root_account>"
    assert (user.account_id, user.partition) == (ACCOUNT, "aws")
    assert user.password == Password(set_at=None, last_used=utc(2025, 5, 17, 8, 3, 12))


def test_root_account_user_name_is_root_even_with_an_odd_arn():
    # prowler-1's synthetic root row: the ARN ends in ':<root_account>', not ':root'.
    cells = {**ROOT_CELLS, "arn": f"arn:aws:iam::{ACCOUNT}:<root_account>"}
    assert read_one(report(report_row(**cells))).is_root is True


def test_arn_ending_in_root_is_root_whatever_the_user_name():
    cells = {**ROOT_CELLS, "user": "root"}
    user = read_one(report(report_row(**cells)))
    assert user.is_root is True
    assert user.password == Password(set_at=None, last_used=utc(2025, 5, 17, 8, 3, 12))


def test_user_whose_name_merely_contains_root_is_not_root():
    user = read_one(report(report_row(user="root", arn=f"arn:aws:iam::{ACCOUNT}:user/root")))
    assert user.is_root is False


def test_not_supported_password_enabled_on_a_user_row_is_an_error():
    error = read_error(report(report_row(password_enabled="not_supported")))
    assert (error.line, error.column, error.column_name) == (2, 4, "password_enabled")
    assert str(error) == (
        "r.csv, line 2, column 4 (password_enabled): "
        "not_supported is only valid on the root user's row"
    )


def test_root_with_password_enabled_false_has_no_password():
    # Organizations' centralized root access: root rows may say false (spec §4).
    cells = {**ROOT_CELLS, "password_enabled": "false", "password_last_used": "no_information"}
    user = read_one(report(report_row(**cells)))
    assert user.is_root is True
    assert user.password is None


# --- booleans -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), ("True", True), ("false", False), ("FALSE", False),
     ("False", False)],
)  # fmt: skip
def test_booleans_in_any_case(text, expected):
    row = report_row(
        mfa_active=text,
        password_enabled=text,
        password_last_changed="2024-01-01T00:00:00+00:00",
        access_key_1_active=text,
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        cert_2_active=text,
    )
    user = read_one(report(row))
    assert user.mfa_active is expected
    assert (user.password is not None) is expected
    assert user.access_keys[0].status is (Status.ACTIVE if expected else Status.INACTIVE)
    assert user.certificates == ((SigningCertificate(2, Status.ACTIVE, None),) if expected else ())


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-01T12:30:45+00:00", utc(2020, 1, 1, 12, 30, 45)),
        ("2020-01-01T12:30:45Z", utc(2020, 1, 1, 12, 30, 45)),
        ("2020-01-01T12:30:45+02:00", utc(2020, 1, 1, 10, 30, 45)),
        ("2020-01-01T22:00:00-05:00", utc(2020, 1, 2, 3, 0, 0)),
    ],
)
def test_timestamps_become_aware_utc(text, expected):
    user = read_one(report(report_row(user_creation_time=text)))
    assert user.created == expected
    assert user.created.utcoffset() == timedelta(0)
    assert user.created.tzname() == "UTC"


def test_timestamp_without_offset_is_an_error():
    error = read_error(report(report_row(user_creation_time="2020-01-01T12:30:45")))
    assert (error.line, error.column, error.column_name) == (2, 3, "user_creation_time")
    assert "'2020-01-01T12:30:45'" in error.message
    assert "offset" in error.message


def test_user_creation_time_must_be_a_date():
    error = read_error(report(report_row(user_creation_time="N/A")))
    assert (error.line, error.column, error.column_name) == (2, 3, "user_creation_time")


# --- text encoding and CSV shape ----------------------------------------------------------


def test_utf8_bom_before_the_header():
    user = read_one("\ufeff" + report(report_row(**FULL_CELLS)))
    assert user == FULL_USER


def test_utf8_bom_bytes_end_to_end():
    data = b"\xef\xbb\xbf" + report(report_row(**FULL_CELLS)).encode()
    assert verdicts(data) == [
        ("alice", "password", None, "in_use"),
        ("alice", "access_key", 1, "in_use"),
        ("alice", "access_key", 2, "unused"),
        ("alice", "signing_certificate", 1, "untracked"),
    ]


def test_crlf_line_endings():
    bob = report_row(
        user="bob",
        arn=BOB_ARN,
        cert_2_active="true",
        cert_2_last_rotated="2021-02-03T00:00:00+00:00",
    )
    text = report(report_row(**FULL_CELLS), bob).replace("\n", "\r\n")
    users, warnings = read(text)
    assert users[0] == FULL_USER
    assert users[1].user == "bob"
    assert users[1].line == 3
    assert users[1].certificates == (SigningCertificate(2, Status.ACTIVE, utc(2021, 2, 3)),)
    assert warnings.items == []


def test_crlf_bytes_end_to_end():
    row = report_row(
        access_key_2_active="true",
        access_key_2_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_2_last_used_date="2025-05-31T00:00:00+00:00",
        access_key_2_last_used_region="eu-west-1",
        access_key_2_last_used_service="ec2",
    )
    data = report(row).replace("\n", "\r\n").encode()
    result = scan_report(data, as_of=AS_OF)
    (assessment,) = result.assessments
    assert assessment.verdict.value == "in_use"
    assert assessment.credential.last_use == LastUse(utc(2025, 5, 31), "eu-west-1", "ec2")


def test_quoted_fields_hold_commas_in_user_name_and_arn():
    row = report_row(
        user='"frank,contractor"',
        arn=f'"arn:aws:iam::{ACCOUNT}:user/vendors/frank,contractor"',
    )
    user = read_one(report(row))
    assert user.user == "frank,contractor"
    assert user.arn == f"arn:aws:iam::{ACCOUNT}:user/vendors/frank,contractor"
    assert (user.account_id, user.partition) == (ACCOUNT, "aws")


def test_no_trailing_newline():
    row = report_row(cert_2_active="true", cert_2_last_rotated="2021-02-03T00:00:00+00:00")
    user = read_one(HEADER + "\n" + row)
    assert user.certificates == (SigningCertificate(2, Status.ACTIVE, utc(2021, 2, 3)),)


@pytest.mark.parametrize(
    ("arn", "partition", "account", "is_root"),
    [
        ("arn:aws-cn:iam::210987654321:user/bob", "aws-cn", "210987654321", False),
        ("arn:aws-us-gov:iam::345678901234:user/ops/bob", "aws-us-gov", "345678901234", False),
        ("arn:aws-cn:iam::210987654321:root", "aws-cn", "210987654321", True),
        ("arn:aws-us-gov:iam::345678901234:root", "aws-us-gov", "345678901234", True),
    ],
)
def test_partition_and_account_come_from_the_arn(arn, partition, account, is_root):
    user = read_one(report(report_row(user="bob", arn=arn)))
    assert (user.partition, user.account_id, user.is_root) == (partition, account, is_root)


def test_account_id_that_is_not_12_digits_warns_once():
    guardian = "arn:aws:iam::0123456789:user/"
    users, warnings = read(
        report(
            report_row(user="a", arn=guardian + "a"),
            report_row(user="b", arn=guardian + "b"),
        )
    )
    assert [u.account_id for u in users] == ["0123456789", "0123456789"]
    assert warnings.items == [ReportWarning(2, "account ID '0123456789' is not 12 digits")]


# --- which credentials exist ----------------------------------------------------------------


def test_inactive_key_with_a_date_exists_as_inactive():
    row = report_row(access_key_1_active="false", access_key_1_last_rotated="2019-05-05T00:00:00Z")
    user = read_one(report(row))
    assert user.access_keys == (AccessKey(1, None, Status.INACTIVE, utc(2019, 5, 5), None),)


def test_key_2_without_key_1_keeps_its_slot():
    row = report_row(access_key_2_active="true", access_key_2_last_rotated="2019-05-05T00:00:00Z")
    user = read_one(report(row))
    assert user.access_keys == (AccessKey(2, None, Status.ACTIVE, utc(2019, 5, 5), None),)


def test_active_key_without_a_date_is_not_listed_and_warns():
    # prowler-1: key 1 active with last_rotated N/A.
    row = report_row(
        user="bob", arn=BOB_ARN, access_key_1_active="true", access_key_1_last_rotated="N/A"
    )
    users, warnings = read(report(report_row(), row))
    assert users[1].access_keys == ()
    assert len(warnings.items) == 1
    warning = warnings.items[0]
    assert warning.line == 3
    assert "access_key_1_active is true but access_key_1_last_rotated is 'N/A'" in warning.message
    assert "not listed" in warning.message


def test_key_marked_inactive_without_a_date_does_not_exist():
    users, warnings = read(report(report_row(access_key_1_active="false")))
    assert users[0].access_keys == ()
    assert warnings.items == []


def test_password_exists_only_when_enabled():
    # A removed password keeps its last-use date (spec §4); it is not a password.
    row = report_row(
        password_enabled="false",
        password_last_used="2017-03-01T00:00:00+00:00",
        password_last_changed="2016-01-01T00:00:00+00:00",
    )
    assert read_one(report(row)).password is None
    assert verdicts(report(row)) == []


def test_enabled_password_never_used():
    row = report_row(
        password_enabled="true",
        password_last_used="no_information",
        password_last_changed="2024-02-01T00:00:00+00:00",
    )
    assert read_one(report(row)).password == Password(utc(2024, 2, 1), None)


def test_inactive_certificate_with_a_date_is_listed_and_none_without():
    row = report_row(cert_1_active="false", cert_1_last_rotated="2018-01-01T00:00:00+00:00")
    user = read_one(report(row))
    assert user.certificates == (SigningCertificate(1, Status.INACTIVE, utc(2018, 1, 1)),)


# --- duplicate rows, repeated header, empty data --------------------------------------------


def test_duplicate_arn_warns_naming_both_lines_and_keeps_both_rows():
    users, warnings = read(
        report(
            report_row(),
            report_row(user="bob", arn=BOB_ARN),
            report_row(mfa_active="true"),
        )
    )
    assert [(u.user, u.line, u.mfa_active) for u in users] == [
        ("alice", 2, False),
        ("bob", 3, False),
        ("alice", 4, True),
    ]
    assert len(warnings.items) == 1
    warning = warnings.items[0]
    assert warning.line == 4
    assert "line 2" in warning.message
    assert ALICE_ARN in warning.message
    assert str(warning).startswith("line 4: ")


def test_repeated_header_line_is_skipped():
    users, warnings = read(report(report_row(), HEADER, report_row(user="bob", arn=BOB_ARN)))
    assert [(u.user, u.line) for u in users] == [("alice", 2), ("bob", 4)]
    assert warnings.items == []


def test_concatenated_reports_end_to_end():
    first = report(report_row(password_enabled="true", password_last_used="2025-05-01T00:00:00Z"))
    second = report(report_row(user="bob", arn=BOB_ARN))
    result = scan_report(first + second, as_of=AS_OF)
    assert result.summary.users == 2
    assert [a.owner.user for a in result] == ["alice"]


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n", HEADER + "\r\n", HEADER + "\n\n"])
def test_header_only_gives_zero_users(text):
    users, warnings = read(text)
    assert users == []
    assert warnings.items == []
    result = scan_report(text, as_of=AS_OF)
    assert (result.summary.users, result.summary.credentials) == (0, 0)


def test_blank_lines_between_rows_are_skipped_and_lines_still_count():
    users, _ = read(HEADER + "\n" + report_row() + "\n\n" + report_row(user="bob", arn=BOB_ARN))
    assert [(u.user, u.line) for u in users] == [("alice", 2), ("bob", 4)]


# --- located errors -------------------------------------------------------------------------

GOOD = report_row()
SHORT = GOOD.rsplit(",", 1)[0]  # 21 fields: cert_2_last_rotated missing


@pytest.mark.parametrize(
    ("row", "column", "column_name", "fragment"),
    [
        pytest.param(SHORT, 22, "cert_2_last_rotated", "expected 22 fields, found 21", id="short"),
        pytest.param(GOOD + ",extra", 23, None, "expected 22 fields, found 23", id="long"),
        pytest.param(
            report_row(access_key_1_last_rotated="2023-13-01T00:00:00+00:00"),
            10,
            "access_key_1_last_rotated",
            "'2023-13-01T00:00:00+00:00'",
            id="bad-date",
        ),
        pytest.param(
            report_row(password_last_used="yesterday"),
            5,
            "password_last_used",
            "'yesterday'",
            id="bad-date-word",
        ),
        pytest.param(
            report_row(mfa_active="yes"),
            8,
            "mfa_active",
            "expected true or false, got 'yes'",
            id="bad-boolean",
        ),
        pytest.param(
            report_row(arn="alice"), 2, "arn", "expected an IAM ARN", id="bad-arn-not-arn"
        ),
        pytest.param(
            report_row(arn="arn:aws:s3:::bucket"), 2, "arn", "expected an IAM ARN", id="bad-arn-s3"
        ),
        pytest.param(
            report_row(arn="arn:aws:iam:::user/alice"), 2, "arn", "'arn:aws:iam:::user/alice'",
            id="bad-arn-no-account",
        ),
        pytest.param(report_row(user=""), 1, "user", "the user name is empty", id="empty-user"),
    ],
)  # fmt: skip
def test_errors_name_line_column_and_column_name(row, column, column_name, fragment):
    error = read_error(report(report_row(user="bob", arn=BOB_ARN), row))
    assert error.source == "r.csv"
    assert error.line == 3
    assert error.column == column
    assert error.column_name == column_name
    assert fragment in error.message
    prefix = f"r.csv, line 3, column {column}"
    if column_name:
        prefix += f" ({column_name})"
    assert str(error).startswith(prefix + ": ")


def test_error_column_is_the_position_in_this_files_header():
    order = list(reversed(REPORT_COLUMNS))  # mfa_active is the 15th column here
    error = read_error(reordered({"mfa_active": "maybe"}, order))
    assert (error.line, error.column, error.column_name) == (2, 15, "mfa_active")


def test_error_column_counts_unknown_columns():
    header = "extra," + HEADER
    error = read_error(report("x," + report_row(mfa_active="maybe"), header=header))
    assert (error.line, error.column, error.column_name) == (2, 9, "mfa_active")


def test_multi_line_quoted_field_keeps_later_line_numbers_right():
    text = report(
        report_row(user='"first\nsecond"'),  # lines 2-3
        report_row(user="bob", arn=BOB_ARN),  # line 4
        report_row(user="carol", arn=f"arn:aws:iam::{ACCOUNT}:user/carol", mfa_active="nope"),
    )
    error = read_error(text)
    assert (error.line, error.column, error.column_name) == (5, 8, "mfa_active")
    users, _ = read(report(report_row(user='"first\nsecond"'), report_row(user="bob", arn=BOB_ARN)))
    assert [(u.user, u.line) for u in users] == [("first\nsecond", 2), ("bob", 4)]


def test_bad_value_holding_a_newline_still_gives_a_one_line_message():
    error = read_error(report(report_row(access_key_1_last_rotated='"2020-01-01\nT00:00"')))
    assert (error.line, error.column) == (2, 10)
    assert "\n" not in str(error)


def test_unterminated_quote_is_a_report_format_error_with_a_line():
    error = read_error(report(report_row(), '"bob,' + GOOD[6:]))
    assert isinstance(error, InputError)
    assert error.line == 3
    assert error.message.startswith("not valid CSV")


def test_empty_lines_given_to_the_reader_are_an_error():
    error = read_error("")
    assert error.line is None
    assert "empty" in error.message


# --- input errors end to end (scan_report) -------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n", b"  \r\n", b"\xef\xbb\xbf"])
def test_empty_input_is_an_input_error(data):
    error = scan_error(data)
    assert error.source == "r.csv"
    assert error.line is None
    assert "empty" in error.message


def test_png_bytes_are_an_input_error_on_line_1_column_1():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    error = scan_error(png)
    assert (error.line, error.column) == (1, 1)
    assert "0x89" in error.message
    assert "not UTF-8" in error.message


def test_latin1_byte_in_a_row_is_an_input_error_on_its_line():
    data = report(report_row(), report_row(user="b\xe9b", arn=BOB_ARN)).encode("latin-1")
    error = scan_error(data)
    assert (error.line, error.column) == (3, 2)
    assert "0xe9" in error.message


def test_nul_byte_in_a_cell_is_an_input_error():
    # Issue 2: binary input is an input error. Python 3.11's csv reader accepts NUL, so this
    # must be checked by the tool; a user name with a NUL byte is not a credential report.
    data = report(report_row(), report_row(user="b\x00b", arn=BOB_ARN)).encode()
    error = scan_error(data)
    assert error.line == 3


def test_nul_bytes_only_is_an_input_error():
    error = scan_error(b"\x00\x00\x00\x00")
    assert error.line == 1


def test_scan_report_error_in_json_content_names_the_content():
    import base64
    import json

    content = report(report_row(mfa_active="maybe"))
    data = json.dumps({"Content": base64.b64encode(content.encode()).decode()}).encode()
    with pytest.raises(ReportFormatError) as info:
        scan_report(data, as_of=AS_OF, name="cr.json")
    assert str(info.value).startswith("cr.json (Content), line 2, column 8 (mfa_active): ")


def test_concatenated_reports_whose_headers_carry_a_bom_are_read():
    # `cat a.csv b.csv` of two console downloads: the second header starts with a BOM.
    first = report(report_row())
    second = "\ufeff" + report(report_row(user="bob", arn=BOB_ARN))
    result = scan_report((first + second).encode(), as_of=AS_OF)
    assert result.summary.users == 2
    assert [w.message for w in result.warnings.items] == []


def test_a_date_without_time_names_the_expected_form():
    data = report(report_row(user_creation_time="2020-01-01")).encode()
    error = scan_error(data)
    assert error.column == 3
    assert "has no time and UTC offset (expected e.g. 2016-11-16T14:10:34+00:00)" in error.message


def test_a_time_without_offset_names_only_the_offset():
    data = report(report_row(user_creation_time="2018-06-01T00:00:00")).encode()
    error = scan_error(data)
    assert error.column == 3
    assert error.message == (
        "timestamp '2018-06-01T00:00:00' has no UTC offset "
        "(expected e.g. 2016-11-16T14:10:34+00:00)"
    )


def test_utf16_text_is_named_as_such():
    error = scan_error(report(report_row()).encode("utf-16"))
    assert error.line == 1
    assert error.message == "UTF-16 text (as PowerShell's '>' writes it): save the report as UTF-8"


def test_a_nul_in_utf8_text_is_binary_data():
    error = scan_error(report(report_row(), report_row(user="b\x00b", arn=BOB_ARN)).encode())
    assert error.message == "a NUL byte: this is binary data, not a credential report"


def test_bare_carriage_returns_are_named():
    error = scan_error(report(report_row()).replace("\n", "\r").encode())
    assert error.line == 1
    assert "a line ends in a bare carriage return (CR, old Mac line ends)" in error.message


def test_a_user_listed_twice_counts_as_one_user():
    row = report_row(user="chris", arn="arn:aws:iam::123456789012:user/chris")
    other = report_row(user="dana", arn="arn:aws:iam::123456789012:user/dana")
    result = scan_report(report(row, other, row), as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert result.summary.users == 2
    assert [w.line for w in result.warnings.items] == [4]
